"""The baseline's wire: settings, request shapes, bearer-token auth, problem details.

Same shapes as our API (`POST /v1/tickets/reserve` bodies), RFC 9457 problems with a
stable `code`, and an HS256 JWT verified like ours (pinned algorithm, audience, issuer,
required claims), so the comparison with our API is fair.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Annotated, Any, Self

import jwt
from fastapi import Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from bench.baseline.reserve import Refused
from contexts.shared.settings import DEV_SECRET

REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "sub", "jti"]


@dataclass(frozen=True)
class BaselineSettings:
    """Read from `BASELINE_*` environment variables when the app is created."""

    dsn: str = field(
        default_factory=lambda: os.environ.get(
            "BASELINE_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
        )
    )
    pool_size: int = field(default_factory=lambda: int(os.environ.get("BASELINE_PG_POOL", "20")))
    jwt_secret: str = field(
        default_factory=lambda: os.environ.get("BASELINE_JWT_SECRET", DEV_SECRET)
    )
    jwt_audience: str = "ticketing-api"
    jwt_issuer: str = "ticketing"


Name = Annotated[str, StringConstraints(min_length=1, max_length=50)]


class ReserveIn(BaseModel):
    """Explicit seats, or a quantity in a section or a GA area (as in our API)."""

    model_config = ConfigDict(extra="forbid")
    event_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    seats: list[Annotated[str, StringConstraints(min_length=3, max_length=120)]] | None = Field(
        None, min_length=1, max_length=50
    )
    section: Name | None = None
    area: Name | None = None
    quantity: int | None = Field(None, ge=1, le=50)

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        if self.seats is not None:
            if (
                self.section
                or self.area
                or self.quantity
                or len(set(self.seats)) != len(self.seats)
            ):
                raise ValueError("`seats` alone, without duplicates")
        elif (self.section is None) == (self.area is None) or self.quantity is None:
            raise ValueError("give `seats`, `section` + `quantity` or `area` + `quantity`")
        return self


class ConfirmIn(BaseModel):
    payment_ref: Annotated[str, StringConstraints(min_length=1, max_length=200)]


def problem(request: Request, status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem-details response."""
    headers = {"Retry-After": str(extra["retry_after"])} if "retry_after" in extra else None
    if status == 401:
        headers = {"WWW-Authenticate": "Bearer"}
    body = {"type": "about:blank", "title": code.replace("_", " ").capitalize(), "status": status}
    body |= {"detail": detail, "code": code, "instance": request.url.path, **extra}
    return JSONResponse(body, status, headers, media_type="application/problem+json")


def customer(request: Request) -> str:
    """The `sub` of a valid bearer token; 401 otherwise."""
    settings: BaselineSettings = request.app.state.settings
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Refused(401, "unauthorized", "Authentication required.")
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise Refused(401, "unauthorized", "The access token is invalid.") from exc
    if not isinstance(claims["sub"], str) or not claims["sub"]:
        raise Refused(401, "unauthorized", "The access token has no valid subject.")
    return claims["sub"]


Customer = Annotated[str, Depends(customer)]
