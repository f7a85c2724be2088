"""Structured logs with structlog: JSON lines in production, readable lines on a terminal.

Every stdlib logger (ours, uvicorn's, Ray's in this process) goes through one structlog
``ProcessorFormatter``, so ``log.info("msg", extra={...})`` and structlog loggers render
alike. Each line carries ``request_id`` (bound by ``api.middleware`` for the request's
duration) and ``trace_id``/``span_id`` when a span is current. The format: ``json`` when
``LOG_FORMAT=json`` or (``auto``) ``ENV=production``, else ``console``.

Two processors run on every line, whatever its source, before it is rendered: one
escapes control characters (a request path or header can carry NUL, ESC or a newline
that would forge lines or terminal escapes), one hides the password of every URL
(``amqp://user:***@host``). They live here, not at call sites: no caller can forget.
"""

from __future__ import annotations

import io
import logging
import os
import re
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


# scheme://user:password@ : the password is replaced, the rest kept (which account, which host).
# Greedy up to the authority's last "@": a password may hold an unescaped "@".
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/?#@:]*):[^\s/?#]*@")
# Tracebacks: their line breaks are the formatter's own (rendered after this step).
_RAW_KEYS = frozenset({"exc_info", "stack_info", "exception", "stack"})
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def redact_url(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\1:***@", text)


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """``text`` with each control character written as ``\\xNN`` (``\\n`` is ``\\x0a``)."""
    return _CONTROL.sub(_escape_char, text)


def clean_traceback(text: str) -> str:
    """A formatted traceback: URL passwords redacted (a connection error may quote its
    URL), control characters escaped except the line breaks that make it readable."""
    return "\n".join(escape_control(line) for line in redact_url(text).split("\n"))


def clean_exception(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """After ``format_exc_info``: the ``exception`` text, through ``clean_traceback``."""
    if isinstance(event_dict.get("exception"), str):
        event_dict["exception"] = clean_traceback(event_dict["exception"])
    return event_dict


def plain_clean_traceback(out: TextIO, exc_info: Any) -> None:
    """The console's traceback (plain: rich's shows local variables), cleaned."""
    buffer = io.StringIO()
    structlog.dev.plain_traceback(buffer, exc_info)
    out.write(clean_traceback(buffer.getvalue()))


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return escape_control(redact_url(value))
    if isinstance(value, bytes):
        return _clean(value.decode("utf-8", "backslashreplace"))
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    return value


def sanitize(_: Any, __: str, event_dict: EventDict) -> EventDict:
    """Escape control characters and redact URL passwords in every key and value.

    Tracebacks are formatted after this, and cleaned then (``clean_traceback``); other
    values are turned into text only when they are strings or bytes: numbers
    and booleans keep their type in JSON.
    """
    return {_clean(k): v if k in _RAW_KEYS else _clean(v) for k, v in event_dict.items()}


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
        final: list[Processor] = [
            structlog.processors.format_exc_info,
            clean_exception,
            renderer,
        ]
    else:
        # Plain tracebacks: rich's default shows local variables (passwords, tokens).
        renderer = structlog.dev.ConsoleRenderer(
            colors=colors,
            sort_keys=False,
            event_key="msg",
            exception_formatter=plain_clean_traceback,
        )
        final = [renderer]
    return structlog.stdlib.ProcessorFormatter(
        # Records from stdlib loggers: their ``extra={...}`` fields become keys.
        foreign_pre_chain=[*SHARED, structlog.stdlib.ExtraAdder(), drop_noise],
        # ``sanitize`` here sees stdlib records and structlog events alike, last of all.
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, sanitize, *final],
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
