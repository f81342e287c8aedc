"""Support the public read queries: a data version for response caching, a map-point index.

``crimes_data_version`` holds one counter that triggers bump on every change to crimes,
outcomes, stops and map points, whoever writes them. Readers compare it with the version
their cached JSON was built from, so unchanged answers are never rebuilt and changed ones
never served stale. PostgreSQL bumps once per statement; SQLite has only row triggers.

Revision ID: crimes_0002
Revises: crimes_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "crimes_0002"
down_revision = "crimes_0001"
branch_labels = None
depends_on = None

VERSIONED_TABLES = ("crimes", "outcomes", "stops", "map_points")


def upgrade() -> None:
    op.create_table(
        "crimes_data_version",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.CheckConstraint("id = 1", name="single_row"),
    )
    op.execute("INSERT INTO crimes_data_version (id, version) VALUES (1, 0)")
    # Nearest map point for crimes-at-location?lat=&lng=: a latitude band scan then exact distance.
    op.create_index("ix_map_points_latitude_longitude", "map_points", ["latitude", "longitude"])

    if op.get_bind().dialect.name == "sqlite":
        for table in VERSIONED_TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_bump_version_{event.lower()} AFTER {event} ON {table} "
                    "BEGIN UPDATE crimes_data_version SET version = version + 1 WHERE id = 1; END"
                )
    else:
        op.execute(
            "CREATE FUNCTION crimes_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN UPDATE crimes_data_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$"
        )
        for table in VERSIONED_TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_bump_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION crimes_bump_data_version()"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for table in VERSIONED_TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_version_{event}")
    else:
        for table in VERSIONED_TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_version ON {table}")
        op.execute("DROP FUNCTION IF EXISTS crimes_bump_data_version()")
    op.drop_index("ix_map_points_latitude_longitude", "map_points")
    op.drop_table("crimes_data_version")
