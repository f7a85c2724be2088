"""Templates stored in MongoDB (``<prefix>_notifications.templates``), rendered with Jinja2.

A document per (name, channel), ``_id`` ``<name>:<channel>``, with ``subject``, ``text``
and (email) ``html``. The shipped defaults are inserted when absent, never over an
operator's edit; an edit takes effect within seconds (templates are read per
message at most every few seconds per process: a short-lived cache, so there is
nothing to invalidate across worker processes and an edit shows within seconds).
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pymongo.asynchronous.database import AsyncDatabase

from workers.bus import PermanentError
from workers.notifications.channels import Rendered
from workers.notifications.defaults import default_templates


def money(amount: int | None, currency: str | None) -> str:
    """Minor units as ``12.34 EUR`` (two decimals: zero-decimal currencies would need more)."""
    if amount is None:
        return ""
    return f"{amount / 100:,.2f} {(currency or '').upper()}".strip()


def _environment(autoescape: bool) -> SandboxedEnvironment:
    # Sandboxed: templates are data an operator edits in the database, not code we review.
    # StrictUndefined: a typo in an edited template fails loudly (dead letter) instead of
    # mailing customers a blank where their seat should be.
    env = SandboxedEnvironment(
        autoescape=autoescape, undefined=StrictUndefined, keep_trailing_newline=True
    )
    env.globals["money"] = money
    return env


_TEXT, _HTML = _environment(False), _environment(True)


@lru_cache(maxsize=256)
def _compiled(html: bool, source: str) -> Any:
    # Keyed by the source itself: an edited template is a new entry, never a stale one.
    return (_HTML if html else _TEXT).from_string(source)


class TemplateStore:
    """The templates collection, with the shipped defaults as the floor."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]], cache_s: float = 5.0) -> None:
        self._templates = db["templates"]
        # A few seconds per worker process: an edit shows within ``cache_s`` everywhere,
        # and a confirmation spike does not read the same template once per email.
        self.cache_s = cache_s
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._defaults = {doc["_id"]: doc for doc in default_templates()}

    async def seed(self) -> None:
        """Insert every shipped template that is not stored yet (edits are kept)."""
        for doc in self._defaults.values():
            fields = {k: v for k, v in doc.items() if k != "_id"}
            await self._templates.update_one(
                {"_id": doc["_id"]}, {"$setOnInsert": fields}, upsert=True
            )

    async def get(self, name: str, channel: str) -> dict[str, Any] | None:
        key, moment = f"{name}:{channel}", time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and moment - cached[0] < self.cache_s:
            return cached[1]
        stored = await self._templates.find_one({"name": name, "channel": channel})
        template = stored or self._defaults.get(key)
        self._cache[key] = (moment, template)
        return template


class Renderer:
    """Renders one template for one channel: text always, HTML (autoescaped) for email."""

    def __init__(self, store: TemplateStore) -> None:
        self.store = store

    async def render(self, name: str, channel: str, key: str, context: dict[str, Any]) -> Rendered:
        template = await self.store.get(name, channel)
        if template is None:
            raise PermanentError(f"no template {name!r} for channel {channel!r}")
        try:
            subject = _compiled(False, template.get("subject") or "").render(context)
            text = _compiled(False, template["text"]).render(context)
            html_source = template.get("html") if channel == "email" else None
            html = _compiled(True, html_source).render(context) if html_source else None
        except (TemplateError, KeyError, TypeError) as exc:
            raise PermanentError(f"template {name}:{channel} failed: {exc!r}") from exc
        # A header is one line: whatever a template does, the subject cannot inject another.
        return Rendered(key, " ".join(subject.split()), text.strip() + "\n", html)
