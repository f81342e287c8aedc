"""Join up the people in the records: link source person records into master persons.

The linkage engine (``watchhouse.resolve``) decides which records are the same person; this
module feeds it the records, hands its clusters to the records capability and refreshes the
search index. Combining personal data is processing the audit must record (DPA 2018 s.62).

Analysts' decisions steer every run: pairs they confirmed must link and pairs they split
cannot (``watchhouse.people.review``). Each run stores why it linked what it linked (the
comparison levels of each person's strongest links) and queues the pairs it scored near the
threshold, other than decided ones, for review.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import Engine

from watchhouse import audit
from watchhouse.access import Viewer

# Pairs scored within this distance of the threshold (in probability) go to the review queue.
DEFAULT_REVIEW_MARGIN = 0.2
# Per record, the strongest links within its person whose reasons are kept for the person page:
# two, so a record whose strongest partner is hidden from a viewer can usually show another.
EVIDENCE_PER_RECORD = 2

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
    review_items: int = 0  # pairs waiting for an analyst after this run
    decisions_applied: int = 0  # analysts' decisions that steered this run


def _pair_key(a, b) -> tuple[int, int]:
    a, b = int(a), int(b)
    return (a, b) if a < b else (b, a)


def _strongest_per_record(pairs, per_record: int):
    """The pairs that are among the ``per_record`` strongest of either of their records."""
    import numpy as np
    import pandas as pd

    both = pd.DataFrame({
        "uid": np.concatenate([pairs["uid_l"].to_numpy(), pairs["uid_r"].to_numpy()]),
        "row": np.concatenate([np.arange(len(pairs)), np.arange(len(pairs))]),
        "p": np.concatenate([pairs["match_probability"].to_numpy(), pairs["match_probability"].to_numpy()]),
    }).sort_values(["uid", "p"], ascending=[True, False], kind="stable")
    rows = both.groupby("uid", sort=False).head(per_record)["row"].unique()
    return pairs.iloc[np.sort(rows)]


@dataclass(frozen=True)
class SavedModel:
    threshold: float
    settings: dict
    households: bool | None  # None: saved before term frequencies were kept
    term_frequencies: dict = field(default_factory=dict)  # {column: frame of value, frequency}


def latest_model_id(engine: Engine) -> int | None:
    """The id of the model of the latest linkage run, or None before the first."""
    import sqlalchemy as sa

    from watchhouse.people.tables import link_models

    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.max(link_models.c.id))).scalar()


def saved_model(engine: Engine, model_id: int) -> SavedModel | None:
    """A linkage run's model: its threshold, its Splink settings with the weights it estimated, its
    household setting and the term frequencies of the records it was trained on."""
    import sqlalchemy as sa

    import pandas as pd

    from watchhouse.people.tables import link_models
    from watchhouse.people.tables import link_term_frequencies as frequencies

    with engine.connect() as connection:
        row = connection.execute(sa.select(link_models.c.threshold, link_models.c.settings, link_models.c.households)
                                 .where(link_models.c.id == model_id)).one_or_none()
        if row is None:
            return None
        rows = connection.execute(sa.select(frequencies.c.column_name, frequencies.c.value, frequencies.c.frequency)
                                  .where(frequencies.c.model_id == model_id)).all()
    tables = {column: frame[["value", "frequency"]].reset_index(drop=True)
              for column, frame in pd.DataFrame(rows, columns=["column", "value", "frequency"]).groupby("column")}
    return SavedModel(float(row.threshold), row.settings, row.households, tables)


def link_people(engine: Engine, *, threshold: float = 0.5, review_margin: float = DEFAULT_REVIEW_MARGIN,
                progress=None) -> LinkSummary:
    """Re-link every person record and replace the master persons in one transaction."""
    from datetime import UTC, datetime

    import numpy as np
    import pandas as pd

    from watchhouse import records
    from watchhouse.people import evidence, review
    from watchhouse.people.tables import link_models, link_term_frequencies
    from watchhouse.resolve import Resolution, parse_mapping, prepare_frame, train_model
    from watchhouse.resolve.cluster import cluster_records
    from watchhouse.search import rebuild_index

    if not 0 <= review_margin < 1:
        raise ValueError(f"review margin {review_margin} must be at least 0 and below 1")
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
    person_of_uid = prepared.frame["rec_id"].astype("int64").to_numpy()
    uid_of = {int(pid): uid for uid, pid in enumerate(person_of_uid)}
    must, cannot = review.decided_pairs(engine)
    must_uids = np.array([[uid_of[a], uid_of[b]] for a, b in must if a in uid_of and b in uid_of], dtype=np.int64)
    cannot_uids = np.array([[uid_of[a], uid_of[b]] for a, b in cannot if a in uid_of and b in uid_of], dtype=np.int64)
    model = train_model(prepared, threshold=threshold, progress=step)
    low, high = max(0.0, threshold - review_margin), min(1.0, threshold + review_margin)
    step("scoring candidate pairs")
    floor = min(0.01, threshold, low) if low > 0 else min(0.01, threshold)  # the band is scored in full
    scores = model.predict(minimum_probability=floor)
    step(f"clustering {len(scores):,} scored pairs")
    labels = cluster_records(len(prepared.frame), scores, threshold, model.score_within_groups,
                             must_link=must_uids, cannot_link=cannot_uids)
    _, labels = np.unique(labels, return_inverse=True)
    resolution = Resolution(model=model, scores=scores, labels=labels)
    clusters = resolution.clusters()

    step("explaining links and queueing pairs near the threshold for review")
    decided = {_pair_key(a, b) for a, b in must + cannot}
    keys = [_pair_key(a, b) for a, b in zip(person_of_uid[scores["uid_l"]], person_of_uid[scores["uid_r"]])]
    is_decided = np.array([key in decided for key in keys], dtype=bool)
    probability = scores["match_probability"].to_numpy()
    in_band = (probability >= low) & (probability <= high) & ~is_decided
    same = labels[scores["uid_l"].to_numpy()] == labels[scores["uid_r"].to_numpy()]
    within = _strongest_per_record(scores[same], EVIDENCE_PER_RECORD)[["uid_l", "uid_r"]]
    confirmed = pd.DataFrame(must_uids.reshape(-1, 2), columns=["uid_l", "uid_r"])
    confirmed = confirmed[labels[confirmed["uid_l"].to_numpy()] == labels[confirmed["uid_r"].to_numpy()]]
    wanted = pd.concat([within, confirmed, scores.loc[in_band, ["uid_l", "uid_r"]]], ignore_index=True)
    wanted = wanted.assign(a=wanted.min(axis=1), b=wanted.max(axis=1))[["a", "b"]].drop_duplicates()
    explained = evidence.explain_pairs(model, wanted.rename(columns={"a": "uid_l", "b": "uid_r"}))
    uid_l, uid_r = explained["uid_l"].to_numpy(np.int64), explained["uid_r"].to_numpy(np.int64)
    explained["person_l"], explained["person_r"] = person_of_uid[uid_l], person_of_uid[uid_r]
    explained["linked"] = labels[uid_l] == labels[uid_r]
    confirmed_keys = {_pair_key(a, b) for a, b in must}
    within_keys = {_pair_key(person_of_uid[a], person_of_uid[b]) for a, b in zip(within["uid_l"], within["uid_r"])}
    within_keys |= {_pair_key(person_of_uid[a], person_of_uid[b])
                    for a, b in zip(confirmed["uid_l"], confirmed["uid_r"])}
    band_keys = {keys[i] for i in np.flatnonzero(in_band)}
    now = datetime.now(UTC)
    evidence_rows, review_rows = [], []
    for row in explained.itertuples(index=False):
        key = _pair_key(row.person_l, row.person_r)
        values = {"person_id_l": key[0], "person_id_r": key[1], "match_probability": float(row.match_probability),
                  "match_weight": float(row.match_weight), "reasons": row.reasons,
                  "household_discounted": bool(row.household_discounted)}
        if key in within_keys and row.linked:
            evidence_rows.append({**values, "decision": "confirm" if key in confirmed_keys else None,
                                  "linked_at": now})
        if key in band_keys:
            review_rows.append({**values, "linked": bool(row.linked), "threshold": threshold})
    sizes = Counter(clusters["cluster_id"])
    # A cluster is named after its first record, so master ids survive re-runs that agree.
    memberships = {int(rec): f"linked:{int(cluster)}" for rec, cluster in zip(clusters["rec_id"], clusters["cluster_id"])
                   if sizes[cluster] > 1}
    # Worked out before the transaction, which holds SQLite's write lock.
    settings = model.settings()
    frequency_rows = [{"column_name": column, "value": str(value), "frequency": float(frequency)}
                      for column, frame in model.term_frequencies().items()
                      for value, frequency in zip(frame["value"], frame["frequency"]) if pd.notna(value)]
    step("replacing master persons")
    with engine.begin() as connection:
        masters = records.replace_memberships(connection, memberships)
        evidence.replace_evidence(connection, evidence_rows)
        queued = review.replace_pending(connection, review_rows, now=now)
        model_id = connection.execute(link_models.insert().values(
            trained_at=now, records=len(frame), threshold=threshold, settings=settings,
            households=model.households)).inserted_primary_key[0]
        if frequency_rows:
            connection.execute(link_term_frequencies.insert(), [{"model_id": model_id, **row} for row in frequency_rows])
        audit.record(connection, actor="system", action="combination", client="linkage",
                     purpose="link person records into master persons",
                     detail={"records": len(frame), "masters": masters, "linked_records": len(memberships),
                             "threshold": threshold, "review_items": queued,
                             "decisions_applied": len(must_uids) + len(cannot_uids)})
    step("rebuilding the search index")
    rebuild_index(engine)
    return LinkSummary(records=len(frame), masters=masters, linked_records=len(memberships),
                       largest_master=max(sizes.values()), seconds=round(time.perf_counter() - started, 1),
                       review_items=queued, decisions_applied=len(must_uids) + len(cannot_uids))
