"""Property test of the inventory: random command sequences over random venues and clocks.

After every step: available + held + sold == capacity overall and per section and
area; no seat in two holds; sold seats only come back through a refund; limits
hold; refused commands change nothing; idempotent replays answer the first answer;
replay from the events and snapshot/restore both reproduce the live state; a promo
code's uses never pass its limit and equal its live and sold holds; hidden tiers
are held only with a code that unlocks them; a hold extended while its payment is in
flight never outlives its TTL by more than the largest extension asked, and still
expires at its (later) deadline.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, assume, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from engine import (
    ConfirmHold,
    ExpireHolds,
    ExtendHold,
    HoldArea,
    HoldBestAvailable,
    HoldConfirmed,
    HoldSeats,
    IdempotencyKeyReusedError,
    Inventory,
    InventoryError,
    Promo,
    ReleaseHold,
    ReturnSale,
    SaleReturned,
    SeatsHeld,
    restore,
    snapshot,
)
from engine.commands import fingerprint
from engine.state import FREE, HELD, SOLD
from engine.views import availability
from tests.unit.engine_helpers import terms_for, venue

CUSTOMERS = st.sampled_from(["alice", "bob", "carol", "dave"])
KEYS = st.none() | st.sampled_from(["k1", "k2", "k3"])
# Each code keeps one limit for the whole run, so "uses <= limit" is checkable; UNLOCK
# opens the hidden tier when the machine makes its tier hidden.
LIMITS = {"ONE": 1, "TWO": 2, "UNLOCK": 3, "FREE": None}
PROMOS = {
    "ONE": Promo("ONE", 1, percent=25),
    "TWO": Promo("TWO", 2, amount_off=300),
    "UNLOCK": Promo("UNLOCK", 3, unlocks=("all",)),
    "FREE": Promo("FREE", None, percent=100),
}
# Limited codes drawn most often: the limit must be reached often to be tested.
CODES = st.sampled_from([None, "ONE", "ONE", "TWO", "TWO", "UNLOCK", "FREE"])
EXTENSIONS = st.sampled_from([0, -1, 0.5, 5, 60])  # seconds; 0 and -1 are refused
MAX_EXTENSION = 60

sections_st = st.dictionaries(
    st.sampled_from(["A", "B", "C-1"]),
    st.lists(st.integers(1, 6), min_size=1, max_size=4),
    max_size=3,
)
areas_st = st.dictionaries(st.sampled_from(["FLOOR", "PIT"]), st.integers(1, 8), max_size=2)


class InventoryMachine(RuleBasedStateMachine):
    """Drives one inventory and a log of everything it emitted."""

    @initialize(
        sections=sections_st,
        areas=areas_st,
        limit=st.integers(1, 6),
        ttl=st.integers(1, 30),
        start=st.floats(0, 1e9),
        hidden=st.booleans(),
    )
    def build(
        self,
        sections: dict[str, list[int]],
        areas: dict[str, int],
        limit: int,
        ttl: int,
        start: float,
        hidden: bool,
    ) -> None:
        assume(sections or areas)
        self.venue = venue(sections, areas)
        self.terms = terms_for(self.venue, limit=limit, ttl=ttl)
        if hidden:  # the only tier is hidden: only UNLOCK holds may succeed
            tiers = tuple(replace(t, hidden=True) for t in self.terms.tiers)
            self.terms = replace(self.terms, tiers=tiers)
        self.hidden = hidden
        self.inv = Inventory(self.venue, self.terms)
        self.now = start
        self.log: list = []
        self.answers: dict[str, tuple[str, object]] = {}  # key -> (fingerprint, answer)
        self.seat_ids = [self.inv.map.seat_id(i) for i in range(self.inv.map.seat_count)]

    # -- driving -------------------------------------------------------------

    def run(self, command: object) -> None:
        before = snapshot(self.inv)
        sold_before = {i for i, s in enumerate(self.inv.states) if s == SOLD}
        key = getattr(command, "key", None)
        prior = self.answers.get(key) if key else None
        try:
            result, events = self.inv.handle(command, self.now)
        except IdempotencyKeyReusedError:
            assert prior is not None and prior[0] != fingerprint(command)
            assert snapshot(self.inv) == before
            return
        except InventoryError:
            assert prior is None, "a replayed key must answer, not fail"
            assert snapshot(self.inv) == before, "a refused command changed the state"
            return
        if prior is not None:
            assert prior[0] == fingerprint(command)
            assert result == prior[1] and events == ()
            assert snapshot(self.inv) == before
            return
        self.log.extend(events)
        if key and events:
            self.answers[key] = (fingerprint(command), result)
        returned = {
            s for e in events if isinstance(e, SaleReturned) for s in self.log_hold(e.hold_id).seats
        }
        for seat in sold_before - returned:
            assert self.inv.states[seat] == SOLD, "a sold seat came back without a refund"
        if isinstance(result, SeatsHeld):
            assert all(before["states"][s] == FREE for s in result.seats)

    def log_hold(self, hold_id: int) -> SeatsHeld:
        return next(e for e in self.log if isinstance(e, SeatsHeld) and e.hold_id == hold_id)

    def some_hold(self, data: st.DataObject) -> int:
        known = [e.hold_id for e in self.log if isinstance(e, SeatsHeld)]
        return data.draw(st.sampled_from(known) if known else st.integers(1, 5))

    @rule(dt=st.floats(-2, 20))
    def tick(self, dt: float) -> None:
        self.now += dt  # clocks may step back a little

    @rule(customer=CUSTOMERS, key=KEYS, code=CODES, data=st.data())
    def hold_seats(
        self, customer: str, key: str | None, code: str | None, data: st.DataObject
    ) -> None:
        pool = [*self.seat_ids, "Z-1-1", "A-1-0", "A-1-01", "A-9-1", "nope"]
        seats = data.draw(st.lists(st.sampled_from(pool), max_size=4))
        self.run(HoldSeats(customer, tuple(seats), key, promo(code)))

    @rule(customer=CUSTOMERS, key=KEYS, quantity=st.integers(-1, 7), code=CODES, data=st.data())
    def hold_best(
        self, customer: str, key: str | None, quantity: int, code: str | None, data: st.DataObject
    ) -> None:
        section = data.draw(st.sampled_from([*self.inv.map.section_names, "NOPE"]))
        self.run(HoldBestAvailable(customer, section, quantity, key, promo(code)))

    @rule(customer=CUSTOMERS, key=KEYS, quantity=st.integers(-1, 7), code=CODES, data=st.data())
    def hold_area(
        self, customer: str, key: str | None, quantity: int, code: str | None, data: st.DataObject
    ) -> None:
        area = data.draw(st.sampled_from([*self.inv.map.area_names, "NOPE"]))
        self.run(HoldArea(customer, area, quantity, key, promo(code)))

    @rule(
        key=KEYS,
        ref=st.sampled_from(["pi_1", "pi_2"]),
        data=st.data(),
        as_customer=st.none() | CUSTOMERS,
    )
    def confirm(
        self, key: str | None, ref: str, data: st.DataObject, as_customer: str | None
    ) -> None:
        self.run(ConfirmHold(self.some_hold(data), ref, as_customer, key))

    @rule(key=KEYS, data=st.data(), as_customer=st.none() | CUSTOMERS)
    def release(self, key: str | None, data: st.DataObject, as_customer: str | None) -> None:
        self.run(ReleaseHold(self.some_hold(data), as_customer, key))

    @rule(key=KEYS, seconds=EXTENSIONS, data=st.data(), as_customer=st.none() | CUSTOMERS)
    def extend(
        self, key: str | None, seconds: float, data: st.DataObject, as_customer: str | None
    ) -> None:
        self.run(ExtendHold(self.some_hold(data), seconds, as_customer, key))

    @rule(key=KEYS, data=st.data())
    def refund(self, key: str | None, data: st.DataObject) -> None:
        self.run(ReturnSale(self.some_hold(data), key))

    @rule()
    def expire(self) -> None:
        self.run(ExpireHolds())
        assert all(
            h.expires_at > self.now
            for h in self.inv.holds.values()
            if h.hold_id not in self.inv.sales
        )

    # -- invariants ----------------------------------------------------------

    @invariant()
    def counts_add_up(self) -> None:
        inv = self.inv
        view = availability(inv)
        assert view["available"] + view["held"] + view["sold"] == view["capacity"] == inv.capacity
        for part in (*view["sections"].values(), *view["areas"].values()):
            assert min(part.values()) >= 0
            assert part["available"] + part["held"] + part["sold"] == part["capacity"]
        assert (
            sum(p["held"] for p in (*view["sections"].values(), *view["areas"].values()))
            == inv.held
        )

    @invariant()
    def seats_belong_to_one_hold(self) -> None:
        inv = self.inv
        expected = bytearray(inv.map.seat_count)
        for hold in inv.holds.values():
            for seat in hold.seats:
                assert expected[seat] == FREE, "seat in two holds"
                expected[seat] = SOLD if hold.hold_id in inv.sales else HELD
        assert expected == inv.states

    @invariant()
    def limits_hold(self) -> None:
        owned: dict[str, int] = {}
        for hold in self.inv.holds.values():
            owned[hold.customer] = owned.get(hold.customer, 0) + hold.quantity
        assert owned == self.inv.owned
        assert all(n <= self.terms.max_per_customer for n in owned.values())

    @invariant()
    def promo_limits_hold(self) -> None:
        uses: dict[str, int] = {}
        for hold in self.inv.holds.values():  # live and sold
            if hold.promo is not None:
                uses[hold.promo] = uses.get(hold.promo, 0) + 1
            if self.hidden:
                assert hold.promo == "UNLOCK", "a hidden tier was held without its code"
            assert hold.discount >= 0 and hold.amount >= 0
        assert uses == self.inv.promo_uses
        for code, n in uses.items():
            limit = LIMITS[code]
            assert limit is None or n <= limit, f"{code} used {n} times, limit {limit}"

    @invariant()
    def replay_and_restore_reproduce_state(self) -> None:
        live = snapshot(self.inv)
        replayed = Inventory(self.venue, self.terms)
        for event in self.log:
            replayed.apply(event)
        assert snapshot(replayed) == live
        restored = restore(live)
        assert snapshot(restored) == live
        assert availability(restored) == availability(self.inv)
        assert restored.row_free == self.inv.row_free
        assert restored.promo_uses == self.inv.promo_uses

    @invariant()
    def extensions_are_bounded(self) -> None:
        for hold in self.inv.holds.values():
            first = self.log_hold(hold.hold_id)
            assert first.expires_at <= hold.expires_at  # an extension never shortens
            assert hold.expires_at <= first.at + self.terms.hold_ttl_seconds + MAX_EXTENSION

    @invariant()
    def sales_are_confirmed_holds(self) -> None:
        assert all(isinstance(s, HoldConfirmed) for s in self.inv.sales.values())
        assert self.inv.sales.keys() <= self.inv.holds.keys()


def promo(code: str | None) -> Promo | None:
    return None if code is None else PROMOS[code]


InventoryMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
TestInventoryProperties = InventoryMachine.TestCase
