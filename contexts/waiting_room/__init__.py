"""The waiting room (on-sale queue, admission) and the waiting list (sold-out fallback)."""
