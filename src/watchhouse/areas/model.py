"""What an area is, as every other capability sees it."""

from __future__ import annotations

from dataclasses import dataclass

FORCE = "force"
DISTRICT = "district"
NEIGHBOURHOOD = "neighbourhood"
LSOA = "lsoa"
LEVELS = (FORCE, DISTRICT, NEIGHBOURHOOD, LSOA)


class AreasError(ValueError):
    """Bad input to the areas capability; the message says where and why."""


@dataclass(frozen=True)
class Area:
    code: str
    level: str
    name: str
    parent_code: str | None
    force_code: str | None
    population: int | None
    centre_lat: float | None
    centre_lng: float | None
    boundary_geojson: str | None  # WGS84 GeoJSON geometry
    boundary_approximate: bool
    boundary_source: str | None
    description: str | None
    # Forces only: contact details that hold for the force as published.
    telephone: str | None = None
    url: str | None = None
