"""The Splink 5 person-linkage model: comparisons for UK person records, unsupervised training.

The comparisons are built from whichever person features the mapped files provide, so the
same code serves a file with a national id and no address as well as one with everything.
All SQL here is either Splink's own level library (translated per backend) or plain ANSI
arithmetic and comparison, so the settings run on DuckDB and on Spark alike.

Household evidence. Fellegi-Sunter adds up evidence as if fields were independent, but people
who live together share a surname, address and postcode *because* they live together. When a
pair already shows it is two different people — clearly different given names (partners,
twins, siblings), or dates of birth a generation apart (parents and children, a father and a
son of the same name), or different Jr/Sr suffixes — the shared household no longer counts
as evidence of identity: its positive weight is removed (``HOUSEHOLD_COMPARISONS``).
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from watchhouse.resolve.prepare import KEYED_COLUMNS, PreparedRecords

HOUSEHOLD_COMPARISONS = ("family_name", "address", "postcode", "locality", "region")
LABEL_GIVEN_DIFFERENT = "given names unrelated"
LABEL_DOB_GENERATION_APART = "born more than 12 years apart"
LABEL_SUFFIX_DIFFERENT = "different generation suffix (Jr/Sr)"
LABEL_SEX_DIFFERENT = "sex differs"
# Levels saying "these are two people": a duplicate almost never shows them, family members do.
DISTINCT_PERSON_LEVELS = {
    "given_name": (LABEL_GIVEN_DIFFERENT,),
    "dob": ("same year only", "born within 5 years", "born within 12 years", LABEL_DOB_GENERATION_APART),
    "name_suffix": (LABEL_SUFFIX_DIFFERENT,),
    "sex": (LABEL_SEX_DIFFERENT,),
}
# Files "hold households" when, among records sharing an address and surname, at least this
# share are plainly different people (different initial, birth years 2+ apart). Deduplication
# test files without families (FEBRL: under 1%) keep every piece of evidence; police-like files
# (partners, children, twins: around half) discount shared-household evidence.
HOUSEHOLD_SHARE = 0.05
DEFAULT_THRESHOLD = 0.5
# Recall assumed for the "exact on name and date of birth, or on an identifier" rules when
# estimating how many pairs match; duplicates in real systems are mostly messier than that.
DETERMINISTIC_RECALL = 0.6
SPLINK_LOG_LEVEL = logging.ERROR


COMPARISON_TITLES = {
    "given_name": "given name", "family_name": "family name", "dob": "date of birth", "postcode": "postcode",
    "address": "address", "locality": "locality", "region": "region", "sex": "sex",
    "name_suffix": "generation suffix",
}
SWAPPED_NAMES = "given_name_l = family_name_r AND family_name_l = given_name_r"


def household_share(frame: pd.DataFrame) -> float:
    """Among pairs of records sharing an address and surname, the share that are plainly two people."""
    known = frame.dropna(subset=["address", "family_name", "given_initial", "dob_year"])
    known = known[known.duplicated(["address", "family_name"], keep=False)]
    if known.empty:
        return 0.0
    pairs = known[["uid", "address", "family_name", "given_initial", "dob_year"]].merge(
        known[["uid", "address", "family_name", "given_initial", "dob_year"]], on=["address", "family_name"],
        suffixes=("_l", "_r"))
    pairs = pairs[pairs["uid_l"] < pairs["uid_r"]]
    if len(pairs) < 20:
        return 0.0
    distinct = (pairs["given_initial_l"] != pairs["given_initial_r"]) & (
        (pairs["dob_year_l"] - pairs["dob_year_r"]).abs() >= 2)
    return float(distinct.mean())


def _present(features: set[str], *names: str) -> bool:
    return all(name in features for name in names)


def build_comparisons(features: set[str], identifiers: list[str]) -> list[Any]:
    """The comparisons for the person features that have values."""
    import splink.comparison_level_library as cll
    import splink.comparison_library as cl

    comparisons: list[Any] = []
    if "given_name" in features:
        levels = [
            cll.NullLevel("given_name"),
            cll.ExactMatchLevel("given_name").configure(tf_adjustment_column="given_name",
                                                        label_for_charts="given name exact"),
            # Scalar keys, not array intersection: u sampling compares millions of random pairs.
            cll.CustomLevel(
                "given_key_l = given_key_r OR given_key_l = given_key2_r OR given_key2_l = given_key_r",
                "nickname or diminutive",
            ),
            cll.JaroWinklerLevel("given_name", 0.92).configure(label_for_charts="given name Jaro-Winkler >= 0.92"),
            cll.CustomLevel("given_name_l = given_middle_r OR given_middle_l = given_name_r",
                            "one uses the other's middle name"),
            cll.CustomLevel(
                "(length(given_name_l) = 1 OR length(given_name_r) = 1) AND given_initial_l = given_initial_r",
                "initial matches name",
            ),
            cll.JaroWinklerLevel("given_name", 0.8).configure(label_for_charts="given name Jaro-Winkler >= 0.8"),
        ]
        if "family_name" in features:
            levels.append(cll.CustomLevel(SWAPPED_NAMES, "given and family names swapped"))
        levels.append(cll.ElseLevel().configure(label_for_charts=LABEL_GIVEN_DIFFERENT))
        comparisons.append(cl.CustomComparison(levels, "given_name", "given name"))
    if "family_name" in features:
        levels = [
            cll.NullLevel("family_name"),
            cll.ExactMatchLevel("family_name").configure(tf_adjustment_column="family_name",
                                                         label_for_charts="family name exact"),
            cll.JaroWinklerLevel("family_name", 0.92).configure(label_for_charts="family name Jaro-Winkler >= 0.92"),
            cll.CustomLevel(
                "family_first_l = family_first_r OR family_last_l = family_last_r"
                " OR family_first_l = family_last_r OR family_last_l = family_first_r",
                "shares part of a double-barrelled name",
            ),
            cll.JaroWinklerLevel("family_name", 0.8).configure(label_for_charts="family name Jaro-Winkler >= 0.8"),
        ]
        if "given_name" in features:
            levels.append(cll.CustomLevel(SWAPPED_NAMES, "given and family names swapped"))
        levels.append(cll.ElseLevel().configure(label_for_charts="family names differ"))
        comparisons.append(cl.CustomComparison(levels, "family_name", "family name"))
    if "dob" in features:
        comparisons.append(cl.CustomComparison([
            cll.NullLevel("dob"),
            cll.ExactMatchLevel("dob").configure(label_for_charts="date of birth exact"),
            cll.CustomLevel(
                "dob_year_l = dob_year_r AND dob_month_l = dob_day_r AND dob_day_l = dob_month_r",
                "day and month transposed",
            ),
            cll.CustomLevel(
                "(dob_year_l = dob_year_r AND dob_month_l = dob_month_r)"
                " OR (dob_year_l = dob_year_r AND dob_day_l = dob_day_r)"
                " OR (dob_month_l = dob_month_r AND dob_day_l = dob_day_r)",
                "one of day, month, year differs",
            ),
            cll.CustomLevel("dob_year_l = dob_year_r", "same year only"),
            cll.CustomLevel("abs(dob_year_l - dob_year_r) <= 5", "born within 5 years"),
            cll.CustomLevel("abs(dob_year_l - dob_year_r) <= 12", "born within 12 years"),
            cll.ElseLevel().configure(label_for_charts=LABEL_DOB_GENERATION_APART),
        ], "dob", "date of birth"))
    if "postcode" in features:
        comparisons.append(cl.CustomComparison([
            cll.NullLevel("postcode"),
            cll.ExactMatchLevel("postcode").configure(label_for_charts="postcode exact"),
            cll.ExactMatchLevel("postcode_sector").configure(label_for_charts="same postcode sector"),
            cll.LevenshteinLevel("postcode", 1).configure(label_for_charts="postcode one character different"),
            cll.ExactMatchLevel("postcode_district").configure(label_for_charts="same postcode district"),
            cll.ExactMatchLevel("postcode_area").configure(label_for_charts="same postcode area"),
            cll.ElseLevel().configure(label_for_charts="postcodes differ"),
        ], "postcode", "postcode"))
    if "address" in features:
        comparisons.append(cl.CustomComparison([
            cll.NullLevel("address"),
            cll.ExactMatchLevel("address").configure(label_for_charts="address exact"),
            cll.JaroWinklerLevel("address", 0.9).configure(label_for_charts="address Jaro-Winkler >= 0.9"),
            cll.JaroWinklerLevel("address", 0.8).configure(label_for_charts="address Jaro-Winkler >= 0.8"),
            cll.ElseLevel().configure(label_for_charts="addresses differ"),
        ], "address", "address"))
    if "locality" in features:
        comparisons.append(cl.CustomComparison([
            cll.NullLevel("locality"),
            cll.ExactMatchLevel("locality").configure(tf_adjustment_column="locality",
                                                      label_for_charts="locality exact"),
            cll.JaroWinklerLevel("locality", 0.88).configure(label_for_charts="locality Jaro-Winkler >= 0.88"),
            cll.ElseLevel().configure(label_for_charts="localities differ"),
        ], "locality", "locality"))
    # Fields that either agree or do not: a null level, an exact level and the rest.
    for column, agree, differ, title in (
        ("region", "region exact", "regions differ", "region"),
        ("sex", "sex agrees", LABEL_SEX_DIFFERENT, "sex"),
        ("name_suffix", "same generation suffix", LABEL_SUFFIX_DIFFERENT, "generation suffix"),
    ):
        if column in features:
            comparisons.append(cl.CustomComparison([
                cll.NullLevel(column),
                cll.ExactMatchLevel(column).configure(label_for_charts=agree),
                cll.ElseLevel().configure(label_for_charts=differ),
            ], column, title))
    for name in identifiers:
        column = f"id_{name}"
        if column not in features:
            continue
        comparisons.append(cl.CustomComparison([
            cll.NullLevel(column),
            cll.ExactMatchLevel(column).configure(label_for_charts=f"{name} exact"),
            cll.LevenshteinLevel(column, 1).configure(label_for_charts=f"{name} one typo"),
            cll.ElseLevel().configure(label_for_charts=f"{name} differs"),
        ], column, name))
    return comparisons


def _key(column: str) -> str:
    """The column blocking joins on: its integer key when preparation made one (see KEYED_COLUMNS)."""
    return f"k_{column}" if column in KEYED_COLUMNS or column == "dob" or column.startswith("id_") else column


def _equal(*columns: str) -> str:
    return " AND ".join(f"l.{_key(c)} = r.{_key(c)}" for c in columns)


def build_blocking_rules(features: set[str], identifiers: list[str], link_only: bool) -> list[str]:
    """Candidate-pair rules over whichever features exist; each catches what the others miss.

    Large blocks (everyone called John Smith; every Smith born in 1980) are split by a further
    field that any duplicate shares, so the join itself stays small: the raw pairs a rule joins
    and the pairs it scores both cost time, and at a million records the unsplit rules joined
    ~85 million pairs. Every link above the threshold on the police-like data survives the split
    but for about one in a thousand. A rule whose extra field the files lack stays unsplit.
    """
    rules: list[str] = []
    dated = "dob" in features
    undated = "(l.dob_year IS NULL OR r.dob_year IS NULL)"

    def split(base: tuple[str, ...], extras: list[tuple[str, ...]]) -> None:
        """``base`` refined by each usable extra set of columns, or ``base`` alone if none is usable."""
        if not _present(features, *base):
            return
        usable = [extra for extra in extras if _present(features, *extra)]
        rules.extend(_equal(*base, *extra) for extra in usable or [()])

    if _present(features, "given_key", "family_name"):  # the common case, nicknames included
        if dated:  # same birth year, or only the year mistyped...
            rules += [_equal("given_key", "family_name", "dob_year"),
                      _equal("given_key", "family_name", "dob_month", "dob_day")]
            # ...or no date of birth on one side: then the same locality (or, without one, area).
            places = [(c,) for c in ("locality", "postcode_area") if c in features][:1] or [()]
            rules += [f"{_equal('given_key', 'family_name', *place)} AND {undated}" for place in places]
        else:
            rules.append(_equal("given_key", "family_name"))
    split(("dob", "given_initial"), [])                      # married-name changes, surname typos
    split(("dob", "family_initial"), [])                     # given-name typos and initials
    split(("family_name", "dob_year"), [("given_initial",)])  # day/month swaps, given-name typos
    split(("given_key", "postcode"), [])                     # married names at the same address
    split(("family_name", "postcode"), [])                   # given names written differently at one address
    split(("postcode", "dob_year"), [])
    split(("address", "dob_year"), [])
    split(("family_name", "address"), [])                    # typos in both given name and date of birth
    split(("family_name", "dob_month", "dob_day"), [("given_initial",)])  # a mistyped year after a move
    if _present(features, "given_name", "family_name"):
        swapped = "l.k_given_name = r.k_family_name AND l.k_family_name = r.k_given_name"
        rules.append(f"{swapped} AND (l.dob_year = r.dob_year OR {undated})" if dated else swapped)
    for name in identifiers:
        if f"id_{name}" in features:
            rules.append(_equal(f"id_{name}"))
    if not rules:
        raise ValueError("the records share no blocking fields: map names with a date of birth or postcode, "
                         "or an identifier")
    if link_only:
        rules = [f"({rule}) AND l.source <> r.source" for rule in rules]
    return rules


def training_rules(features: set[str], identifiers: list[str]) -> list[str]:
    """EM blocking rules: each fixes some fields so the others can be estimated."""
    rules = []
    for columns in (("given_key", "family_name"), ("dob",), ("postcode", "dob_year")):
        if _present(features, *columns) and len(rules) < 2:
            rules.append(" AND ".join(f"l.{c} = r.{c}" for c in columns))
    for name in identifiers:
        if f"id_{name}" in features and len(rules) < 2:
            rules.append(f"l.id_{name} = r.id_{name}")
    return rules


def deterministic_rules(features: set[str], identifiers: list[str]) -> list[str]:
    rules = []
    if _present(features, "given_name", "family_name", "dob"):
        rules.append("l.given_name = r.given_name AND l.family_name = r.family_name AND l.dob = r.dob")
    elif _present(features, "given_name", "family_name", "postcode"):
        rules.append("l.given_name = r.given_name AND l.family_name = r.family_name AND l.postcode = r.postcode")
    for name in identifiers:
        if f"id_{name}" in features:
            rules.append(f"l.id_{name} = r.id_{name}")
    return rules


def model_features(records: PreparedRecords) -> set[str]:
    features = records.available
    # A suffix seen on a handful of rows is noise for EM; it matters when a source records it.
    if "name_suffix" in features and records.frame["name_suffix"].notna().mean() < 0.001:
        features.discard("name_suffix")
    return features


@dataclass
class LinkModel:
    """A trained (or loaded) model bound to the records it links."""

    linker: Any
    records: PreparedRecords
    link_only: bool
    threshold: float = DEFAULT_THRESHOLD
    table: Any = None
    notes: list[str] = field(default_factory=list)
    households: bool = False  # discount shared-household evidence (see module docstring)

    def settings(self) -> dict[str, Any]:
        return self.linker.misc.save_model_to_json()

    def term_frequency_columns(self) -> list[str]:
        return sorted({column.unquote().name for column in self.linker._settings_obj._term_frequency_columns})

    def term_frequencies(self) -> dict[str, pd.DataFrame]:
        """{column: frame of (value, frequency)} over the model's records, for each comparison
        weighted by how common a value is; ``use_term_frequencies`` puts them back."""
        out = {}
        for column in self.term_frequency_columns():
            frame = self.linker.table_management.compute_tf_table(column).as_pandas_dataframe()
            out[column] = frame.rename(columns={column: "value", f"tf_{column}": "frequency"})[["value", "frequency"]]
        return out

    def use_term_frequencies(self, tables: dict[str, pd.DataFrame]) -> None:
        """Weigh values by frequencies taken elsewhere (a larger population than this model's
        records). A value missing from them gets its comparison level's plain weight."""
        db_api = self.linker._db_api
        for column in self.term_frequency_columns():
            frame = tables.get(column, pd.DataFrame({"value": [], "frequency": []}))
            frame = pd.DataFrame({column: frame["value"].astype(object), f"tf_{column}": frame["frequency"].astype("float64")})
            table = db_api.register(backend_table(db_api, frame), table_name=f"__wh_tf_{column}_{uuid.uuid4().hex}")
            self.linker.table_management.register_term_frequency_lookup(table, column)

    def save(self, path: str | Path) -> None:
        """Write the Splink settings JSON; ``load_model`` or plain Splink can reuse it."""
        Path(path).write_text(json.dumps(self.settings(), indent=2), encoding="utf-8")

    # -- household evidence -------------------------------------------------------------
    def _level_weight(self, column: str, label: str) -> float | None:
        """The trained match weight of one comparison level, or None if the model lacks it."""
        for comparison in self.linker._settings_obj.comparisons:
            if comparison.output_column_name != column:
                continue
            for level in comparison.comparison_levels:
                if level.label_for_charts == label:
                    return level._match_weight
        return None

    def adjusted_scores_sql(self, table: str) -> str:
        """SQL returning uid_l, uid_r, match_weight, match_probability with household evidence removed.

        Splink 5 keeps each comparison's weight (``mw_<name>``) but not its level, so a level is
        recognised by its trained weight, which is a float8 literal in Splink's own SQL.
        """
        comparisons = self.linker._settings_obj.comparisons
        names = {c.output_column_name for c in comparisons}
        distinct_person = []
        for column, labels in DISTINCT_PERSON_LEVELS.items() if self.households else ():
            for label in labels:
                weight = self._level_weight(column, label)
                if weight is not None and math.isfinite(weight):
                    distinct_person.append(f"abs(mw_{column} - ({weight!r})) < 1e-9")
        identifier_agrees = [f"mw_{c} > 0" for c in sorted(names) if c.startswith("id_")]
        tf_columns = {c.output_column_name for c in comparisons
                      if any(level._has_tf_adjustments for level in c.comparison_levels)}
        household_terms = []
        for column in HOUSEHOLD_COMPARISONS:
            if column in names:
                evidence = f"mw_{column}" + (f" + coalesce(mw_tf_adj_{column}, 0)" if column in tf_columns else "")
                household_terms.append(f"CASE WHEN {evidence} > 0 THEN {evidence} ELSE 0 END")
        if distinct_person and household_terms:
            condition = f"({' OR '.join(distinct_person)})"
            if identifier_agrees:  # twins and partners do not share a national id or PNC number
                condition += f" AND NOT ({' OR '.join(identifier_agrees)})"
            weight_sql = (f"match_weight - CASE WHEN {condition} "
                          f"THEN {' + '.join(household_terms)} ELSE 0 END")
        else:
            weight_sql = "match_weight"
        return (
            "SELECT uid_l, uid_r, adjusted_weight AS match_weight, "
            "power(2, adjusted_weight) / (1 + power(2, adjusted_weight)) AS match_probability "
            f"FROM (SELECT uid_l, uid_r, {weight_sql} AS adjusted_weight FROM {table}) AS scored"
        )

    def scores(self, predictions: Any, minimum_probability: float = 0.0) -> pd.DataFrame:
        sql = self.adjusted_scores_sql(predictions.physical_name)
        if minimum_probability > 0:
            sql = f"SELECT * FROM ({sql}) AS adjusted WHERE match_probability >= {minimum_probability}"
        frame = self.linker.misc.query_sql(sql, output_type="pandas")
        predictions.drop_table_from_database_and_remove_from_cache()
        return frame.astype({"uid_l": "int64", "uid_r": "int64", "match_weight": "float64",
                             "match_probability": "float64"})

    def predict(self, minimum_probability: float = 0.01) -> pd.DataFrame:
        """All candidate pairs scoring at least ``minimum_probability`` after household evidence."""
        floor = max(1e-6, min(minimum_probability, self.threshold)) / 100
        predictions = self.linker.inference.predict(threshold_match_probability=floor, warning_mode="never")
        return self.scores(predictions, minimum_probability)

    def score_within_groups(self, groups: pd.Series) -> pd.DataFrame:
        """Score every pair of records that share a group (uid -> group id), for clustering checks."""
        frame = self.records.frame.iloc[groups.index.to_numpy()].copy()  # uid is the row position
        frame["score_group"] = groups.to_numpy()
        db_api = self.linker._db_api
        table = db_api.register(backend_table(db_api, frame), table_name=f"__wh_groups_{uuid.uuid4().hex}")
        try:
            predictions = self.linker.inference.predict_within(
                table, link_type="dedupe_only",
                blocking_rules_to_generate_predictions=["l.score_group = r.score_group"], warning_mode="never",
            )
            return self.scores(predictions)
        finally:
            table.drop_table_from_database_and_remove_from_cache(force_non_splink_table=True)


