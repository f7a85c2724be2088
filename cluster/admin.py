"""Operator commands for accounts (never exposed over HTTP)::

    python -m cluster.admin create-admin --email admin@example.com --password '...'

It connects to the MongoDB of ``MONGODB_URL`` / ``MONGODB_DB_PREFIX`` (the API's
settings). Without ``MONGODB_URL`` it starts the embedded server on ``DATA_DIR``:
stop the API first then, so one process at a time owns that file.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from pymongo import AsyncMongoClient
from pymongo.errors import PyMongoError
from rich.console import Console

from actors.mongo_embedded import mongodb_url
from bootstrap import database
from contexts.auth.accounts import AdminCredentials, AdminEmailTaken, describe, ensure_admin
from contexts.auth.passwords import PasswordHasher
from contexts.auth.users_store import UsersStore
from contexts.shared.settings import Settings, get_settings

app = typer.Typer(add_completion=False, no_args_is_help=True)
out = Console()
err = Console(stderr=True)


@app.callback()
def main() -> None:
    """Account administration for the ticketing API."""


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="The admin's email (login).")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="10 to 128 characters."
        ),
    ],
    promote_existing: Annotated[
        bool,
        typer.Option(
            "--promote-existing",
            help="If an account already uses this email, make it admin (its password "
            "unchanged). Only for an account you know is the right person's.",
        ),
    ] = False,
) -> None:
    """Create an admin account (an existing account only with --promote-existing)."""
    try:
        AdminCredentials(email=email, password=password)  # refused before connecting
        settings = get_settings()
        user, created = asyncio.run(_create_admin(settings, email, password, promote_existing))
    except AdminEmailTaken as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(1) from None
    except ValidationError as exc:
        err.print(f"[red]error:[/red] invalid input: {describe(exc)}", highlight=False)
        raise typer.Exit(2) from None
    except (PyMongoError, RuntimeError, OSError) as exc:
        err.print(f"[red]error:[/red] cannot reach MongoDB: {exc}", highlight=False)
        raise typer.Exit(1) from None
    verb = "created" if created else "granted admin to existing account"
    out.print(f"{verb}: {user.email} (id {user.id}, roles {', '.join(user.roles)})")


async def _create_admin(
    settings: Settings, email: str, password: str, promote_existing: bool
) -> tuple[Any, bool]:
    url, embedded = await asyncio.to_thread(
        mongodb_url, settings.mongodb_url, settings.data_dir / "mongo"
    )
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        url, tz_aware=True, serverSelectionTimeoutMS=5000
    )
    try:
        # Only the auth database: creating an admin needs no Ray (not the whole root).
        users = UsersStore(database(client, settings, "auth"))
        await users.ensure_indexes()  # the unique email index, if the API never ran
        return await ensure_admin(users, PasswordHasher(), email, password, promote_existing)
    finally:
        await client.close()
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    app()
