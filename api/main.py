"""The FastAPI application factory and its lifespan (the composition root's life)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, entry_points, version

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

log = logging.getLogger(__name__)

# Why an entry point: the in-process workers (RUN_WORKERS, the default of `make run`)
# belong to the AMQP face, which the HTTP face may not import (the faces never import
# each other), and the composition root imports no face. The package declares them in
# pyproject (`[project.entry-points."ticketing.services"]`), the lifespan loads them by
# name and hands them to bootstrap.start; a deployment that installs no workers gets none.
SERVICES_GROUP = "ticketing.services"


def process_services(settings: Settings) -> list[composition.ServiceFactory]:
    """The services of this process: each ``ticketing.services`` entry point is a
    ``(Settings) -> list[ServiceFactory]`` (``workers.host.services``)."""
    factories: list[composition.ServiceFactory] = []
    found = entry_points(group=SERVICES_GROUP)
    for entry in sorted(found, key=lambda e: e.name):
        factories.extend(entry.load()(settings))
    if not found:  # an install from before the entry point: reinstall (make install)
        log.error("no %s entry point: no workers and no payments queue here", SERVICES_GROUP)
    return factories


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
        container = await composition.start(settings, process_services(settings))
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
