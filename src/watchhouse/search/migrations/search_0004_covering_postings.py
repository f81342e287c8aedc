"""Postings that answer from the index alone: a search reads a few thousand postings, and each
used to cost a second look-up (of the row, for its clearance and caveats).

SQLite: ``search_keys`` becomes a WITHOUT ROWID table, so a posting *is* its primary-key entry.
PostgreSQL: the primary key INCLUDEs clearance and caveats, for index-only scans.

Postings now also carry the marking of the field they came from (a key from a SECRET date of
birth is SECRET), so the index can rank before any record is read. Postings written before this
revision carry the record's marking only, so ``search_meta`` records which format the index was
built in: the web application rebuilds an index of an older format before it serves
(``watchhouse.search.ensure_index_current``), as does every ``watchhouse link``.

The caveat sets postings carry are kept in ``search_caveat_sets`` (a handful of rows), since a
field's caveats need not be its record's; the index on ``search_people.caveats`` that used to
find them (search_0003) is dropped.

Revision ID: search_0004
Revises: search_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "search_0004"
down_revision = "search_0003"
branch_labels = None
depends_on = None

_COLUMNS = "key, person_id, clearance, caveats"


def _rebuild_sqlite(without_rowid: bool) -> None:
    suffix = " WITHOUT ROWID" if without_rowid else ""
    op.execute(
        "CREATE TABLE search_keys_new (key VARCHAR(120) NOT NULL, person_id INTEGER NOT NULL,"
        " clearance INTEGER NOT NULL, caveats VARCHAR(500) DEFAULT '' NOT NULL,"
        f" CONSTRAINT pk_search_keys PRIMARY KEY (key, person_id)){suffix}"
    )
    op.execute(f"INSERT INTO search_keys_new ({_COLUMNS}) SELECT {_COLUMNS} FROM search_keys ORDER BY key, person_id")
    op.execute("DROP TABLE search_keys")
    op.execute("ALTER TABLE search_keys_new RENAME TO search_keys")
    op.execute("CREATE INDEX ix_search_keys_person_id ON search_keys (person_id)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(without_rowid=True)
    else:
        op.execute("ALTER TABLE search_keys DROP CONSTRAINT pk_search_keys,"
                   " ADD CONSTRAINT pk_search_keys PRIMARY KEY (key, person_id) INCLUDE (clearance, caveats)")
    op.create_table("search_caveat_sets", sa.Column("caveats", sa.String(500), primary_key=True))
    op.drop_index("ix_search_people_caveats", "search_people")
    op.create_table("search_meta", sa.Column("name", sa.String(50), primary_key=True),
                    sa.Column("value", sa.String(200), nullable=False))
    op.execute("INSERT INTO search_caveat_sets (caveats)"
               " SELECT caveats FROM search_keys UNION SELECT caveats FROM search_people")


def downgrade() -> None:
    op.create_index("ix_search_people_caveats", "search_people", ["caveats"])
    op.drop_table("search_meta")
    op.drop_table("search_caveat_sets")
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(without_rowid=False)
    else:
        op.execute("ALTER TABLE search_keys DROP CONSTRAINT pk_search_keys,"
                   " ADD CONSTRAINT pk_search_keys PRIMARY KEY (key, person_id)")
