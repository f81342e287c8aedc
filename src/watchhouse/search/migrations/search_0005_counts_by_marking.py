"""Count each key's postings per marking, so a search counts only those its user may see.

Counted across every marking, the choice of which keys find candidates could be steered by
records hidden from the searcher (a key shared by many hidden records stops finding), and a
careful comparison of results could tell that hidden records share a value.

Revision ID: search_0005
Revises: search_0004
"""

import sqlalchemy as sa
from alembic import op

revision = "search_0005"
down_revision = "search_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("search_key_counts")
    op.create_table(
        "search_key_counts",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("clearance", sa.Integer, nullable=False),
        sa.Column("caveats", sa.String(500), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", "clearance", "caveats", name="pk_search_key_counts"),
    )
    op.execute("INSERT INTO search_key_counts (key, clearance, caveats, records)"
               " SELECT key, clearance, caveats, count(*) FROM search_keys GROUP BY key, clearance, caveats")


def downgrade() -> None:
    op.drop_table("search_key_counts")
    op.create_table(
        "search_key_counts",
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_search_key_counts"),
    )
    op.execute("INSERT INTO search_key_counts (key, records) SELECT key, count(*) FROM search_keys GROUP BY key")
