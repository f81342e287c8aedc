"""Join up the people in the records: link source person records into master persons.

The linkage engine (``watchhouse.resolve``) decides which records are the same person; this
module feeds it the records, hands its clusters to the records capability and refreshes the
search index. Combining personal data is processing the audit must record (DPA 2018 s.62).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine

from watchhouse import audit
from watchhouse.access import Viewer

# The records' own person fields, as the resolve engine's mapping names them.
RECORDS_MAPPING = {
    "id": "id",
    "fields": {
        "given_name": "given_name",
        "family_name": "family_name",
        "date_of_birth": {"column": "date_of_birth", "format": "%Y-%m-%d"},
        "address": ["address"],
        "locality": "locality",
        "postcode": "postcode",
        "identifiers": {"pnc": "pnc_id", "ni_number": "ni_number", "driving_licence": "driving_licence"},
    },
}
_COLUMNS = ["id", "given_name", "family_name", "date_of_birth", "address", "locality", "postcode", "pnc_id",
            "ni_number", "driving_licence"]


@dataclass
class LinkSummary:
    records: int
    masters: int
    linked_records: int  # records that share their master with at least one other
    largest_master: int
    seconds: float


def link_people(engine: Engine, *, threshold: float = 0.5, progress=None) -> LinkSummary:
    """Re-link every person record and replace the master persons in one transaction."""
    import pandas as pd

    from watchhouse import records
    from watchhouse.resolve import parse_mapping, prepare_frame, resolve
    from watchhouse.search import rebuild_index

    step = progress or (lambda message: None)
    started = time.perf_counter()
    viewer = Viewer.system("link person records into master persons")
    step("reading person records")
    rows = [row for batch in records.iter_people(engine, viewer) for row in batch]
    if not rows:
        return LinkSummary(0, 0, 0, 0, 0.0)
    frame = pd.DataFrame(rows)
    for column in _COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["date_of_birth"] = frame["date_of_birth"].map(lambda d: d.isoformat()[:10] if hasattr(d, "isoformat") else d)
    prepared = prepare_frame(frame[_COLUMNS], parse_mapping(RECORDS_MAPPING, "records"), name="records")
    step(f"linking {len(frame):,} person records")
    resolution = resolve(prepared, threshold=threshold, progress=step)
    clusters = resolution.clusters()
    sizes = Counter(clusters["cluster_id"])
    # A cluster is named after its first record, so master ids survive re-runs that agree.
    memberships = {int(rec): f"linked:{int(cluster)}" for rec, cluster in zip(clusters["rec_id"], clusters["cluster_id"])
                   if sizes[cluster] > 1}
    step("replacing master persons")
    with engine.begin() as connection:
        masters = records.replace_memberships(connection, memberships)
        audit.record(connection, actor="system", action="combination", client="linkage",
                     purpose="link person records into master persons",
                     detail={"records": len(frame), "masters": masters, "linked_records": len(memberships),
                             "threshold": threshold})
    step("rebuilding the search index")
    rebuild_index(engine)
    return LinkSummary(records=len(frame), masters=masters, linked_records=len(memberships),
                       largest_master=max(sizes.values()), seconds=round(time.perf_counter() - started, 1))
