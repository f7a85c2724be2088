"""Structured logs with structlog: JSON lines in production, readable lines on a terminal.

Every stdlib logger (ours, uvicorn's, Ray's in this process) goes through one structlog
``ProcessorFormatter``, so ``log.info("msg", extra={...})`` and structlog loggers render
alike. Each line carries ``request_id`` (bound by ``api.middleware`` for the request's
duration) and ``trace_id``/``span_id`` when a span is current. The format: ``json`` when
``LOG_FORMAT=json`` or (``auto``) ``ENV=production``, else ``console``.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, TextIO

import structlog
from opentelemetry import trace
from structlog.typing import EventDict, Processor

# uvicorn's ANSI-coloured duplicate of the message; Ray's own bookkeeping on records.
_NOISE = frozenset({"color_message"})


def add_trace_ids(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """The current span's trace and span ids (log lines join their trace)."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict.setdefault("trace_id", format(span_context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(span_context.span_id, "016x"))
    return event_dict


def drop_noise(_: Any, __: str, event_dict: EventDict) -> EventDict:
    for key in [k for k in event_dict if k in _NOISE or k.startswith("_ray")]:
        del event_dict[key]
    return event_dict


SHARED: list[Processor] = [
    # "msg", not structlog's "event": our records carry ``extra={"event": <event id>}``.
    structlog.processors.EventRenamer("msg"),
    structlog.contextvars.merge_contextvars,  # request_id
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    add_trace_ids,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def wants_json(fmt: str = "auto", env: str | None = None) -> bool:
    """JSON for ``json``; for ``auto``, when the environment is production."""
    if fmt != "auto":
        return fmt == "json"
    return (env or os.environ.get("ENV", "development")).strip().lower() == "production"


def formatter(json_lines: bool, colors: bool = False) -> structlog.stdlib.ProcessorFormatter:
    """The formatter every handler uses: stdlib records and structlog events alike."""
    renderer: Processor
    if json_lines:
        renderer = structlog.processors.JSONRenderer()
        final: list[Processor] = [structlog.processors.format_exc_info, renderer]
    else:
        # Plain tracebacks: rich's default shows local variables (passwords, tokens).
        renderer = structlog.dev.ConsoleRenderer(
            colors=colors,
            sort_keys=False,
            event_key="msg",
            exception_formatter=structlog.dev.plain_traceback,
        )
        final = [renderer]
    return structlog.stdlib.ProcessorFormatter(
        # Records from stdlib loggers: their ``extra={...}`` fields become keys.
        foreign_pre_chain=[*SHARED, structlog.stdlib.ExtraAdder(), drop_noise],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *final],
    )


def configure_logging(
    level: str = "info", fmt: str = "auto", env: str | None = None, stream: TextIO | None = None
) -> None:
    """Route every logger (uvicorn's included) through one structlog handler on stderr."""
    stream = stream or sys.stderr
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter(wants_json(fmt, env), colors=stream.isatty()))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *SHARED,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
