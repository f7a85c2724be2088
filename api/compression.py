"""gzip for large responses that clients read, when they ask for it (``Accept-Encoding``).

What is compressed: GET and HEAD answers of at least ``minimum_size`` bytes (the seat map
of a 20,000-seat event is ~31 KB of JSON; lists, reports, the docs' scripts). What is
not: anything smaller (a small body gains little and costs a compressor), event streams
(Starlette's GZip excludes ``text/event-stream``), and writes: POST/PUT/PATCH/DELETE
answers are small, and the reserve route, the hot path, must pay nothing for this, not
even Starlette's per-message wrapper, so they go straight to the app.
"""

from __future__ import annotations

from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

READS = frozenset({"GET", "HEAD"})


def _accepts_gzip(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return b"gzip" in value.lower()
    return False


class CompressReads:
    """Pure ASGI: reads that accept gzip go through Starlette's GZip; the rest do not."""

    def __init__(self, app: ASGIApp, minimum_size: int = 1024, compresslevel: int = 6) -> None:
        self.app = app
        # Level 6: nearly level 9's ratio on JSON for a fraction of its CPU.
        self.gzip = GZipMiddleware(app, minimum_size=minimum_size, compresslevel=compresslevel)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in READS and _accepts_gzip(scope):
            await self.gzip(scope, receive, send)
        else:
            await self.app(scope, receive, send)
