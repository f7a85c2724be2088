"""Trace context inside the actor's core: which request a span continues, which it links,
and which events the outbox will publish with a context (in process, memory journal)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from actors import telemetry
from actors.core import InventoryCore
from actors.journal.memory import MemoryJournal
from actors.kinds import kind_from_spec
from actors.tracemarks import TraceMarks
from engine import HoldSeats, PriceTier, Row, SaleTerms, Section, Venue


def carrier(trace_id: int, span_id: int) -> dict[str, str]:
    return {"traceparent": f"00-{trace_id:032x}-{span_id:016x}-01"}


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # one global provider per process
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(telemetry, "_enabled", True)  # as setup_tracing would
    yield exporter
    exporter.shutdown()  # stops collecting: later tests' spans are not kept


async def core() -> InventoryCore:
    venue = Venue((Section("A", (Row("1", 10),)),))
    spec = {
        "kind": "inventory",
        "venue": venue.to_dict(),
        "terms": SaleTerms("EUR", (PriceTier("Cat 1", 5_000, ("A",)),)).to_dict(),
    }
    kind, journal = kind_from_spec(spec), MemoryJournal()
    inventory = kind.rebuild(await journal.recover("e1"))
    return InventoryCore("e1", journal, kind, inventory, clock=lambda: 1_800_000_000.0)


async def test_a_batch_continues_its_first_sampled_request_and_links_the_others(
    spans: InMemorySpanExporter,
) -> None:
    inventory = await core()
    holds = [HoldSeats(c, (f"A-1-{n}",)) for n, c in enumerate("abcd", 1)]
    await inventory.execute(holds, [None, carrier(1, 2), carrier(3, 4), None])
    by_name = {s.name: s for s in spans.get_finished_spans()}
    execute, journal = by_name["inventory.execute"], by_name["journal.append"]
    assert execute.context.trace_id == 1 and execute.parent.span_id == 2
    assert [link.context.span_id for link in execute.links] == [4]
    assert execute.attributes["commands"] == 4
    assert journal.parent.span_id == execute.context.span_id
    assert journal.attributes["batch.size"] == 4
    marks = inventory.marks
    assert marks is not None
    # Events of unsampled requests (1 and 4) have no context to publish with.
    assert marks.of(1) is None and marks.of(4) is None
    assert trace.get_current_span(marks.of(2)).get_span_context() == execute.context
    assert marks.of(3) == carrier(3, 4)


async def test_no_span_without_a_sampled_request(spans: InMemorySpanExporter) -> None:
    inventory = await core()
    await inventory.execute([HoldSeats("a", ("A-1-1",))], [None])
    await inventory.execute([HoldSeats("b", ("A-1-2",))])
    assert spans.get_finished_spans() == ()


def test_the_router_sends_a_carrier_only_for_a_sampled_trace(
    spans: InMemorySpanExporter,
) -> None:
    for flags, expected in ((TraceFlags(1), carrier(7, 8)), (TraceFlags(0), None)):
        with trace.use_span(NonRecordingSpan(SpanContext(7, 8, True, flags))):
            assert telemetry.carrier() == expected
    assert telemetry.carrier() is None  # no span at all


def test_trace_marks_find_ranges_and_stay_bounded() -> None:
    marks = TraceMarks(limit=3)
    for first in (1, 3, 6, 10):
        marks.add(first, first + 1, f"ctx{first}")
    assert marks.of(7) == "ctx6" and marks.of(8) is None and marks.of(11) == "ctx10"
    assert marks.between(4, 10) == ["ctx3", "ctx6", "ctx10"]
    for first in (20, 30, 40):  # past twice the limit: the oldest go
        marks.add(first, first, f"ctx{first}")
    assert len(marks) == 4 and marks.of(1) is None and marks.of(40) == "ctx40"
    marks.clear()
    assert marks.of(40) is None
