"""The interactive API docs (``/docs``), served entirely by this app: Swagger UI's files
come from the ``swagger-ui-bundle-v2`` package, so the page works without internet
(FastAPI's default loads them from a CDN, and a machine offline got a blank page).

ReDoc is not served: no package ships it, and a CDN page is what this replaces.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

DOCS_URL = "/docs"
ASSETS_URL = "/docs/assets"  # Swagger UI's own files, from the package
REDIRECT_URL = "/docs/oauth2-redirect"


def install_docs(app: FastAPI, title: str, openapi_url: str = "/openapi.json") -> None:
    """``/docs``, its assets and its OAuth2 redirect page (the "Authorize" button)."""
    assets = StaticFiles(directory=str(swagger_ui_path), check_dir=False)

    async def asset(path: str, request: Request) -> Response:
        # A GET route (not a mount), as /web/ is: every endpoint is a declared route.
        return await assets.get_response(path, request.scope)

    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi_url,
            title=f"{title} - docs",
            swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url="/favicon.ico",
            oauth2_redirect_url=REDIRECT_URL,
            # No badge from validator.swagger.io: nothing on the page leaves this server.
            swagger_ui_parameters={"validatorUrl": None},
        )

    async def oauth2_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    for path, endpoint in (
        (DOCS_URL, docs),
        (f"{ASSETS_URL}/{{path:path}}", asset),
        (REDIRECT_URL, oauth2_redirect),
    ):
        app.add_api_route(path, endpoint, methods=["GET"], include_in_schema=False)
