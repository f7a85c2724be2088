"""What every bus message is: a frozen dataclass that writes and checks its JSON body.

A field's annotation is its contract on the wire, checked by ``from_body``: ``Id`` (a
non-empty string), ``str``, ``int`` (never a bool), ``... | None`` (present, may be
null), ``tuple[str, ...]`` and ``tuple[Part, ...]`` (JSON lists; ``Part`` a nested
``Body``). A field with a default (``None``) may be absent: ``to_body`` leaves it out
while it holds its default, so a body is byte for byte what the publishers wrote before
the contract was typed. Keys a body has beyond its fields are ignored (a newer
publisher may add optional ones). ``WIRE`` renames fields whose JSON name is a Python
keyword (``from``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any, ClassVar, Self

from contexts.shared.bus_codec import MalformedMessage

Id = str  # a non-empty string: ids, and whatever a consumer cannot do without


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


SCALARS: dict[str, Callable[[Any], bool]] = {
    "Id": lambda v: isinstance(v, str) and v != "",
    "str": lambda v: isinstance(v, str),
    "int": _is_int,
}


@dataclasses.dataclass(frozen=True, slots=True)
class Body:
    """A JSON object with typed fields (a message, or a part of one such as a ticket)."""

    WIRE: ClassVar[dict[str, str]] = {}  # field name -> JSON name, where they differ
    PARTS: ClassVar[dict[str, type[Body]]] = {}  # part type name -> class (nested lists)

    def to_body(self) -> dict[str, Any]:
        """The JSON object, keys in field order (as the publishers always wrote them)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is None and f.default is None:
                continue  # optional and absent: not on the wire
            if isinstance(value, tuple):
                value = [v.to_body() if isinstance(v, Body) else v for v in value]
            out[self.WIRE.get(f.name, f.name)] = value
        return out

    @classmethod
    def from_body(cls, body: Any, where: str = "") -> Self:
        """The object a body carries; ``MalformedMessage`` naming the first field that is
        missing or of the wrong type (so the message is dead-lettered, never a crash)."""
        where = where or getattr(cls, "KIND", cls.__name__)
        if not isinstance(body, dict):
            raise MalformedMessage(f"malformed {where}: not a JSON object")
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            name = cls.WIRE.get(f.name, f.name)
            if name not in body:
                if f.default is None:
                    continue
                raise MalformedMessage(f"malformed {where}: {name!r} is missing")
            values[f.name] = cls._check(str(f.type), body[name], f"{where}.{name}")
        return cls(**values)

    @classmethod
    def _check(cls, annotation: str, value: Any, where: str) -> Any:
        kind, _, nullable = annotation.partition(" | ")
        if value is None and nullable == "None":
            return None
        if kind.startswith("tuple[") and kind.endswith(", ...]"):
            item = kind[len("tuple[") : -len(", ...]")]
            if not isinstance(value, list):
                raise MalformedMessage(f"malformed {where}: {value!r} is not a list")
            part = cls.PARTS.get(item)
            if part is not None:
                return tuple(part.from_body(v, f"{where}[{i}]") for i, v in enumerate(value))
            return tuple(cls._check(item, v, f"{where}[{i}]") for i, v in enumerate(value))
        check = SCALARS.get(kind)
        if check is None:  # a programming error in a message class, not a bad message
            raise TypeError(f"{cls.__name__}: unsupported annotation {annotation!r}")
        if not check(value):
            raise MalformedMessage(f"malformed {where}: {value!r} is not {annotation}")
        return value


@dataclasses.dataclass(frozen=True, slots=True)
class Message(Body):
    """One message on the ``ticketing.events`` exchange.

    ``KIND`` is its routing key (and AMQP ``type``); ``VERSION`` the version of its
    body. Version 1 is the body as published before the contract was typed and is not
    written on the wire (a body without a version is version 1); an incompatible body
    would add ``"v": 2`` and its ``from_body`` read both.
    """

    KIND: ClassVar[str] = ""
    VERSION: ClassVar[int] = 1
