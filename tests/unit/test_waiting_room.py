"""The waiting room aggregate with a simulated clock: fairness, rate, expiry, close."""

from __future__ import annotations

import random

import pytest

from engine import event_from_dict, event_to_dict
from engine.queue_messages import (
    Admitted,
    AdvanceQueue,
    ConfigureQueue,
    InvalidQueueConfigError,
    JoinQueue,
    NotInvitedError,
    ObserveStock,
    QueueClosedError,
    QueueOpened,
    UseAdmission,
)
from engine.queue_views import place_view, summary
from engine.waiting_room import WaitingRoom


def spearman(xs: list[float], ys: list[float]) -> float:
    """Spearman's rank correlation of two lists without ties."""
    n = len(xs)
    rx = {x: r for r, x in enumerate(sorted(xs))}
    ry = {y: r for r, y in enumerate(sorted(ys))}
    d2 = sum((rx[x] - ry[y]) ** 2 for x, y in zip(xs, ys, strict=True))
    return 1 - 6 * d2 / (n * (n * n - 1))


def room_with(joiners: int, rate: float | None = 600.0, cap: int | None = None) -> WaitingRoom:
    room = WaitingRoom()
    room.handle(ConfigureQueue(100.0, rate, cap, 60.0), 0.0)
    for i in range(joiners):
        room.handle(JoinQueue(f"buyer{i}"), 1.0 + i * 0.001)
    return room


def test_presale_joiners_get_a_random_permutation_and_later_ones_queue_fifo() -> None:
    room = room_with(10_000)
    room.handle(AdvanceQueue(seed=random.getrandbits(63)), 100.0)
    positions = [place_view(room, f"buyer{i}", 100.0)["position"] for i in range(10_000)]
    assert sorted(positions) == list(range(1, 10_001))
    # Under a random permutation rho ~ N(0, 1/sqrt(n - 1)) = N(0, 0.01): 0.05 is five
    # sigmas, and FIFO (rho = 1) or any arrival-biased order fails by far.
    assert abs(spearman(list(range(10_000)), positions)) < 0.05
    for k in range(50):
        view = room.handle(JoinQueue(f"late{k}"), 100.5)[0]
        assert view["position"] == 10_001 + k


def test_the_shuffle_is_fixed_by_the_journaled_seed() -> None:
    room = room_with(500)
    events = room.handle(AdvanceQueue(seed=12345), 100.0)[1]
    assert isinstance(events[0], QueueOpened) and events[0].seed == 12345
    again = room_with(500)
    again.apply(event_from_dict(event_to_dict(events[0])))
    assert again.line == room.line
    other = room_with(500)
    other.handle(AdvanceQueue(seed=54321), 100.0)
    assert other.line != room.line


@pytest.mark.parametrize("rate", [60.0, 600.0, 1_000.0, 37.0])
def test_admission_rate_is_respected_within_5_percent_over_a_minute(rate: float) -> None:
    room = room_with(5_000, rate=rate)
    clock = random.Random(7)
    now = 100.0
    room.handle(AdvanceQueue(seed=1), now)
    while now < 160.0:  # irregular ticks, some late (a busy actor)
        now = min(160.0, now + clock.choice([0.05, 0.25, 0.25, 0.5, 2.0]))
        room.handle(AdvanceQueue(seed=1), now)
    assert abs(room.head - rate) <= 0.05 * rate, (room.head, rate)
    assert room.head <= rate  # the bucket starts empty: never above the rate


def test_automatic_mode_admits_as_buyers_reserve_and_expiry_moves_the_line_up() -> None:
    room = room_with(10, rate=None, cap=3)
    room.handle(AdvanceQueue(seed=1), 100.0)
    admitted = [a for a in room.line if a in room.admitted]
    assert len(admitted) == 3
    room.handle(AdvanceQueue(seed=1), 101.0)
    assert room.head == 3, "nobody reserved: nobody more is let in"
    room.handle(UseAdmission(admitted[0]), 102.0)
    room.handle(AdvanceQueue(seed=1), 102.0)
    assert room.head == 4
    fourth = room.line[4]
    assert place_view(room, fourth, 102.0)["position"] == 1
    room.handle(AdvanceQueue(seed=1), 161.0)  # the two unused admissions lapse (60 s TTL)
    assert place_view(room, admitted[1], 161.0)["status"] == "expired"
    assert place_view(room, admitted[0], 161.0)["status"] == "used"
    assert room.head == 6 and place_view(room, fourth, 161.0)["status"] == "admitted"
    assert summary(room, 161.0)["expired"] == 2


