"""Create the person search index.

Revision ID: search_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "search_0001"
down_revision = None
branch_labels = ("search",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_keys",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("person_id", sa.Integer, nullable=False),
        sa.Column("clearance", sa.Integer, nullable=False),
        sa.Column("caveats", sa.String(500), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("key", "person_id", name="pk_search_keys"),
    )
    op.create_index("ix_search_keys_person_id", "search_keys", ["person_id"])
    op.create_table(
        "search_people",
        sa.Column("person_id", sa.Integer, primary_key=True),
        sa.Column("master_id", sa.Integer),
        sa.Column("date_of_birth", sa.Date),
        sa.Column("clearance", sa.Integer, nullable=False),
        sa.Column("caveats", sa.String(500), nullable=False, server_default=""),
    )
    op.create_index("ix_search_people_master_id", "search_people", ["master_id"])
    op.create_index("ix_search_people_date_of_birth", "search_people", ["date_of_birth"])


def downgrade() -> None:
    op.drop_table("search_people")
    op.drop_table("search_keys")
