"""``watchhouse patrols``: patrol plans from a forecast, fairness across districts, tension indicators."""

from __future__ import annotations

import json
from pathlib import Path

import typer

patrols_app = typer.Typer(help="Patrol plans from a forecast, fairness across districts, community tension indicators.",
                          no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(patrols_app, name="patrols")


def _console():
    """Rich console; written to a file or pipe, wide enough that tables keep names whole."""
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=160)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


@patrols_app.command("plan")
def plan_command(
    forecast: Path = typer.Option(..., "--forecast", help="Forecast GeoJSON (watchhouse forecast --out)."),
    hours_per_shift: float = typer.Option(..., "--hours-per-shift", help="Patrol hours each officer has in the shift."),
    officers: int = typer.Option(..., "--officers", help="Officers on patrol this shift."),
    visit_minutes: float = typer.Option(15.0, "--visit-minutes", help="Minutes per visit (Koper curve: 10-15)."),
    travel_minutes: float = typer.Option(10.0, "--travel-minutes", help="Travel minutes allowed per visit."),
    overhead_share: float = typer.Option(0.0, "--overhead-share", help="Share of the shift lost to briefings, breaks, calls."),
    min_visits: int = typer.Option(1, "--min-visits-per-neighbourhood", help="Visits every neighbourhood gets at least."),
    max_visits: int | None = typer.Option(None, "--max-visits-per-hotspot",
                                          help="Cap per hotspot (default: one per 2 hours of shift)."),
    visit_effect: float = typer.Option(0.25, "--visit-effect", help="Share of the remaining harm one visit prevents."),
    hotspots: int = typer.Option(200, "--hotspots", help="Candidate hotspots offered to the optimiser."),
    neighbourhoods: Path | None = typer.Option(None, "--neighbourhoods",
                                               help="GeoJSON of neighbourhood polygons; without it, k-means clusters of cells."),
    clusters: int = typer.Option(50, "--clusters", help="How many clusters stand in for neighbourhoods without a file."),
    events: Path | None = typer.Option(None, "--events",
                                       help="EVENTS.csv whose categories give harm weights per cell (for a count "
                                            "forecast; a forecast already weighted by harm needs no --events)."),
    out: Path | None = typer.Option(None, "--out", help="Write the planned hotspots as GeoJSON here."),
) -> None:
    """Allocate a shift's patrol visits to hotspots with HiGHS, beside the naive top-cells plan."""
    from watchhouse.patrols.from_forecast import plan_from_forecast
    from watchhouse.patrols.inputs import PatrolInputError
    from watchhouse.patrols.plan import InfeasiblePlan

    try:
        result = plan_from_forecast(
            forecast, hours_per_shift, officers, neighbourhoods_path=neighbourhoods, events_path=events,
            hotspots=hotspots, clusters=clusters, min_visits_per_neighbourhood=min_visits,
            max_visits_per_hotspot=max_visits, visit_minutes=visit_minutes, travel_minutes=travel_minutes,
            overhead_share=overhead_share, visit_effect=visit_effect,
        )
    except InfeasiblePlan as error:
        raise _fail(f"the plan is infeasible: {error}") from None
    except (PatrolInputError, ValueError) as error:
        raise _fail(str(error)) from None
    except RuntimeError as error:  # HiGHS stopped (time limit) without a proven optimum
        raise _fail(str(error)) from None
    _print_plan(result)
    if out is not None:
        out.write_text(json.dumps(result.to_geojson(), separators=(",", ":")))
        typer.echo(f"wrote {out}")


