"""`synthera serve` and `synthera users`: the web platform's commands.

Registered on `synthera.cli.app`. The server code is imported only when one of these
commands runs, so `synthera --help` stays fast and works without the server extra.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from synthera.cli import app, handles_user_errors, stderr
from synthera.errors import SyntheraError

users_app = typer.Typer(help="Manage the web platform's user accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder for the database and files [default: $SYNTHERA_DATA_DIR or ~/.synthera].",
    ),
]
SERVER_EXTRA = "the web server needs more packages: pip install 'synthera[server]'"


class ServerExtraMissingError(SyntheraError):
    """FastAPI, SQLAlchemy or another server dependency is not installed."""


def _server_settings(data_dir: Path | None) -> Any:
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401

        from synthera.server.config import Settings
    except ImportError as exc:
        raise ServerExtraMissingError(f"{SERVER_EXTRA} ({exc.name} is missing)") from None
    return Settings.from_env(data_dir=data_dir)


@app.command()
@handles_user_errors
def serve(
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 opens it to the network.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    data_dir: DataDirOption = None,
) -> None:
    """Start the web app (SQLite under --data-dir, or Postgres via SYNTHERA_DATABASE_URL)."""
    settings = _server_settings(data_dir)
    from synthera.server.main import serve as run_server

    run_server(settings, host=host, port=port)


@users_app.command("create")
@handles_user_errors
def users_create(
    name: Annotated[str, typer.Argument(help="The new user's sign-in name.")],
    admin: Annotated[bool, typer.Option("--admin", help="May manage other users.")] = False,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Create a user account (same --data-dir / SYNTHERA_DATABASE_URL as `serve`)."""
    settings = _server_settings(data_dir)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    from synthera.server.accounts import create_user
    from synthera.server.database import make_engine, make_sessionmaker, migrate, session_scope

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with session_scope(make_sessionmaker(engine)) as session:
            user = create_user(session, name, password, is_admin=admin)
            role = "admin" if user.is_admin else "user"
    finally:
        engine.dispose()
    stderr.print(f"created {role} [bold]{escape(name)}[/]")


@users_app.command("list")
@handles_user_errors
def users_list(data_dir: DataDirOption = None) -> None:
    """List user accounts."""
    settings = _server_settings(data_dir)
    from sqlalchemy import select

    from synthera.server.database import make_engine, make_sessionmaker, migrate
    from synthera.server.tables import User

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    try:
        migrate(engine)
        with make_sessionmaker(engine)() as session:
            for user in session.scalars(select(User).order_by(User.username)):
                typer.echo(f"{user.username}\t{'admin' if user.is_admin else 'user'}")
    finally:
        engine.dispose()
