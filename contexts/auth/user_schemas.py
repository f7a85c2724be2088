"""Request and response shapes of ``/v1/users`` and ``/v1/admin/users``."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import JsonDict

from contexts.auth.schemas import AnyPassword, Email, Name, Password
from contexts.shared.pagination import Page
from contexts.shared.schemas import PatchModel, RequestModel

Role = Literal["admin", "event_creator", "user"]  # contexts.shared.principal.ROLES
USER_EXAMPLE: JsonDict = {
    "id": "66f0c0ffee0000000000abcd",
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "roles": ["user"],
    "created_at": "2026-01-01T12:00:00Z",
}


class UserCreate(RequestModel):
    """A new account (``POST /v1/auth/register``); it gets the role ``user``."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"email": "ada@example.com", "password": "correct horse 42", "name": "Ada Lovelace"}
            ]
        },
    )

    email: Email
    password: Password = Field(description="10 to 128 characters.")
    name: Name


class UserPublic(BaseModel):
    """An account as the API shows it (never its password hash)."""

    model_config = ConfigDict(json_schema_extra={"examples": [USER_EXAMPLE]})

    id: str
    email: str
    name: str
    roles: list[Role]
    created_at: datetime


class UserUpdate(PatchModel):
    """Changes to one's own profile. Roles are not here: only an admin grants them."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "Ada King"},
                {"password": "a new long passphrase", "current_password": "correct horse 42"},
            ]
        },
    )

    name: Name | None = None
    password: Password | None = None
    current_password: AnyPassword | None = Field(
        None, description="Required with `password`: proof that the caller knows the old one."
    )

    @model_validator(mode="after")
    def _current_with_new(self) -> Self:
        if self.password is not None and self.current_password is None:
            raise ValueError("`current_password` is required to change the password")
        return self


class RolesUpdate(RequestModel):
    """The complete set of roles an account should have."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"roles": ["user", "event_creator"]}]}
    )

    roles: list[Role] = Field(min_length=1, max_length=3)


class OrderSummary(BaseModel):
    """One past order in a purchase history (the orders context holds the details)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "66f0c0ffee0000000000beef",
                    "event_id": "66f0c0ffee0000000000abcd",
                    "status": "paid",
                    "total": {"amount": 10000, "currency": "EUR"},
                    "tickets": 2,
                    "created_at": "2026-01-01T12:00:00Z",
                }
            ]
        }
    )

    id: str
    event_id: str | None = None
    status: str | None = None
    total: dict[str, int | str] | None = None
    tickets: int | None = None
    created_at: datetime


UserPage = Page[UserPublic]
OrderPage = Page[OrderSummary]
