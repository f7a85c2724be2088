"""`python -m api`: serve the API with uvicorn (what `make run` does)."""

import logging

import uvicorn

from api.devstack import DevStack
from api.logging import configure_logging
from api.settings import get_settings

log = logging.getLogger("api")


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level, settings.log_format, settings.env)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    url = f"http://{host}:{settings.port}"
    log.info("serving", extra={"url": url, "docs": f"{url}/docs", "env": settings.env})
    # Local SMTP and localstripe as children, stopped when uvicorn returns (DEV_SERVERS).
    with DevStack.from_settings(settings):
        uvicorn.run(
            "api.main:create_app",
            factory=True,
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,  # api.middleware logs each request once, with its request id
            log_level=settings.log_level,
        )


if __name__ == "__main__":
    main()
