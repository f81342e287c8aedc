"""Synthetic crime events with known structure, for tests and benchmarks, around any city centre.

Three layers, as in real data:
- a stable background concentrated at places whose intensities are heavy-tailed (a Pareto
  law: a few places carry much of the crime, the "law of crime concentration"), plus a diffuse
  share spread over the city;
- seasonality: a weekly and an annual cycle multiply the background rate;
- self-excitation: every event, background or not, has Poisson(branching) direct offspring,
  each after an exponential delay (rate ``decay_per_day``) and displaced by a Gaussian of
  ``bandwidth_m`` metres per axis: the near-repeat model of Mohler et al. with known values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from watchhouse.predict.events import Events, datetime_from_days, days_since_epoch

DEFAULT_CATEGORY_MIX = {
    "violent-crime": 0.32,
    "anti-social-behaviour": 0.2,
    "criminal-damage-arson": 0.1,
    "burglary": 0.08,
    "vehicle-crime": 0.08,
    "shoplifting": 0.08,
    "other-theft": 0.07,
    "public-order": 0.04,
    "robbery": 0.02,
    "theft-from-the-person": 0.01,
}


@dataclass(frozen=True)
class SyntheticCity:
    centre_lon: float = -1.5491  # Leeds by default; any city works
    centre_lat: float = 53.8008
    start: dt.date = dt.date(2019, 1, 1)
    days: int = 3 * 365
    radius_m: float = 6000.0
    background_per_day: float = 40.0
    places: int = 2000
    pareto_shape: float = 1.1  # smaller = more concentrated
    diffuse_share: float = 0.2
    place_spread_m: float = 40.0
    weekly_amplitude: float = 0.15
    annual_amplitude: float = 0.2
    branching: float = 0.3
    decay_per_day: float = 0.15
    bandwidth_m: float = 100.0
    category_mix: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_CATEGORY_MIX))
    seed: int = 0


@dataclass(frozen=True)
class SyntheticEvents:
    events: Events
    triggered: np.ndarray  # True for offspring, aligned with events
    city: SyntheticCity


def _offsets_to_lonlat(city: SyntheticCity, dx: np.ndarray, dy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Metres east/north of the centre -> lon/lat, through the centre's azimuthal equidistant projection."""
    from pyproj import Transformer

    local = f"+proj=aeqd +lat_0={city.centre_lat} +lon_0={city.centre_lon} +datum=WGS84 +units=m"
    lon, lat = Transformer.from_crs(local, "EPSG:4326", always_xy=True).transform(dx, dy)
    return np.asarray(lon), np.asarray(lat)


def _seasonal_rate(city: SyntheticCity, day_numbers: np.ndarray) -> np.ndarray:
    dates = np.datetime64(city.start) + day_numbers.astype("timedelta64[D]")
    weekday = (dates.astype("datetime64[D]").view("int64") - 4) % 7  # 0 = Monday
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(int)
    weekly = 1 + city.weekly_amplitude * np.cos(2 * np.pi * (weekday - 5) / 7)  # peaks on Saturday
    annual = 1 + city.annual_amplitude * np.cos(2 * np.pi * (day_of_year - 196) / 365.25)  # peaks mid-July
    return city.background_per_day * weekly * annual


