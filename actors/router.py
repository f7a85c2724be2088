"""The router the API talks to: reservations by event, whatever its shards.

An event is one inventory actor (``inventory:<event>``) or, when very large, a
quota ledger at that name plus shard actors ``inventory:<event>#<k>``. Either way
the base actor describes the event, so any API process finds its way with one
call per event (cached). A hold in a sharded event first takes a quota grant from
the ledger (per-customer limits hold across shards), then holds in the owning
shard; if the shard refuses, the grant is returned.

Re-opened on a miss: after a restart of Ray (the API's, a whole machine's) no actor
exists, yet every published event must sell again with its holds and sales. So when
the name of a stream's actor is not found, the router asks its ``reopener`` (the
catalog, which knows the event's frozen venue and terms) to open the event again:
each actor restores itself from its snapshot plus the journal, and the call goes
on. On first use rather than at start-up: a platform holds thousands of events, most
of them past or quiet, and each actor is a process. Concurrent first uses are safe:
one re-open per event at a time in this process, and Ray's ``get_if_exists`` makes
N processes (or machines) racing to create the same named actor end with one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import ray

from actors.batching import ActorCalls
from actors.config import RouterConfig, actor_name
from actors.errors import InventoryNotFoundError, InventoryUnavailableError
from actors.queries import ReadHold
from actors.refs import Held, HoldRef, shard_stream
from actors.relocation import moving
from actors.views import merge_availability, merge_seats
from engine import (
    ConfirmHold,
    ExtendHold,
    HoldArea,
    HoldBestAvailable,
    HoldConfirmed,
    HoldExtended,
    HoldReleased,
    HoldSeats,
    InvalidAreaError,
    InventoryError,
    ReleaseHold,
    ReturnSale,
    SaleReturned,
    SaleTerms,
    SoldOutError,
    Venue,
)
from engine.errors import counted
from engine.limits import GrantQuota, ReturnQuota, SettleQuota
from engine.seatmap import SeatMap
from engine.shards import ShardPlan, plan_shards

log = logging.getLogger(__name__)

GRANT_GRACE_S = 300.0  # a quota grant outlives its hold: never lapse before the hold
HoldCommand = HoldSeats | HoldBestAvailable | HoldArea


@dataclass
class Route:
    """How to reach an event: its shard plan (None if unsharded) and seat maps."""

    event_id: str
    venue: Venue
    plan: ShardPlan | None
    maps: list[SeatMap]
    ttl: float
    currency: str
    next_area_shard: int = 0

    def stream(self, shard: int) -> str:
        return self.event_id if self.plan is None else shard_stream(self.event_id, shard)


# Re-opens an event's actors (True) or says it has none to re-open (False: never
# published, or unknown): ``contexts.catalog.reopen.CatalogReopener``.
Reopener = Callable[[str], Awaitable[bool]]


class _ReopeningCalls(ActorCalls):
    """Actor calls that re-open an event whose actor is missing, then go on."""

    def __init__(self, config: RouterConfig, router: InventoryRouter) -> None:
        super().__init__(config)
        self.router = router

    async def handle(self, stream: str) -> Any:
        try:
            return await super().handle(stream)
        except InventoryNotFoundError:
            pass
        except InventoryUnavailableError:
            # A stream this process reached before and now missing is taken for one
            # moving (retry); with no move marker and still no actor it is gone for
            # good (Ray restarted under a surviving process): re-open it too.
            if not await asyncio.to_thread(self._gone, stream):
                raise
        if not await self.router.reopen(stream.partition("#")[0]):
            raise InventoryNotFoundError(f"no inventory for {stream}")
        return await super().handle(stream)

    def _gone(self, stream: str) -> bool:
        namespace = self.config.namespace
        if moving(namespace, stream) is not None:
            return False
        try:
            ray.get_actor(actor_name(stream), namespace=namespace)
        except ValueError:
            return True
        return False  # back meanwhile (a move just ended): the caller retries


class InventoryRouter:
    """Opens events and routes holds, confirmations, releases and refunds."""

    def __init__(self, config: RouterConfig | None = None, reopener: Reopener | None = None):
        self.calls: ActorCalls = _ReopeningCalls(config or RouterConfig(), self)
        self.reopener = reopener  # None: a missing actor is "no inventory" (tools, tests)
        self._routes: dict[str, Route] = {}
        self._pending: dict[str, asyncio.Task[Route]] = {}
        self._reopening: dict[str, asyncio.Future[bool]] = {}

    async def reopen(self, event_id: str) -> bool:
        """Open ``event_id``'s actors again through the reopener (single flight)."""
        if self.reopener is None:
            return False
        pending = self._reopening.get(event_id)
        if pending is None:
            pending = asyncio.ensure_future(self._reopen(event_id))
            self._reopening[event_id] = pending
            pending.add_done_callback(lambda _: self._reopening.pop(event_id, None))
        return await asyncio.shield(pending)

    async def _reopen(self, event_id: str) -> bool:
        assert self.reopener is not None
        started = time.perf_counter()
        reopened = await self.reopener(event_id)
        if reopened:
            log.info(
                "inventory re-opened event=%s seconds=%.3f",
                event_id,
                time.perf_counter() - started,
            )
        return reopened

    async def open(
        self, event_id: str, venue: Venue, terms: SaleTerms, shards: int = 1, **options: Any
    ) -> None:
        """Create the event's actors (idempotent): done when the event is published."""
        if not event_id or any(c in event_id for c in ".#"):
            raise ValueError(f"event id {event_id!r} may not be empty or contain '.' or '#'")
        base = {"venue": venue.to_dict(), "terms": terms.to_dict()}
        if shards == 1:
            await self.calls.create(event_id, event_id, {"kind": "inventory", **base}, **options)
            return
        plan = plan_shards(venue, terms, shards)
        for k, (sub, sub_terms) in enumerate(plan.shards):
            spec = {"kind": "inventory", "venue": sub.to_dict(), "terms": sub_terms.to_dict()}
            await self.calls.create(shard_stream(event_id, k), event_id, spec, **options)
        ledger = {"kind": "limits", "limit": terms.max_per_customer, "plan": plan.to_dict(), **base}
        await self.calls.create(event_id, event_id, ledger, **options)

    async def route(self, event_id: str) -> Route:
        route = self._routes.get(event_id)
        if route is not None:
            return route
        # Single flight: at an on-sale's first second a thousand requests miss this cache
        # at once; one describe and one seat map serve them all (each used to build its
        # own: seconds of CPU, and a p99 in seconds). A failed lookup is not cached.
        pending = self._pending.get(event_id)
        if pending is None:
            pending = asyncio.ensure_future(self._describe(event_id))
            self._pending[event_id] = pending
            pending.add_done_callback(lambda _: self._pending.pop(event_id, None))
        return await asyncio.shield(pending)

    async def _describe(self, event_id: str) -> Route:
        spec = await self.calls.call(event_id, "describe")
        plan = ShardPlan.from_dict(spec["plan"]) if spec.get("plan") else None
        venue, terms = Venue.from_dict(spec["venue"]), SaleTerms.from_dict(spec["terms"])
        shards = plan.shards if plan else ((venue, terms),)
        maps = [SeatMap(v, t) for v, t in shards]
        route = Route(event_id, venue, plan, maps, float(terms.hold_ttl_seconds), terms.currency)
        self._routes[event_id] = route
        return route

    async def hold(self, event_id: str, command: HoldCommand) -> Held:
        """Hold seats or places; raises the engine's refusal or a retryable error."""
        route = await self.route(event_id)
        if route.plan is None:
            return self._held(route, -1, 0, await self.calls.execute(event_id, command))
        quantity = len(command.seats) if isinstance(command, HoldSeats) else command.quantity
        self._shards_for(route, command)  # unknown seats or areas: a 422, never counted
        expires = time.time() + route.ttl + GRANT_GRACE_S
        grant = await self.calls.execute(event_id, GrantQuota(command.customer, quantity, expires))
        try:
            shard, answer = await self._hold_in_shard(route, command)
        except Exception:
            await self._return_grant(HoldRef(event_id, 0, 1, grant.grant_id))
            raise
        return self._held(route, shard, grant.grant_id, answer)

    @staticmethod
    def _shards_for(route: Route, command: HoldCommand) -> tuple[int, ...]:
        """The shards that may take this hold; the engine's 422 if it names nothing."""
        plan = route.plan
        assert plan is not None
        if isinstance(command, HoldSeats):
            return (plan.shard_of_seats(command.seats),)
        if isinstance(command, HoldBestAvailable):
            if command.section not in plan.section_shard:
                raise InvalidAreaError(f"no section named {command.section!r}", command.section)
            return (plan.section_shard[command.section],)
        shards = plan.area_shards.get(command.area)
        if not shards:
            raise InvalidAreaError(
                f"no general-admission area named {command.area!r}", command.area
            )
        return tuple(shards)

    async def _hold_in_shard(self, route: Route, command: HoldCommand) -> tuple[int, Any]:
        if isinstance(command, HoldArea):
            return await self._hold_in_area(route, command)
        shard = self._shards_for(route, command)[0]
        return shard, await self.calls.execute(route.stream(shard), command)

    async def _hold_in_area(self, route: Route, command: HoldArea) -> tuple[int, Any]:
        """Try the area's shards in turn (starting from a rotating one) until one has room."""
        shards = self._shards_for(route, command)
        route.next_area_shard += 1
        left = 0
        for i in range(len(shards)):
            shard = shards[(route.next_area_shard + i) % len(shards)]
            try:
                return shard, await self.calls.execute(route.stream(shard), command)
            except SoldOutError as refused:
                left += refused.available
        places = counted(left, "place")
        raise SoldOutError(f"area {command.area} has {places} left, not together", left)

    def _held(self, route: Route, shard: int, grant_id: int, answer: Any) -> Held:
        seat_map = route.maps[max(shard, 0)]
        ref = HoldRef(route.event_id, shard, answer.hold_id, grant_id)
        area = seat_map.area_names[answer.area] if answer.area >= 0 else None
        return Held(ref, answer, seat_map.seat_ids(answer.seats), area, route.currency)

    async def confirm(
        self, ref: HoldRef, payment_ref: str, customer: str | None = None, key: str | None = None
    ) -> HoldConfirmed:
        command = ConfirmHold(ref.hold_id, payment_ref, customer, key)
        answer = await self.calls.execute(ref.stream, command, self._patient)
        if ref.grant_id:
            await self.calls.execute(ref.event_id, SettleQuota(ref.grant_id), self._patient)
        return answer

    async def extend(self, ref: HoldRef, seconds: float, customer: str | None) -> HoldExtended:
        """Keep a paying hold (``ExtendHold``); raises the engine's refusal."""
        command = ExtendHold(ref.hold_id, seconds, customer)
        return await self.calls.execute(ref.stream, command, self._patient)

    @property
    def _patient(self) -> float:
        return self.calls.config.patient_linger_s

    async def release(
        self, ref: HoldRef, customer: str | None = None, key: str | None = None
    ) -> HoldReleased:
        answer = await self.calls.execute(ref.stream, ReleaseHold(ref.hold_id, customer, key))
        await self._return_grant(ref)
        return answer

    async def refund(self, ref: HoldRef, key: str | None = None) -> SaleReturned:
        answer = await self.calls.execute(ref.stream, ReturnSale(ref.hold_id, key))
        await self._return_grant(ref)
        return answer

    async def _return_grant(self, ref: HoldRef) -> None:
        if ref.grant_id:
            # Already returned, or it lapses at its deadline: freed either way.
            with suppress(InventoryError, InventoryUnavailableError):
                await self.calls.execute(ref.event_id, ReturnQuota(ref.grant_id))

    async def availability(self, event_id: str) -> dict[str, Any]:
        route = await self.route(event_id)
        parts = [
            await self.calls.call(route.stream(k), "availability") for k in range(len(route.maps))
        ]
        return merge_availability(parts)

    async def seats(self, event_id: str) -> dict[str, Any]:
        route = await self.route(event_id)
        parts = [await self.calls.call(route.stream(k), "seats") for k in range(len(route.maps))]
        return merge_seats(route.venue, parts)

    async def hold_view(self, ref: HoldRef) -> dict[str, Any] | None:
        """The hold's view (``ReadHold``), read in the stream's next batch of commands:
        no Ray call of its own (an actor of an earlier version gets a direct call)."""
        if await self.calls.reads_in_batches(ref.stream):
            return await self.calls.execute(ref.stream, ReadHold(ref.hold_id), self._patient)
        return await self.calls.call(ref.stream, "hold", ref.hold_id)

    async def status(self, event_id: str) -> list[dict[str, Any]]:
        route = await self.route(event_id)
        streams = [route.stream(k) for k in range(len(route.maps))]
        if route.plan is not None:
            streams.insert(0, event_id)
        return [await self.calls.call(stream, "status") for stream in streams]

    async def execute(self, stream: str, command: Any) -> Any:
        """A raw command to one stream's actor (tests and tools)."""
        return await self.calls.execute(stream, command)

    async def call(self, stream: str, method: str, *args: Any) -> Any:
        return await self.calls.call(stream, method, *args)

    async def handle(self, stream: str) -> Any:
        return await self.calls.handle(stream)

    async def close(self) -> None:
        await self.calls.close()
