"""The webhook sender over real sockets: it connects only to the address it checked
(a name given by an injected resolver, which real DNS does not know), keeps the
name for the Host header and for TLS (SNI and certificate), refuses names and
numbers that land inside, and tells the organiser nothing a port scan could use."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from contexts.webhooks.sender import NO_ANSWER, NOT_PUBLIC, HttpxSender
from tests.integration.notify_support import free_port
from tests.integration.webhook_support import Receiver

NAME = "hooks.example.test"  # .test: reserved, never in real DNS


class Names:
    """An injected resolver: ``NAME`` is 127.0.0.1 here (a name pointing inside)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        return ["127.0.0.1"]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


async def test_names_and_numbers_that_land_inside_are_refused(receiver: Receiver) -> None:
    names = Names()
    sender = HttpxSender(timeout_s=5, allow_internal=False, resolver=names)
    try:
        port = receiver.port
        for host in (NAME, "127.1", "2130706433", "0x7f000001", "017700000001", "[::ffff:7f00:1]"):
            answer = await sender.post(f"http://{host}:{port}/hooks", b"{}", {})
            assert (answer.status_code, answer.error) == (None, NOT_PUBLIC), host
        assert receiver.received == []  # nothing was connected to
        assert names.asked == [NAME]  # numbers are read, not resolved
    finally:
        await sender.close()


async def test_the_connection_goes_to_the_checked_address_under_the_name(
    receiver: Receiver,
) -> None:
    names = Names()
    sender = HttpxSender(timeout_s=5, allow_internal=True, resolver=names)
    try:
        answer = await sender.post(f"http://{NAME}:{receiver.port}/hooks", b"{}", {"X-A": "1"})
        assert answer.ok, answer
        [got] = receiver.received
        assert got.headers["host"] == f"{NAME}:{receiver.port}" and got.headers["x-a"] == "1"
        assert names.asked == [NAME]
        # A closed port and an open one differ by nothing the organiser reads.
        closed = await sender.post(f"http://127.0.0.1:{free_port()}/x", b"{}", {})
        assert (closed.status_code, closed.error) == (None, NO_ANSWER)
    finally:
        await sender.close()


def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for ``NAME`` only (not for 127.0.0.1)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(NAME)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_https_keeps_the_name_for_sni_and_the_certificate(tmp_path: Path) -> None:
    cert_path, key_path = certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    seen: list[str | None] = []
    server_context.sni_callback = lambda _sock, name, _ctx: seen.append(name)  # type: ignore[assignment,misc,return-value]

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while (await reader.readline()).strip():
            pass  # headers; the body is not needed
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    port = free_port()
    server = await asyncio.start_server(serve, "127.0.0.1", port, ssl=server_context)
    client_context = ssl.create_default_context(cafile=str(cert_path))
    sender = HttpxSender(5, allow_internal=True, resolver=Names(), ssl_context=client_context)
    try:
        answer = await sender.post(f"https://{NAME}:{port}/hooks", b"{}", {})
        assert answer.status_code == 204, answer
        assert seen == [NAME]  # SNI is the name, and the certificate was checked for it
        by_address = await sender.post(f"https://127.0.0.1:{port}/hooks", b"{}", {})
        assert by_address.status_code is None  # the certificate is not 127.0.0.1's
    finally:
        await sender.close()
        server.close()
        await server.wait_closed()
