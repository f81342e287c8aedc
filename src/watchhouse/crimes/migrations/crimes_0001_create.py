"""Create police.uk crime, outcome, stop and map-point tables with a spatial index.

Revision ID: crimes_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "crimes_0001"
down_revision = None
branch_labels = ("crimes",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "map_points",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("latitude", sa.Float, nullable=False),
        sa.Column("longitude", sa.Float, nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.UniqueConstraint("latitude", "longitude", "name", name="uq_map_points_position_name"),
    )
    op.create_table(
        "crimes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("crime_key", sa.String(64), nullable=False, unique=True),
        sa.Column("persistent_id", sa.String(64), nullable=False, server_default=""),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("reported_by", sa.String(200)),
        sa.Column("falls_within", sa.String(200)),
        sa.Column("force_code", sa.String(64), nullable=False),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("map_point_id", sa.Integer, sa.ForeignKey("map_points.id")),
        sa.Column("lsoa_code", sa.String(16)),
        sa.Column("lsoa_name", sa.String(200)),
        sa.Column("crime_type", sa.String(100), nullable=False),
        sa.Column("category", sa.String(64), nullable=False),
        sa.Column("last_outcome_category", sa.String(200)),
        sa.Column("last_outcome_month", sa.String(7)),
        sa.Column("context", sa.Text, nullable=False, server_default=""),
        sa.Column("source_file", sa.String(500)),
        sa.Column("source_line", sa.Integer),
    )
    op.create_index("ix_crimes_month_category", "crimes", ["month", "category"])
    op.create_index("ix_crimes_month_lsoa", "crimes", ["month", "lsoa_code"])
    op.create_index("ix_crimes_map_point", "crimes", ["map_point_id", "month"])
    op.create_index("ix_crimes_persistent_id", "crimes", ["persistent_id"])
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("outcome_key", sa.String(64), nullable=False, unique=True),
        sa.Column("crime_key", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("outcome_type", sa.String(200), nullable=False),
        sa.Column("outcome_code", sa.String(64), nullable=False),
        sa.Column("force_code", sa.String(64)),
        sa.Column("source_file", sa.String(500)),
        sa.Column("source_line", sa.Integer),
    )
    op.create_index("ix_outcomes_crime_key", "outcomes", ["crime_key"])
    op.create_table(
        "stops",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("stop_key", sa.String(64), nullable=False, unique=True),
        sa.Column("force_code", sa.String(64), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("datetime", sa.String(32), nullable=False),
        sa.Column("type", sa.String(100)),
        sa.Column("operation", sa.String(10)),
        sa.Column("operation_name", sa.String(200)),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("gender", sa.String(50)),
        sa.Column("age_range", sa.String(50)),
        sa.Column("self_defined_ethnicity", sa.String(200)),
        sa.Column("officer_defined_ethnicity", sa.String(100)),
        sa.Column("legislation", sa.String(300)),
        sa.Column("object_of_search", sa.String(200)),
        sa.Column("outcome", sa.String(200)),
        sa.Column("outcome_linked_to_object_of_search", sa.String(10)),
        sa.Column("removal_of_more_than_outer_clothing", sa.String(10)),
        sa.Column("source_file", sa.String(500)),
        sa.Column("source_line", sa.Integer),
    )
    op.create_index("ix_stops_month_force", "stops", ["month", "force_code"])

    if op.get_bind().dialect.name == "sqlite":
        # R*Tree keyed by crimes.id, kept in step by triggers; queries join on id.
        op.execute("CREATE VIRTUAL TABLE crimes_rtree USING rtree(id, min_lat, max_lat, min_lng, max_lng)")
        op.execute(
            "CREATE TRIGGER crimes_rtree_insert AFTER INSERT ON crimes WHEN new.latitude IS NOT NULL "
            "BEGIN INSERT INTO crimes_rtree VALUES (new.id, new.latitude, new.latitude, new.longitude, new.longitude); END"
        )
        op.execute(
            "CREATE TRIGGER crimes_rtree_delete AFTER DELETE ON crimes "
            "BEGIN DELETE FROM crimes_rtree WHERE id = old.id; END"
        )
        op.execute(
            "CREATE TRIGGER crimes_rtree_update AFTER UPDATE OF latitude, longitude ON crimes "
            "BEGIN DELETE FROM crimes_rtree WHERE id = old.id; "
            "INSERT INTO crimes_rtree SELECT new.id, new.latitude, new.latitude, new.longitude, new.longitude "
            "WHERE new.latitude IS NOT NULL; END"
        )
        op.execute("CREATE VIRTUAL TABLE stops_rtree USING rtree(id, min_lat, max_lat, min_lng, max_lng)")
        op.execute(
            "CREATE TRIGGER stops_rtree_insert AFTER INSERT ON stops WHEN new.latitude IS NOT NULL "
            "BEGIN INSERT INTO stops_rtree VALUES (new.id, new.latitude, new.latitude, new.longitude, new.longitude); END"
        )
        op.execute(
            "CREATE TRIGGER stops_rtree_delete AFTER DELETE ON stops "
            "BEGIN DELETE FROM stops_rtree WHERE id = old.id; END"
        )
    else:
        # Plain PostgreSQL (no PostGIS needed): GiST over a point expression; query with
        # point(longitude, latitude) <@ box(...).
        op.execute("CREATE INDEX ix_crimes_point_gist ON crimes USING gist (point(longitude, latitude))")
        op.execute("CREATE INDEX ix_stops_point_gist ON stops USING gist (point(longitude, latitude))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS crimes_rtree")
        op.execute("DROP TABLE IF EXISTS stops_rtree")
    op.drop_table("stops")
    op.drop_table("outcomes")
    op.drop_table("crimes")
    op.drop_table("map_points")
