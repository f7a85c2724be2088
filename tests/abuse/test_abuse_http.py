"""Abuse over real HTTP (uvicorn on a socket, the app's lifespan started: Ray, mongoeco):
stateful fuzzing of the whole OpenAPI, oversized and malformed bodies, hostile names.

The server, its accounts (user, event_creator, admin) and a small catalog come from the
OpenAPI fuzz module (tests/integration/test_openapi_fuzz.py), as does the problem check:
reused, not copied. That module fuzzes each operation on its own; this one chains them.

Stateful fuzzing: schemathesis builds a Hypothesis state machine from the document's links.
It infers some (a reservation's id to GET/DELETE /v1/reservations/{id}, ...); the purchase
path (venue -> event -> publish -> reserve -> pay, and a listed event -> reserve) is
spelled out here as OpenAPI links, so a scenario can reach a payment of a hold, with
bodies fuzzed around the linked ids. Every response: no 5xx, every error a problem. The default run
is bounded (a few scenarios, derandomized); ``slow`` runs many more.
"""

from __future__ import annotations

import copy
import json
import zlib
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.errors import Flaky, FlakyStrategyDefinition
from schemathesis.checks import not_a_server_error

from api.main import create_app
from contexts.shared.settings import Settings
from tests.abuse.abuse_support import recorded
from tests.integration.fuzz_support import (
    Target,
    aim,
    problem_details,
    short_queue_streams,
    target,
)

__all__ = ["short_queue_streams", "target"]
pytestmark = pytest.mark.usefixtures("ray_local")

MAX_BODY = Settings.model_fields["max_body_bytes"].default
PROBLEM = "application/problem+json"

# -- stateful fuzzing ----------------------------------------------------------------------

# (source operationId, status) -> {link name: link}: the purchase path as OpenAPI links.
PURCHASE_LINKS: dict[tuple[str, str], dict[str, dict[str, Any]]] = {
    ("venues_create", "201"): {
        "CreateEventThere": {
            "operationId": "events_create",
            "requestBody": {"venue_id": "$response.body#/id"},
        }
    },
    ("events_create", "201"): {
        "PublishIt": {
            "operationId": "events_publish",
            "parameters": {"path.event_id": "$response.body#/id"},
        }
    },
    ("events_publish", "200"): {
        "ReserveThere": {
            "operationId": "tickets_reserve",
            "requestBody": {"event_id": "$response.body#/id"},
        },
        "ItsAvailability": {
            "operationId": "events_availability",
            "parameters": {"path.event_id": "$response.body#/id"},
        },
        "ItsWaitingRoom": {
            "operationId": "waiting_room_configure",
            "parameters": {"path.event_id": "$response.body#/id"},
        },
    },
    ("events_search", "200"): {  # a root (a list without parameters): an on-sale event
        "ReserveListed": {
            "operationId": "tickets_reserve",
            "requestBody": {"event_id": "$response.body#/items/0/id"},
        },
        "ListedAvailability": {
            "operationId": "events_availability",
            "parameters": {"path.event_id": "$response.body#/items/0/id"},
        },
    },
    ("tickets_reserve", "201"): {
        "PayForIt": {
            "operationId": "payments_process",
            "requestBody": {"reservation_id": "$response.body#/reservation_id"},
        }
    },
}


