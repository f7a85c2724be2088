"""``ticketing loadtest`` against the app served over real HTTP (uvicorn, Ray, mongoeco).

What a new user meets: a server whose login limit refuses the buyers' registration (a
clear message, nothing left on sale), a short limit on the admin's login (waited out),
a given event's own seat map (read from the API, not guessed), a run dominated by rate
limits (not valid: said in the report and the exit status), and the generator's own
ceiling measured on /health first.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from actors.mongo_embedded import EmbeddedMongo
from api.main import create_app
from cluster.cli import app as ticketing
from tests.integration.api_support import api_settings
from tests.integration.http_server import ServerThread
from tests.integration.ray_support import ray_local

__all__ = ["ray_local"]
ADMIN = ("loadtest-admin@example.com", "loadtest admin passphrase")
QUICK = ["--processes", "1", "--concurrency", "8", "--buyers", "8", "--duration", "2"]


class Server:
    """The served app, an HTTP client of it and the admin's headers."""

    def __init__(self, url: str, app: Any, http: httpx.Client) -> None:
        self.url, self.app, self.http = url, app, http
        login = http.post("/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]})
        self.admin = {"Authorization": f"Bearer {login.json()['access_token']}"}

    @property
    def settings(self) -> Any:
        return self.app.state.container.settings

    def limits(self, **per_minute: int) -> None:
        """Set the server's rate limits from now on, with full buckets."""
        for name, value in per_minute.items():
            setattr(self.settings, name, value)
        self.app.state.container.limiter.reset()

    def load_test_events_on_sale(self) -> int:
        found = self.http.get("/v1/events", params={"q": "Load test", "limit": 100}).json()
        return sum(e["title"] == "Load test" and e["status"] == "on_sale" for e in found["items"])

    def small_event(self) -> str:
        """Section A (4 rows of 10) and a standing FLOOR of 100, on sale; its id."""
        rows = [{"label": str(r), "seats": 10} for r in range(1, 5)]
        venue = {
            "name": "Small hall",
            "city": "Lyon",
            "country": "FR",
            "sections": [{"name": "A", "rows": rows}],
            "areas": [{"name": "FLOOR", "capacity": 100}],
        }
        venue_id = self.http.post("/v1/venues", json=venue, headers=self.admin).json()["id"]
        event = {
            "title": f"Small {uuid.uuid4().hex[:6]}",
            "description": "a layout of its own",
            "category": "concert",
            "venue_id": venue_id,
            "starts_at": "2030-06-01T20:00:00Z",
            "sale_starts_at": "2020-01-01T00:00:00Z",
            "currency": "EUR",
            "prices": [{"name": "All", "amount": 3000, "sections": ["A"], "areas": ["FLOOR"]}],
            "max_tickets_per_customer": 50,
            "hold_ttl_seconds": 600,
        }
        created = self.http.post("/v1/events", json=event, headers=self.admin)
        assert created.status_code == 201, created.text
        event_id = created.json()["id"]
        published = self.http.post(f"/v1/events/{event_id}/publish", headers=self.admin)
        assert published.status_code == 200, published.text
        return event_id


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, embedded_mongo: EmbeddedMongo, ray_local: None
) -> Iterator[Server]:
    settings = api_settings(
        tmp_path_factory.mktemp("loadtest"),
        embedded_mongo,
        bootstrap_admin_email=ADMIN[0],
        bootstrap_admin_password=ADMIN[1],
        amqp_url=None,  # no broker needed: holds only
    )
    app = create_app(settings)
    with ServerThread(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield Server(url, app, http)


@pytest.fixture(autouse=True)
def no_limits(server: Server) -> None:
    server.limits(auth_rate_per_ip=0, reserve_rate_per_user=0, reserve_rate_per_ip=0)


def loadtest(*args: str) -> Any:
    result = CliRunner().invoke(ticketing, ["loadtest", *args])
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    result.text = " ".join(result.output.split())  # as read, not as wrapped
    return result


def test_buyers_refused_by_the_login_limit_stop_the_run_clearly_leaving_nothing(
    server: Server,
) -> None:
    before = server.load_test_events_on_sale()
    server.limits(auth_rate_per_ip=4)  # the admin's login, then a buyer and a half
    admin = ["--admin-email", ADMIN[0], "--admin-password", ADMIN[1], "--seats", "100"]
    result = loadtest("--base-url", server.url, *admin, *QUICK, "--calibrate", "0")
    assert result.exit_code == 2, result.output
    assert "429 rate_limited" in result.text, result.output
    assert "AUTH_RATE_PER_IP=0" in result.text and "--mint-secret" in result.text
    assert server.load_test_events_on_sale() == before, result.output


def test_a_short_login_limit_is_waited_out_and_the_ceiling_measured(
    server: Server, tmp_path: Path
) -> None:
    server.limits(auth_rate_per_ip=60)  # a token a second
    while server.http.post("/v1/auth/login", json={}).status_code != 429:
        pass  # empty the bucket (422s): the load tester's login meets a 429 first
    out = tmp_path / "run.json"
    admin = ["--admin-email", ADMIN[0], "--admin-password", ADMIN[1], "--seats", "200"]
    mint = ["--mint-secret", server.settings.jwt_secret, "--json", str(out)]
    result = loadtest("--base-url", server.url, *admin, *mint, *QUICK, "--calibrate", "1")
    assert result.exit_code == 0, result.output
    assert "retrying in" in result.text, result.output
    data = json.loads(out.read_text())
    assert data["generator_ceiling"]["endpoint"] == "/health"
    assert data["generator_ceiling"]["requests_per_s"] > 0, data["generator_ceiling"]
    assert data["verdict"]["valid"] and data["holds"] > 0, data["verdict"]


def test_a_given_event_is_sold_from_its_own_seat_map(server: Server, tmp_path: Path) -> None:
    event_id = server.small_event()
    out = tmp_path / "run.json"
    mint = ["--mint-secret", server.settings.jwt_secret, "--json", str(out), "--calibrate", "0"]
    result = loadtest("--base-url", server.url, "--event-id", event_id, *mint, *QUICK)
    assert result.exit_code == 0, result.output
    outcomes = json.loads(out.read_text())["outcomes"]
    assert not [k for k in outcomes if ":422:" in k or "invalid" in k], outcomes
    assert outcomes.get("reserve:ok", 0) > 0, outcomes


def test_a_run_dominated_by_rate_limits_is_not_valid(server: Server, tmp_path: Path) -> None:
    event_id = server.small_event()
    server.limits(reserve_rate_per_ip=6)  # 6 reserves a minute from the generator's address
    out = tmp_path / "run.json"
    mint = ["--mint-secret", server.settings.jwt_secret, "--json", str(out), "--calibrate", "0"]
    result = loadtest("--base-url", server.url, "--event-id", event_id, *mint, *QUICK)
    assert result.exit_code == 3, result.output
    assert "NOT VALID" in result.text and "RESERVE_RATE_PER_IP=0" in result.text
    verdict = json.loads(out.read_text())["verdict"]
    assert not verdict["valid"] and verdict["foreign_by_code"].get("429 rate_limited", 0) > 0
