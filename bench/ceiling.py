"""The bare ceiling of the HTTP layer: the least a reserve route must do, nothing more.

A FastAPI app with one ``POST /v1/tickets/reserve``: a bearer JWT verified the way the
API verifies it (HS256 pinned, audience, issuer, required claims), a small pydantic
body, a 201 with a small JSON answer. No Ray, no journal, no database. Its POST/s is
what the machine can serve through FastAPI and uvicorn at all; ``http_vs_ceiling`` is
our reserve answers/s divided by it. It decodes the token on every request (the API
caches verified tokens), so it is a slightly lower ceiling than a caching one.

    python -m bench.ceiling --port 18100 --workers 2

Served like the API (``bench.servers``): uvicorn, ``--workers`` processes, log level
warning, no access log.
"""

from __future__ import annotations

import argparse
import os
import uuid
from collections.abc import Sequence
from typing import Annotated

import jwt
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from contexts.shared.settings import DEV_SECRET

REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "sub", "jti"]


class ReserveIn(BaseModel):
    """The shape of our reserve body: explicit seats or a quantity in a section."""

    model_config = ConfigDict(extra="forbid")
    event_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    seats: list[Annotated[str, StringConstraints(max_length=120)]] | None = Field(
        None, max_length=50
    )
    section: Annotated[str, StringConstraints(max_length=50)] | None = None
    quantity: int | None = Field(None, ge=1, le=50)


def create_app() -> FastAPI:
    secret = os.environ.get("CEILING_JWT_SECRET", DEV_SECRET)
    app = FastAPI(title="bench ceiling")

    @app.post("/v1/tickets/reserve", status_code=201)
    async def reserve(body: ReserveIn, authorization: str = Header()) -> dict[str, object]:
        try:
            claims = jwt.decode(
                authorization.removeprefix("Bearer "),
                secret,
                algorithms=["HS256"],
                audience="ticketing-api",
                issuer="ticketing",
                options={"require": REQUIRED_CLAIMS},
            )
        except jwt.PyJWTError as exc:
            raise HTTPException(401, "invalid token") from exc
        return {
            "reservation_id": uuid.uuid4().hex,
            "customer": claims["sub"],
            "event_id": body.event_id,
            "seats": body.seats or [],
        }

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    parser.add_argument("--port", type=int, default=18100)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    uvicorn.run(
        "bench.ceiling:create_app",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