def _print_plan(result) -> None:
    from rich.table import Table

    plan = result.plan
    console = _console()
    for note in result.notes:
        console.print(f"note: {note}")
    console.print(f"neighbourhoods: {result.neighbourhood_source}")
    console.print(f"harm: {result.harm_source}")
    table = Table(title=f"Patrol plan: {plan.optimal.visits_total} visits to "
                        f"{sum(1 for v in plan.optimal.visits.values() if v)} hotspots")
    for column in ("hotspot", "neighbourhood", "harm", "visits", "naive visits", "harm prevented"):
        table.add_column(column, justify="left" if column in ("hotspot", "neighbourhood") else "right")
    ranked = sorted(plan.hotspots, key=lambda h: (-plan.optimal.visits[h.id], -h.harm, h.id))
    shown = [h for h in ranked if plan.optimal.visits[h.id]][:25]
    from watchhouse.patrols.plan import harm_prevented

    for hotspot in shown:
        visits = plan.optimal.visits[hotspot.id]
        table.add_row(hotspot.id, hotspot.neighbourhood, f"{hotspot.harm:.3g}", str(visits),
                      str(plan.naive.visits[hotspot.id]), f"{harm_prevented(hotspot.harm, visits, plan.visit_effect):.3g}")
    console.print(table)
    if len(shown) < sum(1 for v in plan.optimal.visits.values() if v):
        console.print(f"(the {len(shown)} busiest of {sum(1 for v in plan.optimal.visits.values() if v)} visited hotspots shown)")

    summary = Table(title="Optimal plan against the naive plan (top cells by count, equal visits)")
    summary.add_column("")
    summary.add_column("optimal", justify="right")
    summary.add_column("naive", justify="right")
    summary.add_row("visits", str(plan.optimal.visits_total), str(plan.naive.visits_total))
    summary.add_row("hours used / available", f"{plan.optimal.hours_used:.1f} / {plan.hours_available:.1f}",
                    f"{plan.naive.hours_used:.1f} / {plan.hours_available:.1f}")
    summary.add_row("expected harm prevented", f"{plan.optimal.expected_harm_prevented:.4g}",
                    f"{plan.naive.expected_harm_prevented:.4g}")
    summary.add_row("harm at visited hotspots", f"{plan.optimal.harm_at_visited_hotspots:.4g}",
                    f"{plan.naive.harm_at_visited_hotspots:.4g}")
    summary.add_row(f"neighbourhoods below {plan.min_visits_per_neighbourhood} visit(s)",
                    str(len(plan.optimal.neighbourhoods_below_cover)), str(len(plan.naive.neighbourhoods_below_cover)))
    console.print(summary)
    console.print(f"optimal / naive expected harm prevented: {plan.gain_over_naive:.3f}x; "
                  f"HiGHS status {plan.status} in {plan.solve_seconds:.2f} s over {len(plan.hotspots)} candidate hotspots "
                  f"and {len(plan.neighbourhoods)} neighbourhoods")
    _print_fairness(console, result.fairness, "neighbourhood")


def _print_fairness(console, report, unit: str, rows: int = 8) -> None:
    from rich.table import Table

    table = Table(title=f"Fairness: shares by {unit}, the {rows} most out of line with harm")
    for column in (unit, "harm share", "flagged area share", "patrol hours share", "hours / harm"):
        table.add_column(column, justify="left" if column == unit else "right")
    for district in report.most_out_of_line(rows):
        table.add_row(district.district, f"{district.harm_share:.1%}", f"{district.flagged_area_share:.1%}",
                      f"{district.patrol_hours_share:.1%}", f"{district.hours_to_harm:.2f}")
    console.print(table)
    console.print(f"patrol hours that would have to move between {unit}s to match harm: {report.hours_dissimilarity:.1%}; "
                  f"flagged area: {report.flagged_dissimilarity:.1%}")


