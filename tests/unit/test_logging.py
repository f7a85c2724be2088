"""Structured logging: fields render as key=value, and no ``extra`` key can crash a log call.

``logging`` raises KeyError for an ``extra`` key that names a LogRecord attribute
("created", "name", ...), but only when the level is enabled: a latent crash that
tests at WARNING never see. So the source is scanned for such keys.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from api.logging import KeyValueFormatter

ROOT = Path(__file__).resolve().parents[2]
RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


def sources() -> list[Path]:
    return [
        p
        for d in ("api", "actors", "workers", "engine", "cluster", "bench")
        for p in sorted((ROOT / d).rglob("*.py"))
    ]


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_log_extra_key_shadows_a_record_attribute(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            for kw in node.keywords:
                if kw.arg == "extra" and isinstance(kw.value, ast.Dict):
                    keys = {k.value for k in kw.value.keys if isinstance(k, ast.Constant)}
                    assert not keys & RESERVED, f"line {node.lineno}: {keys & RESERVED}"


def test_formatter_renders_extra_fields() -> None:
    record = logging.makeLogRecord(
        {
            "msg": "hello world",
            "levelname": "INFO",
            "name": "x",
            "request_id": "r1",
            "_ray_timestamp_ns": 1,
        }
    )
    line = KeyValueFormatter().format(record)
    assert 'msg="hello world"' in line and "request_id=r1" in line and "_ray" not in line
