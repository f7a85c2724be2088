"""Reservations: holding seats or places through the inventory actors."""
