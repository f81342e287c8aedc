"""Create connector run log and quarantine.

Revision ID: connectors_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "connectors_0001"
down_revision = None
branch_labels = ("connectors",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "connector_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("mapping", sa.String(500), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        *(
            sa.Column(name, sa.Integer, nullable=False, server_default="0")
            for name in (
                "rows_read", "rows_loaded", "rows_quarantined", "records_inserted",
                "records_updated", "records_unchanged", "links_added",
            )
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_connector_runs_system", "connector_runs", ["system"])
    op.create_index("ix_connector_runs_file_sha256", "connector_runs", ["file_sha256"])
    op.create_table(
        "connector_quarantine",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("system", sa.String(100), nullable=False),
        sa.Column("file_name", sa.String(500), nullable=False),
        sa.Column("line", sa.Integer),
        sa.Column("field", sa.String(200)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("raw", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_connector_quarantine_run_id", "connector_quarantine", ["run_id"])
    op.create_index("ix_connector_quarantine_system", "connector_quarantine", ["system"])


def downgrade() -> None:
    op.drop_table("connector_quarantine")
    op.drop_table("connector_runs")
