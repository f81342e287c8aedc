"""Tables owned by search: an inverted index of person keys, rebuilt from the records capability.

The index only proposes candidates. Which candidates a user sees, and how they rank, is
decided on the records as the access module shows them to that user, so nothing withheld
from a user can make a result appear or move.
"""

from sqlalchemy import Column, Date, Integer, PrimaryKeyConstraint, String, Table

from watchhouse.store import metadata

search_keys = Table(
    "search_keys",
    metadata,
    Column("key", String(120), nullable=False),
    Column("person_id", Integer, nullable=False),
    # The marking of the values the key came from (the record's, raised by any field marking),
    # so a posting a user may not see is never even read for them.
    Column("clearance", Integer, nullable=False),
    Column("caveats", String(500), nullable=False, default=""),  # sorted, "|"-joined
    # A posting is its primary-key entry (SQLite) or answered from it (PostgreSQL): search_0004.
    PrimaryKeyConstraint("key", "person_id", name="pk_search_keys", postgresql_include=["clearance", "caveats"]),
    sqlite_with_rowid=False,
)

search_people = Table(
    "search_people",
    metadata,
    Column("person_id", Integer, primary_key=True),
    Column("master_id", Integer, index=True),
    Column("date_of_birth", Date, index=True),  # for age-range filters
    Column("clearance", Integer, nullable=False),
    Column("caveats", String(500), nullable=False, default=""),
)

# How many postings of each key carry each marking: a search counts only those its user may see
# to choose which keys find the candidates (the rare ones), so which keys find, and so which
# people turn up, says nothing about records hidden from that user (search_0005).
search_key_counts = Table(
    "search_key_counts",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("clearance", Integer, primary_key=True),
    Column("caveats", String(500), primary_key=True),
    Column("records", Integer, nullable=False),
)

# Every caveat set a posting or person row carries (a handful): a search admits the sets whose
# caveats the user holds all of. Only ever added to; a set no longer used admits nothing.
search_caveat_sets = Table(
    "search_caveat_sets",
    metadata,
    Column("caveats", String(500), primary_key=True),
)

# What the index was built as ("format"): an index of an older format is rebuilt before use.
search_meta = Table(
    "search_meta",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("value", String(200), nullable=False),
)
