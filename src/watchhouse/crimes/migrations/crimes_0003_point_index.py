"""Spatial index over map points instead of crimes; no separate persistent_id index.

police.uk publishes every located crime at one of a few thousand anonymised map points, so a
force's 87,000 crimes of three months sit on 22,500 points. Indexing the points (on SQLite an
R*Tree, filled as points are created) and reaching crimes through ``(map_point_id, month)``
keeps the index a quarter of the size, makes each load write a quarter of the R*Tree entries
(none once a force's points are known), and gives spatial queries the month they ask for
instead of every month ever loaded. A crime's persistent id is its crime_key, which is
already unique, so its own index only cost writes.

PostgreSQL keeps its GiST index on the crimes' points (one index write per row is cheap there).

Revision ID: crimes_0003
Revises: crimes_0002
"""

from alembic import op

revision = "crimes_0003"
down_revision = "crimes_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_crimes_persistent_id", "crimes")
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS crimes_rtree_{trigger}")
    op.execute("DROP TABLE IF EXISTS crimes_rtree")
    op.execute("CREATE VIRTUAL TABLE map_points_rtree USING rtree(id, min_lat, max_lat, min_lng, max_lng)")
    op.execute("INSERT INTO map_points_rtree SELECT id, latitude, latitude, longitude, longitude FROM map_points")
    op.execute(
        "CREATE TRIGGER map_points_rtree_insert AFTER INSERT ON map_points "
        "BEGIN INSERT INTO map_points_rtree VALUES (new.id, new.latitude, new.latitude, new.longitude, new.longitude); END"
    )
    op.execute(
        "CREATE TRIGGER map_points_rtree_delete AFTER DELETE ON map_points "
        "BEGIN DELETE FROM map_points_rtree WHERE id = old.id; END"
    )
    op.execute(
        "CREATE TRIGGER map_points_rtree_update AFTER UPDATE OF latitude, longitude ON map_points "
        "BEGIN DELETE FROM map_points_rtree WHERE id = old.id; "
        "INSERT INTO map_points_rtree VALUES (new.id, new.latitude, new.latitude, new.longitude, new.longitude); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS map_points_rtree_{trigger}")
        op.execute("DROP TABLE IF EXISTS map_points_rtree")
        op.execute("CREATE VIRTUAL TABLE crimes_rtree USING rtree(id, min_lat, max_lat, min_lng, max_lng)")
        op.execute(
            "INSERT INTO crimes_rtree SELECT id, latitude, latitude, longitude, longitude FROM crimes "
            "WHERE latitude IS NOT NULL"
        )
        op.execute(
            "CREATE TRIGGER crimes_rtree_insert AFTER INSERT ON crimes WHEN new.latitude IS NOT NULL "
            "BEGIN INSERT INTO crimes_rtree VALUES (new.id, new.latitude, new.latitude, new.longitude, new.longitude); END"
        )
        op.execute("CREATE TRIGGER crimes_rtree_delete AFTER DELETE ON crimes BEGIN DELETE FROM crimes_rtree WHERE id = old.id; END")
        op.execute(
            "CREATE TRIGGER crimes_rtree_update AFTER UPDATE OF latitude, longitude ON crimes "
            "BEGIN DELETE FROM crimes_rtree WHERE id = old.id; "
            "INSERT INTO crimes_rtree SELECT new.id, new.latitude, new.latitude, new.longitude, new.longitude "
            "WHERE new.latitude IS NOT NULL; END"
        )
    op.create_index("ix_crimes_persistent_id", "crimes", ["persistent_id"])
