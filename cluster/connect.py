"""Connecting the CLI to a Ray cluster, and the one-line errors the CLI prints.

Every failure an operator can cause (no RAY_ADDRESS, nothing listening there, a
wrong token, an unknown node or event) becomes a ``CliError``: one line on stderr
and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import socket
from collections.abc import Iterator

CONNECT_TIMEOUT_S = 3.0
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# HTTP/2 client connection preface, then an empty SETTINGS frame (RFC 9113, 3.4).
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
_SETTINGS_FRAME = 4


class CliError(Exception):
    """An operator-facing failure: ``message`` is printed as one line, then exit ``code``."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def one_line(exc: BaseException) -> str:
    """The first non-empty line of an exception's message (Ray's run over many)."""
    text = _ANSI.sub("", str(exc))  # Ray colours its error messages
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _check_reachable(address: str) -> None:
    """Fail fast when nothing listens: ray.init would retry for a minute first."""
    if "://" in address or address == "auto":
        return  # ray:// (client) or auto-detection: let Ray resolve it
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise CliError(f"RAY_ADDRESS {address!r} is not host:port", 2)
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT_S) as sock:
            # The GCS speaks gRPC: an HTTP/2 server answers the client preface with a
            # SETTINGS frame. Anything else (Redis on 6379, say) would make ray.init
            # retry forever.
            sock.sendall(_HTTP2_PREFACE)
            reply = sock.recv(9)
    except OSError as exc:
        raise CliError(f"cannot reach Ray at {address}: {exc.strerror or exc}") from None
    if len(reply) < 4 or reply[3] != _SETTINGS_FRAME:
        raise CliError(f"{address} is not a Ray head (its GCS port): no gRPC server answers")


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null (C++ logging bypasses sys.stderr)."""
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def ray_session(address: str | None, namespace: str) -> Iterator[None]:
    """Connected to the cluster at ``address`` as a driver for the block's duration."""
    address = address or os.environ.get("RAY_ADDRESS")
    if not address:
        raise CliError(
            "RAY_ADDRESS is not set: point it (or --address) at the cluster's head, "
            "host:port (`ticketing cluster start-local` prints one)",
            2,
        )
    _check_reachable(address)
    import ray  # late: Ray reads its token settings once, when first imported

    if ray.is_initialized():  # a driver already (tests, a notebook): use its connection
        yield
        return
    try:
        with _quiet_stderr():  # Ray's C++ client logs every retry; we report one line
            ray.init(
                address=address,
                namespace=namespace,
                log_to_driver=False,
                logging_level=logging.ERROR,
            )
    except Exception as exc:  # Ray raises many kinds here (auth, version, timeout)
        hint = (
            " (a cluster with token auth also needs RAY_AUTH_MODE=token and the same"
            " token in RAY_AUTH_TOKEN_PATH or RAY_AUTH_TOKEN)"
        )
        raise CliError(f"cannot connect to Ray at {address}: {one_line(exc)}{hint}") from None
    try:
        yield
    finally:
        ray.shutdown()
