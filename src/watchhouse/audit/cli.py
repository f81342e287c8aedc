from __future__ import annotations

import typer

audit_app = typer.Typer(help="The tamper-evident audit log (Data Protection Act 2018, s.62).", no_args_is_help=True)


def _engine(db: str | None):
    from watchhouse.store import get_engine, upgrade

    engine = get_engine(db)
    upgrade(engine)
    return engine


@audit_app.command("verify")
def verify_command(
    db: str = typer.Option(None, "--db", help="Database URL (default: WATCHHOUSE_DATABASE_URL)."),
    expect_head: str = typer.Option(None, "--expect-head", help="Head hash recorded earlier with `audit head`."),
) -> None:
    """Check the whole hash chain; name the first altered, removed or reordered entry."""
    import time

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from watchhouse.audit import head, verify

    engine = _engine(db)
    total, _ = head(engine)
    console = Console(stderr=True)
    started = time.perf_counter()
    with Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as progress:
        task = progress.add_task("Verifying audit chain", total=total)
        result = verify(engine, expect_head=expect_head, progress=lambda n: progress.advance(task, n))
    elapsed = time.perf_counter() - started
    if result.ok:
        typer.echo(f"audit chain intact: {result.checked} entries verified in {elapsed:.1f} s")
        return
    where = f"first bad entry: {result.first_bad_seq}. " if result.first_bad_seq is not None else ""
    typer.echo(f"AUDIT CHAIN BROKEN: {where}{result.reason} ({result.checked} entries verified before it)", err=True)
    raise typer.Exit(code=1)


@audit_app.command("head")
def head_command(db: str = typer.Option(None, "--db", help="Database URL.")) -> None:
    """Print the latest entry number and hash, to record outside the database."""
    from watchhouse.audit import head

    seq, entry_hash = head(_engine(db))
    typer.echo(f"{seq} {entry_hash}")


@audit_app.command("show")
def show_command(
    db: str = typer.Option(None, "--db", help="Database URL."),
    actor: str = typer.Option(None, "--user", help="Only this user's entries."),
    record_id: str = typer.Option(None, "--record", help="Only entries about this record id."),
    since: str = typer.Option(None, "--since", help="ISO date or time (UTC), inclusive."),
    until: str = typer.Option(None, "--until", help="ISO date or time (UTC), exclusive."),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000),
) -> None:
    """List audit entries, newest first."""
    from rich.console import Console
    from rich.table import Table

    from watchhouse.audit import entries

    table = Table("seq", "at (UTC)", "user", "action", "records", "purpose", "from")
    for entry in entries(_engine(db), actor=actor, record_id=record_id, since=since, until=until, limit=limit):
        table.add_row(str(entry.seq), entry.at, entry.actor, entry.action, ", ".join(entry.record_ids),
                      entry.purpose, entry.client)
    Console().print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")
