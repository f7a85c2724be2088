"""Structured logging: one `key=value` line per record, on stderr."""

import json
import logging
import sys
import time
from typing import Any

# color_message: uvicorn's ANSI-coloured duplicate of msg.
_RESERVED = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "color_message"}


def _render(value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    if text and not any(c in text for c in ' "=\n'):
        return text
    return json.dumps(text)


class KeyValueFormatter(logging.Formatter):
    """Formats `ts level logger msg` and any `extra={...}` fields as key=value pairs."""

    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        fields: dict[str, Any] = {
            "ts": f"{ts}.{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        fields.update(
            {
                k: v
                for k, v in vars(record).items()
                if k not in _RESERVED and not k.startswith("_ray")  # Ray's own bookkeeping
            }
        )
        if record.exc_info:
            fields["exc"] = self.formatException(record.exc_info)
        return " ".join(f"{key}={_render(value)}" for key, value in fields.items())


def configure_logging(level: str = "info") -> None:
    """Route every logger (uvicorn's included) through one key=value handler on stderr."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
