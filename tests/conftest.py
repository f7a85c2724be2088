"""Shared test configuration: Hypothesis profiles ("ci" or "dev"), the reliability report."""

import os
import sys
from collections.abc import Callable, Iterator

import pytest
from hypothesis import settings

from tests import reliability

# CI: the default number of examples, no per-example deadline (shared 2-core machines).
settings.register_profile("ci", deadline=None, derandomize=False, print_blob=True)
# Local runs: fewer examples for a fast loop.
settings.register_profile("dev", deadline=None, max_examples=50)

# Worker queues of test runs (each with its own AMQP_QUEUE_PREFIX) vanish from the shared
# broker 15 minutes after their last consumer: an interrupted run leaves nothing that keeps
# collecting messages. Inherited by the API and worker processes the tests start.
os.environ.setdefault("AMQP_QUEUE_EXPIRES_S", "900")

default_profile = "ci" if os.environ.get("CI") else "dev"
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or default_profile)


# The reliability report (tests/reliability.py): each recorded scenario row takes its
# test's outcome from the reports below; RELIABILITY_REPORT=1 writes docs/reliability.md.
@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Fold every phase's report (setup, call, teardown) into the test's outcome."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    reliability.note_outcome(item.nodeid, report.when, report.outcome, report.duration)


@pytest.fixture
def scenario() -> Callable[..., reliability.ScenarioRow]:
    """`scenario(area, scenario, load, fault, checked, result, inputs=None)` -> its row."""
    return reliability.record_scenario


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the session's private Ray (tests/integration/ray_support.py); write
    docs/reliability.md when asked (RELIABILITY_REPORT=1) and rows were recorded."""
    ray = sys.modules.get("ray")  # imported only by runs that used Ray
    if ray is not None and ray.is_initialized():
        ray.shutdown()
    if os.environ.get("RELIABILITY_REPORT") != "1" or not reliability.ROWS:
        return
    args = " ".join(str(arg) for arg in session.config.invocation_params.args)
    path = reliability.write_report(f"pytest {args}".strip())
    print(f"\nreliability report: {path} ({len(reliability.ROWS)} scenarios)")