def _duckdb_api():
    from splink import DuckDBAPI

    return DuckDBAPI()


def backend_table(db_api: Any, frame: pd.DataFrame) -> Any:
    """The frame in a form the backend can register: DuckDB reads pandas; Spark needs a schema,
    because a column with no values at all (a field the files lack) has no type to infer."""
    if db_api.sql_dialect.sql_dialect_str != "spark":
        return frame
    from pyspark.sql import types

    fields = []
    plain = pd.DataFrame(index=frame.index)
    for column in frame.columns:
        if column in ("uid", "source"):
            kind, values = types.LongType(), frame[column].astype("int64")
        elif column.startswith("k_"):  # 63-bit blocking keys: a double would round them
            kind, values = types.LongType(), frame[column].astype(object).where(frame[column].notna(), None)
        elif str(frame[column].dtype) in ("Int64", "float64", "int64"):
            kind, values = types.DoubleType(), frame[column].astype("float64")
        else:
            kind, values = types.StringType(), frame[column].astype(object).where(frame[column].notna(), None)
        fields.append(types.StructField(column, kind, True))
        plain[column] = values
    return db_api.spark.createDataFrame(plain, schema=types.StructType(fields))


def register_records(db_api: Any, records: PreparedRecords) -> Any:
    return db_api.register(backend_table(db_api, records.frame), table_name=f"__wh_records_{uuid.uuid4().hex}")


