"""Shapes of what the web pages read besides the public API: their configuration (the
admin's view of actor placement is ``contexts.catalog.placement_schemas``)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class WebConfig(BaseModel):
    """What a browser needs to take a card: Stripe.js and the publishable key."""

    stripe_js_url: str = Field(description="Stripe.js (locally: localstripe's stand-in).")
    stripe_publishable_key: str
