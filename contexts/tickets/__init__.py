"""Tickets: issue, signing, check-in, transfer, organiser reports."""
