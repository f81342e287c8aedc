"""Published figures for a place: what a resident sees for their neighbourhood.

For any area (force, district, neighbourhood or LSOA) and month: crimes by category, the
total, the rate per 1,000 residents (census 2011 population), the change against the same
month a year earlier and the trend over every month loaded. A year-earlier month that was
never loaded is "no data" (``None``), never zero: zero would claim nothing happened.

Crimes count towards an area through their LSOA, so the figures are exact even where the
area's drawn boundary is only approximate.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
from dataclasses import dataclass

from sqlalchemy import Engine

from watchhouse import areas
from watchhouse.areas import Area
from watchhouse.crimes import stats
from watchhouse.crimes.categories import CRIME_CATEGORIES, NAME_BY_SLUG

ALL_CRIME = "all-crime"
_CATEGORY_ORDER = {slug: position for position, (slug, _name) in enumerate(CRIME_CATEGORIES)}

CSV_COLUMNS = (
    "area_code",
    "area_name",
    "area_level",
    "month",
    "category",
    "category_name",
    "count",
    "population",
    "rate_per_1000",
    "year_earlier_month",
    "year_earlier_count",
    "change",
    "change_percent",
)


class AreaNotFound(LookupError):
    """No area has this code."""


class MonthNotAvailable(LookupError):
    """The month is well formed but no crimes are loaded for it."""


@dataclass(frozen=True)
class CategoryFigure:
    category: str  # police.uk slug; "all-crime" for the total
    name: str
    count: int
    year_earlier_count: int | None  # None: the year-earlier month is not loaded
    population: int | None

    @property
    def rate_per_1000(self) -> float | None:
        if not self.population:
            return None
        return self.count * 1000 / self.population

    @property
    def change(self) -> int | None:
        if self.year_earlier_count is None:
            return None
        return self.count - self.year_earlier_count

    @property
    def change_percent(self) -> float | None:
        """Relative change; None when there is no earlier figure or it was zero."""
        if not self.year_earlier_count:
            return None
        return (self.count - self.year_earlier_count) * 100 / self.year_earlier_count


@dataclass(frozen=True)
class MonthTotal:
    month: str
    total: int


@dataclass(frozen=True)
class AreaFigures:
    area: Area
    path: list[Area]  # from the force down to the area itself
    month: str
    year_earlier_month: str
    year_earlier_available: bool
    categories: list[CategoryFigure]  # every category recorded in either month, in police.uk order
    total: CategoryFigure
    trend: list[MonthTotal]  # every loaded month, oldest first
    months: list[str]  # months that can be asked for

    @property
    def rate_per_1000(self) -> float | None:
        return self.total.rate_per_1000


def year_earlier(month: str) -> str:
    year, number = stats.check_month(month).split("-")
    return f"{int(year) - 1:04d}-{number}"


def available_months(engine: Engine, force_code: str | None = None) -> list[str]:
    """Months with crimes loaded (for one force if given), oldest first."""
    return stats.months_with_crimes(engine, force_code)


def area_figures(engine: Engine, area_code: str, month: str | None = None) -> AreaFigures:
    """Figures for ``area_code`` in ``month`` (the latest loaded month when None).

    Raises ValueError for a malformed month, AreaNotFound for an unknown code and
    MonthNotAvailable for a month with no crimes loaded.
    """
    return _AreaCounts.load(engine, area_code).figures(month)


def figures_csv(engine: Engine, area_code: str, month: str | None = None) -> str:
    """The figures as CSV: one row per month and category (plus ``all-crime``), every loaded
    month when ``month`` is None. Empty cells mean "no data", as on the page."""
    counts = _AreaCounts.load(engine, area_code)
    months = [counts.checked_month(month)] if month is not None else counts.months
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for each_month in months:
        figures = counts.figures(each_month)
        for figure in [figures.total, *figures.categories]:
            writer.writerow(
                [
                    figures.area.code,
                    figures.area.name,
                    figures.area.level,
                    figures.month,
                    figure.category,
                    figure.name,
                    figure.count,
                    _blank_if_none(figure.population),
                    _blank_if_none(figure.rate_per_1000, "{:.2f}"),
                    figures.year_earlier_month,
                    _blank_if_none(figure.year_earlier_count),
                    _blank_if_none(figure.change),
                    _blank_if_none(figure.change_percent, "{:.1f}"),
                ]
            )
    return out.getvalue()


def searchable_areas(engine: Engine, force_code: str) -> list[Area]:
    """The places a resident can ask figures for: the force's districts and neighbourhoods,
    neighbourhoods grouped under their district, each group in name order."""
    districts = areas.areas_at_level(engine, areas.DISTRICT, force_code=force_code)
    by_district: dict[str | None, list[Area]] = {}
    for neighbourhood in areas.neighbourhoods(engine, force_code):
        by_district.setdefault(neighbourhood.parent_code, []).append(neighbourhood)
    ordered: list[Area] = []
    for district in districts:
        ordered.append(district)
        ordered.extend(by_district.pop(district.code, []))
    for orphans in by_district.values():
        ordered.extend(orphans)
    return ordered


def match_areas(candidates: list[Area], text: str) -> list[Area]:
    """Areas whose name or code contains every word of ``text`` (any case); names that start
    with the text come first."""
    words = text.lower().split()
    if not words:
        return []
    matches = [area for area in candidates if all(word in f"{area.name} {area.code}".lower() for word in words)]
    wanted = text.strip().lower()
    return sorted(matches, key=lambda area: (not area.name.lower().startswith(wanted), area.level != areas.DISTRICT))


def area_bounds(area: Area) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of the area's boundary, rounded to 5 decimals; None without one."""
    if not area.boundary_geojson:
        return None
    west, south, east, north = areas.boundary_geometry(area).bounds
    return (round(south, 5), round(west, 5), round(north, 5), round(east, 5))


