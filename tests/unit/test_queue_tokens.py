"""Queue and admission tokens: one audience each, bound to a buyer and an event."""

from __future__ import annotations

import time

import jwt
import pytest

from contexts.auth.errors import InvalidToken
from contexts.auth.tokens import TokenService
from contexts.shared.settings import Settings
from contexts.waiting_room.errors import (
    AdmissionExpired,
    AdmissionInvalid,
    InvalidQueueToken,
)
from contexts.waiting_room.tokens import WaitingRoomTokens

SETTINGS = Settings(jwt_secret="s" * 40)
tokens = WaitingRoomTokens(SETTINGS)


def test_an_admission_admits_its_buyer_to_its_event_only() -> None:
    token = tokens.issue_admission("ann", "ev1", time.time() + 60)
    tokens.check_admission(token, "ann", "ev1")
    for user, event in (("bob", "ev1"), ("ann", "ev2")):
        with pytest.raises(AdmissionInvalid):
            tokens.check_admission(token, user, event)


def test_expired_forged_and_foreign_tokens_are_refused() -> None:
    past = WaitingRoomTokens(SETTINGS, clock=lambda: time.time() - 120)
    with pytest.raises(AdmissionExpired):
        tokens.check_admission(past.issue_admission("ann", "ev1", time.time() - 1), "ann", "ev1")
    forged = WaitingRoomTokens(Settings(jwt_secret="x" * 40)).issue_admission("ann", "ev1", 2e9)
    unsigned = jwt.encode(
        {"aud": "ticketing-admission", "sub": "ann", "evt": "ev1"}, None, algorithm="none"
    )
    queue_token = tokens.issue_queue("ann", "ev1")  # another audience
    access, _ = TokenService(SETTINGS).issue_access("ann", ["user"])
    for bad in (forged, unsigned, queue_token, access, "garbage"):
        with pytest.raises(AdmissionInvalid):
            tokens.check_admission(bad, "ann", "ev1")


def test_no_queue_token_passes_for_an_access_token_or_the_reverse() -> None:
    admission = tokens.issue_admission("ann", "ev1", time.time() + 60)
    for token in (tokens.issue_queue("ann", "ev1"), admission):
        with pytest.raises(InvalidToken):
            TokenService(SETTINGS).principal(token)
    assert tokens.queue_subject(tokens.issue_queue("ann", "ev1"), "ev1") == "ann"
    for bad, event in ((tokens.issue_queue("ann", "ev1"), "ev2"), (admission, "ev1")):
        with pytest.raises(InvalidQueueToken):
            tokens.queue_subject(bad, event)
