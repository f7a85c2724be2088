"""RabbitMQ workers: payments (Stripe) and notifications (email, SMS).

``workers.bus`` declares the topology and runs consumers; ``contexts.shared.messages`` is the
contract of the application events they exchange.
"""