@patrols_app.command("fairness")
def fairness_command(
    forecast: Path = typer.Option(..., "--forecast", help="Forecast GeoJSON the plan was made from."),
    plan: Path = typer.Option(..., "--plan", help="Plan GeoJSON written by 'watchhouse patrols plan --out'."),
    districts: Path | None = typer.Option(None, "--districts",
                                          help="GeoJSON of district polygons; without it, the plan's neighbourhoods."),
    events: Path | None = typer.Option(None, "--events", help="EVENTS.csv for harm weights, as given to the plan."),
) -> None:
    """How flagged area and patrol hours fall across districts, against each district's share of harm."""
    from watchhouse.patrols.from_forecast import harm_from_events
    from watchhouse.patrols.inputs import PatrolInputError, cluster_names, locate, read_forecast, read_neighbourhoods
    from watchhouse.predict.feedback import district_fairness

    notes = []
    try:
        cells = read_forecast(forecast)
        planned, clusters = _read_plan(plan)
        harm = cells.scores.copy()
        if events is not None:
            multipliers, _, notes = harm_from_events(cells, events)
            harm = harm * multipliers
        if districts is not None:
            district = locate(cells.centroids, read_neighbourhoods(districts))
            unit = "district"
        elif clusters is not None:
            district = cluster_names(cells.centroids, clusters)  # the plan's own clusters, re-derived
            unit = "neighbourhood"
        else:
            district = _districts_from_plan(cells, planned)
            unit = "neighbourhood"
            notes.append("the plan used a neighbourhood file; without --districts each cell takes the "
                         "neighbourhood of the nearest planned hotspot")
    except (PatrolInputError, ValueError) as error:
        raise _fail(str(error)) from None
    console = _console()
    for note in notes:
        console.print(f"note: {note}")
    inside = [i for i, d in enumerate(district) if d is not None]
    index_of = {cell_id: i for i, cell_id in enumerate(cells.ids)}
    hours = [0.0] * len(cells)
    flagged = [False] * len(cells)
    for cell_id, (_, minutes) in planned.items():
        if cell_id in index_of:
            hours[index_of[cell_id]] = minutes / 60.0
            flagged[index_of[cell_id]] = True
    report = district_fairness([district[i] for i in inside], harm[inside], [hours[i] for i in inside],
                               [flagged[i] for i in inside])
    _print_fairness(console, report, unit, rows=len(report.districts))


