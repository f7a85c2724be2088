"""Ticket QR signing: keys from settings or the data directory, forgeries refused."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_public_key,
)

from contexts.shared.settings import Settings
from contexts.tickets.signer import KEY_FILE, InvalidQr, TicketSigner, parse_private_key

CLAIMS = {"tid": "66f0c0ffee0000000000abcd-1", "eid": "e1", "seat": "A-1-1", "area": None}


def test_development_key_is_created_once_and_kept(tmp_path: Path) -> None:
    first = TicketSigner.from_settings(Settings(data_dir=tmp_path))
    second = TicketSigner.from_settings(Settings(data_dir=tmp_path))  # a restart
    assert (tmp_path / KEY_FILE).exists()
    assert first.public_pem == second.public_pem
    assert second.verify(first.sign(CLAIMS)) == {**CLAIMS, "v": 1}


def test_key_from_settings_as_pem_or_seed(tmp_path: Path) -> None:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    seed = base64.b64encode(key.private_bytes_raw()).decode()
    by_pem = TicketSigner.from_settings(Settings(data_dir=tmp_path, ticket_signing_key=pem))
    by_seed = TicketSigner.from_settings(Settings(data_dir=tmp_path, ticket_signing_key=seed))
    assert by_pem.public_pem == by_seed.public_pem
    assert not (tmp_path / KEY_FILE).exists()
    with pytest.raises(ValueError):
        parse_private_key("not a key")
    with pytest.raises(ValueError):
        TicketSigner.from_settings(
            Settings(data_dir=tmp_path, env="production", jwt_secret="x" * 40)
        )


def test_a_scanner_verifies_with_the_public_key_alone(tmp_path: Path) -> None:
    signer = TicketSigner.from_settings(Settings(data_dir=tmp_path))
    body, signature = signer.sign(CLAIMS).split(".")
    public = load_pem_public_key(signer.public_pem.encode())
    public.verify(base64.urlsafe_b64decode(signature + "=="), body.encode())  # type: ignore[union-attr]
    assert json.loads(base64.urlsafe_b64decode(body + "=="))["seat"] == "A-1-1"


@pytest.mark.parametrize(
    "qr",
    ["", "x", "a.b.c", "ab.cd", "é.é", "." * 2, "A" * 5000],
)
def test_malformed_payloads_are_invalid(tmp_path: Path, qr: str) -> None:
    with pytest.raises(InvalidQr):
        TicketSigner.from_settings(Settings(data_dir=tmp_path)).verify(qr)


def test_edited_or_foreign_payloads_are_invalid(tmp_path: Path) -> None:
    signer = TicketSigner.from_settings(Settings(data_dir=tmp_path))
    signature = signer.sign(CLAIMS).split(".")[1]
    edited = base64.urlsafe_b64encode(
        json.dumps({**CLAIMS, "seat": "A-1-2", "v": 1}).encode()
    ).decode()
    with pytest.raises(InvalidQr):
        signer.verify(f"{edited.rstrip('=')}.{signature}")
    other = TicketSigner(Ed25519PrivateKey.generate())
    with pytest.raises(InvalidQr):
        signer.verify(other.sign(CLAIMS))
