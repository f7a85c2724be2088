"""Security of the auth context: access tokens (JWT), password hashing, auth errors."""

from api.security.passwords import PasswordHasher
from api.security.tokens import TokenService

__all__ = ["PasswordHasher", "TokenService"]
