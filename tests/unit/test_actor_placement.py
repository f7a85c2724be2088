"""Where new inventory actors go: INVENTORY_NODE_LABELS to Ray's placement options."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from actors.config import RouterConfig
from contexts.shared.settings import Settings


def test_no_labels_means_any_node() -> None:
    assert Settings().inventory_node_labels == {}
    assert RouterConfig().placement() == {}


def test_labels_select_nodes_with_a_fallback_off_drivers() -> None:
    labels = Settings(inventory_node_labels="ticketing.io/role=inventory, zone=a")
    assert labels.inventory_node_labels == {"ticketing.io/role": "inventory", "zone": "a"}
    placement = RouterConfig(node_labels=labels.inventory_node_labels).placement()
    assert placement["label_selector"] == {"ticketing.io/role": "inventory", "zone": "a"}
    assert placement["fallback_strategy"] == [{"label_selector": {"ticketing.io/role": "!driver"}}]


@pytest.mark.parametrize("bad", ["role", "a=b=c", "a=b,c"])
def test_malformed_labels_are_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="INVENTORY_NODE_LABELS"):
        Settings(inventory_node_labels=bad)
