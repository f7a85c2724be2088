"""Moving inventory actors between nodes: drain a node, rebalance the cluster.

One move, for one stream:

1. ask the actor how to recreate it (``placement_args``), and leave a "moving"
   marker in the GCS with that record: routers that miss the actor meanwhile answer
   "retry" (HTTP 503), and an interrupted move can be finished (``finish_pending``);
2. ``drain()``: the actor refuses new commands (retryable), waits for those it
   admitted to be journaled and answered, snapshots and stops its timer and relay;
3. ``ray.kill(no_restart=True)``, and wait for Ray to release the name;
4. create it again under the same name with the same arguments, on the target
   (it restores snapshot + journal in ``__init__``): a label selector on the node id,
   with a fallback to any other node, so that if the target dies later Ray restarts
   it elsewhere. Not ``NodeAffinitySchedulingStrategy``: a soft one is ignored for
   actors that ask for no resources (Ray picks a random node), and a hard one would
   leave the actor dead when its node goes;
5. wait until it answers, then clear the marker.

Every acknowledged command is in the journal before step 3, and none is decided
twice: the old incarnation decides nothing after step 2, the new one nothing before
it has replayed the journal. If the drain fails or times out the move still goes on:
the journal is the truth, and a restart from it is the actor's normal recovery.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

import ray

from actors.batching import RemoteInventory
from actors.config import actor_name
from actors.relocation import clear_moving, config_from, mark_moving, pending_moves
from cluster import inspect

log = logging.getLogger(__name__)

DRAIN_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 120.0  # a new worker process, then the replay of the journal
NODE_ID_LABEL = "ray.io/node-id"  # every node carries it


@dataclass(frozen=True, slots=True)
class Moved:
    stream: str
    source: str | None
    target: str
    landed: str  # the node it runs on now (the target unless that one went away)
    seq: int | None  # the last seq at the drain (None: not drained, recovered instead)
    seconds: float


async def move(namespace: str, stream: str, target: str) -> Moved:
    """Move one stream's actor to ``target`` (see the module's steps)."""
    started = time.monotonic()
    actor = await asyncio.to_thread(inspect.handle, namespace, stream)
    args = await asyncio.wait_for(actor.placement_args.remote(), inspect.CALL_TIMEOUT_S)
    record = {**args, "target": target}
    await asyncio.to_thread(mark_moving, namespace, stream, record)
    seq = None
    try:
        seq = await asyncio.wait_for(actor.drain.remote(), DRAIN_TIMEOUT_S)
    except Exception as exc:  # recovered from the journal instead
        log.warning("drain failed stream=%s error=%r: recovering from the journal", stream, exc)
    await asyncio.to_thread(ray.kill, actor, no_restart=True)
    landed = await recreate(namespace, record)
    return Moved(stream, args["node_id"], target, landed, seq, time.monotonic() - started)


async def recreate(namespace: str, record: dict[str, Any]) -> str:
    """Create the recorded actor on its target once its name is free; the node it is on."""
    stream, name = record["stream"], actor_name(record["stream"])
    await _name_released(namespace, name)
    actor = RemoteInventory.options(
        name=name,
        namespace=namespace,
        lifetime="detached",
        max_restarts=-1,
        get_if_exists=True,  # an API's open() may have recreated it already: use that one
        num_cpus=record["num_cpus"],
        resources=record["resources"] or None,
        label_selector={NODE_ID_LABEL: record["target"]},
        fallback_strategy=[{"label_selector": {NODE_ID_LABEL: f"!{record['target']}"}}],
    ).remote(stream, record["event_id"], record["spec"], config_from(record))
    # describe() as routers do: it also starts the expiry timer and the outbox relay,
    # which publishes what the previous incarnation journaled but had not yet sent.
    await asyncio.wait_for(actor.describe.remote(), READY_TIMEOUT_S)
    status = await asyncio.wait_for(actor.status.remote(), inspect.CALL_TIMEOUT_S)
    await asyncio.to_thread(clear_moving, namespace, stream)
    return status["node_id"]


async def _name_released(namespace: str, name: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            await asyncio.to_thread(ray.get_actor, name, namespace=namespace)
        except ValueError:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"Ray did not release the name {name!r} in {timeout:.0f} s")
        await asyncio.sleep(0.01)


async def finish_pending(namespace: str) -> list[str]:
    """Complete moves a previous run left half done; the streams it finished."""
    finished = []
    for stream, record in (await asyncio.to_thread(pending_moves, namespace)).items():
        try:
            await _finish(namespace, stream, record)
        except Exception as exc:  # e.g. still restarting: the marker stays for next time
            log.warning("cannot finish the move of stream=%s yet: %r", stream, exc)
            continue
        finished.append(stream)
    return finished


async def _finish(namespace: str, stream: str, record: dict[str, Any]) -> None:
    try:
        actor = await asyncio.to_thread(ray.get_actor, actor_name(stream), namespace=namespace)
    except ValueError:  # killed, never recreated
        actor = None
    if actor is not None:
        status = await asyncio.wait_for(actor.status.remote(), inspect.CALL_TIMEOUT_S)
        if not status.get("draining"):  # the move had completed; only its marker was left
            await asyncio.to_thread(clear_moving, namespace, stream)
            return
        await asyncio.to_thread(ray.kill, actor, no_restart=True)  # drained, not killed
    alive = sorted(n.node_id for n in inspect.nodes() if n.alive)
    if record["target"] not in alive:
        record = {**record, "target": alive[0]}  # the fallback lets Ray find a host anyway
    await recreate(namespace, record)
