"""RabbitMQ consumers: payments (Stripe) and notifications (email, SMS)."""
