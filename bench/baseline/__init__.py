"""Yardstick for `make bench` only, NOT part of the product.

A deliberately conventional, lock-based reservation service on PostgreSQL: the way
most ticketing systems prevent overselling (`SELECT ... FOR UPDATE`, `SKIP LOCKED`
for quantities, a per-customer advisory lock). It speaks the same HTTP contract
subset as our API (`POST /v1/tickets/reserve`, confirm, availability) so the
benchmark can compare our actor-based engine with it under the same load. Nothing in
the product imports it; `python -m bench.baseline` serves it (port 8100 by default).
"""
