"""What ``ENV=production`` refuses to start with: the checks of ``Settings``' validator.

Each check returns the problems it finds (``NAME: why``); the validator joins them
into one error, so an operator fixes every setting in one go, and it runs when the
settings are read: before any database, account or connection is made. Refused:
the development defaults, placeholders (``CHANGE-ME``... as in the example manifests),
secrets without the shape and length of real ones, local stand-ins (``DEV_SERVERS``,
localstripe, the embedded MongoDB, RabbitMQ's guest account), ``*`` for trusted proxies
or CORS origins, and plain-HTTP public URLs. ``FORWARDED_ALLOW_IPS`` must be IPs or
networks everywhere: uvicorn silently ignores an entry it cannot parse.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Protocol
from urllib.parse import urlsplit

from pydantic.fields import FieldInfo

from contexts.shared.signing_key import parse_private_key


class Checked(Protocol):
    """What the checks read of ``contexts.shared.settings.Settings``, whose validator runs
    them: a port, so that the two modules do not import each other."""

    model_fields: ClassVar[dict[str, FieldInfo]]  # the defaults, to tell them apart

    def __iter__(self) -> Iterator[tuple[str, Any]]: ...
    @property
    def env(self) -> str: ...
    @property
    def jwt_secret(self) -> str: ...
    @property
    def metrics_token(self) -> str | None: ...
    @property
    def ticket_signing_key(self) -> str | None: ...
    @property
    def dev_servers(self) -> bool: ...
    @property
    def mongodb_url(self) -> str | None: ...
    @property
    def amqp_url(self) -> str | None: ...
    @property
    def cors_origins(self) -> list[str]: ...
    @property
    def forwarded_allow_ips(self) -> str: ...


type Check = Callable[[Checked], Iterator[str]]
PLACEHOLDER = re.compile(r"change[-_. ]?me|replace[-_. ]?me|fill[-_. ]?me", re.I)
# Words of the development values (and of obviously made-up ones) inside a secret.
NOT_SECRET = re.compile(r"development|insecure|dummy|example|placeholder|secret", re.I)
SHAPES = {  # what real Stripe credentials look like
    "stripe_api_key": re.compile(r"(sk|rk)_live_[A-Za-z0-9]{16,}"),
    "stripe_webhook_secret": re.compile(r"whsec_[A-Za-z0-9+/=]{24,}"),
    "stripe_publishable_key": re.compile(r"pk_live_[A-Za-z0-9]{16,}"),
}


def _random_enough(value: str, length: int) -> bool:
    """At least ``length`` characters, not one repeated pattern: 64 hex characters
    (``openssl rand -hex 32``) have about 16 distinct ones; ``x`` * 40 has one."""
    return len(value) >= length and len(set(value)) >= 12 and not NOT_SECRET.search(value)


def _default(settings: Checked, name: str) -> bool:
    return bool(getattr(settings, name) == type(settings).model_fields[name].default)


def placeholders(settings: Checked) -> Iterator[str]:
    """No text setting may still hold an example's placeholder (in a URL's password too).
    A development default is reported by the checks below, as such."""
    for name, value in settings:
        if _default(settings, name):
            continue
        texts = value if isinstance(value, list) else [value]
        if any(isinstance(t, str) and PLACEHOLDER.search(t) for t in texts):
            yield f"{name.upper()}: still a placeholder (an example's CHANGE-ME value)"


def secrets(settings: Checked) -> Iterator[str]:
    for name in ("jwt_secret", *SHAPES):
        if _default(settings, name):
            yield f"{name.upper()}: still the development value: set a real one"
    if not _default(settings, "jwt_secret") and not _random_enough(settings.jwt_secret, 32):
        yield "JWT_SECRET: needs 32+ random characters (openssl rand -hex 32)"
    if settings.metrics_token is not None and not _random_enough(settings.metrics_token, 32):
        yield "METRICS_TOKEN: needs 32+ random characters (openssl rand -hex 32)"
    for name, shape in SHAPES.items():
        value = getattr(settings, name)
        if not _default(settings, name) and (
            not shape.fullmatch(value) or NOT_SECRET.search(value)
        ):
            yield f"{name.upper()}: not a live Stripe value ({shape.pattern})"
    if not settings.ticket_signing_key:
        yield "TICKET_SIGNING_KEY: must be set (an Ed25519 PEM or base64 32-byte seed)"
    else:
        try:
            parse_private_key(settings.ticket_signing_key)
        except ValueError:
            yield "TICKET_SIGNING_KEY: not an Ed25519 PEM key or base64 32-byte seed"


def stand_ins(settings: Checked) -> Iterator[str]:
    if settings.dev_servers:
        yield "DEV_SERVERS: must be false (it starts local SMTP and localstripe)"
    if not settings.mongodb_url:
        yield "MONGODB_URL: must be set (the embedded MongoDB is for development)"
    amqp = urlsplit(settings.amqp_url or "")
    if settings.amqp_url and (amqp.username, amqp.password) == ("guest", "guest"):
        yield "AMQP_URL: RabbitMQ's guest account is for development"
    for name in ("stripe_api_base", "public_base_url"):
        url = urlsplit(getattr(settings, name))
        if url.scheme != "https" or (url.hostname or "") in ("127.0.0.1", "localhost", "::1"):
            yield f"{name.upper()}: must be an https URL of a real host"


def http_edges(settings: Checked) -> Iterator[str]:
    if "*" in settings.cors_origins or "null" in settings.cors_origins:
        yield "CORS_ORIGINS: '*' and 'null' are refused (credentials are allowed)"
    elif bad := [o for o in settings.cors_origins if urlsplit(o).scheme != "https"]:
        yield f"CORS_ORIGINS: https origins only ({', '.join(bad)})"
    if "*" in proxy_entries(settings.forwarded_allow_ips):
        yield "FORWARDED_ALLOW_IPS: '*' lets any client choose its IP; list the proxies"


PRODUCTION: tuple[Check, ...] = (placeholders, secrets, stand_ins, http_edges)


def proxy_entries(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def proxy_problems(value: str) -> list[str]:
    """FORWARDED_ALLOW_IPS entries uvicorn would not read as an IP or a network."""
    bad = []
    for entry in proxy_entries(value):
        try:
            if entry != "*":
                (ipaddress.ip_network if "/" in entry else ipaddress.ip_address)(entry)
        except ValueError:
            bad.append(entry)
    return [f"FORWARDED_ALLOW_IPS: not an IP or network: {', '.join(bad)}"] if bad else []


def problems(settings: Checked) -> list[str]:
    """Everything wrong with ``settings``: production checks when ``ENV=production``."""
    found = proxy_problems(settings.forwarded_allow_ips)
    if settings.env == "production":
        found += [p for check in PRODUCTION for p in check(settings)]
    first: dict[str, str] = {}  # one reason per setting: a placeholder is not also "short"
    for problem in found:
        first.setdefault(problem.split(":", 1)[0], problem)
    return list(first.values())
