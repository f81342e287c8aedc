"""Create link evidence, the link review queue and analysts' link decisions.

Revision ID: people_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "people_0001"
down_revision = None
branch_labels = ("people",)
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "people_link_evidence",
        sa.Column("person_id_l", sa.Integer, nullable=False),
        sa.Column("person_id_r", sa.Integer, nullable=False),
        sa.Column("match_probability", sa.Float, nullable=False),
        sa.Column("match_weight", sa.Float, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("household_discounted", sa.Boolean, nullable=False),
        sa.Column("decision", sa.String(10)),
        sa.Column("linked_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("person_id_l", "person_id_r", name="pk_people_link_evidence"),
    )
    op.create_index("ix_people_link_evidence_r", "people_link_evidence", ["person_id_r"])
    op.create_table(
        "people_review_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id_l", sa.Integer, nullable=False),
        sa.Column("person_id_r", sa.Integer, nullable=False),
        sa.Column("match_probability", sa.Float, nullable=False),
        sa.Column("match_weight", sa.Float, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("household_discounted", sa.Boolean, nullable=False),
        sa.Column("linked", sa.Boolean, nullable=False),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("queued_at", TZ, nullable=False),
    )
    op.create_index("ix_people_review_items_status", "people_review_items", ["status", "match_probability"])
    op.create_table(
        "people_link_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id_l", sa.Integer, nullable=False),
        sa.Column("person_id_r", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(100), nullable=False),
        sa.Column("decided_at", TZ, nullable=False),
        sa.Column("review_item_id", sa.Integer),
        sa.Column("match_probability", sa.Float),
        sa.UniqueConstraint("person_id_l", "person_id_r", name="uq_people_link_decisions_pair"),
    )


def downgrade() -> None:
    op.drop_table("people_link_decisions")
    op.drop_table("people_review_items")
    op.drop_table("people_link_evidence")