def _read_plan(path: Path) -> tuple[dict[str, tuple[str, float]], int | None]:
    """(cell id -> (neighbourhood, patrol minutes), k of the plan's k-means neighbourhoods or None)."""
    from watchhouse.patrols.inputs import PatrolInputError

    try:
        raw = json.loads(path.read_text())
    except FileNotFoundError:
        raise PatrolInputError(f"{path}: no such plan file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise PatrolInputError(f"{path}: not valid JSON ({error})") from None
    features = raw.get("features") if isinstance(raw, dict) else None
    if not isinstance(features, list):
        raise PatrolInputError(f"{path}: expected the GeoJSON FeatureCollection 'watchhouse patrols plan --out' writes")
    planned = {}
    for index, feature in enumerate(features):
        properties = (feature or {}).get("properties") or {}
        if "hotspot" not in properties or not isinstance(properties.get("patrol_minutes"), (int, float)):
            raise PatrolInputError(f"{path}: feature {index} lacks 'hotspot' or 'patrol_minutes'; not a patrol plan")
        planned[str(properties["hotspot"])] = (str(properties.get("neighbourhood")), float(properties["patrol_minutes"]))
    clusters = (raw.get("properties") or {}).get("neighbourhood_clusters")
    return planned, clusters if isinstance(clusters, int) and clusters > 0 else None


def _districts_from_plan(cells, planned) -> list:
    """Every cell takes the neighbourhood of the nearest planned hotspot (the plan names only those)."""
    import numpy as np

    from watchhouse.patrols.inputs import PatrolInputError, local_metres

    index_of = {cell_id: i for i, cell_id in enumerate(cells.ids)}
    known = [(index_of[c], n) for c, (n, _) in planned.items() if c in index_of]
    if not known:
        raise PatrolInputError("no hotspot of the plan is a cell of this forecast; were they made together?")
    from scipy.spatial import cKDTree

    xy = local_metres(cells.centroids)
    _, nearest = cKDTree(xy[[i for i, _ in known]]).query(xy)
    return [known[int(k)][1] for k in np.atleast_1d(nearest)]


@patrols_app.command("tension")
def tension_command(
    events: Path | None = typer.Option(None, "--events", help="EVENTS.csv (id,lon,lat,occurred_at,category)."),
    police_uk: list[Path] = typer.Option([], "--police-uk",
                                         help="data.police.uk street CSV(s) instead of --events: monthly counts."),
    neighbourhoods: Path | None = typer.Option(None, "--neighbourhoods",
                                               help="GeoJSON of neighbourhood polygons; without it, k-means clusters."),
    clusters: int = typer.Option(50, "--clusters", help="Clusters standing in for neighbourhoods without a file."),
    period: str = typer.Option("week", "--period", help="week or month (police.uk files are always monthly)."),
    as_of: str | None = typer.Option(None, "--as-of",
                                     help="Use events before this date; default: drop the last, possibly partial, period."),
    alpha: float = typer.Option(0.01, "--alpha", help="Nominal false-alarm rate per area, indicator and period."),
    baseline_periods: int = typer.Option(26, "--baseline-periods", help="Earlier periods forming the baseline."),
    show_all: bool = typer.Option(False, "--all", help="List every indicator, not only the flagged ones."),
) -> None:
    """Flag significant rises in anti-social behaviour, violence, hate crime and repeat locations."""
    from watchhouse.patrols.inputs import PatrolInputError
    from watchhouse.patrols.tension_report import tension_report

    try:
        report = tension_report(events=events, police_uk=police_uk, neighbourhoods_path=neighbourhoods,
                                clusters=clusters, period=period, as_of=as_of, alpha=alpha,
                                baseline_periods=baseline_periods)
    except (PatrolInputError, ValueError) as error:
        raise _fail(str(error)) from None
    _print_tension(report, show_all)


def _print_tension(report, show_all: bool) -> None:
    from rich.table import Table

    console = _console()
    for note in report.notes:
        console.print(f"note: {note}")
    console.print(f"areas: {report.area_source}")
    results = report.indicators
    tested = [r for r in results if r.p_value is not None]
    flagged = [r for r in results if r.flagged]
    shown = results if show_all else flagged
    if shown:
        table = Table(title="Tension indicators" + ("" if show_all else ": significant rises"))
        for column in ("area", "indicator", "period", "latest", "expected", "ratio", "p-value", "flag", "note"):
            table.add_column(column, justify="right" if column in ("latest", "expected", "ratio", "p-value") else "left")
        for r in sorted(shown, key=lambda r: (r.p_value is None, r.p_value or 0, r.area, r.indicator)):
            table.add_row(r.area, r.indicator, r.period, f"{r.latest:.3g}",
                          "" if r.expected is None else f"{r.expected:.3g}",
                          "" if r.ratio is None else f"{r.ratio:.2f}",
                          "" if r.p_value is None else f"{r.p_value:.2g}", "RISE" if r.flagged else "", r.note)
        console.print(table)
    console.print(f"{len(tested)} indicator series tested, {len(flagged)} flagged; {len(results) - len(tested)} not tested "
                  f"(baseline too short)")
    if tested:
        for test in sorted({r.test for r in tested}):
            console.print(f"test: {test}")
        console.print(f"alpha {report.alpha:g} per series: about {report.alpha * len(tested):.1f} false flag(s) "
                      "expected by chance")
    backtest = report.history_false_alarms
    if backtest.tests:
        console.print(f"false alarms on this history (the count test back-applied to {backtest.tests} past "
                      f"area-periods): {backtest.rate:.2%} against a nominal {report.alpha:.2%} (an upper bound: some "
                      "past rises may have been real)")
    else:
        console.print("false alarms on this history: no past period has a long enough baseline to measure them")
