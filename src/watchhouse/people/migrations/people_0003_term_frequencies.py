"""Keep each linkage run's term frequencies and household setting, so arrivals need not read every record.

Revision ID: people_0003
Revises: people_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "people_0003"
down_revision = "people_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("people_link_models", sa.Column("households", sa.Boolean, nullable=True))
    op.create_table(
        "people_link_term_frequencies",
        sa.Column("model_id", sa.Integer, primary_key=True),
        sa.Column("column_name", sa.String(60), primary_key=True),
        sa.Column("value", sa.Text, primary_key=True),
        sa.Column("frequency", sa.Float, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("people_link_term_frequencies")
    with op.batch_alter_table("people_link_models") as batch:
        batch.drop_column("households")
