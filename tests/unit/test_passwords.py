"""PasswordHasher: argon2id by default, bcrypt accepted and upgraded, never an exception."""

from __future__ import annotations

import bcrypt
import pytest

from contexts.auth.passwords import PasswordHasher

PASSWORD = "correct horse 42"


@pytest.fixture(scope="module")
def hasher() -> PasswordHasher:
    return PasswordHasher()


def legacy(password: bytes) -> str:
    return bcrypt.hashpw(password[:72], bcrypt.gensalt(rounds=4)).decode()


def test_new_hashes_are_argon2id(hasher: PasswordHasher) -> None:
    hashed = hasher.hash(PASSWORD)
    assert hashed.startswith("$argon2id$")
    assert hasher.verify(PASSWORD, hashed) == (True, None)
    assert hasher.verify("wrong", hashed) == (False, None)


def test_bcrypt_verifies_and_is_upgraded(hasher: PasswordHasher) -> None:
    ok, new_hash = hasher.verify(PASSWORD, legacy(PASSWORD.encode()))
    assert ok and new_hash is not None and new_hash.startswith("$argon2id$")
    assert hasher.verify(PASSWORD, new_hash) == (True, None)
    assert hasher.verify("wrong", legacy(PASSWORD.encode())) == (False, None)


def test_long_password_against_bcrypt(hasher: PasswordHasher) -> None:
    # bcrypt>=5 raises on more than 72 bytes; old hashes were made from the first 72.
    password = "é" * 100  # 200 bytes
    ok, new_hash = hasher.verify(password, legacy(password.encode()))
    assert ok and new_hash is not None
    # The upgrade covers all 100 characters, not the truncated prefix.
    assert hasher.verify(password, new_hash) == (True, None)
    assert hasher.verify("é" * 99 + "x", new_hash)[0] is False


@pytest.mark.parametrize("hashed", ["", "plain", "$2b$04$short", "$argon2id$v=19$broken"])
def test_malformed_stored_hash_is_a_mismatch(hasher: PasswordHasher, hashed: str) -> None:
    assert hasher.verify(PASSWORD, hashed) == (False, None)


def test_nul_byte_against_bcrypt_is_a_mismatch(hasher: PasswordHasher) -> None:
    assert hasher.verify("abc\x00def-long", legacy(b"abc")) == (False, None)


def test_weaker_argon2_is_upgraded(hasher: PasswordHasher) -> None:
    weak = PasswordHasher(argon2__rounds=1, argon2__memory_cost=1024).hash(PASSWORD)
    ok, new_hash = hasher.verify(PASSWORD, weak)
    assert ok and new_hash is not None and new_hash != weak


async def test_dummy_hash_never_matches(hasher: PasswordHasher) -> None:
    assert hasher.verify("", hasher.dummy_hash) == (False, None)
    await hasher.burn_async(PASSWORD)
