"""The ``ticketing`` command line: operators' and load testers' tools."""

from __future__ import annotations

import typer

from bench.loadtest.cli import loadtest

app = typer.Typer(help="Ticketing platform tools.", no_args_is_help=True)
app.command("loadtest")(loadtest)


@app.callback()
def main() -> None:
    """Ticketing platform tools."""


if __name__ == "__main__":
    app()
