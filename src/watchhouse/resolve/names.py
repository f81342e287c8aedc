"""Name standardisation: the same person is written "Mr. BILL O'Neil-Smith jr" and "william oneil".

Everything here works on whole pandas columns so a million records standardise in seconds.
"""

from __future__ import annotations

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


def _strip_accents(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def clean_text(values: pd.Series) -> pd.Series:
    """Lower case ASCII letters, digits and single spaces; hyphens become spaces."""
    text = values.astype("string").fillna("")
    if text.str.contains(r"[^\x00-\x7f]", regex=True).any():
        text = text.map(_strip_accents).astype("string")
    text = text.str.lower().str.replace(r"['`’.]", "", regex=True)
    text = text.str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
    return text.mask(text == "", pd.NA)


def split_name_tokens(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Remove titles and generation suffixes; return (remaining tokens, suffix)."""
    tokens = clean_text(values).str.split(" ")

    def strip(parts):
        if not isinstance(parts, list):
            return [], pd.NA
        kept, suffix = [], pd.NA
        for part in parts:
            if part in GENERATION_SUFFIXES:
                suffix = GENERATION_SUFFIXES[part]
            elif part not in TITLES or len(parts) == 1:
                kept.append(part)
        return kept, suffix

    stripped = tokens.map(strip)
    return stripped.map(lambda pair: pair[0]), stripped.map(lambda pair: pair[1])


def given_name_columns(given: pd.Series) -> pd.DataFrame:
    """Columns describing a given-name field: first and middle name, formal-name keys, initial."""
    tokens, suffix = split_name_tokens(given)
    first = tokens.map(lambda parts: parts[0] if parts else pd.NA).astype("string")
    groups = nickname_groups()
    # The formal names a name stands for (itself when unknown): "bill" -> [william].
    variants = first.map(lambda name: sorted(groups.get(name, {name})) if isinstance(name, str) else None)
    return pd.DataFrame(
        {
            "given_name": first,
            # A scalar key for blocking; ambiguous short forms (alex, chris) pick one formal name,
            # so other blocking rules cover them.
            "given_key": variants.map(lambda names: names[0] if names else pd.NA).astype("string"),
            "given_key2": variants.map(lambda names: names[-1] if names else pd.NA).astype("string"),
            "given_middle": tokens.map(lambda parts: parts[1] if len(parts) > 1 else pd.NA).astype("string"),
            "given_initial": first.str.slice(0, 1),
            "name_suffix_given": suffix.astype("string"),
        },
        index=given.index,
    )


def family_name_columns(family: pd.Series) -> pd.DataFrame:
    """Columns for a family name; double-barrelled names keep each part as a token."""
    tokens, suffix = split_name_tokens(family)
    joined = tokens.map(lambda parts: " ".join(parts) if parts else pd.NA).astype("string")
    return pd.DataFrame(
        {
            "family_name": joined,
            "family_initial": joined.str.slice(0, 1),
            "family_first": tokens.map(lambda parts: parts[0] if parts else pd.NA).astype("string"),
            "family_last": tokens.map(lambda parts: parts[-1] if parts else pd.NA).astype("string"),
            "name_suffix_family": suffix.astype("string"),
        },
        index=family.index,
    )


def split_full_name(full: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Split 'Given Middle Family' or 'FAMILY, Given' into (given part, family part)."""
    text = full.astype("string").fillna("").str.strip()
    comma = text.str.contains(",", regex=False)
    family_first = text.str.split(",", n=1)
    given = pd.Series(pd.NA, index=full.index, dtype="string")
    family = pd.Series(pd.NA, index=full.index, dtype="string")
    given[comma] = family_first[comma].str[1].str.strip()
    family[comma] = family_first[comma].str[0].str.strip()
    words = text[~comma].str.rsplit(" ", n=1)
    given[~comma] = words.str[0]
    family[~comma] = words.map(lambda parts: parts[1] if len(parts) > 1 else pd.NA)
    return given.mask(given == "", pd.NA), family.mask(family == "", pd.NA)
