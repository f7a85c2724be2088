"""Password hashing: argon2id for new hashes, bcrypt still accepted and upgraded on login.

Hashing costs ~0.1 s of CPU on purpose, so the async helpers run it in a worker
thread (argon2-cffi and bcrypt release the GIL) and never stall the event loop.
"""

from __future__ import annotations

import asyncio
from functools import cached_property

from passlib.context import CryptContext

BCRYPT_MAX_BYTES = 72


class PasswordHasher:
    """Hash and verify passwords; ``verify`` also says when a hash should be upgraded."""

    def __init__(self, **settings: object) -> None:
        # `settings` lets tests lower the cost (e.g. argon2__rounds=1).
        self._context = CryptContext(
            schemes=["argon2", "bcrypt"], default="argon2", deprecated="auto", **settings
        )

    def hash(self, password: str) -> str:
        return self._context.hash(password)

    def verify(self, password: str, hashed: str) -> tuple[bool, str | None]:
        """``(matches, new_hash)``: ``new_hash`` is set when ``hashed`` is outdated
        (bcrypt, or weaker argon2 parameters) and the password matched."""
        secret: str | bytes = password
        if self._is_bcrypt(hashed):
            # bcrypt only ever used the first 72 bytes, and bcrypt>=5 raises on longer
            # input, so verify on what the hash was computed from.
            secret = password.encode()[:BCRYPT_MAX_BYTES]
        try:
            ok, new_hash = self._context.verify_and_update(secret, hashed)
        except (ValueError, TypeError):  # a malformed stored hash, a NUL byte for bcrypt
            return False, None
        if ok and new_hash is not None and secret is not password:
            new_hash = self.hash(password)  # the upgrade covers the whole password
        return ok, new_hash

    def _is_bcrypt(self, hashed: str) -> bool:
        try:
            return self._context.identify(hashed) == "bcrypt"
        except ValueError:
            return False

    @cached_property
    def dummy_hash(self) -> str:
        """A hash no password is known for: verified when the user does not exist, so an
        unknown email costs the same time as a wrong password."""
        return self.hash("dummy-password-for-timing-equalisation")

    async def hash_async(self, password: str) -> str:
        return await asyncio.to_thread(self.hash, password)

    async def verify_async(self, password: str, hashed: str) -> tuple[bool, str | None]:
        return await asyncio.to_thread(self.verify, password, hashed)

    async def burn_async(self, password: str) -> None:
        """Verify against the dummy hash: the time of a real check, always a mismatch."""
        await asyncio.to_thread(self.verify, password, self.dummy_hash)
