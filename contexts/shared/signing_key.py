"""Reading ``TICKET_SIGNING_KEY``: the ticket signer uses the key, the production checks
only ask whether it reads (so the settings need no ticket module to vet it)."""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey


def parse_private_key(value: str) -> Ed25519PrivateKey:
    """A PEM Ed25519 private key, or the base64 of its 32-byte seed."""
    text = value.strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("TICKET_SIGNING_KEY must be an Ed25519 private key")
        return key
    try:
        seed = base64.b64decode(text, validate=True)
    except binascii.Error as exc:
        raise ValueError("TICKET_SIGNING_KEY is neither PEM nor base64") from exc
    if len(seed) != 32:
        raise ValueError("TICKET_SIGNING_KEY seed must be 32 bytes")
    return Ed25519PrivateKey.from_private_bytes(seed)
