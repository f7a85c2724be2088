"""HTTP routers, one module per bounded context."""