def test_one_place_per_account() -> None:
    room = room_with(3)
    room.handle(AdvanceQueue(seed=3), 100.0)
    first = place_view(room, "buyer1", 100.0)
    view, events = room.handle(JoinQueue("buyer1"), 100.1)
    assert events == () and view["position"] == first["position"]


def test_sold_out_closes_the_queue_and_everyone_waiting_is_told() -> None:
    room = room_with(20, rate=60.0)
    room.handle(AdvanceQueue(seed=1), 100.0)
    room.handle(AdvanceQueue(seed=1), 105.0)  # five admitted
    room.handle(ObserveStock(available=0, held=4), 106.0)
    assert room.paused and room.handle(AdvanceQueue(seed=1), 120.0)[1] == ()
    room.handle(ObserveStock(available=2, held=2), 121.0)  # holds came back
    assert not room.paused
    room.handle(ObserveStock(available=0, held=0), 122.0)
    statuses = {place_view(room, a, 122.0)["status"] for a in room.line}
    assert statuses == {"sold_out"}
    with pytest.raises(QueueClosedError) as refused:
        room.handle(JoinQueue("newcomer"), 123.0)
    assert refused.value.reason == "sold_out"
    later = room.handle(AdvanceQueue(seed=1), 200.0)[1]
    assert not [e for e in later if isinstance(e, Admitted)], "admitted after the close"


def test_the_access_list_keeps_others_out() -> None:
    room = WaitingRoom()
    room.handle(ConfigureQueue(0.0, 60.0, None, 30.0, ("fan1", "fan2")), 0.0)
    assert room.handle(JoinQueue("fan1"), 1.0)[0]["status"] == "pre_sale"
    with pytest.raises(NotInvitedError):
        room.handle(JoinQueue("stranger"), 1.0)


@pytest.mark.parametrize(
    ("rate", "cap", "ttl"),
    [(None, None, 60.0), (0.0, None, 60.0), (float("nan"), None, 60.0), (60.0, 0, 60.0),
     (60.0, None, 0.0), (float("inf"), None, 60.0)],
)  # fmt: skip
def test_impossible_settings_are_refused(rate: float | None, cap: int | None, ttl: float) -> None:
    room = WaitingRoom()
    with pytest.raises(InvalidQueueConfigError):
        room.handle(ConfigureQueue(0.0, rate, cap, ttl), 0.0)
    assert room.seq == 0


def test_admission_follows_checkout_capacity() -> None:
    """With ``max_unpaid`` (what payments can charge in a hold's time), admission
    pauses while that many places are held unpaid, though seats are left."""
    room = WaitingRoom()
    room.handle(ConfigureQueue(100.0, 600.0, None, 60.0, None, max_unpaid=3), 0.0)
    for i in range(20):
        room.handle(JoinQueue(f"buyer{i}"), 1.0)
    room.handle(AdvanceQueue(seed=1), 100.0)
    room.handle(ObserveStock(available=500, held=3), 101.0)  # checkout is full
    assert room.paused and room.handle(AdvanceQueue(seed=1), 110.0)[1] == ()
    room.handle(ObserveStock(available=500, held=2), 111.0)  # payments went through
    assert not room.paused
    assert [e for e in room.handle(AdvanceQueue(seed=1), 112.0)[1] if isinstance(e, Admitted)]
    restored = WaitingRoom.restore(room.snapshot())
    assert restored.max_unpaid == 3 and restored.snapshot() == room.snapshot()
    with pytest.raises(InvalidQueueConfigError):
        room.handle(ConfigureQueue(100.0, 600.0, None, 60.0, None, max_unpaid=0), 113.0)
