"""OpenTelemetry tracing shared by the API, the inventory actors and the workers.

Each process sets up its own tracer provider from a ``TracingConfig`` (the API from its
settings, an actor from its ``ActorConfig``): Ray does not carry OTel context between
processes, so context travels explicitly as W3C carriers (plain dicts) in actor call
arguments and in AMQP headers. With the exporter ``none`` nothing is set up, ``enabled()``
is False and callers skip tracing altogether: the hot path creates no span, no carrier.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.context import Context

Exporter = Literal["none", "console", "otlp"]
TRACER = "ticketing"
# A trace context, or a W3C carrier not parsed yet (most are never needed: parse lazily).
Traced = Context | Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class TracingConfig:
    """Where this process's spans go (picklable: it rides in ``ActorConfig``)."""

    exporter: Exporter = "none"
    endpoint: str | None = None  # OTLP/HTTP base URL, e.g. http://otel-collector:4318
    service_name: str = "ticketing"
    console_path: str | None = None  # console exporter: append JSON lines here (stdout: None)


_enabled = False
_installed: set[tuple[str, str | None, str | None]] = set()


def enabled() -> bool:
    """Whether this process exports spans (checked before any tracing work)."""
    return _enabled


def setup_tracing(config: TracingConfig) -> bool:
    """Install the exporter of ``config`` in this process's provider; idempotent.

    A provider that is already an SDK one (another app in the same process, or a test's
    in-memory one) gets the exporter added rather than replaced: OTel allows one global
    provider per process.
    """
    global _enabled
    if config.exporter == "none":
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):
        # The pid tells spans of the API, of each actor and of each worker process apart.
        attributes: dict[str, str | int] = {
            "service.name": config.service_name,
            "process.pid": os.getpid(),
        }
        provider = TracerProvider(resource=Resource.create(attributes))
        trace.set_tracer_provider(provider)
    key = (config.exporter, config.endpoint, config.console_path)
    if key not in _installed:
        provider.add_span_processor(_processor(config))
        _installed.add(key)
    _enabled = True
    return True


def _processor(config: TracingConfig) -> Any:
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    if config.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # Unset: the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, else localhost.
        url = f"{config.endpoint.rstrip('/')}/v1/traces" if config.endpoint else None
        return BatchSpanProcessor(OTLPSpanExporter(endpoint=url))
    out = open(config.console_path, "a", buffering=1) if config.console_path else sys.stdout  # noqa: SIM115
    # One compact JSON object per line: a file several processes append to stays parseable.
    # Synchronous (a debugging aid, not for production load): spans are there at once.
    exporter = ConsoleSpanExporter(out=out, formatter=lambda span: span.to_json(None) + "\n")
    return SimpleSpanProcessor(exporter)


def disable() -> None:
    """Stop creating spans in this process (tests; the exporters stay installed)."""
    global _enabled
    _enabled = False


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER)


def carrier() -> dict[str, str] | None:
    """The current context as a W3C carrier; None when tracing is off, no span runs or
    its trace is not sampled (the actor then does nothing for this request)."""
    if not _enabled:
        return None
    span_context = trace.get_current_span().get_span_context()
    if not span_context.is_valid or not span_context.trace_flags.sampled:
        return None
    headers: dict[str, str] = {}
    propagate.inject(headers)
    return headers


def context_of(headers: Mapping[str, Any] | None) -> Context:
    """The context a carrier (or AMQP headers) holds; an empty one if none."""
    return propagate.extract({k: str(v) for k, v in (headers or {}).items()})


def as_context(traced: Traced) -> Context:
    return traced if isinstance(traced, Context) else context_of(traced)


def inject(headers: dict[str, Any], context: Context | None = None) -> None:
    """Write ``context`` (default: the current one) into ``headers`` (AMQP, HTTP)."""
    if _enabled:
        propagate.inject(headers, context=context)


def current_context() -> Context:
    return otel_context.get_current()