def make_linker(records: PreparedRecords, settings: dict[str, Any] | Any, db_api: Any = None) -> tuple[Any, Any]:
    from splink import Linker, SettingsCreator

    db_api = db_api or _duckdb_api()
    table = register_records(db_api, records)
    # Settings we build are checked by the tests; Splink's column validation costs ~0.5 s a run,
    # so it runs only on settings read from a file.
    ours = isinstance(settings, SettingsCreator)
    linker = Linker(table, settings, log_level=SPLINK_LOG_LEVEL, validate_settings=not ours)
    return linker, table


def settings_for(records: PreparedRecords, link_only: bool) -> Any:
    from splink import SettingsCreator

    features = model_features(records)
    return SettingsCreator(
        link_type="dedupe_only",  # linking two files is dedupe with a cross-source blocking condition
        unique_id_column_name="uid",
        comparisons=build_comparisons(features, records.identifiers),
        blocking_rules_to_generate_predictions=build_blocking_rules(features, records.identifiers, link_only),
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=True,
        additional_columns_to_retain=["source"],
        max_iterations=20,
    )


def train_model(records: PreparedRecords, *, link_only: bool = False, threshold: float = DEFAULT_THRESHOLD,
                seed: int = 42, db_api: Any = None, u_pairs: float | None = None,
                progress: Any = None) -> LinkModel:
    """Estimate u by random sampling and m by EM over several blocking rules — no labels."""
    step = progress or (lambda message: None)
    features = model_features(records)
    linker, table = make_linker(records, settings_for(records, link_only), db_api)
    model = LinkModel(linker=linker, records=records, link_only=link_only, threshold=threshold, table=table,
                      households=household_share(records.frame) >= HOUSEHOLD_SHARE)

    n = len(records.frame)
    rules = deterministic_rules(features, records.identifiers)
    if rules:
        step("estimating how often two records match")
        try:
            linker.training.estimate_probability_two_random_records_match(rules, recall=DETERMINISTIC_RECALL)
        except ValueError as error:  # the rules found more pairs than the recall allows
            model.notes.append(f"prior left at default: {error}")
    step("estimating u by random sampling")
    pairs = u_pairs or min(max(n * 100, 5e5), 5e6)
    # Chunks let Splink stop early on a big sample; on a small one each chunk is pure overhead.
    linker.training.estimate_u_using_random_sampling(max_pairs=pairs, seed=seed, num_chunks=1 if pairs <= 1e6 else 10)
    em_pairs = 2e6 if n > 200_000 else None
    for rule in training_rules(features, records.identifiers):
        step(f"EM for m on pairs where {rule}")
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True, max_pairs=em_pairs,
            )
        except ValueError as error:
            # On a few dozen records EM can drive a level's m to 0, which Splink refuses; the
            # other round (or the untrained default) keeps that comparison's m instead.
            if "below the minimum allowed" not in str(error):
                raise
            model.notes.append(f"EM on pairs where {rule} did not converge on {n:,} records; "
                               "its m values come from the other training round")
    return model


def load_model(path: str | Path, records: PreparedRecords, *, link_only: bool = False,
               threshold: float = DEFAULT_THRESHOLD, db_api: Any = None) -> LinkModel:
    """Reuse a saved Splink settings JSON on new records, without retraining."""
    settings = json.loads(Path(path).read_text(encoding="utf-8"))
    return model_from_settings(settings, records, link_only=link_only, threshold=threshold, db_api=db_api)


def model_from_settings(settings: dict[str, Any], records: PreparedRecords, *, link_only: bool = False,
                        threshold: float = DEFAULT_THRESHOLD, db_api: Any = None,
                        households: bool | None = None) -> LinkModel:
    """``load_model`` of settings already read (``LinkModel.settings()`` of a trained model).
    ``households``: the trained model's setting; by default judged again on ``records``."""
    linker, table = make_linker(records, settings, db_api)
    if households is None:
        households = household_share(records.frame) >= HOUSEHOLD_SHARE
    return LinkModel(linker=linker, records=records, link_only=link_only, threshold=threshold, table=table,
                     households=households)

