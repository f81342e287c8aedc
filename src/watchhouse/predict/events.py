"""Point events (``id,lon,lat,occurred_at,category``) read from CSV, with bad rows reported.

Times are kept as float days since 1970-01-01 in the events' own naive local time, so every
method works in one unit and a window is a pair of floats.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REQUIRED_COLUMNS = ("id", "lon", "lat", "occurred_at", "category")
_EPOCH = np.datetime64("1970-01-01T00:00:00", "s")
_SECONDS_PER_DAY = 86400.0


class EventsError(ValueError):
    """The events cannot be used at all (missing file or columns, nothing valid, no history)."""


@dataclass(frozen=True)
class Events:
    """Events sorted by time; ``t`` is days since 1970-01-01 (naive local time)."""

    ids: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    t: np.ndarray
    category: np.ndarray

    def __post_init__(self) -> None:
        n = len(self.t)
        for name in ("ids", "lon", "lat", "category"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"Events.{name} has {len(getattr(self, name))} values, t has {n}")
        if n > 1 and np.any(np.diff(self.t) < 0):
            raise ValueError("Events must be sorted by time; build them with Events.from_arrays")

    @classmethod
    def from_arrays(cls, ids, lon, lat, t, category) -> Events:
        order = np.argsort(np.asarray(t, dtype=float), kind="stable")
        return cls(
            ids=np.asarray(ids, dtype=object)[order],
            lon=np.asarray(lon, dtype=float)[order],
            lat=np.asarray(lat, dtype=float)[order],
            t=np.asarray(t, dtype=float)[order],
            category=np.asarray(category, dtype=object)[order],
        )

    def __len__(self) -> int:
        return len(self.t)

    def subset(self, mask_or_index) -> Events:
        return Events(
            self.ids[mask_or_index],
            self.lon[mask_or_index],
            self.lat[mask_or_index],
            self.t[mask_or_index],
            self.category[mask_or_index],
        )

    def before(self, t_days: float) -> Events:
        """Events strictly before ``t_days``."""
        return self.subset(slice(0, int(np.searchsorted(self.t, t_days, side="left"))))

    def of_category(self, name: str) -> Events:
        wanted = _norm_category(name)
        return self.subset(np.array([_norm_category(c) == wanted for c in self.category], dtype=bool))


def _norm_category(name: object) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


@dataclass
class SkipReport:
    """Rows that were read and rows skipped, by reason, with a few line numbers for each."""

    read: int = 0
    kept: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    example_lines: dict[str, list[int]] = field(default_factory=dict)

    def add(self, reason: str, line_numbers: np.ndarray) -> None:
        if len(line_numbers) == 0:
            return
        self.skipped[reason] = self.skipped.get(reason, 0) + int(len(line_numbers))
        self.example_lines.setdefault(reason, []).extend(int(n) for n in line_numbers[:5])

    @property
    def total_skipped(self) -> int:
        return sum(self.skipped.values())

    def summary(self, source: str = "events") -> str:
        if not self.skipped:
            return f"{source}: read {self.read} rows, kept all"
        parts = [
            f"{count} {reason} (e.g. line {', '.join(map(str, self.example_lines[reason][:3]))})"
            for reason, count in sorted(self.skipped.items())
        ]
        return f"{source}: read {self.read} rows, kept {self.kept}, skipped {self.total_skipped}: " + "; ".join(parts)


def days_since_epoch(value: dt.datetime | dt.date | np.datetime64) -> float:
    stamp = np.datetime64(value, "s")
    return float((stamp - _EPOCH) / np.timedelta64(1, "s")) / _SECONDS_PER_DAY


def datetime_from_days(days: float) -> dt.datetime:
    return dt.datetime(1970, 1, 1) + dt.timedelta(days=float(days))


def parse_as_of(text: str) -> dt.datetime:
    """An ISO 8601 date (``2021-07-03``) or naive date-time (``2021-07-03T00:00:00``)."""
    raw = text.strip()
    try:
        if len(raw) == 10:
            return dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
        parsed = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise EventsError(
            f"--as-of {text!r} is not an ISO 8601 date (2021-07-03) or date-time (2021-07-03T00:00:00)"
        ) from None
    # Event times are naive local time; an offset on as-of is dropped, keeping the wall clock.
    return parsed.replace(tzinfo=None)


def _parse_times(raw) -> np.ndarray:
    """ISO 8601 strings -> float days; NaN where unparsable. Offsets are dropped (wall clock kept)."""
    import warnings

    import pandas as pd

    text = pd.Series(raw, dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas warns about mixed offsets; they are handled below
        try:
            stamps = pd.to_datetime(text, format="ISO8601", errors="coerce")
        except (ValueError, TypeError):
            stamps = None
        if stamps is None or not pd.api.types.is_datetime64_any_dtype(stamps):
            # Mixed offsets (or offsets mixed with naive times): the contract is naive local
            # wall-clock time, so strip the offsets and read the wall clock.
            stripped = text.astype(str).str.strip().str.replace(r"(Z|[+-]\d{2}:?\d{2})$", "", regex=True)
            stamps = pd.to_datetime(stripped, format="ISO8601", errors="coerce")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    seconds = (stamps - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy(dtype=float, na_value=np.nan)
    return seconds / _SECONDS_PER_DAY


def _numbers(column) -> np.ndarray:
    import pandas as pd

    if pd.api.types.is_numeric_dtype(column):
        return column.to_numpy(dtype=float)
    return pd.to_numeric(column.astype(str).str.strip(), errors="coerce").to_numpy(dtype=float)


def _read_fast(path: Path) -> dict[str, np.ndarray] | None:
    """Columns by lower-cased name, read by DuckDB's CSV reader: several times faster than pandas,
    whose import alone costs most of a second of the forecast's budget. Coordinates come back as
    floats (NaN where not a number), times as text. None when the file is anything but a plain
    CSV with the required columns; the pandas reader then reads it and words the error."""
    import duckdb

    try:
        with duckdb.connect() as con:
            names = [row[0] for row in con.execute(
                "DESCRIBE SELECT * FROM read_csv(?, all_varchar = true, header = true, delim = ',', quote = '\"')",
                [str(path)],
            ).fetchall()]
            lowered = {str(n).strip().lower(): n for n in names}
            if len(lowered) != len(names) or any(c not in lowered for c in REQUIRED_COLUMNS):
                return None

            def quoted(column: str) -> str:
                return '"' + lowered[column].replace('"', '""') + '"'

            number = "coalesce(try_cast(trim({}) AS DOUBLE), 'NaN'::DOUBLE)"
            columns = con.execute(
                f"SELECT coalesce({quoted('id')}, '') AS id, {number.format(quoted('lon'))} AS lon, "
                f"{number.format(quoted('lat'))} AS lat, coalesce(trim({quoted('occurred_at')}), '') AS occurred_at, "
                f"coalesce({quoted('category')}, '') AS category "
                "FROM read_csv(?, all_varchar = true, header = true, delim = ',', quote = '\"')",
                [str(path)],
            ).fetchnumpy()
    except duckdb.Error:
        return None
    if len(columns["id"]) == 0:
        return None
    return {name: np.asarray(values) for name, values in columns.items()}


def _parse_times_fast(text: np.ndarray) -> np.ndarray:
    """Plain ISO 8601 times without offsets, parsed by numpy; anything else goes to ``_parse_times``."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy only warns about an offset: send those to pandas
        try:
            stamps = text.astype("datetime64[ms]")
        except (ValueError, TypeError, UserWarning, DeprecationWarning):
            return _parse_times(text)
    seconds = (stamps - _EPOCH).astype("timedelta64[ms]").astype(float) / 1000.0
    seconds[np.isnat(stamps)] = np.nan
    return seconds / _SECONDS_PER_DAY


