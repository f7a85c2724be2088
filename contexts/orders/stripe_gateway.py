"""Stripe through the official SDK (``stripe.StripeClient``), async, at ``STRIPE_API_BASE``.

In development and tests ``STRIPE_API_BASE`` points at localstripe, which behaves
like Stripe for what we use (PaymentIntent create / confirm / retrieve, refunds)
but ignores idempotency keys and allows refunding a charge twice. So we never rely
on Stripe for exactly-once: the order records the PaymentIntent before it is
confirmed, and a refund is created only if the intent has none yet. We still send
idempotency keys: against real Stripe they close the remaining gaps.

Every call waits for the account's pacer (``STRIPE_MAX_RPS`` for every process of the
Ray cluster together: ``stripe_pacing.SharedPacer``) and survives Stripe's 429 (see
``stripe_pacing``); ``calls`` counts them by operation (the bench and the tests read
it: Stripe calls per order).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp
import stripe

from contexts.orders.stripe_pacing import Pacer, SharedPacer, Waits, paced
from contexts.shared.settings import Settings

if TYPE_CHECKING:  # the SDK's request shapes (TypedDicts), for the checker only
    from stripe import RequestOptions
    from stripe.params import PaymentIntentCreateParams, RefundCreateParams, RefundListParams

# Intent statuses that will not change without a new payment method: a failure.
FAILED = frozenset({"requires_payment_method", "canceled"})


@dataclass(frozen=True, slots=True)
class Charge:
    """What Stripe said about a PaymentIntent: its status and, if it failed, why."""

    intent_id: str
    status: str
    error: str | None = None
    amount: int | None = None
    currency: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"

    @property
    def failed(self) -> bool:
        return self.status in FAILED


class InvalidWebhook(Exception):
    """A webhook whose signature (or body) does not verify."""


def _charge(intent: Any) -> Charge:
    # StripeObjects are not dicts in SDK v16 (no .get): read the plain form.
    plain = intent.to_dict()
    error = plain.get("last_payment_error")
    reason = (error.get("code") or error.get("message")) if error else None
    metadata = {str(k): str(v) for k, v in (plain.get("metadata") or {}).items()}
    amount, currency = plain.get("amount"), plain.get("currency")
    return Charge(intent.id, intent.status, reason, amount, currency, metadata)


class StripeGateway:
    """The few Stripe calls payments need, async (aiohttp), with retries on network errors."""

    def __init__(
        self,
        api_key: str,
        api_base: str,
        webhook_secret: str,
        max_rps: float = 25.0,
        namespace: str | None = None,
    ) -> None:
        # aiohttp, not the SDK's default httpx: measured against localstripe with 32
        # calls in flight (as the payments consumer runs them), httpx cost ~4.9 ms of
        # client CPU per call (httpcore's pool scans every connection per request, and
        # each lock/event setup retries ``import sniffio``, absent here), aiohttp ~0.8 ms;
        # two calls per order, in the API process. Same retries (network errors raise
        # APIConnectionError, retried max_network_retries times) and a 30 s total timeout.
        # Its session is made at the first call, on the loop that makes it.
        self._http = stripe.AIOHTTPClient(timeout=aiohttp.ClientTimeout(total=30))
        self.client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base},
            http_client=self._http,
            max_network_retries=2,
        )
        self.webhook_secret = webhook_secret
        # Every concurrent handler of every process of the Ray cluster (``namespace``, the
        # deployment's) together stay under the account's rate (burst: a few calls at
        # once after an idle spell). No namespace (tests, tools): this process only.
        burst = max(1, int(max_rps // 5))
        self.pacer: Waits = (
            SharedPacer(max_rps, burst, namespace) if namespace else Pacer(max_rps, burst)
        )
        self.calls: Counter[str] = Counter()

    @classmethod
    def from_settings(cls, settings: Settings) -> StripeGateway:
        s = settings
        return cls(
            s.stripe_api_key,
            s.stripe_api_base,
            s.stripe_webhook_secret,
            s.stripe_max_rps,
            s.ray_namespace,  # the composition root has joined (or started) Ray
        )

    async def _call[T](self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        self.calls[operation] += 1
        return await paced(self.pacer, operation, call)

    async def create_intent(
        self, order_id: str, reservation_id: str, amount: int, currency: str, payment_method: str
    ) -> str:
        """A new, unconfirmed PaymentIntent for the order; its id."""
        params: PaymentIntentCreateParams = {
            "amount": amount,
            "currency": currency.lower(),
            "payment_method": payment_method,
            "metadata": {"order_id": order_id, "reservation_id": reservation_id},
        }
        # One intent per reservation on real Stripe, whatever happens on our side.
        options: RequestOptions = {"idempotency_key": f"pi:{reservation_id}"}
        intents = self.client.v1.payment_intents
        intent = await self._call("create", lambda: intents.create_async(params, options))
        return intent.id

    async def confirm(self, intent_id: str) -> Charge:
        """Confirm an intent that needs it (one just created); a decline is a failed
        Charge, read from the error itself (no second call)."""
        intents = self.client.v1.payment_intents
        try:
            intent = await self._call("confirm", lambda: intents.confirm_async(intent_id))
        except stripe.CardError as exc:
            # Stripe leaves a declined intent waiting for another payment method.
            return Charge(intent_id, "requires_payment_method", exc.code or "card_declined")
        except stripe.InvalidRequestError:
            # Another delivery confirmed it between our look and our confirm: its answer
            # is Stripe's state now (never read a refused confirm as a failed payment).
            current = await self.retrieve(intent_id)
            if current.status == "requires_confirmation":
                raise
            return current
        return _charge(intent)

    async def charge(self, intent_id: str) -> Charge:
        """An intent recorded earlier (a redelivery): where it stands, confirmed if it
        still needs it."""
        current = await self.retrieve(intent_id)
        if current.status == "requires_confirmation":
            return await self.confirm(intent_id)
        return current

    async def retrieve(self, intent_id: str) -> Charge:
        """What Stripe itself says of the intent: status, amount, currency, metadata."""
        intents = self.client.v1.payment_intents
        return _charge(await self._call("retrieve", lambda: intents.retrieve_async(intent_id)))

    status = retrieve  # the older name

    async def refund_once(self, intent_id: str, key: str) -> str:
        """Refund the intent in full unless a refund exists already; the refund's id."""
        api = self.client.v1.refunds
        query: RefundListParams = {"payment_intent": intent_id}
        refunds = await self._call("refund_list", lambda: api.list_async(query))
        for refund in refunds.data:
            if refund.status in ("succeeded", "pending"):
                return refund.id
        create: RefundCreateParams = {"payment_intent": intent_id}
        options: RequestOptions = {"idempotency_key": key}
        refund = await self._call("refund", lambda: api.create_async(create, options))
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
