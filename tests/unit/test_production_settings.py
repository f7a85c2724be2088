"""ENV=production refuses, in the one Settings validator and so before anything is
created, every development default, placeholder and unsafe choice, each by name with
a clear reason; a complete, real-looking production configuration starts."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from contexts.shared.settings import DEV_SECRET, DEV_WEBHOOK_SECRET, Settings


def production(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "env": "production",
        "jwt_secret": secrets.token_hex(32),
        "stripe_api_key": "sk_live_" + secrets.token_hex(16),
        "stripe_webhook_secret": "whsec_" + secrets.token_hex(16),
        "stripe_publishable_key": "pk_live_" + secrets.token_hex(16),
        "stripe_api_base": "https://api.stripe.com",
        "ticket_signing_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        "dev_servers": False,
        "mongodb_url": "mongodb://app:" + secrets.token_hex(8) + "@db.example.com:27017",
        "amqp_url": "amqps://app:" + secrets.token_hex(8) + "@mq.example.com:5671/",
        "public_base_url": "https://tickets.example.com",
        "forwarded_allow_ips": "10.244.0.0/16",
    }
    return {**values, **overrides}


def refusal(**overrides: Any) -> str:
    with pytest.raises(ValueError) as refused:
        Settings(**production(**overrides))
    return str(refused.value)


def test_a_real_looking_production_configuration_starts() -> None:
    settings = Settings(**production())
    assert settings.env == "production" and not settings.serve_docs


CASES: list[tuple[dict[str, Any], str]] = [
    ({"jwt_secret": DEV_SECRET}, "JWT_SECRET: still the development value"),
    # The placeholders of cluster/kuberay/secret.example.yaml.
    ({"jwt_secret": "CHANGE-ME-to-64-random-hex-characters-openssl-rand-hex-32"},
     "JWT_SECRET: still a placeholder"),
    ({"stripe_webhook_secret": "whsec_CHANGE-ME"}, "STRIPE_WEBHOOK_SECRET: still a placeholder"),
    ({"stripe_api_key": "sk_live_CHANGE-ME"}, "STRIPE_API_KEY: still a placeholder"),
    ({"amqp_url": "amqps://ticketing:CHANGE-ME@mq:5671/"}, "AMQP_URL: still a placeholder"),
    ({"smtp_password": "change_me"}, "SMTP_PASSWORD: still a placeholder"),
    ({"bootstrap_admin_password": "Change-Me-Please"}, "BOOTSTRAP_ADMIN_PASSWORD: still a"),
    # Secrets without a real one's shape or length.
    ({"jwt_secret": "x" * 64}, "JWT_SECRET: needs 32+ random characters"),
    ({"jwt_secret": secrets.token_hex(12)}, "JWT_SECRET: needs 32+ random characters"),
    ({"metrics_token": "short"}, "METRICS_TOKEN: needs 32+ random characters"),
    ({"stripe_webhook_secret": DEV_WEBHOOK_SECRET}, "STRIPE_WEBHOOK_SECRET: still the dev"),
    ({"stripe_webhook_secret": "whsec_" + "ab" * 4}, "STRIPE_WEBHOOK_SECRET: not a live"),
    ({"stripe_api_key": "sk_test_" + "a1" * 12}, "STRIPE_API_KEY: not a live Stripe value"),
    ({"stripe_api_key": "sk_test_local"}, "STRIPE_API_KEY: still the development value"),
    ({"stripe_publishable_key": "pk_test_local"}, "STRIPE_PUBLISHABLE_KEY: still the dev"),
    ({"ticket_signing_key": None}, "TICKET_SIGNING_KEY: must be set"),
    ({"ticket_signing_key": "not-a-key"}, "TICKET_SIGNING_KEY: not an Ed25519"),
    # Local stand-ins and development defaults.
    ({"dev_servers": True}, "DEV_SERVERS: must be false"),
    ({"mongodb_url": None}, "MONGODB_URL: must be set"),
    ({"amqp_url": "amqp://guest:guest@127.0.0.1:5672/"}, "AMQP_URL: RabbitMQ's guest account"),
    ({"stripe_api_base": "http://127.0.0.1:8420"}, "STRIPE_API_BASE: must be an https URL"),
    ({"public_base_url": "http://127.0.0.1:8000"}, "PUBLIC_BASE_URL: must be an https URL"),
    # The HTTP edge.
    ({"cors_origins": "*"}, "CORS_ORIGINS: '*' and 'null' are refused"),
    ({"cors_origins": "http://shop.example.com"}, "CORS_ORIGINS: https origins only"),
    ({"forwarded_allow_ips": "*"}, "FORWARDED_ALLOW_IPS: '*' lets any client choose its IP"),
    ({"forwarded_allow_ips": "10.0.0.1/8"}, "FORWARDED_ALLOW_IPS: not an IP or network"),
]  # fmt: skip


@pytest.mark.parametrize(("overrides", "reason"), CASES, ids=lambda v: str(v)[:40])
def test_each_unsafe_setting_is_refused_by_name(overrides: dict[str, Any], reason: str) -> None:
    message = refusal(**overrides)
    assert reason in message
    assert message.count("\n  - ") == 1, message  # that setting alone
    assert "input_value" not in message  # the values given (secrets) are not echoed


def test_every_problem_is_listed_at_once() -> None:
    message = refusal(jwt_secret=DEV_SECRET, dev_servers=True, forwarded_allow_ips="*")
    assert all(k in message for k in ("JWT_SECRET", "DEV_SERVERS", "FORWARDED_ALLOW_IPS"))


def test_development_accepts_its_defaults_but_never_a_malformed_proxy_list() -> None:
    assert Settings().serve_docs and Settings(forwarded_allow_ips="*").env == "development"
    with pytest.raises(ValueError, match="not an IP or network: nginx"):
        Settings(forwarded_allow_ips="127.0.0.1, nginx")  # uvicorn would ignore it silently


def test_production_hides_docs_and_guards_metrics(tmp_path: Any) -> None:
    """No lifespan: docs routing and the metrics guard are decided before the container
    (an authorised scrape would then need it: the guard let it through)."""
    token = secrets.token_hex(32)
    for settings, docs in (
        (Settings(**production(data_dir=tmp_path, metrics_token=token)), 404),
        (Settings(**production(data_dir=tmp_path, docs_enabled=True)), 200),
    ):
        client = TestClient(create_app(settings), raise_server_exceptions=False)
        assert client.get("/docs").status_code == docs
        assert client.get("/openapi.json").status_code == docs
        metrics = client.get("/metrics")
        if settings.metrics_token is None:
            assert metrics.status_code == 404 and metrics.json()["code"] == "not_found"
            continue
        assert metrics.status_code == 401 and metrics.json()["code"] == "unauthorized"
        wrong = client.get("/metrics", headers={"Authorization": f"Bearer {token[:-1]}x"})
        assert wrong.status_code == 401
        allowed = client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        assert allowed.status_code not in (401, 404)  # past the guard (no container here)
