"""Organisers: accounts and teams, who may act on an event, the audit log."""
