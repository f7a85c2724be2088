"""`python -m bench`: run the benchmarks, print a table, write bench/results/latest.json.

Each module in BENCHMARKS exposes `run() -> list[Figure]`. A listed module that cannot
be imported is an error, never a silent skip.
"""

import argparse
import importlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console

from bench.report import DEFAULT_OUT, Figure, collect_metadata, print_figures, write_json

# One scenario module a line, run in this order.
BENCHMARKS = [
    "bench.engine_bench",
    "bench.actor_bench",
    "bench.http_bench",
    "bench.purchase",
]


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        metavar="TEXT",
        help="run only the benchmark modules whose name contains TEXT (e.g. engine)",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"results file (default: {DEFAULT_OUT})"
    )
    return parser.parse_args(argv)


def run_module(name: str) -> list[Figure]:
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and (exc.name == name or name.startswith(exc.name + ".")):
            raise SystemExit(f"bench: benchmark module {name!r} is missing ({exc})") from exc
        raise
    run = getattr(module, "run", None)
    if not callable(run):
        raise SystemExit(f"bench: {name} has no run() -> list[Figure]")
    figures = list(run())
    bad = [f for f in figures if not isinstance(f, Figure)]
    if bad:
        raise SystemExit(f"bench: {name}.run() returned non-Figure items: {bad!r}")
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    # Wide enough for the notes column when piped (rich assumes 80 columns off a tty).
    console = Console(width=None if sys.stdout.isatty() else 160)
    selected = [name for name in BENCHMARKS if args.only is None or args.only in name]
    if not selected:
        console.print(f"[red]bench: no benchmark matches --only {args.only!r}[/]")
        console.print(f"available: {', '.join(BENCHMARKS)}")
        return 2
    figures: list[Figure] = []
    for name in selected:
        console.print(f"[bold]running[/] {name} ...")
        started = time.perf_counter()
        figures.extend(run_module(name))
        console.print(f"  done in {time.perf_counter() - started:.1f} s")
    metadata = collect_metadata() | {"benchmarks": selected}
    print_figures(figures, console=console)
    out = write_json(figures, args.out, metadata=metadata)
    console.print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
