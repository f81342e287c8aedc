"""Index search_people on caveats, so the distinct caveat sets are found by seeking, not a scan.

Revision ID: search_0003
Revises: search_0002
"""

from alembic import op

revision = "search_0003"
down_revision = "search_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_search_people_caveats", "search_people", ["caveats"])


def downgrade() -> None:
    op.drop_index("ix_search_people_caveats", "search_people")
