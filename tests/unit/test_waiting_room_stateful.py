"""Property test of the waiting room: random joins, clocks, uses, stock and closes.

After every step: waiting buyers' positions are unique and contiguous (1..n); no
one is admitted twice; admissions never outrun the rate (``rate * elapsed + burst``
over any window) nor the cap on active admissions; an admission lapses only after
its deadline; nothing happens after the close; refused commands change nothing;
replaying the events (through their journal form) and snapshot/restore both
reproduce the live state.
"""

from __future__ import annotations

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from engine import InventoryError, event_from_dict, event_to_dict
from engine.queue_messages import (
    AdmissionsExpired,
    Admitted,
    AdvanceQueue,
    CloseQueue,
    ConfigureQueue,
    JoinQueue,
    ObserveStock,
    QueueClosed,
    QueueJoined,
    QueueOpened,
    UseAdmission,
)
from engine.queue_views import place_view
from engine.waiting_room import WaitingRoom

ACCOUNTS = [f"u{i}" for i in range(12)]
account_st = st.sampled_from(ACCOUNTS)


class WaitingRoomMachine(RuleBasedStateMachine):
    """Drives one waiting room and a log of everything it emitted."""

    @initialize(
        rate=st.sampled_from([None, 6.0, 60.0, 600.0, 7.5]),
        cap=st.sampled_from([None, 1, 3, 10]),
        ttl=st.sampled_from([1.0, 5.0, 30.0]),
        opens_at=st.floats(0, 30),
    )
    def build(self, rate: float | None, cap: int | None, ttl: float, opens_at: float) -> None:
        self.room = WaitingRoom()
        self.now = 0.0
        self.log: list = []
        self.rate = rate if rate is not None or cap is not None else 60.0
        self.run(ConfigureQueue(opens_at, self.rate, cap, ttl))
        assert self.room.configured

    def run(self, command: object) -> None:
        room = self.room
        before = room.snapshot()
        deadlines = dict(room.admitted)
        try:
            _, events = room.handle(command, self.now)  # type: ignore[arg-type]
        except InventoryError:
            assert room.snapshot() == before, "a refusal changed the state"
            return
        for event in events:
            assert event.at == self.now
            if isinstance(event, AdmissionsExpired):
                assert all(deadlines[a] <= self.now for a in event.accounts), "lapsed early"
            if isinstance(event, Admitted) and room.max_active is not None:
                assert len(room.admitted) <= room.max_active, "over the cap on active buyers"
        self.log.extend(events)

    @rule(dt=st.floats(0, 20))
    def tick(self, dt: float) -> None:
        self.now += dt

    @rule(account=account_st)
    def join(self, account: str) -> None:
        self.run(JoinQueue(account))

    @rule(seed=st.integers(0, 2**63 - 1))
    def advance(self, seed: int) -> None:
        self.run(AdvanceQueue(seed))

    @rule(account=account_st)
    def use(self, account: str) -> None:
        self.run(UseAdmission(account))

    @rule(available=st.integers(0, 3), held=st.integers(0, 3))
    def observe(self, available: int, held: int) -> None:
        self.run(ObserveStock(available, held))
        room, unpaid = self.room, self.room.max_unpaid
        if not room.closed:  # paused exactly while nothing is left or checkout is full
            assert room.paused == (available <= 0 or (unpaid is not None and held >= unpaid))

    @rule(
        cap=st.sampled_from([None, 1, 2, 5]),
        ttl=st.sampled_from([1.0, 10.0]),
        invited=st.none() | st.sets(account_st),
        unpaid=st.sampled_from([None, 1, 2, 0]),  # 0 is refused
    )
    def reconfigure(
        self, cap: int | None, ttl: float, invited: set[str] | None, unpaid: int | None
    ) -> None:
        # Same rate (the rate property is checked against it); caps and lists change.
        access = None if invited is None else tuple(invited)
        self.run(ConfigureQueue(self.room.opens_at, self.rate, cap, ttl, access, unpaid))

    @precondition(lambda self: len(self.log) > 10)
    @rule(reason=st.sampled_from(["sold_out", "disabled"]))
    def close(self, reason: str) -> None:
        self.run(CloseQueue(reason))

    @invariant()
    def positions_are_unique_and_contiguous(self) -> None:
        views = [place_view(self.room, a, self.now) for a in ACCOUNTS]
        queued = sorted(v["position"] for v in views if v and v["status"] == "queued")
        assert queued == list(range(1, len(queued) + 1)), queued
        if self.room.opened_at is not None and not self.room.closed:
            assert len(queued) == self.room.waiting

    @invariant()
    def no_one_is_admitted_twice(self) -> None:
        admitted = [
            self.room.line[i]
            for e in self.log
            if isinstance(e, Admitted)
            for i in range(e.first, e.first + e.count)
        ]
        assert len(admitted) == len(set(admitted)), admitted
        assert len(admitted) == self.room.head

    @invariant()
    def admissions_respect_the_rate(self) -> None:
        if self.rate is None:
            return
        batches = [(e.at, e.count) for e in self.log if isinstance(e, Admitted)]
        burst = max(1.0, self.rate * 5 / 60)
        for i, (start, _) in enumerate(batches):
            total = 0
            for at, count in batches[i:]:
                total += count
                assert total <= self.rate * (at - start) / 60 + burst + 1e-6, (start, at, total)

    @invariant()
    def presale_joiners_come_first_then_fifo(self) -> None:
        opened = next((k for k, e in enumerate(self.log) if isinstance(e, QueueOpened)), None)
        if opened is None:
            return
        joins = [e.account for e in self.log if isinstance(e, QueueJoined)]
        early = [e.account for e in self.log[:opened] if isinstance(e, QueueJoined)]
        line = self.room.line
        assert sorted(line[: len(early)]) == sorted(early), "a pre-sale joiner lost its turn"
        assert line[len(early) :] == joins[len(early) :], "later joiners are not FIFO"

    @invariant()
    def nothing_happens_after_the_close(self) -> None:
        closed = next((k for k, e in enumerate(self.log) if isinstance(e, QueueClosed)), None)
        if closed is not None:
            later = self.log[closed + 1 :]
            assert not [e for e in later if isinstance(e, Admitted | QueueJoined | QueueOpened)]

    @invariant()
    def replay_and_snapshot_reproduce_the_state(self) -> None:
        replayed = WaitingRoom()
        for event in self.log:
            replayed.apply(event_from_dict(event_to_dict(event)))
        assert replayed.snapshot() == self.room.snapshot()
        restored = WaitingRoom.restore(self.room.snapshot())
        assert restored.snapshot() == self.room.snapshot()
        assert restored.deadlines == sorted(restored.deadlines)


TestWaitingRoom = WaitingRoomMachine.TestCase
TestWaitingRoom.settings = settings(max_examples=200, stateful_step_count=60, deadline=None)
