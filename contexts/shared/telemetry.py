"""Tracing for the API process (and the standalone workers, which share its composition).

``setup_process_tracing`` installs the exporter chosen by the settings and the aio-pika
and pymongo instrumentations (process-wide, once); ``instrument_app`` adds the FastAPI
server spans to one app. With ``OTEL_EXPORTER=none`` neither does anything: no
instrumentation is installed, so requests pay nothing for tracing.
"""

from __future__ import annotations

from typing import Any

from actors.telemetry import TracingConfig, disable, enabled, setup_tracing
from contexts.shared.settings import Settings

ACTOR_SERVICE = "ticketing-inventory"
# Probes and scrapes every few seconds would drown the traces that matter.
EXCLUDED_URLS = "/health,/ready,/metrics"

_instrumented = False


def tracing_config(settings: Settings, service_name: str | None = None) -> TracingConfig:
    """The tracing choice of the settings, for this process or (by name) an actor's."""
    return TracingConfig(
        exporter=settings.otel_exporter,
        endpoint=settings.otel_endpoint,
        service_name=service_name or settings.otel_service_name,
        console_path=settings.otel_console_path,
    )


def setup_process_tracing(settings: Settings) -> bool:
    """Exporter and library instrumentations for this process; whether tracing is on."""
    global _instrumented
    if not setup_tracing(tracing_config(settings)):
        return False
    if not _instrumented:
        from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
        from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

        AioPikaInstrumentor().instrument()
        PymongoInstrumentor().instrument()
        _instrumented = True
    return True


def shutdown_process_tracing() -> None:
    """Undo ``setup_process_tracing`` (tests that turned tracing on for a while)."""
    global _instrumented
    if _instrumented:
        from opentelemetry.instrumentation.aio_pika import AioPikaInstrumentor
        from opentelemetry.instrumentation.pymongo import PymongoInstrumentor

        AioPikaInstrumentor().uninstrument()
        PymongoInstrumentor().uninstrument()
        _instrumented = False
    disable()


def instrument_app(app: Any) -> None:
    """Server spans for each request of ``app`` (when this process traces)."""
    if enabled():
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        # No span per ASGI send/receive message: noise, and two spans per request each way.
        FastAPIInstrumentor.instrument_app(
            app, excluded_urls=EXCLUDED_URLS, exclude_spans=["receive", "send"]
        )
