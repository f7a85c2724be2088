"""Process settings, one object, read from environment variables (upper-case names).

Every default is the embedded one (`make run` on a fresh machine): local Ray, the
mongoeco wire server, SQLite journal, the local RabbitMQ. Production sets
``ENV=production`` and real URLs; the one validator refuses, before anything starts,
development defaults, placeholders and secrets without a real shape
(``contexts.shared.production_checks``).
"""

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from contexts.shared import production_checks

LogLevel = Literal["critical", "error", "warning", "info", "debug"]
DEV_SECRET = "development-only-secret-change-me-0123456789"
DEV_WEBHOOK_SECRET = "whsec_development_only"  # localstripe and tests sign with it


class Settings(BaseSettings):
    """All settings of the API process; each field is read from its upper-case env var."""

    # hide_input_in_errors: a refused start must not print the secrets it was given.
    model_config = SettingsConfigDict(
        env_prefix="", case_sensitive=False, extra="ignore", hide_input_in_errors=True
    )

    env: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    # `python -m api`: API processes behind the one port (uvicorn workers); 0: one per core.
    api_processes: int = Field(default=0, ge=0)
    data_dir: Path = Path("./var")
    log_level: LogLevel = "info"
    # auto: JSON when ENV=production, readable key=value lines otherwise (contexts.shared.logging).
    log_format: Literal["auto", "json", "console"] = "auto"

    # Observability (docs/operations.md, "Observe"). Traces are off unless an exporter is
    # chosen; the inventory actors get the same choice through ActorConfig.
    otel_exporter: Literal["none", "console", "otlp"] = "none"
    otel_endpoint: str | None = None  # OTLP/HTTP, e.g. http://otel-collector:4318
    otel_service_name: str = "ticketing-api"  # actors report as "ticketing-inventory"
    otel_console_path: str | None = None  # console exporter: a file of JSON lines (stdout)
    metrics_port: int | None = None  # standalone workers: serve /metrics on this port
    # The API's /metrics: open in development; in production only with
    # ``Authorization: Bearer <METRICS_TOKEN>``, and off (404) without a token set.
    metrics_token: str | None = None
    docs_enabled: bool | None = None  # /docs and /openapi.json; None: on except in production

    # Components (None: the embedded default).
    mongodb_url: str | None = None
    mongodb_db_prefix: str = "ticketing"  # one database per context: <prefix>_auth, ...
    journal_url: str | None = None  # default sqlite:///<data_dir>/journal.db
    amqp_url: str | None = "amqp://guest:guest@127.0.0.1:5672/"
    ray_address: str | None = None  # None: start a local Ray in this process
    ray_namespace: str = "ticketing"

    # Auth.
    jwt_secret: str = DEV_SECRET
    jwt_issuer: str = "ticketing"
    jwt_audience: str = "ticketing-api"
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 30 * 24 * 3600
    bootstrap_admin_email: str | None = None
    bootstrap_admin_password: str | None = None

    # HTTP.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_body_bytes: int = 1_000_000
    reserve_rate_per_user: int = 30  # requests per minute
    reserve_rate_per_ip: int = 600
    auth_rate_per_ip: int = 30
    # Proxies whose X-Forwarded-For/-Proto are trusted: comma-separated IPs or CIDR
    # networks (nginx's address, the ingress pods' range). "*" would let any client
    # choose the IP its limits count: refused in production. uvicorn reads
    # FORWARDED_ALLOW_IPS itself; this field names it and validates it.
    forwarded_allow_ips: str = "127.0.0.1,::1"

    # Inventory actors.
    router_flush_ms: float = 0.0  # extra linger when idle; batches form by themselves
    # The linger of the payment path's commands (read, extend, confirm): fewer calls.
    router_patient_ms: float = 10.0
    router_max_batch: int = 256
    # Ray node labels inventory and queue actors are placed on, "key=value[,key=value]"
    # (compose and KubeRay: ticketing.io/role=inventory); empty: any node.
    inventory_node_labels: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    snapshot_every: int = 10_000
    seats_per_shard: int = 250_000  # larger events are split into shard actors
    seats_cache_s: float = 1.0
    event_cache_s: float = 2.0  # how stale an event's cached sale state may be (reserve path)

    # Workers and notifications (`make run` starts a local SMTP server when SMTP_HOST is local).
    run_workers: bool = True  # run the RabbitMQ workers inside the API process
    amqp_queue_prefix: str = ""  # worker queues are "<prefix>.<worker>" (tests isolate runs)
    # > 0: worker queues are deleted by the broker after this long with no consumer (test
    # and bench runs, so an interrupted run leaves no queue collecting messages). 0: never.
    amqp_queue_expires_s: float = Field(default=0.0, ge=0)
    dev_servers: bool = True  # `python -m api` starts local SMTP/localstripe where set local
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8025
    smtp_from: str = "Ticketing <no-reply@ticketing.localhost>"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = 10.0
    public_base_url: str = "http://127.0.0.1:8000"  # ticket links in emails
    stripe_api_base: str = "http://127.0.0.1:8420"  # localstripe; https://api.stripe.com live
    stripe_api_key: str = "sk_test_local"  # any key works on localstripe
    stripe_webhook_secret: str = DEV_WEBHOOK_SECRET  # must be set when ENV=production
    # Stripe calls per second for the whole account: every payments handler of every
    # process sharing the Ray cluster (API processes, standalone workers) together
    # (contexts.orders.stripe_pacing.SharedPacer). Test mode takes 25/s in all, a default
    # live account 100/s (25/s per endpoint): set the account's rate, undivided. Without
    # Ray (tools, tests), per process. <= 0: unpaced.
    stripe_max_rps: float = 25.0
    payments_concurrency: int = 32  # charges in flight per payments process (prefetch)
    # Payments the platform charges per second, for the waiting room's admission (it
    # pauses while more places are held unpaid than this x the hold TTL). None:
    # STRIPE_MAX_RPS / 2, the account's rate at 2 calls a payment; 0: not followed.
    checkout_payments_per_s: float | None = None
    # A hold whose payment is being charged is extended, once, by up to this much, so a
    # payment queued behind Stripe's rate decides before its seats expire (bounded).
    payment_hold_extension_s: float = 600.0
    ticket_signing_key: str | None = None  # Ed25519 PEM or base64 seed; dev: DATA_DIR file

    # Web pages (web/, served at /web/): Stripe.js in the browser and the live event stream.
    stripe_publishable_key: str = "pk_test_local"  # localstripe accepts any pk_ key
    stripe_js_url: str | None = None  # None: localstripe's stand-in, or js.stripe.com live
    stream_interval_s: float = 0.25  # how often an event's live feed reads its actor(s)
    stream_max_s: float = 300.0  # a stream's lifetime; browsers reconnect by themselves

    @field_validator("env", "log_level", "log_format", "otel_exporter", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("inventory_node_labels", mode="before")
    @classmethod
    def _labels(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        pairs = [p.strip() for p in value.split(",") if p.strip()]
        if any(p.count("=") != 1 for p in pairs):
            raise ValueError("INVENTORY_NODE_LABELS: key=value pairs, comma-separated")
        return dict(p.split("=") for p in pairs)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return (
            [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value
        )

    @model_validator(mode="after")
    def _refuse_unsafe_settings(self) -> "Settings":
        # The one place every start-up refusal lives: it runs when the settings are
        # read, before any account, database or connection is made.
        # pydantic's model_fields is a read-only class property, which mypy does not take
        # for the Protocol's class variable (the checks only read it).
        if problems := production_checks.problems(self):  # type: ignore[arg-type]
            raise ValueError(
                f"ENV={self.env} refuses these settings:\n  - " + "\n  - ".join(problems)
            )
        return self

    @property
    def serve_docs(self) -> bool:
        return self.env != "production" if self.docs_enabled is None else self.docs_enabled

    @property
    def effective_journal_url(self) -> str:
        return self.journal_url or f"sqlite:///{self.data_dir.resolve()}/journal.db"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()
