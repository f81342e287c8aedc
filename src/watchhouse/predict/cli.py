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
    reported_only: bool = typer.Option(
        True, "--reported-only/--all-offences",
        help="train on offences the public reports, leaving out those mostly found by patrols (drugs, weapon "
             "possession), so forecasts do not follow where police already look (the default)",
    ),
) -> None:
    """Forecast risk per grid cell for [as-of, as-of + horizon) and write it as GeoJSON."""
    from watchhouse.predict import EventsError, ForecastError, StudyAreaError, forecast_grid
    from watchhouse.predict.methods import get_method

    try:
        get_method(method)
    except KeyError as error:
        _fail(error.args[0])
    from watchhouse.predict.harm import is_proactive

    loaded = _load(events)
    # Asking for a proactive category by name is asking for exactly those offences.
    reported_only = reported_only and not (category and is_proactive(category))
    try:
        result = forecast_grid(
            loaded, as_of, horizon_days, cell_size=cell_size, method=method, category=category,
            reported_only=reported_only,
        )
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


def _coverages(text: str) -> list[float]:
    try:
        values = [float(part) for part in text.split(",") if part.strip()]
    except ValueError:
        _fail(f"--coverage {text!r}: expected comma-separated shares such as 0.01,0.05,0.1")
    if not values or any(not 0 < v <= 1 for v in values):
        _fail(f"--coverage {text!r}: every share must be in (0, 1]")
    return sorted(set(values))


def backtest(
    events: Path = typer.Option(..., "--events", help="CSV with columns id,lon,lat,occurred_at,category"),
    origins: int = typer.Option(..., "--origins", help="number of forecast origins, spaced by the horizon"),
    horizon_days: float = typer.Option(..., "--horizon-days", help="forecast window length in days"),
    coverage: str = typer.Option("0.01,0.05,0.1", "--coverage", help="area coverages, comma-separated shares"),
    cell_size: float = typer.Option(200.0, "--cell-size", help="grid cell size in metres"),
    methods: str = typer.Option(None, "--methods", help="comma-separated methods (default: all)"),
    json_out: Path = typer.Option(None, "--json", help="write the results as JSON"),
    csv_out: Path = typer.Option(None, "--csv", help="write the results as CSV"),
    chart: Path = typer.Option(
        None, "--chart", help="hit rate against coverage: .svg draws it, .json writes a Vega-Lite spec"
    ),
) -> None:
    """Rolling backtest: hit rate and PAI per method at each area coverage, for crimes and for harm."""
    import json

    from watchhouse.predict import ForecastError, StudyAreaError
    from watchhouse.predict.backtest import format_table, run_backtest, svg_chart, vega_lite_chart, write_csv
    from watchhouse.predict.methods import get_method

    coverages = _coverages(coverage)
    chosen = [m.strip() for m in methods.split(",") if m.strip()] if methods else None
    for name in chosen or []:
        try:
            get_method(name)
        except KeyError as error:
            _fail(error.args[0])
    if chart is not None and chart.suffix.lower() not in {".svg", ".json"}:
        _fail(f"--chart {chart}: use a .svg file (drawn chart) or .json (Vega-Lite spec)")
    loaded = _load(events)

    def progress(done: int, total: int) -> None:
        typer.echo(f"origin {done}/{total}", err=True)

    try:
        result = run_backtest(loaded, origins, horizon_days, coverages, cell_size, chosen, progress=progress)
    except (ForecastError, StudyAreaError) as error:
        _fail(str(error))
    typer.echo(format_table(result))
    try:
        if json_out:
            json_out.write_text(json.dumps(result.as_dict(), indent=2, default=float))
        if csv_out:
            write_csv(result, csv_out)
        if chart is not None:
            if chart.suffix.lower() == ".svg":
                chart.write_text(svg_chart(result))
            else:
                chart.write_text(json.dumps(vega_lite_chart(result), indent=2))
    except OSError as error:
        _fail(f"cannot write output: {error}")


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast)
    app.command("backtest")(backtest)
