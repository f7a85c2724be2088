"""Request and response shapes of ``/v1/auth``, and the validated field types of accounts.

Every text field is bounded and must be encodable UTF-8 (JSON may carry lone
surrogates that would otherwise fail later, in the hasher or in BSON, as a 500).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
)

from contexts.shared.schemas import RequestModel


def _utf8(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError("must contain printable characters only")
    return value


def _normalise_email(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


# Lower case and stripped before validation: one account per mailbox, however typed.
Email = Annotated[EmailStr, BeforeValidator(_normalise_email), Field(max_length=254)]
# Login takes any string: its shape must not tell which emails exist, only match or not.
LoginEmail = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=254),
    AfterValidator(_utf8),
]
Password = Annotated[str, StringConstraints(min_length=10, max_length=128), AfterValidator(_utf8)]
AnyPassword = Annotated[str, StringConstraints(min_length=1, max_length=128), AfterValidator(_utf8)]
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_printable),
    AfterValidator(_utf8),
]
RefreshToken = Annotated[
    str, StringConstraints(min_length=16, max_length=256, pattern=r"^[A-Za-z0-9_-]+$")
]


class LoginRequest(RequestModel):
    """Credentials of an account."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "ada@example.com", "password": "correct horse 42"}]
        },
    )

    email: LoginEmail
    password: AnyPassword


class RefreshRequest(RequestModel):
    """A refresh token (for ``/refresh`` and ``/logout``)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"refresh_token": "Q2hhbmdlIG1lIHRvIHlvdXIgdG9rZW4uLi4"}]},
    )

    refresh_token: RefreshToken


class TokenPair(BaseModel):
    """A short-lived access token (JWT) and the refresh token that renews it once."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9...",
                    "refresh_token": "Q2hhbmdlIG1lIHRvIHlvdXIgdG9rZW4uLi4",
                    "token_type": "bearer",
                    "expires_in": 900,
                }
            ]
        }
    )

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
