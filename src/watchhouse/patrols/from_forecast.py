"""A patrol plan straight from a forecast GeoJSON: what ``watchhouse patrols plan`` and a web
page call. Picks the candidate hotspots, gives each its neighbourhood and harm, solves, and
reports how flagged area and patrol hours fall across neighbourhoods against their harm."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from watchhouse.patrols.inputs import (
    ForecastCells,
    PatrolInputError,
    cluster_names,
    harm_multipliers,
    locate,
    read_forecast,
    read_neighbourhoods,
)
from watchhouse.patrols.plan import Hotspot, PatrolPlan, default_max_visits, plan_patrols
from watchhouse.predict.feedback import FairnessReport, district_fairness, reported_mask


@dataclass(frozen=True)
class ForecastPlan:
    plan: PatrolPlan
    cells: ForecastCells
    neighbourhood: np.ndarray  # per cell; None outside every neighbourhood polygon
    harm: np.ndarray  # per cell
    neighbourhood_source: str  # "file ..." or "k-means clusters of forecast cells ..."
    neighbourhood_clusters: int | None  # the k asked of k-means; None with a neighbourhood file
    harm_source: str
    candidates: np.ndarray  # indices of the cells offered to the optimiser: the flagged area
    fairness: FairnessReport
    notes: list[str]

    @property
    def cells_outside(self) -> int:
        return int(sum(n is None for n in self.neighbourhood))

    def to_geojson(self) -> dict:
        collection = self.plan.to_geojson(include_unvisited=True)
        collection["properties"].update(
            neighbourhood_source=self.neighbourhood_source,
            neighbourhood_clusters=self.neighbourhood_clusters,
            harm_source=self.harm_source,
            candidate_hotspots=len(self.candidates),
            fairness_hours_dissimilarity=self.fairness.hours_dissimilarity,
            fairness_flagged_dissimilarity=self.fairness.flagged_dissimilarity,
            notes=self.notes,
        )
        return collection


def candidate_indices(harm: np.ndarray, count: np.ndarray, neighbourhood: np.ndarray, hotspots: int,
                      per_neighbourhood: int) -> np.ndarray:
    """The cells offered to the optimiser: the top ``hotspots`` by harm, the top ``hotspots`` by
    count (so the naive plan sees the analyst's map), and each neighbourhood's top
    ``per_neighbourhood`` by harm (so minimum cover can be met)."""
    inside = np.flatnonzero(np.array([n is not None for n in neighbourhood]))
    by_harm = inside[np.lexsort((inside, -harm[inside]))]
    by_count = inside[np.lexsort((inside, -count[inside]))]
    chosen = set(by_harm[:hotspots].tolist()) | set(by_count[:hotspots].tolist())
    taken: dict[object, int] = {}
    for index in by_harm:
        name = neighbourhood[index]
        if taken.get(name, 0) < per_neighbourhood:
            taken[name] = taken.get(name, 0) + 1
            chosen.add(int(index))
    return np.array(sorted(chosen), dtype=int)


def plan_from_forecast(
    forecast_path: str | Path,
    hours_per_shift: float,
    officers: int,
    *,
    neighbourhoods_path: str | Path | None = None,
    events_path: str | Path | None = None,
    hotspots: int = 200,
    clusters: int = 50,
    min_visits_per_neighbourhood: int = 1,
    max_visits_per_hotspot: int | None = None,
    **plan_options,
) -> ForecastPlan:
    if hotspots < 1:
        raise PatrolInputError(f"--hotspots must be at least 1, got {hotspots}")
    cells = read_forecast(forecast_path)
    notes: list[str] = []
    if neighbourhoods_path is not None:
        neighbourhood = locate(cells.centroids, read_neighbourhoods(neighbourhoods_path))
        source = f"file {Path(neighbourhoods_path).name}"
        outside = int(sum(n is None for n in neighbourhood))
        if outside == len(cells):
            raise PatrolInputError(f"{neighbourhoods_path}: no forecast cell's centre lies in any neighbourhood")
        if outside:
            notes.append(f"{outside} forecast cell(s) lie outside every neighbourhood and are not patrolled")
    else:
        neighbourhood = cluster_names(cells.centroids, clusters)
        source = f"k-means clusters of forecast cells ({len(set(neighbourhood))}); no neighbourhood file given"

    multipliers, harm_source = np.ones(len(cells)), "forecast score (no events given for harm weights)"
    if events_path is not None:
        multipliers, harm_source, skipped = harm_from_events(cells, Path(events_path))
        notes.extend(skipped)
    harm = cells.scores * multipliers

    cap = default_max_visits(hours_per_shift) if max_visits_per_hotspot is None else max_visits_per_hotspot
    per_neighbourhood = max(1, math.ceil(min_visits_per_neighbourhood / cap))
    candidates = candidate_indices(harm, cells.scores, neighbourhood, hotspots, per_neighbourhood)
    names = sorted({n for n in neighbourhood if n is not None})
    plan = plan_patrols(
        [
            Hotspot(cells.ids[i], str(neighbourhood[i]), harm=float(harm[i]), count=float(cells.scores[i]),
                    geometry=cells.geometries[i])
            for i in candidates
        ],
        names,
        hours_per_shift,
        officers,
        min_visits_per_neighbourhood=min_visits_per_neighbourhood,
        max_visits_per_hotspot=cap,
        **plan_options,
    )
    hours = np.zeros(len(cells))
    flagged = np.zeros(len(cells), dtype=bool)
    flagged[candidates] = True
    minutes = plan.visit_minutes + plan.travel_minutes
    for i in candidates:
        hours[i] = plan.optimal.visits[cells.ids[i]] * minutes / 60.0
    inside = np.array([n is not None for n in neighbourhood])
    fairness = district_fairness(neighbourhood[inside].tolist(), harm[inside], hours[inside], flagged[inside])
    return ForecastPlan(plan, cells, neighbourhood, harm, source, None if neighbourhoods_path else clusters,
                        harm_source, candidates, fairness, notes)


def harm_from_events(cells: ForecastCells, events_path: Path) -> tuple[np.ndarray, str, list[str]]:
    """(harm multiplier per cell, where the weights came from, notes on skipped events)."""
    from watchhouse.predict import EventsError, load_events
    from watchhouse.predict.events import days_since_epoch
    from watchhouse.predict.harm import harm_weights, load_harm_table

    try:
        events, report = load_events(events_path)
    except EventsError as error:
        raise PatrolInputError(str(error)) from None
    notes = [report.summary(str(events_path))] if report.total_skipped else []
    as_of = cells.metadata.get("as_of")
    if as_of:
        events = events.before(days_since_epoch(dt.datetime.fromisoformat(as_of)))
    reported = reported_mask(events.category)
    if (~reported).any():
        notes.append(f"{int((~reported).sum())} proactively found offence(s) (drugs, weapons, stop and search) "
                     "left out of harm weights")
    events = events.subset(reported)
    table = load_harm_table()
    multipliers = harm_multipliers(cells, events.lon, events.lat, harm_weights(events.category, table))
    before = f" before {as_of}" if as_of else ""
    return multipliers, f"forecast score x mean harm weight of {len(events)} reported events{before} ({table.source})", notes
