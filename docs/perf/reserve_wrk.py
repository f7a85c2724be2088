"""wrk against POST /v1/tickets/reserve, with the CPU of each process (docs/performance.md).

    .venv/bin/python docs/perf/reserve_wrk.py --seats 200000 --connections 64 --seconds 15

Starts ``python -m api`` as ``bench/servers.py`` does (embedded defaults, the local
RabbitMQ for the outbox, rate limits off) on a free port, creates an on-sale event,
mints 1,000 buyer tokens, runs ``wrk`` with ``docs/perf/reserve.lua`` and samples
``/proc/<pid>/stat`` (utime + stime) of the API process, the inventory actor and
wrk around the run. Prints requests/s and CPU microseconds per request of each.
``--profile SECONDS`` also runs ``py-spy record`` on the API and the actor meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.servers import ADMIN, Server, start_ours  # noqa: E402
from cluster.loadtest.cli import _login  # noqa: E402
from cluster.loadtest.setup import create_event, mint_tokens, stadium_layout  # noqa: E402
from contexts.shared.settings import DEV_SECRET  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def threads_cpu(pid: int) -> dict[str, float]:
    """CPU seconds by thread (``name/tid``, from ``/proc/<pid>/task/*``)."""
    found: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            name = f"{(task / 'comm').read_text().strip()}/{task.name}"
            found[name] = cpu_s_of(task / "stat")
        except OSError:
            continue
    return found


def cpu_s_of(stat: Path) -> float:
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seats", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--processes", type=int, default=1, help="API processes (API_PROCESSES)")
    parser.add_argument("--profile", type=int, default=0, help="py-spy for this many seconds")
    parser.add_argument("--out", default="/tmp/reserve-wrk")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        server = _start(Path(tmp), args.processes)
        try:
            run(server, args, out)
        finally:
            server.stop()


def _start(data_dir: Path, processes: int) -> Server:
    """``start_ours``, stopping the server's process group if it never became ready."""
    started: list[Server] = []
    init = Server.__init__

    def tracked(self: Server, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)  # type: ignore[arg-type]
        started.append(self)

    Server.__init__ = tracked  # type: ignore[method-assign]
    try:
        return start_ours(data_dir, processes)
    except BaseException:
        for server in started:
            server.stop()
        raise
    finally:
        Server.__init__ = init  # type: ignore[method-assign]


def run(server, args, out: Path) -> None:  # type: ignore[no-untyped-def]
    layout = stadium_layout(args.seats)
    admin = asyncio.run(_login(server.url, *ADMIN))
    event_id = asyncio.run(create_event(server.url, admin, layout))
    (out / "event_id").write_text(event_id + "\n")
    (out / "sections").write_text(f"{len({s for s, _, _ in layout})}\n")
    (out / "tokens").write_text("\n".join(mint_tokens(DEV_SECRET, 1000)) + "\n")
    lua = ROOT / "docs" / "perf" / "reserve.lua"
    warm = ["wrk", "-t1", "-c4", "-d2s", "-s", str(lua), server.url, "--", str(out)]
    subprocess.run(warm, check=True, capture_output=True)  # opens the actor, fills caches
    family = descendants(server.proc.pid)
    # uvicorn's worker processes (several API processes) are multiprocessing children.
    api = [p for p in family if "multiprocessing" in cmdline(p) and "ray" not in cmdline(p)]
    actors = [p for p in family if "InventoryActor" in cmdline(p)]
    pids = {"api": [server.proc.pid, *api], "actor": actors}
    pids = {k: sorted(set(v)) for k, v in pids.items()}
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{args.seconds}s",
        "--latency",
        "-s",
        str(lua),
        server.url,
        "--",
        str(out),
    ]
    spies = []
    if pids["actor"]:  # which Python thread is which tid: compare with the CPU by thread
        dump = [str(Path(sys.executable).parent / "py-spy"), "dump", "--nonblocking", "-p"]
        threads = subprocess.run([*dump, str(pids["actor"][0])], capture_output=True, text=True)
        (out / "actor.dump").write_text(threads.stdout)
    if args.profile:
        for name, group in pids.items():
            for pid in group[-1:]:
                spy = [
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--nonblocking",
                    "--threads",
                    *(["--native"] if os.environ.get("PYSPY_NATIVE") else []),
                    "-p",
                    str(pid),
                    "-d",
                    str(args.profile),
                    "-f",
                    "raw",
                    "-o",
                    str(out / f"{name}.raw"),
                ]
                spies.append(
                    subprocess.Popen(spy, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
                )
    before = {k: sum(cpu_s(p) for p in v) for k, v in pids.items()}
    actor_threads = threads_cpu(pids["actor"][0]) if pids["actor"] else {}
    started = time.monotonic()
    wrk = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    wrk_pid = wrk.pid
    wrk_before = cpu_s(wrk_pid)
    wrk_cpu = wrk_before
    while wrk.poll() is None:
        try:
            wrk_cpu = cpu_s(wrk_pid)
        except OSError:
            break
        time.sleep(0.2)
    text = wrk.stdout.read() if wrk.stdout else ""
    elapsed = time.monotonic() - started
    after = {k: sum(cpu_s(p) for p in v) for k, v in pids.items()}
    threads_after = threads_cpu(pids["actor"][0]) if pids["actor"] else {}
    for spy in spies:
        spy.wait()
    print(text)
    total = int(re.search(r"(\d+) requests in", text).group(1))
    print(f"pids {pids}")
    print(f"requests {total} in {elapsed:.1f} s: {total / elapsed:.0f}/s")
    for name in pids:
        used = after[name] - before[name]
        print(f"{name}: {100 * used / elapsed:.0f}% of a core, {1e6 * used / total:.0f} us/request")
    print(f"wrk: >= {1e6 * (wrk_cpu - wrk_before) / total:.0f} us/request")
    spent = {n: c - actor_threads.get(n, 0.0) for n, c in threads_after.items()}
    for name, used in sorted(spent.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  actor thread {name!r}: {1e6 * used / total:.0f} us/request")
    print(f"events per journal write (whole run): {journal_batch(server.url):.1f}")


def journal_batch(url: str) -> float:
    """Mean events per journal write, from the actors' metrics the API renders."""
    import urllib.request

    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    found = {}
    for line in text.splitlines():
        for part in ("sum", "count"):
            if line.startswith(f"ticketing_journal_batch_size_{part}{{"):
                found[part] = found.get(part, 0.0) + float(line.rsplit(" ", 1)[1])
    return found.get("sum", 0.0) / found["count"] if found.get("count") else 0.0


if __name__ == "__main__":
    main()