def _read_pandas(path: Path) -> dict[str, np.ndarray]:
    import pandas as pd

    try:
        # Every column as text: the header's case is only normalised afterwards, so per-column
        # types would miss an "ID" column and turn its values into floats.
        frame = pd.read_csv(path, skipinitialspace=True, dtype=str, keep_default_na=False, na_values=[""],
                            low_memory=False)
    except pd.errors.EmptyDataError:
        raise EventsError(f"{path}: the file is empty; expected a header {','.join(REQUIRED_COLUMNS)}") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise EventsError(f"{path}: not a readable CSV file ({error})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise EventsError(
            f"{path}: missing column(s) {', '.join(missing)}; expected {','.join(REQUIRED_COLUMNS)}"
        )
    return {
        "id": frame["id"].fillna("").to_numpy(dtype=object),
        "lon": _numbers(frame["lon"]),
        "lat": _numbers(frame["lat"]),
        "occurred_at": _parse_times(frame["occurred_at"]),
        "category": frame["category"].fillna("").to_numpy(dtype=object),
    }


def load_events(path: str | Path) -> tuple[Events, SkipReport]:
    """Read EVENTS.csv (``id,lon,lat,occurred_at,category``); bad rows are skipped and counted."""
    path = Path(path)
    if not path.is_file():
        raise EventsError(f"{path}: no such events file")
    columns = _read_fast(path)
    if columns is None:
        columns = _read_pandas(path)
    else:
        columns["occurred_at"] = _parse_times_fast(columns["occurred_at"])
    lon, lat, t = columns["lon"], columns["lat"], columns["occurred_at"]
    report = SkipReport(read=len(t))
    line_numbers = np.arange(len(t)) + 2  # line 1 is the header

    missing_coords = np.isnan(lon) | np.isnan(lat)
    impossible = ~missing_coords & (
        (np.abs(lon) > 180) | (np.abs(lat) > 90) | ~np.isfinite(lon) | ~np.isfinite(lat) | ((lon == 0) & (lat == 0))
    )
    bad_time = ~missing_coords & ~impossible & np.isnan(t)
    report.add("missing coordinates", line_numbers[missing_coords])
    report.add("impossible coordinates (outside lon -180..180, lat -90..90, or 0,0)", line_numbers[impossible])
    report.add("unparsable occurred_at", line_numbers[bad_time])
    keep = ~(missing_coords | impossible | bad_time)
    report.kept = int(keep.sum())
    ids = columns["id"].astype(object)
    category = columns["category"].astype(object)
    events = Events.from_arrays(ids[keep], lon[keep], lat[keep], t[keep], category[keep])
    return events, report
