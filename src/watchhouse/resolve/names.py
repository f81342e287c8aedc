"""Name standardisation: the same person is written "Mr. BILL O'Neil-Smith jr" and "william oneil".

Standardisation is SQL run by DuckDB over whole columns (``*_sql`` builders, shared with
``prepare``): a million records standardise in seconds on every core, where pandas string
methods and per-row Python took minutes. Nicknames are a join against a small table, not a
lookup per row. The pandas-Series functions below run the same SQL, so there is one definition.
"""

from __future__ import annotations

import threading
import unicodedata
from functools import lru_cache
from importlib.resources import files

import pandas as pd

TITLES = frozenset(
    "mr mrs ms miss mx dr prof rev sir dame lady lord master fr sgt pc dc".split()
)
# Generation suffixes separate a father from a son who shares his name.
GENERATION_SUFFIXES = {
    "jr": "junior",
    "jnr": "junior",
    "junior": "junior",
    "sr": "senior",
    "snr": "senior",
    "senior": "senior",
    "ii": "ii",
    "iii": "iii",
    "iv": "iv",
}
NICKNAME_TABLE = "wh_nicknames"


@lru_cache(maxsize=1)
def nickname_groups() -> dict[str, frozenset[str]]:
    """Every known given name mapped to the formal names it can stand for."""
    groups: dict[str, set[str]] = {}
    text = files("watchhouse.resolve").joinpath("data/nicknames.txt").read_text(encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        formal, sep, variants = line.partition(":")
        if not sep:
            raise ValueError(f"nicknames.txt line {number}: expected 'formal: variants', got {line!r}")
        formal = formal.strip()
        groups.setdefault(formal, set()).add(formal)
        for variant in variants.split():
            groups.setdefault(variant, set()).add(formal)
    return {name: frozenset(formals) for name, formals in groups.items()}


def formal_names(given_name: str) -> list[str]:
    """The formal names a given name may stand for, itself included, sorted."""
    return sorted(nickname_groups().get(given_name, frozenset()) | {given_name})


@lru_cache(maxsize=1)
def nickname_keys() -> pd.DataFrame:
    """name -> (first, last) formal name it stands for: two scalar keys for blocking and comparing.

    Ambiguous short forms (alex, chris) pick the first and last formal names; other blocking
    rules cover the rest.
    """
    rows = [(name, min(formals), max(formals)) for name, formals in nickname_groups().items()]
    return pd.DataFrame(rows, columns=["name", "key1", "key2"])


def _strip_accents(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


_local = threading.local()


def connection():
    """This thread's DuckDB connection for standardising (a DuckDB connection is not thread-safe)."""
    con = getattr(_local, "con", None)
    if con is None:
        import duckdb

        con = duckdb.connect()
        # NFKD folding in Python, called only for the few values with non-ASCII characters.
        con.create_function("wh_ascii", _strip_accents, ["VARCHAR"], "VARCHAR", side_effects=False)
        con.register(NICKNAME_TABLE, nickname_keys())
        _local.con = con
    return con


# -- SQL builders (expressions over one column or expression; constants are our own) ------------

def _list(values) -> str:
    return "[" + ", ".join(f"'{value}'" for value in sorted(values)) + "]"


_SUFFIXES = _list(GENERATION_SUFFIXES)
_TITLES = _list(TITLES)
_SUFFIX_NAMES = "CASE {} " + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in GENERATION_SUFFIXES.items()) + " END"


def clean_text_sql(expr: str) -> str:
    """Lower case ASCII letters, digits and single spaces (hyphens become spaces); '' is NULL."""
    ascii_text = f"CASE WHEN regexp_matches({expr}, '[^[:ascii:]]') THEN wh_ascii({expr}) ELSE {expr} END"
    text = f"regexp_replace(lower({ascii_text}), '[''`’.]', '', 'g')"
    return f"nullif(trim(regexp_replace({text}, '[^a-z0-9]+', ' ', 'g')), '')"


def words_sql(expr: str) -> str:
    """Lower-case words and digits separated by single spaces, no accent folding; '' is NULL."""
    return f"nullif(trim(regexp_replace(lower({expr}), '[^a-z0-9]+', ' ', 'g')), '')"


def kept_tokens_sql(tokens: str) -> str:
    """Name tokens without generation suffixes and titles (a lone title is kept: "Major" may be a name)."""
    no_suffix = f"NOT list_contains({_SUFFIXES}, t)"
    return (f"CASE WHEN len({tokens}) = 1 THEN list_filter({tokens}, lambda t: {no_suffix}) "
            f"ELSE list_filter({tokens}, lambda t: {no_suffix} AND NOT list_contains({_TITLES}, t)) END")


def suffix_sql(tokens: str) -> str:
    """The last generation suffix among the tokens, normalised (jr -> junior)."""
    return _SUFFIX_NAMES.format(f"list_filter({tokens}, lambda t: list_contains({_SUFFIXES}, t))[-1]")


def name_stages(given: str | None, family: str | None) -> list[str]:
    """SELECT lists, each over the previous stage, turning raw name columns into name features.

    Stage outputs: given_name, given_middle, given_initial, name_suffix_given (then joined to
    the nickname table for given_key/given_key2 by ``given_keys_join``); family_name,
    family_initial, family_first, family_last, name_suffix_family.
    """
    first = [f"{clean_text_sql(given) if given else 'NULL::VARCHAR'} AS wh_given_clean",
             f"{clean_text_sql(family) if family else 'NULL::VARCHAR'} AS wh_family_clean"]
    second = ["string_split(wh_given_clean, ' ') AS wh_given_tokens",
              "string_split(wh_family_clean, ' ') AS wh_family_tokens"]
    third = [f"{kept_tokens_sql('wh_given_tokens')} AS wh_given_kept",
             f"{suffix_sql('wh_given_tokens')} AS name_suffix_given",
             f"{kept_tokens_sql('wh_family_tokens')} AS wh_family_kept",
             f"{suffix_sql('wh_family_tokens')} AS name_suffix_family"]
    fourth = ["wh_given_kept[1] AS given_name", "wh_given_kept[2] AS given_middle",
              "left(wh_given_kept[1], 1) AS given_initial",
              "CASE WHEN len(wh_family_kept) > 0 THEN array_to_string(wh_family_kept, ' ') END AS family_name",
              "left(wh_family_kept[1], 1) AS family_initial",
              "wh_family_kept[1] AS family_first", "wh_family_kept[-1] AS family_last"]
    return [", ".join(stage) for stage in (first, second, third, fourth)]


def given_keys_join(alias: str) -> tuple[str, str]:
    """(select list, join clause) adding given_key and given_key2 from the nickname table."""
    return (f"coalesce({alias}.key1, given_name) AS given_key, coalesce({alias}.key2, given_name) AS given_key2",
            f"LEFT JOIN {NICKNAME_TABLE} AS {alias} ON {alias}.name = given_name")


def split_full_name_sql(expr: str) -> tuple[str, str]:
    """(given, family) from 'Given Middle Family' or 'FAMILY, Given'."""
    text = f"trim({expr})"
    comma = f"strpos({text}, ',')"
    given = (f"nullif(trim(CASE WHEN {comma} > 0 THEN substr({text}, {comma} + 1) "
             f"WHEN strpos({text}, ' ') > 0 THEN regexp_extract({text}, '^(.*) [^ ]*$', 1) ELSE {text} END), '')")
    family = (f"nullif(trim(CASE WHEN {comma} > 0 THEN substr({text}, 1, {comma} - 1) "
              f"WHEN strpos({text}, ' ') > 0 THEN regexp_extract({text}, '^.* ([^ ]*)$', 1) END), '')")
    return given, family


# -- the same standardisation on pandas Series (tests and small callers) ---------------------

def _run_name_sql(given: pd.Series | None, family: pd.Series | None) -> pd.DataFrame:
    index = (given if given is not None else family).index
    frame = pd.DataFrame({"wh_row": range(len(index))})
    for column, values in (("g", given), ("f", family)):
        if values is not None:
            frame[column] = values.astype("string").to_numpy(dtype=object, na_value=None)
    query = "SELECT * FROM wh_names_input"
    for stage in name_stages("g" if given is not None else None, "f" if family is not None else None):
        query = f"SELECT *, {stage} FROM ({query})"
    select, join = given_keys_join("nick")
    query = f"SELECT q.*, {select} FROM ({query}) AS q {join} ORDER BY wh_row"
    con = connection()
    con.register("wh_names_input", frame)
    try:
        out = con.execute(query).df()
    finally:
        con.unregister("wh_names_input")
    out.index = index
    return out


def given_name_columns(given: pd.Series) -> pd.DataFrame:
    """Columns describing a given-name field: first and middle name, formal-name keys, initial."""
    out = _run_name_sql(given, None)
    columns = ["given_name", "given_key", "given_key2", "given_middle", "given_initial", "name_suffix_given"]
    return out[columns].astype("string")


def family_name_columns(family: pd.Series) -> pd.DataFrame:
    """Columns for a family name; double-barrelled names keep each part as a token."""
    out = _run_name_sql(None, family)
    columns = ["family_name", "family_initial", "family_first", "family_last", "name_suffix_family"]
    return out[columns].astype("string")
