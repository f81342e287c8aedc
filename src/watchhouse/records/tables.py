"""Tables owned by records: source POLE records with lineage and markings, links, master people.

Every source record table has the same lineage and marking columns (see ``_lineage``) and is
unique on (source_system, source_record_id), which is what makes loading idempotent. Only
``watchhouse.records`` functions touch these tables; reads go through ``watchhouse.access``.
"""

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from watchhouse.store import metadata


def _lineage(table_name: str) -> list:
    return [
        Column("id", Integer, primary_key=True),
        Column("source_system", String(100), nullable=False),
        Column("source_record_id", String(200), nullable=False),
        Column("loaded_at", DateTime(timezone=True), nullable=False),  # first loaded
        Column("updated_at", DateTime(timezone=True), nullable=False),  # last changed by a load
        Column("raw", JSON, nullable=False),  # the source's own values, as read
        Column("marking", String(20), nullable=False),  # OFFICIAL | SECRET | TOP-SECRET
        Column("caveats", String(500), nullable=False, default=""),  # sorted, comma-separated
        Column("field_markings", JSON, nullable=False),  # {field or raw.<column>: marking text}
        Column("content_hash", String(64), nullable=False),  # unchanged rows are not rewritten
        UniqueConstraint("source_system", "source_record_id", name=f"uq_{table_name}_source"),
    ]


record_people = Table(
    "record_people",
    metadata,
    *_lineage("record_people"),
    Column("given_name", String(200)),
    Column("middle_names", String(200)),
    Column("family_name", String(200)),
    Column("date_of_birth", Date),
    Column("sex", String(20)),
    Column("address", Text),  # address lines joined with newlines
    Column("locality", String(200)),
    Column("postcode", String(10)),
    Column("phone", String(40)),
    Column("email", String(300)),
    Column("pnc_id", String(30)),
    Column("ni_number", String(20)),
    Column("driving_licence", String(30)),
    Column("recorded_at", DateTime(timezone=True)),
    Index("ix_record_people_family_name", "family_name"),
    Index("ix_record_people_date_of_birth", "date_of_birth"),
    Index("ix_record_people_postcode", "postcode"),
    Index("ix_record_people_pnc_id", "pnc_id"),
)

record_objects = Table(
    "record_objects",
    metadata,
    *_lineage("record_objects"),
    Column("object_kind", String(20), nullable=False),
    Column("identifier", String(100)),
    Column("description", Text),
    Column("make", String(100)),
    Column("model", String(100)),
    Column("colour", String(50)),
    Index("ix_record_objects_identifier", "identifier"),
)

record_locations = Table(
    "record_locations",
    metadata,
    *_lineage("record_locations"),
    Column("address", Text),
    Column("locality", String(200)),
    Column("postcode", String(10)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("description", Text),
    Index("ix_record_locations_postcode", "postcode"),
)

record_events = Table(
    "record_events",
    metadata,
    *_lineage("record_events"),
    Column("event_kind", String(20), nullable=False),
    Column("reference", String(100)),
    Column("occurred_at", DateTime(timezone=True)),
    Column("occurred_to", DateTime(timezone=True)),
    Column("reported_at", DateTime(timezone=True)),
    Column("category", String(200)),
    Column("description", Text),
    Column("status", String(100)),
    Column("call_grade", String(10)),
    Column("grading", String(3)),  # 1AP (3x5x2) or B24 (historic 5x5x5)
    Column("grading_scheme", String(5)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("location_text", String(300)),
    Index("ix_record_events_reference", "reference"),
    Index("ix_record_events_occurred_at", "occurred_at"),
)

record_cases = Table(
    "record_cases",
    metadata,
    *_lineage("record_cases"),
    Column("reference", String(100)),
    Column("title", String(300)),
    Column("status", String(100)),
    Column("opened_at", DateTime(timezone=True)),
    Column("closed_at", DateTime(timezone=True)),
    Index("ix_record_cases_reference", "reference"),
)

# Typed links between source records of any kind; kinds are person|object|location|event|case.
record_links = Table(
    "record_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("from_kind", String(10), nullable=False),
    Column("from_id", Integer, nullable=False),
    Column("to_kind", String(10), nullable=False),
    Column("to_id", Integer, nullable=False),
    Column("role", String(30), nullable=False),
    Column("source_system", String(100), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("marking", String(20), nullable=False),
    Column("caveats", String(500), nullable=False, default=""),
    UniqueConstraint("from_kind", "from_id", "to_kind", "to_id", "role", name="uq_record_links_ends_role"),
    Index("ix_record_links_to", "to_kind", "to_id"),
)

record_warning_markers = Table(
    "record_warning_markers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id", Integer, ForeignKey("record_people.id"), nullable=False, index=True),
    Column("marker", String(50), nullable=False),
    Column("details", Text),
    Column("valid_from", Date),
    Column("source_system", String(100), nullable=False),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column("marking", String(20), nullable=False),
    Column("caveats", String(500), nullable=False, default=""),
    UniqueConstraint("person_id", "marker", name="uq_record_warning_markers_person_marker"),
)

# A master person is a cluster of source person records judged to be one human being. The
# linkage engine (watchhouse.resolve) decides membership through replace_memberships().
master_people = Table(
    "master_people",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("cluster_key", String(100), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

master_person_members = Table(
    "master_person_members",
    metadata,
    Column("person_id", Integer, ForeignKey("record_people.id"), primary_key=True),
    Column("master_id", Integer, ForeignKey("master_people.id"), nullable=False, index=True),
)

SOURCE_TABLES = {
    "person": record_people,
    "object": record_objects,
    "location": record_locations,
    "event": record_events,
    "case": record_cases,
}
