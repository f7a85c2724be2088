"""The load tester: virtual buyers driving the public HTTP API (``ticketing loadtest``)."""
