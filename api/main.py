"""The FastAPI application factory and its lifespan (the composition root's life)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

import bootstrap as composition
from api.compression import CompressReads
from api.docs_ui import install_docs
from api.hotpath import install_reserve_fast_path
from api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from api.openapi import install_problem_documentation
from api.problems import install_problem_handlers
from api.routes import ROUTERS
from contexts.shared.settings import Settings, get_settings
from contexts.shared.telemetry import instrument_app, setup_process_tracing


def package_version() -> str:
    try:
        return version("ticketing")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Connections open in the lifespan, never at import or build time."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        container = await composition.start(settings)
        app.state.container = container
        if getattr(app.state, "settle_heap", False):  # served workers only, not tests
            from actors.heap import settle

            settle()  # start-up objects: out of the collector's way (actors.heap)
        try:
            yield
        finally:
            await container.close()

    title = "Ticketing API"
    app = FastAPI(
        title=title,
        version=package_version(),
        docs_url=None,  # install_docs: served from the package, not a CDN
        redoc_url=None,
        # Off in production unless DOCS_ENABLED: the schema maps every admin route.
        openapi_url="/openapi.json" if settings.serve_docs else None,
        lifespan=lifespan,
        description="Reservations for concerts and events, served by one actor per event. "
        "Errors are RFC 9457 problem details with a stable `code`.",
    )
    app.state.settings = settings
    install_problem_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    install_problem_documentation(app)
    if settings.serve_docs:
        install_docs(app, title)
    install_reserve_fast_path(app)  # innermost: inside the body limit and request context
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(CompressReads, minimum_size=1024)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(RequestContextMiddleware)
    # Tracing needs no connection to be set up (exporters connect when they export), and
    # the FastAPI instrumentation must wrap the app before it serves.
    setup_process_tracing(settings)
    instrument_app(app)
    return app
