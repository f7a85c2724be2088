"""The whole platform behind real HTTP, and a real browser to drive its pages.

``site``: the app in uvicorn on a free port (real Ray, mongoeco over the wire,
localstripe, RabbitMQ and the in-process workers, as ``make run`` has them), with a
bootstrap admin, and helpers that seed accounts and events through the HTTP API.
``browser``: Debian's Chromium (``/usr/bin/chromium``, or ``CHROMIUM_PATH``) driven
by Playwright; the tests skip, saying why, only when no browser can be found. The
Makefile installs the package (``make test``); Playwright never downloads one.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from actors.mongo_embedded import EmbeddedMongo
from api.main import create_app
from tests.integration.api_support import api_settings, delete_worker_queues
from tests.integration.http_server import ServerThread
from tests.integration.notify_support import SmtpSink

ADMIN = ("e2e-admin@example.com", "e2e admin passphrase")
PASSWORD = "correct horse 42"
ARTIFACTS = Path(__file__).parent / "artifacts"
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """Debian's Chromium, or the one ``CHROMIUM_PATH`` names."""
    for candidate in (
        os.environ.get("CHROMIUM_PATH"),
        "/usr/bin/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@dataclass
class Account:
    id: str
    email: str
    password: str
    headers: dict[str, str]


@dataclass
class Site:
    """The running platform and an HTTP client of it."""

    url: str
    app: Any
    http: httpx.Client
    admin: Account

    def account(self, *roles: str, name: str = "E2E Buyer") -> Account:
        """A registered user with ``roles`` (granted by the admin), logged in."""
        email = f"e2e-{uuid.uuid4().hex[:10]}@example.com"
        body = {"email": email, "password": PASSWORD, "name": name}
        user = self.ok(self.http.post("/v1/auth/register", json=body), 201)
        if roles:
            grant = {"roles": ["user", *roles]}
            path = f"/v1/admin/users/{user['id']}/roles"
            self.ok(self.http.patch(path, json=grant, headers=self.admin.headers))
        return self.login(user["id"], email, PASSWORD)

    def login(self, user_id: str, email: str, password: str) -> Account:
        tokens = self.ok(
            self.http.post("/v1/auth/login", json={"email": email, "password": password})
        )
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        return Account(user_id, email, password, headers)

    def bearer(self, user_id: str) -> dict[str, str]:
        """Headers of a buyer without an account (a token the app itself signs)."""
        token, _ = self.app.state.container.tokens.issue_access(user_id, ["user"])
        return {"Authorization": f"Bearer {token}"}

    def on_sale_event(self, creator: Account, title: str, rows: int = 4, seats: int = 10) -> str:
        """A venue (section A of ``rows`` x ``seats``, a standing FLOOR of 100) and an
        event on sale now, published; its id."""
        section = [{"label": str(r), "seats": seats} for r in range(1, rows + 1)]
        venue = {
            "name": "Zenith",
            "city": "Paris",
            "country": "FR",
            "sections": [{"name": "A", "rows": section}],
            "areas": [{"name": "FLOOR", "capacity": 100}],
        }
        venue_id = self.ok(self.http.post("/v1/venues", json=venue, headers=creator.headers), 201)
        event = {
            "title": title,
            "description": "Tested in a real browser",
            "category": "concert",
            "venue_id": venue_id["id"],
            "starts_at": "2030-06-01T20:00:00Z",
            "sale_starts_at": "2020-01-01T00:00:00Z",
            "currency": "EUR",
            "prices": [
                {"name": "Cat 1", "amount": 5000, "sections": ["A"], "areas": []},
                {"name": "Floor", "amount": 3500, "sections": [], "areas": ["FLOOR"]},
            ],
            "max_tickets_per_customer": 6,
            "hold_ttl_seconds": 600,
        }
        created = self.ok(self.http.post("/v1/events", json=event, headers=creator.headers), 201)
        self.ok(self.http.post(f"/v1/events/{created['id']}/publish", headers=creator.headers))
        return created["id"]

    def availability(self, event_id: str) -> dict[str, Any]:
        return self.ok(self.http.get(f"/v1/events/{event_id}/availability"))

    @staticmethod
    def ok(response: httpx.Response, status: int = 200) -> Any:
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory,
    embedded_mongo: EmbeddedMongo,
    ray_local: None,
    localstripe: str,
) -> Iterator[Site]:
    smtp = SmtpSink()  # the notifications worker emails every buyer their tickets
    smtp.start()
    settings = api_settings(
        tmp_path_factory.mktemp("e2e"),
        embedded_mongo,
        bootstrap_admin_email=ADMIN[0],
        bootstrap_admin_password=ADMIN[1],
        run_workers=True,  # the payments worker charges localstripe and issues tickets
        stripe_api_base=localstripe,
        smtp_port=smtp.port,
        stream_max_s=60.0,
    )
    app = create_app(settings)
    try:
        with ServerThread(app) as url, httpx.Client(base_url=url, timeout=30) as http:
            site = Site(url, app, http, Account("", *ADMIN, {}))
            admin = site.ok(http.get("/v1/users/me", headers=site.login("", *ADMIN).headers))
            site.admin = site.login(admin["id"], *ADMIN)
            yield site
    finally:
        smtp.stop()
        # Playwright's sync API keeps an event loop running in this thread (the browser
        # outlives this fixture): the clean-up runs its own loop in another thread.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(lambda: asyncio.run(delete_worker_queues(settings))).result()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for the module; tests ask for it before ``site``, so that without a
    browser they skip before starting the platform."""
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=BROWSER_ARGS)
        yield launched
        launched.close()


def sign_in(page: Any, site: Site, account: Account, then: str) -> None:
    """Sign in through the login page, which sends the browser on to ``then``."""
    page.goto(f"{site.url}/web/login.html?next={quote(then)}")
    page.get_by_label("Email").first.fill(account.email)
    page.get_by_label("Password").first.fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"**{then.split('?')[0]}*")
