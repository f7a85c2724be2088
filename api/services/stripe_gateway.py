"""Stripe through the official SDK (``stripe.StripeClient``), async, at ``STRIPE_API_BASE``.

In development and tests ``STRIPE_API_BASE`` points at localstripe, which behaves
like Stripe for what we use (PaymentIntent create / confirm / retrieve, refunds)
but ignores idempotency keys and allows refunding a charge twice. So we never rely
on Stripe for exactly-once: the order records the PaymentIntent before it is
confirmed, and a refund is created only if the intent has none yet. We still send
idempotency keys: against real Stripe they close the remaining gaps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import stripe

from api.settings import Settings

# Intent statuses that will not change without a new payment method: a failure.
FAILED = frozenset({"requires_payment_method", "canceled"})


@dataclass(frozen=True, slots=True)
class Charge:
    """What Stripe said about a PaymentIntent: its status and, if it failed, why."""

    intent_id: str
    status: str
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def failed(self) -> bool:
        return self.status in FAILED


class InvalidWebhook(Exception):
    """A webhook whose signature (or body) does not verify."""


def _error(intent: Any) -> str | None:
    # StripeObjects are not dicts in SDK v16 (no .get): read the plain form.
    error = intent.to_dict().get("last_payment_error")
    return (error.get("code") or error.get("message")) if error else None


class StripeGateway:
    """The few Stripe calls payments need, async (httpx), with retries on network errors."""

    def __init__(self, api_key: str, api_base: str, webhook_secret: str) -> None:
        self._http = stripe.HTTPXClient(timeout=30)
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            http_client=self._http,
            max_network_retries=2,
        )
        self.webhook_secret = webhook_secret

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeGateway:
        s = settings
        return cls(s.stripe_api_key, s.stripe_api_base, s.stripe_webhook_secret)

    async def create_intent(
        self, order_id: str, reservation_id: str, amount: int, currency: str, payment_method: str
    ) -> str:
        """A new, unconfirmed PaymentIntent for the order; its id."""
        intent = await self.client.v1.payment_intents.create_async(
            {
                "amount": amount,
                "currency": currency.lower(),
                "payment_method": payment_method,
                "metadata": {"order_id": order_id, "reservation_id": reservation_id},
            },
            # One intent per reservation on real Stripe, whatever happens on our side.
            {"idempotency_key": f"pi:{reservation_id}"},
        )
        return intent.id

    async def charge(self, intent_id: str) -> Charge:
        """Confirm the intent if it still needs it; a declined card is a failed Charge."""
        intent = await self.client.v1.payment_intents.retrieve_async(intent_id)
        if intent.status == "requires_confirmation":
            try:
                intent = await self.client.v1.payment_intents.confirm_async(intent_id)
            except stripe.CardError:
                # The decline is recorded on the intent; read it back for the reason.
                intent = await self.client.v1.payment_intents.retrieve_async(intent_id)
        return Charge(intent.id, intent.status, _error(intent))

    async def status(self, intent_id: str) -> Charge:
        intent = await self.client.v1.payment_intents.retrieve_async(intent_id)
        return Charge(intent.id, intent.status, _error(intent))

    async def refund_once(self, intent_id: str, key: str) -> str:
        """Refund the intent in full unless a refund exists already; the refund's id."""
        refunds = await self.client.v1.refunds.list_async({"payment_intent": intent_id})
        for refund in refunds.data:
            if refund.status in ("succeeded", "pending"):
                return refund.id
        refund = await self.client.v1.refunds.create_async(
            {"payment_intent": intent_id}, {"idempotency_key": key}
        )
        return refund.id

    def parse_webhook(self, payload: bytes, signature: str | None) -> stripe.Event:
        """The verified event; ``InvalidWebhook`` for a bad signature or body."""
        if not signature:
            raise InvalidWebhook("missing Stripe-Signature header")
        try:
            return stripe.Webhook.construct_event(payload, signature, self.webhook_secret)
        except (stripe.SignatureVerificationError, ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook(str(exc)) from exc

    async def close(self) -> None:
        await self._http.close_async()
