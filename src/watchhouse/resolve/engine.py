"""Resolve people: train, score, cluster; explain a link; link one new record without retraining."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from watchhouse.resolve.cluster import cluster_records
from watchhouse.resolve.mapping import PersonMapping
from watchhouse.resolve.model import COMPARISON_TITLES, DEFAULT_THRESHOLD, LinkModel, train_model
from watchhouse.resolve.prepare import PreparedRecords, prepare_frame


@dataclass
class Resolution:
    """The outcome of resolving people in one or two files."""

    model: LinkModel
    scores: pd.DataFrame  # uid_l, uid_r, match_weight, match_probability (all scored candidates)
    labels: np.ndarray  # cluster label per uid
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def records(self) -> PreparedRecords:
        return self.model.records

    def links(self, *, within_clusters: bool = True) -> pd.DataFrame:
        """Pairs at or above the threshold: rec_id_l, rec_id_r, match_probability.

        With two files only cross-file pairs are links and the first file is on the left.
        ``within_clusters`` keeps only links the clustering agrees with, dropping the weak
        bridges that clustering refused to follow.
        """
        frame = self.records.frame
        pairs = self.scores[self.scores["match_probability"] >= self.model.threshold]
        left, right = pairs["uid_l"].to_numpy(), pairs["uid_r"].to_numpy()
        keep = np.ones(len(pairs), dtype=bool)
        if within_clusters:
            keep &= self.labels[left] == self.labels[right]
        source = frame["source"].to_numpy()
        if self.model.link_only:
            keep &= source[left] != source[right]
            swap = source[left] > source[right]
            left, right = np.where(swap, right, left), np.where(swap, left, right)
        rec_id = frame["rec_id"].to_numpy()
        return pd.DataFrame({
            "rec_id_l": rec_id[left[keep]],
            "rec_id_r": rec_id[right[keep]],
            "match_probability": pairs["match_probability"].to_numpy()[keep].round(6),
        })

    def clusters(self) -> pd.DataFrame:
        """Every record (singletons included) with its cluster id, named after its first record."""
        frame = self.records.frame
        first_uid = pd.Series(frame["uid"].to_numpy()).groupby(self.labels).transform("min").to_numpy()
        out = pd.DataFrame({"rec_id": frame["rec_id"].to_numpy(),
                            "cluster_id": frame["rec_id"].to_numpy()[first_uid]})
        if frame["rec_id"].duplicated().any():  # the same id in both files: say which file
            out["source_file"] = [self.records.files[s] for s in frame["source"]]
        return out


def resolve(records: PreparedRecords, *, link_only: bool = False, threshold: float = DEFAULT_THRESHOLD,
            seed: int = 42, model: LinkModel | None = None,
            progress: Callable[[str], None] | None = None,
            must_link: np.ndarray | None = None, cannot_link: np.ndarray | None = None) -> Resolution:
    """Train (unless given a model), score and cluster. ``must_link`` / ``cannot_link`` are (k, 2)
    uid pairs decided by analysts, which outrank the scores in clustering."""
    import time

    step = progress or (lambda message: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    if model is None:
        model = train_model(records, link_only=link_only, threshold=threshold, seed=seed, progress=step)
    timings["train"] = time.perf_counter() - started
    step("scoring candidate pairs")
    scores = model.predict(minimum_probability=min(0.01, threshold))
    timings["predict"] = time.perf_counter() - started - timings["train"]
    step(f"clustering {len(scores):,} scored pairs")
    labels = cluster_records(len(records.frame), scores, threshold, _group_scorer(model, scores),
                             must_link=must_link, cannot_link=cannot_link)
    _, labels = np.unique(labels, return_inverse=True)
    timings["cluster"] = time.perf_counter() - started - timings["train"] - timings["predict"]
    return Resolution(model=model, scores=scores, labels=labels, timings=timings)


# A group of records linked to each other gets every pair inside it scored, so clustering sees
# the pairs blocking missed. A person has a handful of records; a group far bigger than that is
# people chained together, where all-pairs scoring is quadratic (a 960-record group is 460,000
# pairs) and the unscored pairs are ones no blocking rule joined — weak evidence, taken as 0.
FULLY_SCORED_GROUP = 50


def _group_scorer(model: LinkModel, scores: pd.DataFrame) -> Callable[[pd.Series], pd.DataFrame]:
    def score_groups(groups: pd.Series) -> pd.DataFrame:
        sizes = groups.map(groups.value_counts()).to_numpy()
        small, large = groups[sizes <= FULLY_SCORED_GROUP], groups[sizes > FULLY_SCORED_GROUP]
        parts = [model.score_within_groups(small)] if len(small) else []
        if len(large):
            group_of = np.full(len(model.records.frame), -1, dtype=np.int64)
            group_of[large.index.to_numpy()] = large.to_numpy()
            left, right = group_of[scores["uid_l"].to_numpy()], group_of[scores["uid_r"].to_numpy()]
            parts.append(scores[(left >= 0) & (left == right)])
        return pd.concat(parts, ignore_index=True) if parts else scores.iloc[:0]
    return score_groups


# -- explanations and incremental linking -------------------------------------------------

@dataclass(frozen=True)
class ComparisonReason:
    comparison: str
    level: str
    match_weight: float


@dataclass(frozen=True)
class LinkExplanation:
    """Why two records are (or are not) the same person."""

    match_weight: float
    match_probability: float
    reasons: list[ComparisonReason]
    household_discounted: bool

    def summary(self) -> str:
        lines = [f"match probability {self.match_probability:.4f} (weight {self.match_weight:+.2f})"]
        lines += [f"  {r.comparison}: {r.level} ({r.match_weight:+.2f})" for r in self.reasons]
        if self.household_discounted:
            lines.append("  shared household evidence discounted: the pair look like two people who live together")
        return "\n".join(lines)


def _one_record_frame(model: LinkModel, record: Mapping[str, Any], mapping: PersonMapping) -> pd.DataFrame:
    prepared = prepare_frame(pd.DataFrame([dict(record)]), mapping, name="<record>")
    frame = prepared.frame
    for column in model.records.frame.columns:  # keep the trained table's shape
        if column not in frame.columns:
            frame[column] = None
    return frame[model.records.frame.columns]


def _level_label(model: LinkModel, comparison: str, weight: float) -> str:
    for item in model.linker._settings_obj.comparisons:
        if item.output_column_name != comparison:
            continue
        for level in item.comparison_levels:
            if level._match_weight is not None and abs(level._match_weight - weight) < 1e-9:
                return level.label_for_charts
    return "term-frequency adjusted"


def explain_link(model: LinkModel, left: Mapping[str, Any], right: Mapping[str, Any],
                 mapping: PersonMapping) -> LinkExplanation:
    """Score two records (in the mapping's column names) and say which comparison levels decided it."""
    frames = [_one_record_frame(model, record, mapping) for record in (left, right)]
    frames[0]["uid"], frames[1]["uid"] = -1, -2
    _ensure_term_frequencies(model)
    scored = model.linker.inference.score_pair(frames[0].iloc[0].to_dict(), frames[1].iloc[0].to_dict())
    raw = scored.as_pandas_dataframe().iloc[0]
    adjusted = model.linker.misc.query_sql(model.adjusted_scores_sql(scored.physical_name), output_type="pandas")
    scored.drop_table_from_database_and_remove_from_cache()
    reasons = []
    for comparison in model.linker._settings_obj.comparisons:
        name = comparison.output_column_name
        weight = float(raw[f"mw_{name}"])
        tf = float(raw.get(f"mw_tf_adj_{name}", 0.0) or 0.0)
        reasons.append(ComparisonReason(COMPARISON_TITLES.get(name, name.removeprefix("id_")),
                                        _level_label(model, name, weight), round(weight + tf, 4)))
    weight = float(adjusted["match_weight"].iloc[0])
    return LinkExplanation(
        match_weight=weight,
        match_probability=float(adjusted["match_probability"].iloc[0]),
        reasons=reasons,
        household_discounted=abs(weight - float(raw["match_weight"])) > 1e-9,
    )


def _ensure_term_frequencies(model: LinkModel) -> None:
    for column in model.linker._settings_obj._term_frequency_columns:
        model.linker.table_management.compute_tf_table(column.name)


@dataclass(frozen=True)
class Candidate:
    rec_id: str
    source_file: str
    match_probability: float
    match_weight: float
    cluster_id: str | None = None


def link_new_record(model: LinkModel, record: Mapping[str, Any], mapping: PersonMapping, *,
                    resolution: Resolution | None = None, minimum_probability: float | None = None) -> list[Candidate]:
    """Existing records the new one matches, best first, scored by the trained model (no retraining).

    Candidates come from the model's own blocking rules, so this costs one small join.
    """
    frame = _one_record_frame(model, record, mapping)
    frame["uid"] = -1
    frame["source"] = -1
    _ensure_term_frequencies(model)
    db_api = model.linker._db_api
    new_table = db_api.register(frame, table_name=f"__wh_new_{uuid.uuid4().hex}")
    try:
        predictions = model.linker.inference.predict_between(new_table, model.table, warning_mode="never")
        scores = model.scores(predictions, minimum_probability or model.threshold)
    finally:
        new_table.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)
    existing = model.records.frame.set_index("uid")
    clusters = resolution.clusters()["cluster_id"].to_numpy() if resolution is not None else None
    out = []
    for row in scores.itertuples(index=False):
        uid = row.uid_r if row.uid_l == -1 else row.uid_l
        out.append(Candidate(
            rec_id=str(existing.at[uid, "rec_id"]),
            source_file=model.records.files[int(existing.at[uid, "source"])],
            match_probability=float(row.match_probability),
            match_weight=float(row.match_weight),
            cluster_id=None if clusters is None else str(clusters[uid]),
        ))
    return sorted(out, key=lambda c: -c.match_weight)
