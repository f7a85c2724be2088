"""The catalog: venues, events (concerts), search, promo codes, live views."""
