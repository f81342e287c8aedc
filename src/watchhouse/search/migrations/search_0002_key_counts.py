"""Count the records behind each search key, so searches start from the rarest keys.

Revision ID: search_0002
Revises: search_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "search_0002"
down_revision = "search_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_key_counts",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_search_key_counts"),
    )
    op.execute("INSERT INTO search_key_counts (key, records) SELECT key, count(*) FROM search_keys GROUP BY key")


def downgrade() -> None:
    op.drop_table("search_key_counts")
