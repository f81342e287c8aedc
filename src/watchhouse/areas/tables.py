"""Tables owned by the areas capability. Other capabilities call ``watchhouse.areas`` functions."""

from sqlalchemy import Boolean, Column, Float, Integer, String, Table, Text

from watchhouse.store import metadata

# One row per area at every level of force -> district -> neighbourhood -> lsoa.
areas = Table(
    "areas",
    metadata,
    Column("code", String(64), primary_key=True),  # force slug, LA code, neighbourhood id, LSOA code
    Column("level", String(16), nullable=False, index=True),  # force|district|neighbourhood|lsoa
    Column("name", String(200), nullable=False),
    Column("parent_code", String(64), index=True),
    Column("force_code", String(64), index=True),  # police.uk force slug, for every level
    Column("population", Integer),  # census 2011 usual residents (summed for higher levels)
    Column("centre_lat", Float),
    Column("centre_lng", Float),
    # WGS84 GeoJSON geometry. Approximate polygons are derived from crime map points
    # until a force imports its real neighbourhood boundaries.
    Column("boundary_geojson", Text),
    Column("boundary_approximate", Boolean, nullable=False, default=True),
    Column("boundary_source", String(200)),
    Column("description", Text),
)
