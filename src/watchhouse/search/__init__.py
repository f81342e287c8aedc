"""Search: find people by fuzzy name, date of birth or age, postcode, phone or identifier,
ranked, collapsed to master persons, and only ever over what the searcher may see."""

from watchhouse.search.keys import PersonQuery, QueryError, parse_query
from watchhouse.search.service import (
    PersonHit,
    ensure_index_current,
    index_is_current,
    index_people,
    rebuild_index,
    records_sharing_keys,
    reindex_people,
    search_people_for,
)

__all__ = ["PersonHit", "PersonQuery", "QueryError", "ensure_index_current", "index_is_current", "index_people",
           "parse_query", "rebuild_index", "records_sharing_keys", "reindex_people", "search_people_for"]
