"""Tables owned by search: an inverted index of person keys, rebuilt from the records capability.

The index only proposes candidates. Which candidates a user sees, and how they rank, is
decided on the records as the access module shows them to that user, so nothing withheld
from a user can make a result appear or move.
"""

from sqlalchemy import Column, Date, Integer, String, Table

from watchhouse.store import metadata

search_keys = Table(
    "search_keys",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("person_id", Integer, primary_key=True),
    # Record-level marking, so candidates above a user's clearance are never even fetched.
    Column("clearance", Integer, nullable=False),
    Column("caveats", String(500), nullable=False, default=""),  # sorted, "|"-joined
)

search_people = Table(
    "search_people",
    metadata,
    Column("person_id", Integer, primary_key=True),
    Column("master_id", Integer, index=True),
    Column("date_of_birth", Date, index=True),  # for age-range filters
    Column("clearance", Integer, nullable=False),
    Column("caveats", String(500), nullable=False, default="", index=True),
)

# How many records hold each key, across every marking: only for choosing which keys find the
# candidates (the rare ones), never shown, so it says nothing about what a user may see.
search_key_counts = Table(
    "search_key_counts",
    metadata,
    Column("key", String(120), primary_key=True),
    Column("records", Integer, nullable=False),
)
