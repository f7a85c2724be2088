"""The composition root's shape: one typed container, the services a process hands in,
and the workers' queue table the CLI reads (contexts.shared.queues)."""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path

import bootstrap
from contexts.shared.queues import WORKER_QUEUES, worker_queue_names
from contexts.shared.settings import Settings
from workers import host
from workers.notifications.worker import queue_spec as notifications_queue
from workers.payments.worker import queue_spec as payments_queue
from workers.waitlist.worker import queue_spec as waitlist_queue
from workers.webhooks.worker import queue_spec as webhooks_queue

ROOT = Path(__file__).resolve().parents[2]
SPECS = {
    "notifications": notifications_queue,
    "payments": payments_queue,
    "waitlist": waitlist_queue,
    "webhooks": webhooks_queue,
}


def test_the_container_has_one_typed_field_per_adapter() -> None:
    fields = {f.name: f.type for f in dataclasses.fields(bootstrap.Container)}
    assert "extras" not in fields
    untyped = sorted(name for name, kind in fields.items() if kind in ("Any", "Any | None"))
    assert not untyped, f"typed fields only: {untyped}"


def test_the_queue_table_matches_the_workers_own_specs() -> None:
    settings = Settings(amqp_queue_prefix="t")
    assert set(WORKER_QUEUES) == set(host.WORKERS) == set(SPECS)
    expected = []
    for name in WORKER_QUEUES:
        spec = SPECS[name](settings)
        retries = (f"{spec.name}.retry.{n}" for n in range(len(spec.retry_delays_s)))
        expected += [spec.name, f"{spec.name}.dead", *retries]
    assert worker_queue_names(settings) == expected


def test_an_api_process_gets_the_payments_queue_and_the_workers_when_asked() -> None:
    assert host.services(Settings(run_workers=False)) == [host.declare_payments_queue]
    with_workers = host.services(Settings(run_workers=True))
    assert with_workers == [host.declare_payments_queue, host.start_workers]


def test_the_services_entry_point_is_declared() -> None:
    # api/main.py loads it by name (the HTTP face never imports workers/).
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    group = project["entry-points"]["ticketing.services"]
    assert group == {"workers": "workers.host:services"}
