"""The app serves what a browser needs without internet (/docs and its assets from the
package, a favicon), and compresses large reads when asked, never the writes."""

from __future__ import annotations

import gzip
import json
import re

import pytest

from tests.integration.api_support import Api, api
from tests.integration.ray_support import ray_local
from tests.integration.test_reservations_api import bearer, on_sale_event

__all__ = ["api", "ray_local"]


async def test_docs_and_favicon_are_served_from_here(api: Api) -> None:
    page = await api.client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "cdn" not in html.lower() and not re.search(r"https?://", html), html
    refs = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(refs) >= 3, refs  # the script, the stylesheet, the icon
    for ref in refs:
        assert ref.startswith("/"), ref
        asset = await api.client.get(ref)
        assert asset.status_code == 200 and len(asset.content) > 1000, ref
    script = await api.client.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in script.headers["content-type"]
    assert "SwaggerUIBundle" in script.text
    assert (await api.client.get("/docs/oauth2-redirect")).status_code == 200
    assert (await api.client.get("/redoc")).status_code == 404  # a CDN page: not served
    spec = (await api.client.get("/openapi.json")).json()
    assert spec["openapi"].startswith("3.1")  # what Swagger UI 5 (the packaged one) reads
    icon = await api.client.get("/favicon.ico")  # the page names it; browsers ask anyway
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file


@pytest.mark.usefixtures("ray_local")
async def test_large_reads_are_gzipped_on_request_and_writes_never(api: Api) -> None:
    creator = await api.user("event_creator")
    event_id = await on_sale_event(api, creator, rows=40, seats=50)  # 2,000 seats
    url = f"/v1/events/{event_id}/seats"
    # httpx decodes gzip transparently: the raw bytes tell what went over the wire.
    async with api.client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as zipped:
        raw = b"".join([chunk async for chunk in zipped.aiter_raw()])
    assert zipped.status_code == 200 and zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    plain = await api.client.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and len(plain.content) > 2000
    assert json.loads(gzip.decompress(raw)) == plain.json()
    assert len(raw) < len(plain.content) / 4

    small = await api.client.get("/health", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # under the 1 KB threshold
    held = await api.client.post(
        "/v1/tickets/reserve",
        headers={**bearer(api, "gz"), "Accept-Encoding": "gzip"},
        json={"event_id": event_id, "section": "A", "quantity": 2},
    )
    assert held.status_code == 201, held.text
    assert "content-encoding" not in held.headers and "vary" not in held.headers
