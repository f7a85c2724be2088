"""Shared real components for integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actors.mongo_embedded import EmbeddedMongo


@pytest.fixture(scope="session")
def embedded_mongo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedMongo]:
    """One mongoeco server for the session; tests isolate themselves by database name
    (mongoeco slows down as collections grow, so keep each test's data small)."""
    with EmbeddedMongo(tmp_path_factory.mktemp("mongo")) as server:
        yield server
