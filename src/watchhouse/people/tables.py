"""Tables owned by people: why records were linked, the review queue, and analysts' decisions.

Person records are named by their ids in the records capability; nothing here reads that
capability's tables. Evidence and pending review items are replaced by every linkage run;
decisions are never replaced, because they steer every later run.
"""

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Index, Integer, String, Table, Text, UniqueConstraint

from watchhouse.store import metadata

# Within-person links of the latest run, each with the comparison levels that produced it.
link_evidence = Table(
    "people_link_evidence",
    metadata,
    Column("person_id_l", Integer, primary_key=True),  # the lower record id
    Column("person_id_r", Integer, primary_key=True),
    Column("match_probability", Float, nullable=False),
    Column("match_weight", Float, nullable=False),
    Column("reasons", JSON, nullable=False),  # [[comparison, level, weight], ...]
    Column("household_discounted", Boolean, nullable=False),
    Column("decision", String(10)),  # confirm when an analyst's decision, not the score, linked them
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Index("ix_people_link_evidence_r", "person_id_r"),
)

# Pairs scored near the threshold, waiting for (or given) an analyst's decision.
review_items = Table(
    "people_review_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id_l", Integer, nullable=False),
    Column("person_id_r", Integer, nullable=False),
    Column("match_probability", Float, nullable=False),
    Column("match_weight", Float, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("household_discounted", Boolean, nullable=False),
    Column("linked", Boolean, nullable=False),  # did this run put them in one person?
    Column("threshold", Float, nullable=False),
    Column("status", String(10), nullable=False),  # pending | decided
    Column("queued_at", DateTime(timezone=True), nullable=False),
    Index("ix_people_review_items_status", "status", "match_probability"),
)

link_decisions = Table(
    "people_link_decisions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("person_id_l", Integer, nullable=False),
    Column("person_id_r", Integer, nullable=False),
    Column("decision", String(10), nullable=False),  # confirm | split
    Column("reason", Text, nullable=False),
    Column("decided_by", String(100), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Column("review_item_id", Integer),
    Column("match_probability", Float),  # the score the analyst saw
    UniqueConstraint("person_id_l", "person_id_r", name="uq_people_link_decisions_pair"),
)

# The model of each linkage run (Splink settings with the weights it estimated over every record),
# so a record arriving on its own is scored as that run scored, without each web process training
# a model of its own first. The latest row is the one in use.
link_models = Table(
    "people_link_models",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("trained_at", DateTime(timezone=True), nullable=False),
    Column("records", Integer, nullable=False),  # how many person records it was trained on
    Column("threshold", Float, nullable=False),
    Column("settings", JSON, nullable=False),
    # Whether the model discounts evidence shared within a household (a property of the records
    # it was trained on); NULL for models saved before it was kept, with no term frequencies.
    Column("households", Boolean, nullable=True),
)

# Each value's share of the records the model was trained on, for the comparisons that weigh a
# rare name above a common one: arriving records are compared with a few records found through
# the search index, whose own frequencies would say nothing about the population.
link_term_frequencies = Table(
    "people_link_term_frequencies",
    metadata,
    Column("model_id", Integer, primary_key=True),
    Column("column_name", String(60), primary_key=True),
    Column("value", Text, primary_key=True),
    Column("frequency", Float, nullable=False),
)
