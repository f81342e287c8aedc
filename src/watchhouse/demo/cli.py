"""``watchhouse demo`` builds the demo database and serves it; ``watchhouse serve`` serves any database."""

from __future__ import annotations

import typer

DEMO_DATABASE_URL = "sqlite:///var/watchhouse-demo.db"


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
    app.command("serve")(serve)


def _fail(message: str) -> typer.Exit:
    from rich.console import Console

    Console(stderr=True).print(f"[red]error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code=1)


def _open(database_url: str):
    """The engine for a URL, checked by connecting, or a clear error."""
    import sqlalchemy.exc

    from watchhouse.store import get_engine

    try:
        engine = get_engine(database_url)
        with engine.connect():
            pass
    except (sqlalchemy.exc.ArgumentError, sqlalchemy.exc.NoSuchModuleError, sqlalchemy.exc.OperationalError) as error:
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise _fail(f"cannot open database {database_url!r}: {reason}") from None
    return engine


def _serve(database_url: str, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from watchhouse.web.app import create_app
    from watchhouse.web.server import ServeError, serve_processes

    _open(database_url)
    if workers == 1:
        uvicorn.run(create_app(database_url), host=host, port=port, log_level="info", **proxy_options())
        return
    try:
        status = serve_processes(database_url, host, port, workers, log_level="info", **proxy_options())
    except ServeError as error:
        raise _fail(str(error)) from None
    raise typer.Exit(code=status)


def proxy_options() -> dict:
    """uvicorn's client-address settings: X-Forwarded-For is believed only from trusted proxies.

    uvicorn on its own trusts 127.0.0.1, which would let any local client pick its own address.
    """
    from watchhouse.config import trusted_proxies

    proxies = trusted_proxies()
    return {"proxy_headers": bool(proxies), "forwarded_allow_ips": ",".join(proxies) or None}


def demo(
    db: str = typer.Option(DEMO_DATABASE_URL, "--db", help="Database URL to build the demo in."),
    serve_after: bool = typer.Option(True, "--serve/--no-serve", help="Serve the site once built."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
) -> None:
    """Build the demo from the real police.uk sample (West Yorkshire, July 2016-2018), then serve it."""
    from rich.console import Console

    from watchhouse import demo as demo_build
    from watchhouse.areas import AreasError, neighbourhoods
    from watchhouse.ingest.police_uk import IngestError
    from watchhouse.sample import ATTRIBUTION, SAMPLE_FORCE

    console = Console()
    engine = _open(db)
    try:
        built = demo_build.build(engine, progress=True, say=lambda message: console.print(f"[dim]·[/] {message}"))
    except (AreasError, IngestError) as error:
        raise _fail(str(error)) from None

    console.print(
        f"[bold]Demo ready[/] in {sum(built.seconds.values()):.1f} s "
        + "(" + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in built.seconds.items()) + ")"
    )
    console.print(f"  areas: {built.forces} forces, {built.areas:,} areas in all")
    console.print(
        f"  crimes: {built.crimes_read:,} read, {built.crimes_loaded:,} new, {built.crimes_updated:,} updated, "
        f"{built.crimes_unchanged:,} unchanged, {built.crimes_quarantined:,} quarantined"
    )
    for force_code, count in built.boundaries.items():
        console.print(f"  boundaries: {count:,} approximate polygons for {force_code} (derived from crime map points)")
    for force_code in built.boundaries_skipped:
        console.print(f"  boundaries: {force_code} up to date")
    for force_code, reason in built.boundaries_failed.items():
        console.print(f"  [yellow]boundaries: none for {force_code}:[/] {reason}", highlight=False)
    console.print(f"  {SAMPLE_FORCE}: {len(neighbourhoods(engine, SAMPLE_FORCE))} neighbourhoods")
    console.print(f"  joined-up records: {built.person_records:,} synthetic person records from five systems "
                  f"linked into {built.people:,} people")
    if built.accounts:
        console.print("  [bold]demo accounts[/] (passwords shown once; sign in at /login):")
        for name, password in built.accounts.items():
            console.print(f"    {name:<11} {password}", highlight=False)
    else:
        console.print("  demo accounts already exist (analyst, officer, handler, supervisor, auditor, admin); "
                      "reset one with: watchhouse users set-password NAME --db URL")
    console.print(f"  [dim]{ATTRIBUTION}[/]")
    url = f"http://{host}:{port}/"
    if not serve_after:
        console.print(f"Serve it with: WATCHHOUSE_DATABASE_URL={db} watchhouse serve --host {host} --port {port}")
        return
    console.print(f"Serving on [bold]{url}[/] (Ctrl+C stops)")
    _serve(db, host, port)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", help="Port to listen on."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: WATCHHOUSE_DATABASE_URL)."),
    workers: int = typer.Option(1, "--workers", min=1, max=64,
                                help="Server processes, one listening socket each (a process uses one core at a time)."),
) -> None:
    """Serve the site and the police.uk-compatible API for the database in WATCHHOUSE_DATABASE_URL."""
    from watchhouse.config import database_url

    url = db or database_url()
    typer.echo(f"Serving {url} on http://{host}:{port}/" + (f" with {workers} processes" if workers > 1 else ""))
    _serve(url, host, port, workers)
