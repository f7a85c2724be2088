"""Spans for work done on behalf of traced requests: batches, outbox messages, consumers.

The helpers of ``actors.telemetry`` carry the context; these start the spans. Callers
check ``telemetry.enabled()`` (or hold a trace mark) first, so none runs when tracing is
off.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext, suppress
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context
from opentelemetry.trace import Link, Span, SpanKind

from actors.telemetry import Traced, as_context, context_of, tracer

# Links per batch span: a spike batches hundreds of requests, and each link costs a few
# microseconds in the actor's loop; the first 32 show the sharing well enough.
MAX_LINKS = 32


def span_context_of(traced: Traced) -> trace.SpanContext:
    """The span context of a context, or of a carrier's ``traceparent`` read directly: a
    batch links to hundreds of requests, and a full extraction costs ~10 us each."""
    if isinstance(traced, Context):
        return trace.get_current_span(traced).get_span_context()
    parts = str(traced.get("traceparent", "")).split("-")
    if len(parts) == 4 and len(parts[1]) == 32 and len(parts[2]) == 16:
        with suppress(ValueError):
            flags = trace.TraceFlags(int(parts[3], 16) & 0xFF)
            return trace.SpanContext(int(parts[1], 16), int(parts[2], 16), True, flags)
    return trace.INVALID_SPAN_CONTEXT


@contextmanager
def batch_span(
    name: str,
    parents: Sequence[Traced],
    attributes: Mapping[str, Any] | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
) -> Iterator[Span]:
    """A span for work done on behalf of several traced requests at once.

    Its parent is the first request's context and it links to the others (up to
    ``MAX_LINKS``), so each request's trace shows the shared work (the OTel pattern for
    batch processing).
    """
    parent = as_context(parents[0])
    links = _links(parent, parents[1:])
    with tracer().start_as_current_span(
        name, context=parent, kind=kind, links=links, attributes=dict(attributes or {})
    ) as span:
        yield span


def _links(parent: Context, others: Sequence[Traced]) -> list[Link]:
    """Links to ``others`` (distinct, not ``parent``), at most ``MAX_LINKS``."""
    links, seen = [], {span_context_of(parent).span_id}
    for other in others:
        span_context = span_context_of(other)
        if span_context.is_valid and span_context.span_id not in seen:
            seen.add(span_context.span_id)
            links.append(Link(span_context))
            if len(links) >= MAX_LINKS:
                break
    return links


def producer_span(
    name: str,
    parent: Traced,
    headers: dict[str, Any],
    attributes: Mapping[str, Any],
    others: Sequence[Traced] = (),
) -> Span:
    """Start a PRODUCER span under ``parent``, linked to ``others`` (a message carrying
    facts of several requests), and write its context into ``headers``; the caller ends
    it (``end_spans``) once the broker confirmed, or failed."""
    context = as_context(parent)
    span = tracer().start_span(
        name,
        context=context,
        kind=SpanKind.PRODUCER,
        attributes=dict(attributes),
        links=_links(context, others),
    )
    propagate.inject(headers, context=trace.set_span_in_context(span, context))
    return span


def consumer_span(
    name: str, headers: Mapping[str, Any] | None, attributes: Mapping[str, Any]
) -> Any:
    """A CONSUMER span for handling one message: a child of the current span if one runs
    (the aio-pika instrumentation's, itself from the headers), else of the headers' context."""
    current = trace.get_current_span().get_span_context().is_valid
    return tracer().start_as_current_span(
        name,
        context=None if current else context_of(headers),
        kind=SpanKind.CONSUMER,
        attributes={k: v for k, v in attributes.items() if v is not None},
    )


def end_spans(spans: Sequence[Span], error: BaseException | None = None) -> None:
    for span in spans:
        if error is not None:
            span.record_exception(error)
            span.set_status(trace.StatusCode.ERROR, repr(error))
        span.end()


def maybe_batch_span(
    name: str, parents: Sequence[Traced], attributes: Mapping[str, Any] | None = None
) -> Any:
    """``batch_span`` when there is a traced parent, else a no-op context manager."""
    return batch_span(name, parents, attributes) if parents else nullcontext()
