"""Why two person records are (or might be) the same person, as the linkage model saw it.

``explain_pairs`` scores many pairs at once and names the comparison level each field reached
("date of birth: day and month transposed", "family name Jaro-Winkler >= 0.92"); linkage
stores the result for the links it made and the pairs it queued for review. Level labels come
from the model's configuration, never from the records, so an explanation holds no personal
values. It can still say something about a field (that two dates of birth agree), so a
reason about a field withheld from the viewer in either record is shown as withheld.
"""

from __future__ import annotations

import gc
import math
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import Connection

from watchhouse.people.tables import link_evidence

if TYPE_CHECKING:  # scoring needs them; reading stored evidence (the person page) does not
    import pandas as pd

# The record fields each comparison reads (comparison names as the resolve model builds them
# from ``linking.RECORDS_MAPPING``). A comparison not listed is treated as reading every field.
COMPARISON_FIELDS: dict[str, tuple[str, ...]] = {
    "given_name": ("given_name", "middle_names"),
    "family_name": ("family_name",),
    "dob": ("date_of_birth",),
    "postcode": ("postcode",),
    "address": ("address",),
    "locality": ("locality",),
    "sex": ("sex",),
    "name_suffix": ("given_name", "family_name"),
    "id_pnc": ("pnc_id",),
    "id_ni_number": ("ni_number",),
    "id_driving_licence": ("driving_licence",),
}
NOT_RECORDED = "not recorded in both"


# -- scoring many pairs at once -------------------------------------------------------------

def _level_table(model: Any) -> dict[str, tuple[str, list[tuple[float, str, bool]]]]:
    """comparison -> (title, [(trained weight, label, is null level)])."""
    from watchhouse.resolve.model import COMPARISON_TITLES

    out = {}
    for comparison in model.linker._settings_obj.comparisons:
        name = comparison.output_column_name
        levels = []
        for level in comparison.comparison_levels:
            weight = 0.0 if level.is_null_level else level._match_weight
            if weight is not None:
                levels.append((float(weight), NOT_RECORDED if level.is_null_level else level.label_for_charts,
                               bool(level.is_null_level)))
        out[name] = (COMPARISON_TITLES.get(name, name.removeprefix("id_").replace("_", " ")), levels)
    return out


def explain_pairs(model: Any, pairs: pd.DataFrame) -> pd.DataFrame:
    """Explanations of record pairs (``uid_l``, ``uid_r`` of ``model.records``) in one scoring pass.

    Returns the pairs with match_weight, match_probability (household evidence discounted, as
    linkage scores them), household_discounted and reasons: [[comparison, title, level, weight]].
    Each pair's two records are scored as a group of their own, as ``score_within_groups`` does,
    so a record in many pairs is simply repeated.
    """
    import numpy as np
    import pandas as pd

    from watchhouse.resolve.model import backend_table

    columns = ["uid_l", "uid_r", "match_weight", "match_probability", "household_discounted", "reasons"]
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    frame = model.records.frame
    left_uid, right_uid = pairs["uid_l"].to_numpy(np.int64), pairs["uid_r"].to_numpy(np.int64)
    index = np.arange(len(pairs), dtype=np.int64)
    left, right = frame.iloc[left_uid].copy(), frame.iloc[right_uid].copy()
    left["uid"], right["uid"] = 2 * index, 2 * index + 1
    left["score_group"], right["score_group"] = index, index
    stacked = pd.concat([left, right], ignore_index=True)
    linker = model.linker
    db_api = linker._db_api
    table = db_api.register(backend_table(db_api, stacked), table_name=f"__wh_explain_{uuid.uuid4().hex}")
    try:
        predictions = linker.inference.predict_within(
            table, link_type="dedupe_only", blocking_rules_to_generate_predictions=["l.score_group = r.score_group"],
            warning_mode="never",
        )
        try:
            raw = predictions.as_pandas_dataframe()
            adjusted = linker.misc.query_sql(model.adjusted_scores_sql(predictions.physical_name), output_type="pandas")
        finally:
            predictions.drop_table_from_database_and_remove_from_cache()
    finally:
        table.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)

    raw["pair"] = np.minimum(raw["uid_l"].astype("int64"), raw["uid_r"].astype("int64")) // 2
    adjusted["pair"] = np.minimum(adjusted["uid_l"].astype("int64"), adjusted["uid_r"].astype("int64")) // 2
    raw = raw.set_index("pair").sort_index()
    adjusted = adjusted.set_index("pair").reindex(raw.index)
    per_comparison = []
    # Hundreds of thousands of small lists: the cyclic collector would rescan them all many
    # times over (four fifths of the time here), and none of them can form a cycle.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for name, (title, levels) in _level_table(model).items():
            weights = raw[f"mw_{name}"].to_numpy(np.float64)
            tf_column = f"mw_tf_adj_{name}"
            tf = raw[tf_column].fillna(0).to_numpy(np.float64) if tf_column in raw else np.zeros(len(raw))
            labels = np.full(len(raw), "term-frequency adjusted", dtype=object)
            for weight, label, _ in levels:
                labels[np.isclose(weights, weight, rtol=0, atol=1e-9)] = label
            per_comparison.append([[name, title, label, total] for label, total in
                                   zip(labels.tolist(), np.round(weights + tf, 3).tolist())])
        reasons = [list(row) for row in zip(*per_comparison)] if per_comparison else [[] for _ in range(len(raw))]
    finally:
        if collecting:
            gc.enable()
    match_weight = adjusted["match_weight"].to_numpy(np.float64)
    out = pd.DataFrame({
        "uid_l": left_uid[raw.index.to_numpy()],
        "uid_r": right_uid[raw.index.to_numpy()],
        "match_weight": match_weight.round(4),
        "match_probability": adjusted["match_probability"].to_numpy(np.float64).round(6),
        "household_discounted": np.abs(match_weight - raw["match_weight"].to_numpy(np.float64)) > 1e-9,
        "reasons": reasons,
    })
    return out[columns]


