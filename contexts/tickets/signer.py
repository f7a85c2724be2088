"""Signed ticket QR payloads that a door scanner verifies offline with a public key.

A QR payload is ``base64url(JSON claims) + "." + base64url(Ed25519 signature)``,
the signature covering the first part's ASCII bytes. The claims are small (ticket
id, event id, seat or area, format version) so the code stays scannable. Ed25519:
64-byte signatures, fast verification on weak scanners, and one public key (served
at ``GET /v1/tickets/public-key``) is all a scanner needs.

The key comes from ``TICKET_SIGNING_KEY`` (a PEM private key, or the base64 of a
32-byte seed). In development it is generated once and kept under ``DATA_DIR``, so
tickets issued before a restart still verify; production must set it (every API
replica and worker signs with the same key).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from contexts.shared.settings import Settings
from contexts.shared.signing_key import parse_private_key

KEY_FILE = "ticket_signing_key.pem"
QR_VERSION = 1
MAX_QR_CHARS = 2048


class InvalidQr(Exception):
    """Not a QR payload we signed (malformed, forged, or signed by another key)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def development_key(data_dir: Path) -> Ed25519PrivateKey:
    """The key under ``data_dir``, created on first use.

    Written to a temporary file then hard-linked into place: the link fails if another
    process (the API and a worker starting together) won the race, and nobody ever
    reads a half-written file.
    """
    path = data_dir / KEY_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=data_dir, prefix=".key-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(_pem(Ed25519PrivateKey.generate()))
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            os.unlink(tmp)
    return parse_private_key(path.read_text())


class TicketSigner:
    """Signs ticket claims into QR payloads and verifies them."""

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.public_key: Ed25519PublicKey = key.public_key()
        self.public_pem = self.public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    @classmethod
    def from_settings(cls, settings: Settings) -> TicketSigner:
        if settings.ticket_signing_key:
            return cls(parse_private_key(settings.ticket_signing_key))
        if settings.env == "production":
            raise ValueError("TICKET_SIGNING_KEY must be set when ENV=production")
        return cls(development_key(settings.data_dir))

    def sign(self, claims: dict[str, Any]) -> str:
        body = _b64(json.dumps({**claims, "v": QR_VERSION}, separators=(",", ":")).encode())
        return f"{body}.{_b64(self._key.sign(body.encode()))}"

    def verify(self, qr: str) -> dict[str, Any]:
        """The claims of a genuine payload; ``InvalidQr`` for anything else."""
        if not isinstance(qr, str) or len(qr) > MAX_QR_CHARS or qr.count(".") != 1:
            raise InvalidQr("not a ticket QR payload")
        body, signature = qr.split(".")
        try:
            self.public_key.verify(_unb64(signature), body.encode())
            claims = json.loads(_unb64(body))
        except (InvalidSignature, binascii.Error, ValueError) as exc:
            raise InvalidQr("the QR payload's signature does not verify") from exc
        if not isinstance(claims, dict) or claims.get("v") != QR_VERSION:
            raise InvalidQr("unknown QR payload version")
        return claims
