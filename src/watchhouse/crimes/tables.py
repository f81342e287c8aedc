"""Tables owned by the crimes capability: police.uk street crimes, outcomes and stops.

The spatial index is dialect-specific (an R*Tree virtual table on SQLite, a GiST
expression index on PostgreSQL) and is created by the migration; queries go through
``watchhouse.crimes`` functions, never straight at these tables from elsewhere.
"""

from sqlalchemy import Column, Float, ForeignKey, Integer, String, Table, Text, UniqueConstraint

from watchhouse.store import metadata

# Anonymised police.uk map points ("On or near ..."), the API's location/street ids.
map_points = Table(
    "map_points",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("latitude", Float, nullable=False),
    Column("longitude", Float, nullable=False),
    Column("name", String(300), nullable=False),
    UniqueConstraint("latitude", "longitude", "name", name="uq_map_points_position_name"),
)

crimes = Table(
    "crimes",
    metadata,
    Column("id", Integer, primary_key=True),
    # 64-hex Crime ID from the archive, or a deterministic key for rows without one (ASB).
    Column("crime_key", String(64), nullable=False, unique=True),
    Column("persistent_id", String(64), nullable=False, default=""),  # "" for anti-social behaviour
    Column("month", String(7), nullable=False),  # YYYY-MM
    Column("reported_by", String(200)),
    Column("falls_within", String(200)),
    Column("force_code", String(64), nullable=False),  # police.uk slug, e.g. west-yorkshire
    Column("latitude", Float),  # null when the archive row has no location
    Column("longitude", Float),
    Column("map_point_id", Integer, ForeignKey("map_points.id")),
    Column("lsoa_code", String(16)),
    Column("lsoa_name", String(200)),
    Column("crime_type", String(100), nullable=False),  # archive name, e.g. "Vehicle crime"
    Column("category", String(64), nullable=False),  # API slug, e.g. vehicle-crime
    Column("last_outcome_category", String(200)),  # a name, as the API's outcome_status.category
    Column("last_outcome_month", String(7)),
    Column("context", Text, nullable=False, default=""),
    Column("source_file", String(500)),
    Column("source_line", Integer),
)

outcomes = Table(
    "outcomes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("outcome_key", String(64), nullable=False, unique=True),
    Column("crime_key", String(64), nullable=False, index=True),
    Column("month", String(7), nullable=False),
    Column("outcome_type", String(200), nullable=False),  # name as in the archive
    Column("outcome_code", String(64), nullable=False),  # API slug
    Column("force_code", String(64)),
    Column("source_file", String(500)),
    Column("source_line", Integer),
)

stops = Table(
    "stops",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("stop_key", String(64), nullable=False, unique=True),
    Column("force_code", String(64), nullable=False),
    Column("month", String(7), nullable=False),
    Column("datetime", String(32), nullable=False),  # ISO 8601 with offset, as published
    Column("type", String(100)),
    Column("operation", String(10)),  # "true"/"false"/"" as published
    Column("operation_name", String(200)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("gender", String(50)),
    Column("age_range", String(50)),
    Column("self_defined_ethnicity", String(200)),
    Column("officer_defined_ethnicity", String(100)),
    Column("legislation", String(300)),
    Column("object_of_search", String(200)),
    Column("outcome", String(200)),
    Column("outcome_linked_to_object_of_search", String(10)),
    Column("removal_of_more_than_outer_clothing", String(10)),
    Column("source_file", String(500)),
    Column("source_line", Integer),
)
