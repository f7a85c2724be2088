"""Organiser webhooks: subscriptions, the SSRF guard, signed deliveries."""
