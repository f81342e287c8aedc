"""Tension indicators straight from an events file or police.uk street CSVs: what
``watchhouse patrols tension`` and a web page call. Places every event in a neighbourhood
(polygons, or k-means clusters of event locations), counts per week or month, tests the latest
period of each series and measures the test's false-alarm rate on the same history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from watchhouse.patrols.inputs import PatrolInputError, cluster_names, locate, read_neighbourhoods
from watchhouse.predict.tension import (
    DEFAULT_ALPHA,
    DEFAULT_BASELINE_PERIODS,
    DEFAULT_MIN_BASELINE_PERIODS,
    AlarmBacktest,
    Indicator,
    backtest_false_alarms,
    tension_counts,
    tension_indicators,
)


@dataclass(frozen=True)
class TensionReport:
    indicators: list[Indicator]
    counts: object  # the pandas DataFrame the indicators were tested on
    history_false_alarms: AlarmBacktest  # the count test back-applied to every past period
    alpha: float
    area_source: str
    notes: list[str]


def tension_report(
    *,
    events: str | Path | None = None,
    police_uk: Sequence[str | Path] = (),
    neighbourhoods_path: str | Path | None = None,
    clusters: int = 50,
    period: str = "week",
    as_of: str | None = None,
    alpha: float = DEFAULT_ALPHA,
    baseline_periods: int = DEFAULT_BASELINE_PERIODS,
) -> TensionReport:
    """Indicators for the last complete period before ``as_of`` (default: the data's last
    period is dropped as possibly partial, for timestamped events). Give ``events`` (EVENTS.csv)
    or ``police_uk`` (street CSVs, always monthly)."""
    if period not in ("week", "month"):
        raise ValueError(f"period must be week or month, got {period!r}")
    if (events is None) == (not police_uk):
        raise ValueError("give either events (EVENTS.csv) or police.uk street CSVs")
    if events is not None:
        frame, notes = _timestamped_events(Path(events), as_of)
    else:
        frame, notes = _police_uk_events([Path(p) for p in police_uk], as_of)
    if frame.empty:
        raise PatrolInputError("no events left to count")
    frame["area"], area_source = _areas(frame[["lon", "lat"]].to_numpy(dtype=float), neighbourhoods_path, clusters)
    outside = int(frame["area"].isna().sum())
    if outside:
        notes.append(f"{outside} event(s) outside every neighbourhood left out")
    counts = tension_counts(frame, freq="W" if period == "week" else "M")
    if as_of is None and events is not None:
        last = counts["period"].max()
        counts = counts[counts["period"] != last]
        notes.append(f"left out the last period ({last}), which the data may not cover in full; give as-of to choose")
    indicators = tension_indicators(counts, alpha=alpha, baseline_periods=baseline_periods,
                                    min_baseline_periods=min(DEFAULT_MIN_BASELINE_PERIODS, baseline_periods))
    count_series = [g["count"].to_numpy() for _, g in counts[counts["total"].isna()].groupby(["area", "indicator"])]
    history = backtest_false_alarms(count_series, alpha=alpha, baseline_periods=baseline_periods,
                                    min_baseline_periods=min(DEFAULT_MIN_BASELINE_PERIODS, baseline_periods))
    return TensionReport(indicators, counts, history, alpha, area_source, notes)


def _timestamped_events(path: Path, as_of: str | None):
    import pandas as pd

    from watchhouse.predict import EventsError, load_events
    from watchhouse.predict.events import days_since_epoch, parse_as_of

    try:
        loaded, skipped = load_events(path)
        if as_of is not None:
            loaded = loaded.before(days_since_epoch(parse_as_of(as_of)))
    except EventsError as error:
        raise PatrolInputError(str(error)) from None
    notes = [skipped.summary(str(path))] if skipped.total_skipped else []
    frame = pd.DataFrame({"category": loaded.category, "lon": loaded.lon, "lat": loaded.lat,
                          "occurred_at": pd.to_datetime(loaded.t, unit="D").round("s")})
    return frame, notes


def _police_uk_events(paths: list[Path], as_of: str | None):
    import pandas as pd

    frames = []
    for path in paths:
        try:
            frames.append(pd.read_csv(path, usecols=["Month", "Longitude", "Latitude", "Crime type"], dtype=str))
        except FileNotFoundError:
            raise PatrolInputError(f"{path}: no such police.uk file") from None
        except ValueError as error:
            raise PatrolInputError(f"{path}: not a data.police.uk street CSV ({error})") from None
    raw = pd.concat(frames, ignore_index=True)
    lon = pd.to_numeric(raw["Longitude"], errors="coerce")
    lat = pd.to_numeric(raw["Latitude"], errors="coerce")
    usable = lon.notna() & lat.notna() & raw["Month"].notna() & raw["Crime type"].notna()
    notes = []
    if (~usable).any():
        notes.append(f"{int((~usable).sum())} police.uk row(s) without a location, month or type left out")
    frame = pd.DataFrame({"category": raw["Crime type"], "lon": lon, "lat": lat, "month": raw["Month"]})[usable]
    if as_of is not None:
        frame = frame[frame["month"] < as_of[:7]]
    return frame.reset_index(drop=True), notes


def _areas(points: np.ndarray, neighbourhoods_path, clusters: int):
    if neighbourhoods_path is not None:
        return locate(points, read_neighbourhoods(neighbourhoods_path)), f"file {Path(neighbourhoods_path).name}"
    # Cluster the distinct locations: cheaper than every event, and the same areas.
    distinct, inverse = np.unique(np.round(points, 6), axis=0, return_inverse=True)
    names = cluster_names(distinct, clusters)
    return names[np.ravel(inverse)], f"k-means clusters of event locations ({len(set(names))}); no neighbourhood file given"
