"""``watchhouse synth``: write the five synthetic force systems and their truth."""

from __future__ import annotations

from pathlib import Path

import typer


def synth(
    people: int = typer.Option(..., "--people", min=1, help="How many synthetic people live in the area."),
    out: Path = typer.Option(..., "--out", help="Directory to write the systems' exports, truth.csv and manifest.json."),
    seed: int = typer.Option(0, "--seed", help="Same seed, same files."),
    load: str | None = typer.Option(None, "--load", metavar="DB_URL",
                                    help="Also load the exports into this database through the shipped mappings."),
) -> None:
    """Write command and control, crime recording, custody, intelligence and council ASB exports."""
    from rich.console import Console
    from rich.table import Table

    from watchhouse.synth.systems import LOAD_ORDER, load_systems, write_systems

    console = Console()
    with console.status(f"Generating {people:,} people and their records..."):
        report = write_systems(people, out, seed=seed)
    table = Table(title=f"synthetic systems in {out}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for name, count in report.counts.items():
        table.add_row(name, f"{count:,}")
    table.add_row("person records in truth.csv", f"{report.truth_rows:,}")
    console.print(table)
    console.print("Load with: " + "; ".join(f"watchhouse ingest source {m} {out / f}" for m, f in LOAD_ORDER[:2]) + "; ...")
    if load:
        from watchhouse.store import get_engine, upgrade

        engine = get_engine(load)
        upgrade(engine)
        result = load_systems(engine, out, progress=True)
        total = result.total
        console.print(f"Loaded {total.rows_loaded:,} rows ({total.inserted:,} records new, "
                      f"{total.rows_quarantined:,} rows quarantined).")
        for refused in result.errors:
            Console(stderr=True).print(f"[red]error:[/] {refused}", highlight=False)
        if result.errors:
            raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command("synth")(synth)
