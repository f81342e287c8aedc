"""Create source POLE record tables, links, warning markers and master people.

Revision ID: records_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "records_0001"
down_revision = None
branch_labels = ("records",)
depends_on = None

TZ = sa.DateTime(timezone=True)


def _lineage(table_name: str) -> list:
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_system", sa.String(100), nullable=False),
        sa.Column("source_record_id", sa.String(200), nullable=False),
        sa.Column("loaded_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("raw", sa.JSON, nullable=False),
        sa.Column("marking", sa.String(20), nullable=False),
        sa.Column("caveats", sa.String(500), nullable=False, server_default=""),
        sa.Column("field_markings", sa.JSON, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("source_system", "source_record_id", name=f"uq_{table_name}_source"),
    ]


def upgrade() -> None:
    op.create_table(
        "record_people",
        *_lineage("record_people"),
        sa.Column("given_name", sa.String(200)),
        sa.Column("middle_names", sa.String(200)),
        sa.Column("family_name", sa.String(200)),
        sa.Column("date_of_birth", sa.Date),
        sa.Column("sex", sa.String(20)),
        sa.Column("address", sa.Text),
        sa.Column("locality", sa.String(200)),
        sa.Column("postcode", sa.String(10)),
        sa.Column("phone", sa.String(40)),
        sa.Column("email", sa.String(300)),
        sa.Column("pnc_id", sa.String(30)),
        sa.Column("ni_number", sa.String(20)),
        sa.Column("driving_licence", sa.String(30)),
        sa.Column("recorded_at", TZ),
    )
    for column in ("family_name", "date_of_birth", "postcode", "pnc_id"):
        op.create_index(f"ix_record_people_{column}", "record_people", [column])
    op.create_table(
        "record_objects",
        *_lineage("record_objects"),
        sa.Column("object_kind", sa.String(20), nullable=False),
        sa.Column("identifier", sa.String(100)),
        sa.Column("description", sa.Text),
        sa.Column("make", sa.String(100)),
        sa.Column("model", sa.String(100)),
        sa.Column("colour", sa.String(50)),
    )
    op.create_index("ix_record_objects_identifier", "record_objects", ["identifier"])
    op.create_table(
        "record_locations",
        *_lineage("record_locations"),
        sa.Column("address", sa.Text),
        sa.Column("locality", sa.String(200)),
        sa.Column("postcode", sa.String(10)),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("description", sa.Text),
    )
    op.create_index("ix_record_locations_postcode", "record_locations", ["postcode"])
    op.create_table(
        "record_events",
        *_lineage("record_events"),
        sa.Column("event_kind", sa.String(20), nullable=False),
        sa.Column("reference", sa.String(100)),
        sa.Column("occurred_at", TZ),
        sa.Column("occurred_to", TZ),
        sa.Column("reported_at", TZ),
        sa.Column("category", sa.String(200)),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(100)),
        sa.Column("call_grade", sa.String(10)),
        sa.Column("grading", sa.String(3)),
        sa.Column("grading_scheme", sa.String(5)),
        sa.Column("latitude", sa.Float),
        sa.Column("longitude", sa.Float),
        sa.Column("location_text", sa.String(300)),
    )
    op.create_index("ix_record_events_reference", "record_events", ["reference"])
    op.create_index("ix_record_events_occurred_at", "record_events", ["occurred_at"])
    op.create_table(
        "record_cases",
        *_lineage("record_cases"),
        sa.Column("reference", sa.String(100)),
        sa.Column("title", sa.String(300)),
        sa.Column("status", sa.String(100)),
        sa.Column("opened_at", TZ),
        sa.Column("closed_at", TZ),
    )
    op.create_index("ix_record_cases_reference", "record_cases", ["reference"])
    op.create_table(
        "record_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("from_kind", sa.String(10), nullable=False),
        sa.Column("from_id", sa.Integer, nullable=False),
        sa.Column("to_kind", sa.String(10), nullable=False),
        sa.Column("to_id", sa.Integer, nullable=False),
        sa.Column("role", sa.String(30), nullable=False),
        sa.Column("source_system", sa.String(100), nullable=False),
        sa.Column("loaded_at", TZ, nullable=False),
        sa.Column("marking", sa.String(20), nullable=False),
        sa.Column("caveats", sa.String(500), nullable=False, server_default=""),
        sa.UniqueConstraint("from_kind", "from_id", "to_kind", "to_id", "role", name="uq_record_links_ends_role"),
    )
    op.create_index("ix_record_links_to", "record_links", ["to_kind", "to_id"])
    op.create_table(
        "record_warning_markers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("record_people.id"), nullable=False),
        sa.Column("marker", sa.String(50), nullable=False),
        sa.Column("details", sa.Text),
        sa.Column("valid_from", sa.Date),
        sa.Column("source_system", sa.String(100), nullable=False),
        sa.Column("loaded_at", TZ, nullable=False),
        sa.Column("marking", sa.String(20), nullable=False),
        sa.Column("caveats", sa.String(500), nullable=False, server_default=""),
        sa.UniqueConstraint("person_id", "marker", name="uq_record_warning_markers_person_marker"),
    )
    op.create_index("ix_record_warning_markers_person_id", "record_warning_markers", ["person_id"])
    op.create_table(
        "master_people",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("cluster_key", sa.String(100), nullable=False, unique=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "master_person_members",
        sa.Column("person_id", sa.Integer, sa.ForeignKey("record_people.id"), primary_key=True),
        sa.Column("master_id", sa.Integer, sa.ForeignKey("master_people.id"), nullable=False),
    )
    op.create_index("ix_master_person_members_master_id", "master_person_members", ["master_id"])


def downgrade() -> None:
    for table in (
        "master_person_members",
        "master_people",
        "record_warning_markers",
        "record_links",
        "record_cases",
        "record_events",
        "record_locations",
        "record_objects",
        "record_people",
    ):
        op.drop_table(table)
