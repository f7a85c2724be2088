"""The FastAPI application factory."""

from importlib.metadata import PackageNotFoundError, version

from fastapi import FastAPI

from api.problems import install_problem_handlers
from api.routes import health
from api.settings import Settings, get_settings


def package_version() -> str:
    try:
        return version("ticketing")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0.0.0+unknown"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Opens no connection: that is for the lifespan of later steps."""
    settings = settings or get_settings()
    app = FastAPI(
        title="Ticketing API",
        version=package_version(),
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    install_problem_handlers(app)
    app.include_router(health.router)
    return app
