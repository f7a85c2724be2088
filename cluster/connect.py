"""Connecting the CLI to a Ray cluster, and the one-line errors the CLI prints.

Every failure an operator can cause (no Ray found, nothing listening there, no or a
wrong token, an unknown node or event) becomes a ``CliError``: one line on stderr
and a non-zero exit code, never a traceback. Without ``--address``/RAY_ADDRESS the
CLI joins the Ray that `make run` started (recorded in DATA_DIR/ray, with its token).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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


def _token_known() -> bool:
    """Whether this process has a Ray token to present (Ray 2.60 asks one by default)."""
    if os.environ.get("RAY_AUTH_MODE", "").lower() == "disabled":
        return True
    if os.environ.get("RAY_AUTH_TOKEN"):
        return True
    path = os.environ.get("RAY_AUTH_TOKEN_PATH") or os.path.expanduser("~/.ray/auth_token")
    return os.path.isfile(path)


def recorded_clusters() -> list[Path]:
    """Where a Ray started on this machine is recorded: `make run`'s (DATA_DIR/ray),
    then start-local's (DATA_DIR/ray-local); each ``cluster.json`` names its address
    and token file (both readable by their owner only)."""
    data = Path(os.environ.get("DATA_DIR") or "./var")
    return [data / "ray" / "cluster.json", data / "ray-local" / "cluster.json"]


def _recorded(address: str | None) -> dict[str, Any] | None:
    """The recorded cluster at ``address`` (any, if None) whose head still answers."""
    for path in recorded_clusters():
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if address is not None and state.get("address") != address:
            continue
        try:
            _check_reachable(state["address"])
        except CliError:
            continue  # a stale record: that run was killed
        return state
    return None


def use_recorded_token() -> None:
    """Before Ray is imported (it reads its token settings once, at import): the token
    of the recorded cluster, unless this environment names a token already."""
    if os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH"):
        return
    for path in recorded_clusters():
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if os.environ.get("RAY_ADDRESS") in (None, state.get("address")):
            os.environ["RAY_AUTH_MODE"] = "token"
            os.environ["RAY_AUTH_TOKEN_PATH"] = str(state["token_path"])
            return


def resolve(address: str | None) -> str:
    """The head to join: ``--address``/RAY_ADDRESS, else the Ray `make run` (or
    start-local) recorded; its token goes into this process's environment."""
    address = address or os.environ.get("RAY_ADDRESS")
    state = _recorded(address)
    if state is not None and not (
        os.environ.get("RAY_AUTH_TOKEN") or os.environ.get("RAY_AUTH_TOKEN_PATH")
    ):
        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ["RAY_AUTH_TOKEN_PATH"] = str(state["token_path"])
    if address is None:
        if state is None:
            where = " or ".join(str(p) for p in recorded_clusters())
            raise CliError(
                f"no Ray found: RAY_ADDRESS is not set and no running one is recorded in "
                f"{where} (start `make run`, or point RAY_ADDRESS/--address at a head)",
                2,
            )
        address = str(state["address"])
    _check_reachable(address)
    return address


@contextlib.contextmanager
def ray_session(address: str | None, namespace: str) -> Iterator[None]:
    """Connected to the cluster at ``address`` as a driver for the block's duration."""
    import ray  # late: Ray reads its token settings once, when first imported

    address = resolve(address)
    if ray.is_initialized():  # a driver already (tests, a notebook): use its connection
        yield
        return
    if not _token_known():  # Ray would retry for ~20 s before saying so
        raise CliError(
            f"no Ray token for {address}: set RAY_AUTH_MODE=token and RAY_AUTH_TOKEN_PATH "
            "(or RAY_AUTH_TOKEN) to the cluster's token",
            2,
        )
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
