"""The application core: one package per bounded context, and their shared kernel."""
