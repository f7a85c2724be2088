"""HTTP front end of the ticketing platform: FastAPI app, settings and error layer."""
