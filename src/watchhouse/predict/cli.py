"""``watchhouse forecast`` and ``watchhouse backtest``: the command-line contract of issue 5."""

from __future__ import annotations

from pathlib import Path

import typer


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _load(events_path: Path):
    from watchhouse.predict import EventsError, load_events

    try:
        events, report = load_events(events_path)
    except EventsError as error:
        _fail(str(error))
    typer.echo(report.summary(str(events_path)), err=True)
    if len(events) == 0:
        _fail(f"{events_path}: no usable events (every row was skipped)")
    return events


def forecast(
    events: Path = typer.Option(..., "--events", help="CSV with columns id,lon,lat,occurred_at,category"),
    as_of: str = typer.Option(..., "--as-of", help="ISO 8601 date or date-time; only events before it are used"),
    horizon_days: float = typer.Option(..., "--horizon-days", help="forecast window length in days"),
    out: Path = typer.Option(..., "--out", help="GeoJSON file to write"),
    cell_size: float = typer.Option(200.0, "--cell-size", help="grid cell size in metres"),
    method: str = typer.Option("auto", "--method", help="auto, recent, long-run, kde, prospective or sepp"),
    category: str = typer.Option(None, "--category", help="only events of this category"),
) -> None:
    """Forecast risk per grid cell for [as-of, as-of + horizon) and write it as GeoJSON."""
    from watchhouse.predict import EventsError, ForecastError, StudyAreaError, forecast_grid
    from watchhouse.predict.methods import get_method

    try:
        get_method(method)
    except KeyError as error:
        _fail(error.args[0])
    loaded = _load(events)
    try:
        result = forecast_grid(loaded, as_of, horizon_days, cell_size=cell_size, method=method, category=category)
    except (EventsError, ForecastError, StudyAreaError) as error:
        _fail(str(error))
    for note in result.details.get("notes", []):
        typer.echo(f"note: {note}", err=True)
    if "description" in result.details:
        typer.echo(result.details["description"], err=True)
    try:
        result.write_geojson(out)
    except OSError as error:
        _fail(f"cannot write {out}: {error}")
    typer.echo(
        f"wrote {result.grid.n_cells} cells ({result.grid.cell_size:g} m, {result.grid.projection.crs.to_string()}) "
        f"from {result.history_events} events before {result.as_of.isoformat()} to {out}",
        err=True,
    )


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast)
