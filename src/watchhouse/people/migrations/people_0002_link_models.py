"""Keep the model of each linkage run for records arriving on their own.

Revision ID: people_0002
Revises: people_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "people_0002"
down_revision = "people_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people_link_models",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("records", sa.Integer, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("settings", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("people_link_models")
