"""What the web pages are told about their environment (``GET /v1/web/config``)."""

from __future__ import annotations

from urllib.parse import urlparse

from api.schemas.web import WebConfig
from contexts.shared.settings import Settings

LIVE_STRIPE_JS = "https://js.stripe.com/v3/"


def web_config(settings: Settings) -> WebConfig:
    """Stripe.js from Stripe itself against the live API; otherwise the stand-in that
    localstripe serves at ``/js.stripe.com/v3/``, which talks to that same server."""
    url = settings.stripe_js_url
    if url is None:
        base = settings.stripe_api_base.rstrip("/")
        live = urlparse(base).hostname == "api.stripe.com"
        url = LIVE_STRIPE_JS if live else f"{base}/js.stripe.com/v3/"
    return WebConfig(stripe_js_url=url, stripe_publishable_key=settings.stripe_publishable_key)
