"""Our localstripe (``python -m api.devservers localstripe``) persists on a debounce:
a write never pickles the whole store by itself, and a clean stop saves everything.

Real server, real stripe SDK; the server's own ``/_config/ticketing/stats`` says how
many times it pickled the store.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import stripe

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def localstripe(state: Path, save_interval: float) -> Iterator[str]:
    port = _free_port()
    command = [sys.executable, "-m", "api.devservers", "localstripe", "--port", str(port)]
    command += ["--state", str(state), "--save-interval", str(save_interval)]
    command += ["--parent", str(os.getpid())]
    log = (state.parent / f"localstripe-{port}.log").open("wb")
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert proc.poll() is None, (state.parent / f"localstripe-{port}.log").read_text()
                assert time.monotonic() < deadline, "localstripe did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()  # a clean stop: aiohttp runs the app's cleanup (the last save)
        assert proc.wait(15) == 0
        log.close()


def stats(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/_config/ticketing/stats", timeout=5) as response:
        return json.load(response)


def client(url: str) -> stripe.StripeClient:
    return stripe.StripeClient("sk_test_debounce", base_addresses={"api": url})


def test_writes_do_not_pickle_per_request_and_a_clean_stop_saves_them(tmp_path: Path) -> None:
    state = tmp_path / "localstripe.pickle"
    with localstripe(state, save_interval=3600) as url:
        sdk = client(url)
        ids = [sdk.v1.customers.create({"email": f"c{i}@example.com"}).id for i in range(20)]
        seen = stats(url)
        # Upstream pickles after every POST (and on every store item set): 20+ dumps.
        assert seen["dumps"] == 0
        assert not state.exists()
        assert seen["requests"]["POST /v1/customers"] == 20
    assert state.exists()  # written at shutdown
    with localstripe(state, save_interval=3600) as url:
        restored = [client(url).v1.customers.retrieve(i).id for i in ids]
    assert restored == ids


def test_changes_are_saved_within_the_interval(tmp_path: Path) -> None:
    state = tmp_path / "localstripe.pickle"
    with localstripe(state, save_interval=0.2) as url:
        sdk = client(url)
        for i in range(10):
            sdk.v1.customers.create({"email": f"d{i}@example.com"})
        deadline = time.monotonic() + 10
        while (seen := stats(url))["dirty"] or seen["dumps"] < 1:
            assert time.monotonic() < deadline, "never saved"
            time.sleep(0.05)
        assert state.exists()
        quiet = seen["dumps"]
        time.sleep(0.6)  # not a synchronisation: three intervals without a change
        assert stats(url)["dumps"] == quiet
