"""`watchhouse resolve`: link or deduplicate person files with the Splink model."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("resolve")(resolve_command)


def resolve_command(
    mapping: Path = typer.Option(..., "--mapping", help="YAML mapping of columns onto person fields."),
    records: list[Path] = typer.Option(..., "--records", help="CSV of people; give twice to link two files."),
    out: Path = typer.Option(..., "--out", help="Write links (rec_id_l,rec_id_r,match_probability) here."),
    clusters: Optional[Path] = typer.Option(None, "--clusters", help="Write rec_id,cluster_id for every record."),
    threshold: float = typer.Option(0.5, "--threshold", min=0.0, max=1.0, help="Match probability for a link."),
    quarantine: Optional[Path] = typer.Option(
        None, "--quarantine", help="Where to write rows set aside and values cleared (default: next to --out)."),
    save_model: Optional[Path] = typer.Option(None, "--save-model", help="Save the trained Splink settings JSON."),
    model_path: Optional[Path] = typer.Option(
        None, "--model", help="Use a saved Splink settings JSON instead of training."),
    seed: int = typer.Option(42, "--seed", help="Seed for u sampling (reproducible models)."),
) -> None:
    """Link records of the same person within one file (deduplicate) or across two files."""
    import time

    from rich.console import Console

    from watchhouse.resolve.engine import resolve
    from watchhouse.resolve.mapping import MappingError, load_mapping
    from watchhouse.resolve.model import load_model
    from watchhouse.resolve.prepare import UnusableFileError, prepare_records

    console = Console(stderr=True, soft_wrap=True)  # long paths and messages stay on one line
    if len(records) > 2:
        console.print("[red]error:[/red] give --records once (deduplicate) or twice (link two files)")
        raise typer.Exit(2)
    started = time.perf_counter()

    def step(message: str) -> None:
        console.print(f"[dim]{time.perf_counter() - started:7.1f}s[/dim] {message}")

    try:
        person_mapping = load_mapping(mapping)
        step(f"mapping {mapping} checked; reading {', '.join(map(str, records))}")
        prepared = prepare_records(list(records), person_mapping)
    except (MappingError, UnusableFileError) as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None

    _report_issues(prepared, quarantine or out.with_name(out.stem + ".quarantine.csv"), console)
    step(f"{len(prepared.frame):,} records ready")
    link_only = len(records) == 2
    try:
        with console.status("linking...", spinner="dots"):
            model = (load_model(model_path, prepared, link_only=link_only, threshold=threshold)
                     if model_path else None)
            result = resolve(prepared, link_only=link_only, threshold=threshold, seed=seed, model=model,
                             progress=step)
    except ValueError as error:
        console.print(f"[red]error:[/red] {error}")
        raise typer.Exit(2) from None
    for note in result.model.notes:
        console.print(f"[yellow]note:[/yellow] {note}")

    links = result.links()
    out.parent.mkdir(parents=True, exist_ok=True)
    links.to_csv(out, index=False)
    step(f"wrote {len(links):,} links to {out}")
    if clusters is not None:
        table = result.clusters()
        clusters.parent.mkdir(parents=True, exist_ok=True)
        table.to_csv(clusters, index=False)
        sizes = table["cluster_id"].value_counts()
        step(f"wrote {len(sizes):,} clusters to {clusters} ({int((sizes > 1).sum()):,} with more than one record, "
             f"largest {int(sizes.max())})")
    if save_model is not None:
        result.model.save(save_model)
        step(f"saved the model to {save_model}")


def _report_issues(prepared, path: Path, console) -> None:
    import pandas as pd

    if not prepared.issues:
        return
    frame = pd.DataFrame([issue.__dict__ for issue in prepared.issues])
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    summary = frame.groupby(["action", "field", "reason"]).size().sort_values(ascending=False)
    console.print(f"[yellow]{len(frame):,} input problem(s), listed in {path}:[/yellow]")
    for (action, field_name, reason), count in summary.head(10).items():
        console.print(f"  {count:>7,} × {field_name}: {reason} ({action})")
