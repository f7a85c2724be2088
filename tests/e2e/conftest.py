"""Shared real components for the end-to-end tests (as tests/integration/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actors.mongo_embedded import EmbeddedMongo


@pytest.fixture(scope="module")
def embedded_mongo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedMongo]:
    """One mongoeco server per test module, as in the integration tests."""
    with EmbeddedMongo(tmp_path_factory.mktemp("mongo")) as server:
        yield server
