"""The load tester's verdict: refusals sorted by problem code, not by status."""

from __future__ import annotations

from collections import Counter

from cluster.loadtest.verdict import ceiling_warning, outcome_parts, verdict


def test_outcome_keys_are_parsed() -> None:
    assert outcome_parts("reserve:ok") == ("reserve", None, "ok")
    assert outcome_parts("reserve:429:rate_limited") == ("reserve", 429, "rate_limited")
    assert outcome_parts("reserve:0:ClientConnectorError") == ("reserve", 0, "ClientConnectorError")


def test_the_issue_run_dominated_by_rate_limits_is_not_valid() -> None:
    # The run of the issue: 19,779 of 20,580 reserves refused by the rate limit.
    codes = Counter({"reserve:ok": 700, "reserve:409:seat_unavailable": 101})
    codes["reserve:429:rate_limited"] = 19_779
    judged = verdict(codes)
    assert not judged["valid"]
    assert judged["foreign_by_code"] == {"429 rate_limited": 19_779}
    assert any("RESERVE_RATE_PER_IP=0" in w for w in judged["warnings"])


def test_the_per_customer_limit_is_the_sale_s_own_whatever_its_status() -> None:
    for status in (409, 429):  # 429 before the limit's move to 409, both are the sale's
        codes = Counter({"reserve:ok": 10, f"reserve:{status}:limit_exceeded": 90})
        assert verdict(codes)["valid"], status
        assert verdict(codes)["foreign_refusals"] == 0


def test_invalid_seats_tokens_and_dead_connections_are_not_the_sale() -> None:
    codes = Counter(
        {
            "reserve:ok": 50,
            "reserve:422:invalid_seat": 20,
            "reserve:401:unauthorized": 20,
            "reserve:0:ServerDisconnectedError": 10,
        }
    )
    judged = verdict(codes)
    assert judged["foreign_refusals"] == 50 and not judged["valid"]
    assert judged["foreign_by_code"]["no answer ServerDisconnectedError"] == 10


def test_a_few_foreign_refusals_warn_without_failing() -> None:
    codes = Counter({"reserve:ok": 95, "reserve:503:inventory_unavailable": 5, "health:ok": 9})
    judged = verdict(codes)
    assert judged["valid"] and judged["requests"] == 100  # /health is not the sale
    assert judged["warnings"] and "5 of 100" in judged["warnings"][0]


def test_no_answer_at_all_is_not_a_valid_run() -> None:
    assert not verdict(Counter())["valid"]


def test_a_run_at_the_generator_s_ceiling_is_flagged() -> None:
    assert ceiling_warning(900.0, {"requests_per_s": 1000.0}) is not None
    assert ceiling_warning(300.0, {"requests_per_s": 1000.0}) is None
    assert ceiling_warning(300.0, None) is None
