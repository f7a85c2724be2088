"""Property test of the cross-shard quota ledger: limits hold under any sequence."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from engine import InventoryError, LimitExceededError, event_from_dict, event_to_dict
from engine.limits import CustomerLimits, GrantQuota, LapseQuotas, ReturnQuota, SettleQuota

CUSTOMERS = st.sampled_from(["ann", "bob", "cid"])


class LedgerMachine(RuleBasedStateMachine):
    @initialize(limit=st.integers(1, 6))
    def build(self, limit: int) -> None:
        self.ledger = CustomerLimits(limit)
        self.now = 0.0
        self.log: list = []

    def run(self, command: object) -> None:
        before = self.ledger.snapshot()
        try:
            _, events = self.ledger.handle(command, self.now)
        except InventoryError:
            assert self.ledger.snapshot() == before
            return
        self.log.extend(events)

    @rule(dt=st.floats(0, 30))
    def tick(self, dt: float) -> None:
        self.now += dt

    @rule(customer=CUSTOMERS, quantity=st.integers(0, 4), ttl=st.floats(1, 60))
    def grant(self, customer: str, quantity: int, ttl: float) -> None:
        self.run(GrantQuota(customer, quantity, self.now + ttl))

    @rule(grant_id=st.integers(1, 30))
    def settle(self, grant_id: int) -> None:
        self.run(SettleQuota(grant_id))

    @rule(grant_id=st.integers(1, 30))
    def give_back(self, grant_id: int) -> None:
        self.run(ReturnQuota(grant_id))

    @rule()
    def lapse(self) -> None:
        self.run(LapseQuotas())
        assert all(
            g.expires_at > self.now or g.grant_id in self.ledger.settled
            for g in self.ledger.grants.values()
        )

    @invariant()
    def limits_hold(self) -> None:
        owned: dict[str, int] = {}
        for grant in self.ledger.grants.values():
            owned[grant.customer] = owned.get(grant.customer, 0) + grant.quantity
        assert owned == self.ledger.owned
        assert all(n <= self.ledger.limit for n in owned.values())
        assert self.ledger.settled <= self.ledger.grants.keys()

    @invariant()
    def replay_and_restore_agree(self) -> None:
        replayed = CustomerLimits(self.ledger.limit)
        for event in self.log:
            replayed.apply(event_from_dict(event_to_dict(event)))
        assert replayed.snapshot() == self.ledger.snapshot()
        assert CustomerLimits.restore(self.ledger.snapshot()).snapshot() == self.ledger.snapshot()


LedgerMachine.TestCase.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
TestLedgerProperties = LedgerMachine.TestCase


def test_limit_exceeded_names_the_limit() -> None:
    ledger = CustomerLimits(4)
    ledger.handle(GrantQuota("ann", 3, 100.0), 0.0)
    with pytest.raises(LimitExceededError) as err:
        ledger.handle(GrantQuota("ann", 2, 100.0), 0.0)
    assert (err.value.limit, err.value.current) == (4, 3)
