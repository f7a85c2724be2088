"""Orders & payments: payment requests, Stripe, settlement, refunds."""
