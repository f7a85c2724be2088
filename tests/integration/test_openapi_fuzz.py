"""Schemathesis against the app's own OpenAPI: every operation, fuzzed, over real HTTP.

The app runs in a real uvicorn server (its lifespan started: real Ray, mongoeco) on a
thread of this process, bound to a free port. Each operation is fuzzed as three
identities (a plain user, an event_creator and an admin, all real accounts; auth and
health operations, which ignore the caller, once), with positive and negative data, a
bounded number of examples and a derandomized Hypothesis, so a CI run is reproducible.
Checks on every response:

- no 5xx (``not_a_server_error``);
- every 4xx/5xx is an RFC 9457 problem: ``application/problem+json`` with ``type``,
  ``title``, ``status`` (the response's), ``detail`` and a stable ``code``;
- an undeclared method gets 405 with an ``Allow`` header that names every method of
  the path (``unsupported_method``, ``allow_header_conformance``).

Random ids reach nothing, so about half of the generated ids (events, venues,
reservations, users, payments and orders, in the path or the JSON body) are swapped
for real ones (a draft and a published event of the creator, their venue, holds, a
pending payment): edits, seat maps, holds and refunds are fuzzed for real.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import allow_header_conformance, unsupported_method

from api.main import create_app
from contexts.shared.settings import Settings
from tests.integration.fuzz_support import (
    EXPLORE,
    MAX_EXAMPLES,
    PROBLEM,
    Target,
    aim,
    problem_details,
    short_queue_streams,
    target,
)
from tests.integration.ray_support import ray_local

__all__ = ["ray_local", "short_queue_streams", "target"]  # fixtures, used by pytest
pytestmark = pytest.mark.usefixtures("ray_local")


# The OpenAPI document the app serves does not depend on settings: build it without
# connecting anything, so pytest lists one test per operation at collection.
schema = schemathesis.openapi.from_dict(create_app(Settings()).openapi())


FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=not EXPLORE,
    deadline=None,
    database=None,  # reproducible in CI: no replay of examples saved by an earlier run
    suppress_health_check=list(HealthCheck),
)
# Who calls does not matter to these (the body carries the credentials): fuzzed once.
ANYONE = ("auth", "health")


# No 5xx; every error a problem; a 405 (and OPTIONS) names every method of its path.
CHECKS = [not_a_server_error, problem_details, unsupported_method, allow_header_conformance]


def call(case: Any, target: Target, identity: str) -> None:
    aim(case, target.ids)
    case.call_and_validate(
        base_url=target.base_url,
        headers=target.headers[identity],
        checks=CHECKS,
        timeout=30,
    )


@schema.include(tag=list(ANYONE)).parametrize()
@FUZZ_SETTINGS
def test_public_operations(case: Any, target: Target) -> None:
    call(case, target, "user")


@pytest.mark.parametrize("identity", ["user", "event_creator", "admin"])
@schema.exclude(tag=list(ANYONE)).parametrize()
@FUZZ_SETTINGS
def test_operations_as(case: Any, identity: str, target: Target) -> None:
    call(case, target, identity)


@pytest.mark.parametrize(
    ("status", "content_type", "body", "passes"),
    [
        (404, PROBLEM, {"type": "about:blank", "title": "Not Found", "status": 404,
                        "detail": "No event x.", "code": "not_found"}, True),
        (200, "text/plain", "fine", True),
        (400, "text/plain", "Invalid HTTP request received.", False),
        (422, "application/json", {"detail": [{"msg": "field required"}]}, False),
        (409, PROBLEM, {"type": "about:blank", "title": "Conflict", "status": 409,
                        "detail": "Taken."}, False),  # no code
        (503, PROBLEM, {"type": "about:blank", "title": "Busy", "status": 500,
                        "detail": "Retry.", "code": "busy"}, False),  # wrong status member
    ],
)  # fmt: skip
def test_the_problem_check_tells_problems_from_other_errors(
    status: int, content_type: str, body: Any, passes: bool
) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    response = schemathesis.Response(
        status_code=status,
        headers={"content-type": [content_type]},
        content=content.encode(),
        request=requests.Request("GET", "http://testserver/v1/events/x").prepare(),
        elapsed=0.01,
        verify=True,
    )
    if passes:
        assert problem_details(None, response, None) is None  # type: ignore[arg-type]
    else:
        with pytest.raises(AssertionError):
            problem_details(None, response, None)  # type: ignore[arg-type]
