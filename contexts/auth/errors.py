"""The auth context's refusals, each a stable ``code`` (kinds become HTTP in api.problems)."""

from __future__ import annotations

from contexts.shared.errors import Conflict, Forbidden, Unauthorized


class InvalidToken(Unauthorized):
    """The access token is malformed, forged, or not meant for this API."""

    code = "invalid_token"


class TokenExpired(Unauthorized):
    """The access token was ours but is past its ``exp``: refresh it."""

    code = "token_expired"


class InvalidCredentials(Unauthorized):
    """Wrong email or wrong password: one message for both (no user enumeration)."""

    code = "invalid_credentials"

    def __init__(self) -> None:
        super().__init__("Invalid email or password.")


class InvalidRefreshToken(Unauthorized):
    """Unknown, expired or revoked refresh token."""

    code = "invalid_refresh_token"

    def __init__(self) -> None:
        super().__init__("The refresh token is invalid or expired; log in again.")


class RefreshTokenReused(Unauthorized):
    """An already-rotated refresh token came back: its whole family is revoked."""

    code = "refresh_token_reused"

    def __init__(self) -> None:
        super().__init__("This refresh token was already used; the session is revoked.")


class EmailTaken(Conflict):
    code = "email_taken"


class InvalidCurrentPassword(Forbidden):
    code = "invalid_current_password"