def linked_document() -> dict[str, Any]:
    """The app's OpenAPI document with the purchase path's links added."""
    document = copy.deepcopy(create_app(Settings()).openapi())
    operations = {
        op["operationId"]: op
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    for (source, status), links in PURCHASE_LINKS.items():
        for link in links.values():  # a renamed operation must fail here, not go unlinked
            assert link["operationId"] in operations, link["operationId"]
        response = operations[source]["responses"][status]
        response.setdefault("links", {}).update(links)
    return document


# Cancelling would end the shared fuzz event's sale (an inferred link leads there from the
# admin placement list) and turn every later reserve into a 409: the per-operation fuzzer
# covers cancel with random ids.
schema = schemathesis.openapi.from_dict(linked_document()).exclude(operation_id="events_cancel")
CHECKS = [not_a_server_error, problem_details]


def aim_seat_map(case: Any) -> None:
    """Point a reserve's generated area, section or seats at the fuzz venue's real ones
    (FLOOR, A, A-1-1..8) for about half of the cases (a stable choice, as ``aim``'s), and
    list events unfiltered as often (random filters find nothing to link from)."""
    if case.operation.path == "/v1/events" and case.method == "GET":
        if not zlib.crc32(repr(case.query).encode()) % 2:
            case.query = {}
        return
    body = case.body
    if case.operation.path != "/v1/tickets/reserve" or not isinstance(body, dict):
        return
    turn = zlib.crc32(repr(body).encode())
    if turn % 2:
        return
    if isinstance(body.get("area"), str):
        body["area"] = "FLOOR"
    if isinstance(body.get("section"), str):
        body["section"] = "A"
    if isinstance(body.get("seats"), list) and body["seats"]:
        body["seats"] = [f"A-1-{1 + (turn + n) % 8}" for n in range(min(len(body["seats"]), 3))]
    if isinstance(body.get("quantity"), int):
        body["quantity"] = 1 + turn % 2


def run_workflow(
    target: Target, identity: str, scenarios: int, steps: int, derandomize: bool = True
) -> tuple[Counter[str], bool]:
    """Run ``scenarios`` chained scenarios of up to ``steps`` calls as ``identity``;
    returns how many calls each operation and status got, and whether Hypothesis stopped
    early (see below)."""
    seen: Counter[str] = Counter()
    failures: list[str] = []
    stopped_early = False
    base = schema.as_state_machine()

    class Workflow(base):  # type: ignore[misc,valid-type]
        """The inferred and declared links, against the running server, as ``identity``."""

        def before_call(self, case: Any) -> None:
            # As the per-operation fuzzer does: about half of the ids point at real
            # resources, and reserves name a real area, section or seat, so chains reach
            # holds and payments instead of stopping at a 404 or 422.
            aim(case, target.ids)
            aim_seat_map(case)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"base_url": target.base_url, "headers": target.headers[identity], "timeout": 30}

        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            seen[f"{case.operation.label} -> {response.status_code}"] += 1

        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            try:
                case.validate_response(response, checks=CHECKS)
            except Exception as exc:  # kept: a replay may end in Flaky instead (below)
                failures.append(f"{case.operation.label} -> {response.status_code}: {exc}")
                raise

    try:
        Workflow.run(
            settings=settings(
                max_examples=scenarios,
                stateful_step_count=steps,
                derandomize=derandomize,  # default: the same scenarios each run (CI replays)
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
        )
    except (FlakyStrategyDefinition, Flaky):
        # The server keeps what each scenario did (holds, events, payments), so a replayed
        # prefix can meet different answers and draw different steps: Hypothesis calls
        # that flaky and stops. Only a failed check is a finding; none: the run stands.
        stopped_early = True
    assert not failures, failures[:5]
    return seen, stopped_early


def stateful_row(name: str, load: str) -> Any:
    return recorded(
        f"Stateful OpenAPI fuzzing ({name})",
        load=load,
        fault="schemathesis state machine over all operations: inferred links plus the "
        "purchase path (venue > event > publish > reserve > pay) as OpenAPI links",
        checked="no 5xx; every error an RFC 9457 problem with type/title/status/detail/code",
    )


def summarise(seen: Counter[str], stopped_early: bool) -> str:
    reached = {label.rsplit(" -> ", 1)[0] for label in seen}
    ok = sum(n for label, n in seen.items() if label.rsplit(" -> ", 1)[1].startswith("2"))
    deep = [op for op in ("POST /v1/payments/process", "POST /v1/tickets/reserve") if any(
        label.startswith(op) and label.endswith(("201", "202")) for label in seen
    )]  # fmt: skip
    return (
        f"{sum(seen.values())} calls over {len(reached)} operations, {ok} 2xx; "
        f"deep successes: {', '.join(deep) or 'none'}; 0 5xx"
        + (" (Hypothesis stopped early: a replay met a changed server)" if stopped_early else "")
    )


def fuzz_at_least(
    target: Target, identity: str, scenarios: int, steps: int, min_calls: int, rounds: int = 4
) -> tuple[Counter[str], bool]:
    """Run the workflow (derandomized first, then random rounds) until ``min_calls`` calls
    were made, and fail if they were not: a run that Hypothesis stopped early (Flaky,
    above) after a handful of calls, or whose calls were all refused, tested nothing."""
    seen, stopped = run_workflow(target, identity, scenarios, steps)
    for _ in range(rounds):
        if sum(seen.values()) >= min_calls:
            break
        more, stopped_again = run_workflow(target, identity, scenarios, steps, False)
        seen += more
        stopped = stopped or stopped_again
    calls = sum(seen.values())
    ok = sum(n for label, n in seen.items() if label.rsplit(" -> ", 1)[1].startswith("2"))
    reached = {label.rsplit(" -> ", 1)[0] for label in seen}
    assert calls >= min_calls, f"the fuzzer made {calls} calls, fewer than {min_calls}: {seen}"
    assert ok >= min_calls // 10, f"only {ok} of {calls} calls succeeded: {seen.most_common(8)}"
    assert len(reached) >= MIN_OPERATIONS, f"{len(reached)} operations reached: {sorted(reached)}"
    return seen, stopped


MIN_CALLS = 120  # of the bounded run's 25 scenarios of up to 10 calls
MIN_OPERATIONS = 15  # distinct operations a run must reach


def test_stateful_fuzzing_bounded(target: Target) -> None:
    scenarios, steps = 25, 10
    load = f"{scenarios} derandomized scenarios of up to {steps} chained calls, as admin"
    with stateful_row("bounded", load) as row:
        seen, stopped = fuzz_at_least(target, "admin", scenarios, steps, MIN_CALLS)
        row.inputs = sum(seen.values())
        row.result = summarise(seen, stopped)


CALL_BUDGET = 4000  # calls of the long run (about a minute and a half on 2 busy cores)


@pytest.mark.slow
def test_stateful_fuzzing_long(target: Target) -> None:
    scenarios, steps = 150, 12
    load = (
        f"{scenarios} derandomized scenarios of up to {steps} calls as admin, then random "
        f"rounds of {scenarios} as event_creator, admin, user, up to {CALL_BUDGET} calls"
    )
    with stateful_row("long, slow", load) as row:
        seen, stopped = run_workflow(target, "admin", scenarios, steps)
        # Hypothesis stops a run when a replay meets a changed server: more rounds, random
        # (not derandomized) so each explores anew, until the budget of calls is spent.
        for round_ in range(6):
            if sum(seen.values()) >= CALL_BUDGET:
                break
            identity = ("event_creator", "admin", "user")[round_ % 3]
            more, stopped_again = run_workflow(target, identity, scenarios, steps, False)
            seen += more
            stopped = stopped or stopped_again
        calls = sum(seen.values())
        assert calls >= CALL_BUDGET // 2, f"the long run made only {calls} calls: {seen}"
        row.inputs = calls
        row.result = summarise(seen, stopped) + " (rounds as admin, event_creator, user)"


# -- bodies ---------------------------------------------------------------------------------


def assert_problem(response: requests.Response, *statuses: int) -> dict[str, Any]:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body = response.json()
    assert body["status"] == response.status_code and body["code"], body
    return body


def venue(name: str = "Body Hall", **changes: Any) -> dict[str, Any]:
    body = {
        "name": name,
        "city": "Nantes",
        "country": "FR",
        "sections": [{"name": "A", "rows": [{"label": "1", "seats": 4}]}],
        "areas": [],
    }
    return {**body, **changes}


def padded(document: dict[str, Any], size: int) -> bytes:
    """``document`` as JSON, padded with trailing whitespace to exactly ``size`` bytes."""
    raw = json.dumps(document).encode()
    return raw + b" " * (size - len(raw))


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body streamed in chunks (requests sends it chunked, with no Content-Length)."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        yield b" " * piece
        sent += piece


def test_oversized_and_malformed_bodies(target: Target) -> None:
    url = f"{target.base_url}/v1/venues"
    headers = {**target.headers["event_creator"], "Content-Type": "application/json"}
    with recorded(
        "Oversized and malformed bodies",
        load="one request each, real HTTP (uvicorn)",
        fault=f"{MAX_BODY + 1} bytes with Content-Length; 3 MB chunked without Content-Length; "
        f"exactly {MAX_BODY} bytes; JSON nested 100,000 deep (arrays, objects); invalid UTF-8",
        checked="413 problem over the limit (declared or streamed), at the limit accepted; "
        "400/422 problems for the malformed; the server still answers after",
    ) as row:
        seen = []
        over = requests.post(url, data=padded(venue(), MAX_BODY + 1), headers=headers, timeout=30)
        seen.append(f"declared +1 B: {assert_problem(over, 413)['code']}")
        streamed = requests.post(url, data=chunks(3 * MAX_BODY), headers=headers, timeout=30)
        assert "content-length" not in {k.lower() for k in streamed.request.headers}
        seen.append(f"chunked 3 MB: {assert_problem(streamed, 413)['code']}")
        exact = requests.post(url, data=padded(venue(), MAX_BODY), headers=headers, timeout=30)
        assert exact.status_code == 201, exact.text  # the limit itself is allowed
        seen.append("exactly at the limit: 201")
        bombs = [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1" + b"}" * 100_000]
        for bomb in [*bombs, b'{"name": "\xff\xfe"}', b"\x00" * 1000]:
            response = requests.post(url, data=bomb, headers=headers, timeout=30)
            assert_problem(response, 400, 422)
            seen.append(str(response.status_code))
        assert requests.get(f"{target.base_url}/health", timeout=10).status_code == 200
        row.inputs = 3 + len(bombs) + 2
        row.result = (
            "; ".join(seen[:3]) + f"; nesting bombs, bad UTF-8, NULs: {', '.join(seen[3:])}"
        )


# -- names ------------------------------------------------------------------------------------

HOSTILE_NAMES: dict[str, str] = {
    "NUL": "Ann\x00Lee",
    "RTL override": "Ann\u202eeL.exe",
    "emoji": "Gig \U0001f3b8\U0001f39f\ufe0f",
    "ZWJ sequence": "\U0001f469\u200d\U0001f469\u200d\U0001f467",
    "combining accents": "Zoe\u0301 Cafe\u0301",
    "non-BMP letters": "\U0001d56c\U0001d593\U0001d593",
    "zero-width space": "Ann\u200bLee",
    "BOM first": "\ufeffAnn",
    "ANSI escape": "\x1b[31mred\x1b[0m",
    "newline": "two\nlines",
    "10,000 chars": "\u00e9" * 10_000,
    "lone surrogate": "\ud800x",
    "dash (seat ids are SECTION-ROW-N)": "B-2",
}


def test_hostile_names_are_refused_or_kept_intact(target: Target) -> None:
    base = target.base_url
    creator = target.headers["event_creator"]
    user = target.headers["user"]
    with recorded(
        "Unicode and control characters in names",
        load=f"{len(HOSTILE_NAMES)} names in user, venue, section, area, event and price names",
        fault=", ".join(HOSTILE_NAMES),
        checked="422 problem, or 201/200 and read back byte-for-byte; a seat of a section so "
        "named can be reserved by its id; never a 5xx",
    ) as row:
        outcomes: Counter[str] = Counter()
        sent = 0

        def post(path: str, body: dict[str, Any], headers: dict[str, str]) -> requests.Response:
            nonlocal sent
            sent += 1
            # json.dumps escapes lone surrogates (\ud800): valid JSON, invalid Unicode.
            data = json.dumps(body).encode()
            response = requests.post(
                f"{base}{path}",
                data=data,
                headers={**headers, "Content-Type": "application/json"},
                timeout=30,
            )
            assert response.status_code < 500, (path, body, response.text[:300])
            if response.status_code >= 400:
                assert_problem(response, 422)
            return response

        for label, name in HOSTILE_NAMES.items():
            # A venue named so, with a section and an area named so.
            made = post(
                "/v1/venues",
                venue(name, city=name, sections=[{"name": name, "rows": [{"label": name,
                      "seats": 2}]}], areas=[{"name": f"{name}+", "capacity": 5}]),
                creator,
            )  # fmt: skip
            if made.status_code == 201:
                got = requests.get(f"{base}/v1/venues/{made.json()['id']}", timeout=30).json()
                assert got["name"] == name and got["city"] == name, (label, got)
                assert got["sections"][0]["name"] == name, (label, got["sections"])
                assert got["sections"][0]["rows"][0]["label"] == name
                outcomes[f"venue {label}: kept"] += 1
                event = post(
                    "/v1/events",
                    {"title": name, "description": name, "category": "concert",
                     "venue_id": made.json()["id"], "starts_at": "2030-06-01T20:00:00Z",
                     "sale_starts_at": "2020-01-01T00:00:00Z", "currency": "EUR",
                     "prices": [{"name": name, "amount": 100, "sections": [name],
                                 "areas": [f"{name}+"]}]},
                    creator,
                )  # fmt: skip
                assert event.status_code == 201, (label, event.text[:300])
                event_id = event.json()["id"]
                assert event.json()["title"] == name and event.json()["description"] == name
                published = requests.post(
                    f"{base}/v1/events/{event_id}/publish", headers=creator, timeout=30
                )
                assert published.status_code == 200, published.text[:300]
                seat = f"{name}-{name}-1"
                held = post("/v1/tickets/reserve", {"event_id": event_id, "seats": [seat]}, user)
                assert held.status_code == 201, (label, held.text[:300])
                assert held.json()["seats"] == [seat], (label, held.json())
            else:
                outcomes[f"venue {label}: refused"] += 1
            # A user's own name.
            renamed = requests.patch(
                f"{base}/v1/users/me",
                data=json.dumps({"name": name}).encode(),
                headers={**user, "Content-Type": "application/json"},
                timeout=30,
            )
            sent += 1
            assert renamed.status_code < 500, renamed.text[:300]
            if renamed.status_code == 200:
                me = requests.get(f"{base}/v1/users/me", headers=user, timeout=30).json()
                assert me["name"] == name, (label, me["name"])
                outcomes[f"user {label}: kept"] += 1
            else:
                assert_problem(renamed, 422)
                outcomes[f"user {label}: refused"] += 1
        kept = sorted(k.split(": ")[0] for k in outcomes if k.endswith("kept"))
        refused = sorted(k.split(": ")[0] for k in outcomes if k.endswith("refused"))
        row.inputs = sent
        row.result = f"kept intact: {', '.join(kept)}; refused 422: {', '.join(refused)}"