def _places(city: SyntheticCity, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Places denser towards the centre (a Gaussian city), with heavy-tailed intensities summing to one.
    Drawn first from the city's generator, so ``stationary_rate`` can draw the same places again."""
    place_x = rng.normal(0, city.radius_m / 2, city.places)
    place_y = rng.normal(0, city.radius_m / 2, city.places)
    intensity = rng.pareto(city.pareto_shape, city.places) + 1.0
    return place_x, place_y, intensity / intensity.sum()


def stationary_rate(city: SyntheticCity, grid, generations: int = 8) -> np.ndarray:
    """The true long-run share of events per raster cell of ``grid`` (a (ny, nx) array summing to
    about one over the city): background places and diffuse share, each spread by k generations of
    Gaussian offspring displacement with weight (1 - branching) branching^k. It is what a perfect
    long-run estimate would be; the benchmarks use it as a ceiling for any forecast of the
    stationary part (the near-repeat part adds on top)."""
    from scipy.special import ndtr

    place_x, place_y, intensity = _places(city, np.random.default_rng(city.seed))
    projection = grid.projection
    lon, lat = _offsets_to_lonlat(city, np.append(place_x, 0.0), np.append(place_y, 0.0))
    mx, my = projection.to_metric(lon, lat)
    weights = np.append(intensity * (1 - city.diffuse_share), city.diffuse_share)
    spread = np.append(np.full(city.places, city.place_spread_m), city.radius_m / 2)
    x_edges = grid.x0 + np.arange(grid.nx + 1) * grid.cell_size
    y_edges = grid.y0 + np.arange(grid.ny + 1) * grid.cell_size
    rate = np.zeros(grid.raster_shape)
    for k in range(generations):
        sd = np.sqrt(spread**2 + k * city.bandwidth_m**2)[:, None]
        px = np.diff(ndtr((x_edges[None, :] - mx[:, None]) / sd), axis=1)
        py = np.diff(ndtr((y_edges[None, :] - my[:, None]) / sd), axis=1)
        rate += (1 - city.branching) * city.branching**k * ((py * weights[:, None]).T @ px)
    return rate


def generate(city: SyntheticCity = SyntheticCity()) -> SyntheticEvents:
    rng = np.random.default_rng(city.seed)
    place_x, place_y, intensity = _places(city, rng)

    day_numbers = np.arange(city.days)
    per_day = rng.poisson(_seasonal_rate(city, day_numbers))
    t = np.repeat(day_numbers, per_day) + rng.random(per_day.sum())
    n = len(t)
    diffuse = rng.random(n) < city.diffuse_share
    place = rng.choice(city.places, size=n, p=intensity)
    x = np.where(diffuse, rng.normal(0, city.radius_m / 2, n), place_x[place] + rng.normal(0, city.place_spread_m, n))
    y = np.where(diffuse, rng.normal(0, city.radius_m / 2, n), place_y[place] + rng.normal(0, city.place_spread_m, n))
    names = list(city.category_mix)
    mix = np.array([city.category_mix[c] for c in names], dtype=float)
    category = rng.choice(len(names), size=n, p=mix / mix.sum())

    all_t, all_x, all_y, all_cat, triggered = [t], [x], [y], [category], [np.zeros(n, dtype=bool)]
    parents_t, parents_x, parents_y, parents_cat = t, x, y, category
    while len(parents_t):
        kids = rng.poisson(city.branching, len(parents_t))
        index = np.repeat(np.arange(len(parents_t)), kids)
        kid_t = parents_t[index] + rng.exponential(1.0 / city.decay_per_day, len(index))
        kid_x = parents_x[index] + rng.normal(0, city.bandwidth_m, len(index))
        kid_y = parents_y[index] + rng.normal(0, city.bandwidth_m, len(index))
        kid_cat = parents_cat[index]
        inside = kid_t < city.days
        parents_t, parents_x, parents_y, parents_cat = kid_t[inside], kid_x[inside], kid_y[inside], kid_cat[inside]
        all_t.append(parents_t)
        all_x.append(parents_x)
        all_y.append(parents_y)
        all_cat.append(parents_cat)
        triggered.append(np.ones(len(parents_t), dtype=bool))

    t = np.concatenate(all_t)
    lon, lat = _offsets_to_lonlat(city, np.concatenate(all_x), np.concatenate(all_y))
    categories = np.array(names, dtype=object)[np.concatenate(all_cat)]
    is_triggered = np.concatenate(triggered)
    order = np.argsort(t, kind="stable")
    start_days = days_since_epoch(city.start)
    events = Events(
        ids=np.array([f"syn-{i}" for i in range(len(t))], dtype=object),
        lon=lon[order],
        lat=lat[order],
        t=t[order] + start_days,
        category=categories[order],
    )
    return SyntheticEvents(events, is_triggered[order], city)


def write_events_csv(events: Events, path: str | Path) -> None:
    """EVENTS.csv as the forecast command reads it (``id,lon,lat,occurred_at,category``)."""
    import csv

    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "lon", "lat", "occurred_at", "category"])
        for i in range(len(events)):
            stamp = datetime_from_days(events.t[i]).isoformat(timespec="seconds")
            writer.writerow([events.ids[i], f"{events.lon[i]:.6f}", f"{events.lat[i]:.6f}", stamp, events.category[i]])
