"""The web pages (``web/``: HTML, ES modules and CSS, no build step) and their config.

The pages are static files served from the repository's ``web/`` directory at
``/web/``; ``/`` leads there. They talk to the same API as any other client.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse, RedirectResponse
from starlette.staticfiles import StaticFiles

from api.deps import ContainerDep
from api.schemas.web import WebConfig
from api.web_config import web_config

WEB_DIR = Path(__file__).resolve().parents[2] / "web"
# check_dir=False: nothing touches the disk at import; a missing directory is a 404.
pages = StaticFiles(directory=WEB_DIR, html=True, check_dir=False)

router = APIRouter(tags=["web"])


@router.get("/", include_in_schema=False)
async def home() -> RedirectResponse:
    return RedirectResponse("/web/")


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> FileResponse:
    # Browsers ask for it on every site (and /docs names it): a 404 in every log otherwise.
    return FileResponse(
        WEB_DIR / "favicon.ico",
        media_type="image/x-icon",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@router.get("/web/{path:path}", include_in_schema=False)
async def web_page(path: str, request: Request) -> Response:
    response = await pages.get_response(path, request.scope)
    # Revalidate every time: a page and its modules must never mix two versions.
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/v1/web/config", operation_id="web_config")
async def config(container: ContainerDep) -> WebConfig:
    """Stripe.js (locally: localstripe's stand-in) and the publishable key for the pages."""
    return web_config(container.settings)