_boundary_cache: dict[tuple[str, str, float], tuple[str, str, str]] = {}
_boundary_cache_lock = threading.Lock()


def boundaries_geojson(engine: Engine, force_code: str, tolerance_degrees: float) -> tuple[str, str]:
    """The force's districts and neighbourhoods as a GeoJSON FeatureCollection for a map, with
    boundaries simplified to ``tolerance_degrees`` (``null`` geometry for an area without one,
    so a map can still offer it by name); returns (body, etag).

    Each feature's properties: code, name, level, parent_code, population, approximate (the
    boundary is derived, not the force's own) and source. Simplifying is the slow part, so the
    body is kept until the areas it was built from change.
    """
    import shapely

    places = searchable_areas(engine, force_code)
    digest = hashlib.sha256()
    for area in places:
        digest.update(
            "\x1f".join(
                str(value)
                for value in (area.code, area.name, area.parent_code, area.population, area.boundary_approximate,
                              area.boundary_source, area.boundary_geojson)
            ).encode()
        )
    signature = digest.hexdigest()
    key = (str(engine.url), force_code, tolerance_degrees)
    with _boundary_cache_lock:
        cached = _boundary_cache.get(key)
    if cached and cached[0] == signature:
        return cached[1], cached[2]
    features = []
    for area in places:
        geometry = None
        if area.boundary_geojson:
            simplified = shapely.set_precision(
                shapely.simplify(shapely.from_geojson(area.boundary_geojson), tolerance_degrees, preserve_topology=True),
                0.00001,
            )
            geometry = json.loads(shapely.to_geojson(simplified))
        features.append(
            {
                "type": "Feature",
                "geometry": geometry,
                "properties": {
                    "code": area.code,
                    "name": area.name,
                    "level": area.level,
                    "parent_code": area.parent_code,
                    "population": area.population,
                    "approximate": area.boundary_approximate,
                    "source": area.boundary_source,
                },
            }
        )
    body = json.dumps({"type": "FeatureCollection", "features": features}, separators=(",", ":"))
    etag = f'"{signature[:32]}"'
    with _boundary_cache_lock:
        _boundary_cache[key] = (signature, body, etag)
    return body, etag


def _blank_if_none(value, template: str = "{}") -> str:
    return "" if value is None else template.format(value)


@dataclass(frozen=True)
class _AreaCounts:
    """Everything loaded once for an area; figures for any month are derived from it."""

    area: Area
    path: list[Area]
    months: list[str]
    counts: dict[tuple[str, str], int]  # (month, category) -> crimes in the area
    recorded_categories: dict[str, set[str]]  # month -> categories recorded anywhere that month

    @classmethod
    def load(cls, engine: Engine, area_code: str) -> _AreaCounts:
        area = areas.get_area(engine, area_code)
        if area is None:
            raise AreaNotFound(f"no area has code {area_code!r}")
        months = available_months(engine, area.force_code)
        lsoa_codes = areas.lsoa_codes_in(engine, area.code)
        counts = stats.counts_by_month_category(engine, lsoa_codes, months) if lsoa_codes else {}
        recorded = {month: set(stats.categories_in_month(engine, month)) for month in months}
        return cls(area, areas.area_path(engine, area.code), months, counts, recorded)

    def checked_month(self, month: str) -> str:
        stats.check_month(month)
        if month not in self.months:
            loaded = ", ".join(self.months) or "none"
            raise MonthNotAvailable(f"no crimes are loaded for {month} in {self.area.name}; loaded months: {loaded}")
        return month

    def figures(self, month: str | None) -> AreaFigures:
        if month is None:
            if not self.months:
                raise MonthNotAvailable(f"no crimes are loaded for {self.area.name}")
            month = self.months[-1]
        self.checked_month(month)
        earlier = year_earlier(month)
        earlier_loaded = earlier in self.months
        categories = self.recorded_categories[month] | (self.recorded_categories[earlier] if earlier_loaded else set())
        population = self.area.population

        def figure(category: str, name: str, count: int, earlier_count: int) -> CategoryFigure:
            return CategoryFigure(category, name, count, earlier_count if earlier_loaded else None, population)

        by_category = [
            figure(
                category,
                NAME_BY_SLUG.get(category, category),
                self.counts.get((month, category), 0),
                self.counts.get((earlier, category), 0),
            )
            for category in sorted(categories, key=lambda slug: (_CATEGORY_ORDER.get(slug, len(_CATEGORY_ORDER)), slug))
        ]
        total = figure(ALL_CRIME, NAME_BY_SLUG[ALL_CRIME], self._total(month), self._total(earlier))
        return AreaFigures(
            area=self.area,
            path=self.path,
            month=month,
            year_earlier_month=earlier,
            year_earlier_available=earlier_loaded,
            categories=by_category,
            total=total,
            trend=[MonthTotal(each, self._total(each)) for each in self.months],
            months=self.months,
        )

    def _total(self, month: str) -> int:
        return sum(n for (each_month, _category), n in self.counts.items() if each_month == month)
