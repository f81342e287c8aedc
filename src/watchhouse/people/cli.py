from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    @app.command("link")
    def link_command(
        db: str = typer.Option(None, "--db", help="Database URL (default: WATCHHOUSE_DATABASE_URL)."),
        threshold: float = typer.Option(0.5, "--threshold", min=0.01, max=0.99, help="Match probability for a link."),
        review_margin: float = typer.Option(
            0.2, "--review-margin", min=0.0, max=0.99,
            help="Queue pairs scored within this much of the threshold for an analyst to confirm or split."),
    ) -> None:
        """Link every person record into master persons (record linkage), then refresh search."""
        from rich.console import Console

        from watchhouse.people.linking import link_people
        from watchhouse.store import get_engine, upgrade

        console = Console(stderr=True)
        engine = get_engine(db)
        upgrade(engine)
        with console.status("linking") as status:
            summary = link_people(engine, threshold=threshold, review_margin=review_margin,
                                  progress=lambda m: status.update(m))
        typer.echo(f"{summary.records:,} person records -> {summary.masters:,} people "
                   f"({summary.linked_records:,} records joined to another; largest person has "
                   f"{summary.largest_master} records) in {summary.seconds} s")
        typer.echo(f"{summary.review_items:,} pairs near the threshold waiting for review; "
                   f"{summary.decisions_applied:,} analysts' decisions applied")