# -- storing and reading ------------------------------------------------------------------

def replace_evidence(connection: Connection, rows: Iterable[Mapping[str, Any]]) -> int:
    """Replace the stored link evidence with this run's (rows keyed by person_id_l < person_id_r)."""
    connection.execute(link_evidence.delete())
    rows = list(rows)
    for start in range(0, len(rows), 5000):
        connection.execute(link_evidence.insert(), rows[start:start + 5000])
    return len(rows)


@dataclass(frozen=True)
class LinkReason:
    """One comparison: the level it reached and its weight, or withheld from this viewer."""

    comparison: str
    level: str | None
    match_weight: float | None
    withheld: bool = False

    @property
    def compared(self) -> bool:
        return not self.withheld and self.level != NOT_RECORDED


@dataclass(frozen=True)
class RecordCitation:
    record_id: int
    source_system: str
    source_record_id: str


@dataclass(frozen=True)
class LinkEvidence:
    """Why ``record`` belongs with ``linked_to`` under one master person."""

    record: RecordCitation
    linked_to: RecordCitation
    match_probability: float | None  # None when withheld (see ``visible_score``)
    match_weight: float | None
    reasons: list[LinkReason]
    household_discounted: bool | None
    confirmed_by_analyst: bool
    score_withheld: bool = False


def _short_level(title: str, level: str) -> str:
    """'date of birth exact' under 'date of birth' reads as 'exact'."""
    if level.lower().startswith(title.lower() + " "):
        level = level[len(title) + 1:]
    return level.replace(">=", "≥")


def visible_reasons(stored: list[list[Any]], withheld: set[str]) -> list[LinkReason]:
    """Stored reasons as a viewer may read them: a reason about a withheld field says only that."""
    out = []
    for name, title, level, weight in stored:
        fields = COMPARISON_FIELDS.get(name)
        hidden = bool(withheld) if fields is None else any(f in withheld for f in fields)
        if hidden:
            out.append(LinkReason(title, None, None, withheld=True))
        else:
            out.append(LinkReason(title, _short_level(title, level),
                                  float(weight) if weight is not None and math.isfinite(weight) else None))
    # The comparisons that decided the link first: strongest evidence either way.
    return sorted(out, key=lambda r: (r.withheld, not r.compared, -abs(r.match_weight or 0.0)))


@dataclass(frozen=True)
class VisibleScore:
    match_probability: float | None
    match_weight: float | None
    household_discounted: bool | None
    withheld: bool


def visible_score(reasons: list[LinkReason], match_probability: float, match_weight: float,
                  household_discounted: bool) -> VisibleScore:
    """A link's total as a viewer may read it. The total is the prior plus the sum of the reasons'
    weights, so next to the visible reasons it gives away a withheld one (a total 4.2 higher than
    the rest says 'day and month transposed' about a hidden date of birth): when any reason is
    withheld, so are the total, the probability and the household discount (which says that
    address and surname agree)."""
    if any(r.withheld for r in reasons):
        return VisibleScore(None, None, None, True)
    return VisibleScore(float(match_probability), float(match_weight), bool(household_discounted), False)


def evidence_for(connection: Connection, records: list[Any]) -> list[LinkEvidence]:
    """For each visible source record of one person (``SourceRecordView``s as the viewer sees
    them), its strongest stored link to another of those records (an analyst-confirmed one first). Links to records the viewer
    may not see are never used, so the evidence does not reveal that such records exist."""
    by_id = {r.id: r for r in records}
    if len(by_id) < 2:
        return []
    ids = sorted(by_id)
    rows = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        rows += connection.execute(
            sa.select(link_evidence).where(
                link_evidence.c.person_id_l.in_(chunk) | link_evidence.c.person_id_r.in_(chunk))
        ).all()
    best: dict[int, Any] = {}

    def strength(row) -> tuple[bool, float]:
        # An analyst's confirmation is the reason the records are one person, whatever the score.
        return row.decision == "confirm", row.match_probability

    for row in rows:
        if row.person_id_l not in by_id or row.person_id_r not in by_id:
            continue
        for record_id in (row.person_id_l, row.person_id_r):
            if record_id not in best or strength(row) > strength(best[record_id]):
                best[record_id] = row
    out = []
    for record in records:
        row = best.get(record.id)
        if row is None:
            continue
        partner = by_id[row.person_id_r if row.person_id_l == record.id else row.person_id_l]
        reasons = visible_reasons(row.reasons, set(record.withheld) | set(partner.withheld))
        score = visible_score(reasons, row.match_probability, row.match_weight, row.household_discounted)
        out.append(LinkEvidence(
            record=RecordCitation(record.id, record.source_system, record.source_record_id),
            linked_to=RecordCitation(partner.id, partner.source_system, partner.source_record_id),
            match_probability=score.match_probability,
            match_weight=score.match_weight,
            reasons=reasons,
            household_discounted=score.household_discounted,
            confirmed_by_analyst=row.decision == "confirm",
            score_withheld=score.withheld,
        ))
    return out
