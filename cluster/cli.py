"""The ``ticketing`` command line: operators' and load testers' tools.

``ticketing cluster status|drain|rebalance|start-local|stop-local`` (cluster.commands),
``ticketing snapshot EVENT``, ``ticketing admin create-admin`` (cluster.admin's commands)
and ``ticketing loadtest`` (cluster.loadtest).
"""

from __future__ import annotations

from cluster.connect import use_recorded_token

use_recorded_token()  # first: Ray, imported below, reads its token settings once

import logging  # noqa: E402

import typer  # noqa: E402

from cluster import commands  # noqa: E402
from cluster.admin import app as admin_app  # noqa: E402
from cluster.loadtest.cli import loadtest  # noqa: E402

app = typer.Typer(help="Ticketing platform tools.", no_args_is_help=True)
app.command("loadtest")(loadtest)
app.add_typer(commands.app, name="cluster", no_args_is_help=True)
app.add_typer(admin_app, name="admin", help="Account administration.")
app.command("snapshot")(commands.snapshot)


@app.callback()
def main() -> None:
    """Ticketing platform tools."""
    # Warnings of our own (a move that recovered from the journal) in one line each;
    # the AMQP client's connection chatter is noise next to the status table.
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("aio_pika", "aiormq"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)


if __name__ == "__main__":
    app()
