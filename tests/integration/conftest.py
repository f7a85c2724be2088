"""Shared real components for integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actors.mongo_embedded import EmbeddedMongo


@pytest.fixture(scope="module")
def embedded_mongo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedMongo]:
    """One mongoeco server per test module; tests isolate themselves by database name.
    mongoeco slows down as its store grows (collections, databases): one server for the
    whole session stalled the later modules' workers past their deadlines, so each
    module starts afresh (a server starts in about a second)."""
    with EmbeddedMongo(tmp_path_factory.mktemp("mongo")) as server:
        yield server
