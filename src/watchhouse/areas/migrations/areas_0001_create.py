"""Create the areas table.

Revision ID: areas_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "areas_0001"
down_revision = None
branch_labels = ("areas",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "areas",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("parent_code", sa.String(64)),
        sa.Column("force_code", sa.String(64)),
        sa.Column("population", sa.Integer),
        sa.Column("centre_lat", sa.Float),
        sa.Column("centre_lng", sa.Float),
        sa.Column("boundary_geojson", sa.Text),
        sa.Column("boundary_approximate", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("boundary_source", sa.String(200)),
        sa.Column("description", sa.Text),
    )
    op.create_index("ix_areas_level", "areas", ["level"])
    op.create_index("ix_areas_parent_code", "areas", ["parent_code"])
    op.create_index("ix_areas_force_code", "areas", ["force_code"])


def downgrade() -> None:
    op.drop_table("areas")
