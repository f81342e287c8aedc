from __future__ import annotations

import sys

import typer

users_app = typer.Typer(help="User accounts: roles, clearances and caveats.", no_args_is_help=True)


def _engine(db: str | None):
    from watchhouse.store import get_engine, upgrade

    engine = get_engine(db)
    upgrade(engine)
    return engine


def _fail(error: Exception) -> None:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=2)


DB = typer.Option(None, "--db", help="Database URL (default: WATCHHOUSE_DATABASE_URL).")


@users_app.command("add")
def add_command(
    name: str = typer.Argument(..., help="User name (lower case)."),
    role: str = typer.Option(..., "--role", help="call-handler, response-officer, neighbourhood-officer, "
                             "investigator, intelligence-analyst, supervisor, partner, auditor or admin."),
    clearance: str = typer.Option(..., "--clearance", help="OFFICIAL, SECRET or TOP-SECRET."),
    caveat: list[str] = typer.Option([], "--caveat", help="Handling caveat held, e.g. OFFICIAL-SENSITIVE (repeatable)."),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input."),
    db: str = DB,
) -> None:
    """Add a user. Without --password-stdin the account can sign in only through an identity provider."""
    from watchhouse.users import UserError, add_user

    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    try:
        with _engine(db).begin() as connection:
            user = add_user(connection, name, role=role, clearance=clearance, caveats=caveat, password=password)
    except (UserError, ValueError) as error:
        _fail(error)
    typer.echo(f"added {user.username}: {user.role.value}, {user.clearance.slug}"
               + (f", caveats {', '.join(sorted(user.caveats))}" if user.caveats else ""))


@users_app.command("list")
def list_command(db: str = DB) -> None:
    """List users."""
    from rich.console import Console
    from rich.table import Table

    from watchhouse.users import list_users

    table = Table("user", "role", "clearance", "caveats", "status", "last login (UTC)")
    for user in list_users(_engine(db)):
        table.add_row(user.username, user.role.value, user.clearance.slug, ", ".join(sorted(user.caveats)),
                      "disabled" if user.disabled else "active",
                      user.last_login_at.isoformat(timespec="seconds") if user.last_login_at else "")
    Console().print(table)


def _update(db: str | None, name: str, **changes) -> None:
    from watchhouse.users import UserError, update_user

    try:
        with _engine(db).begin() as connection:
            user = update_user(connection, name, **changes)
    except (UserError, ValueError) as error:
        _fail(error)
    typer.echo(f"{user.username}: {user.role.value}, {user.clearance.slug}, "
               f"{'disabled' if user.disabled else 'active'}")


@users_app.command("disable")
def disable_command(name: str, db: str = DB) -> None:
    """Disable a user: ends their sessions and revokes their tokens."""
    _update(db, name, disabled=True)


@users_app.command("enable")
def enable_command(name: str, db: str = DB) -> None:
    """Enable a disabled or locked-out user."""
    _update(db, name, disabled=False)


@users_app.command("set-role")
def set_role_command(name: str, role: str, db: str = DB) -> None:
    """Change a user's role."""
    _update(db, name, role=role)


@users_app.command("set-clearance")
def set_clearance_command(
    name: str,
    clearance: str,
    caveat: list[str] = typer.Option(None, "--caveat", help="Replace the caveats held (repeatable)."),
    db: str = DB,
) -> None:
    """Change a user's clearance (and, with --caveat, the caveats they hold)."""
    _update(db, name, clearance=clearance, caveats=caveat or None)


@users_app.command("set-password")
def set_password_command(name: str, password_stdin: bool = typer.Option(True, "--password-stdin"), db: str = DB) -> None:
    """Set a user's password, read from standard input."""
    from watchhouse.users import UserError, set_password

    try:
        with _engine(db).begin() as connection:
            set_password(connection, name, sys.stdin.readline().rstrip("\r\n"))
    except (UserError, ValueError) as error:
        _fail(error)
    typer.echo(f"password set for {name}")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
