"""Crime-harm weights (Cambridge Crime Harm Index style) from a configurable table.

The default table ships as ``harm_weights.yaml`` beside this file; its header says where the
numbers come from and how far they are approximations. Another table can be given by path, or
by the WATCHHOUSE_HARM_TABLE environment variable, with the same keys.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_TABLE = Path(__file__).with_name("harm_weights.yaml")


class HarmTableError(ValueError):
    """The harm table file is missing or malformed."""


def _slug(text: object) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in str(text).strip().lower())
    return "-".join(part for part in out.split("-") if part)


@dataclass(frozen=True)
class HarmTable:
    source: str
    default_weight: float
    categories: dict[str, float]
    keywords: tuple[tuple[str, float], ...]
    proactive_categories: frozenset[str]  # police.uk slugs
    proactive_keywords: tuple[str, ...]  # words, punctuation turned into spaces

    def weight(self, category: object) -> float:
        """Weight of a category: exact police.uk-style slug first, then the first keyword, then the default."""
        if category is None:
            return self.default_weight
        slug = _slug(category)
        if slug in self.categories:
            return self.categories[slug]
        text = " ".join(str(category).lower().split())
        for keyword, value in self.keywords:
            if keyword in text or keyword in slug:
                return value
        return self.default_weight

    def is_proactive(self, category: object) -> bool:
        """Found by police activity rather than reported: a listed police.uk slug (or archive name),
        or a category containing one of the keywords as words."""
        if category is None or (isinstance(category, float) and math.isnan(category)):
            return False
        key = category_key(str(category))
        if key in self.proactive_categories:
            return True
        words = " ".join(key.split("-"))
        return any(keyword in words for keyword in self.proactive_keywords)


def category_key(category: str) -> str:
    """The data.police.uk slug for a category given as a slug or an archive name, else its own slug."""
    from watchhouse.crimes.categories import category_slug

    return category_slug(category) or _slug(category)


def _words(text: object) -> str:
    return " ".join(_slug(text).split("-"))


def load_harm_table(path: str | Path | None = None) -> HarmTable:
    """The table at ``path``, else $WATCHHOUSE_HARM_TABLE, else the shipped default."""
    chosen = Path(path or os.environ.get("WATCHHOUSE_HARM_TABLE") or DEFAULT_TABLE)
    return _load(str(chosen.resolve()))


@lru_cache(maxsize=8)
def _load(path: str) -> HarmTable:
    import yaml

    try:
        raw = yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise HarmTableError(f"{path}: harm table not found") from None
    except yaml.YAMLError as error:
        raise HarmTableError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("categories", {}), dict):
        raise HarmTableError(f"{path}: expected a mapping with 'categories' (name: weight)")
    try:
        categories = {_slug(k): float(v) for k, v in (raw.get("categories") or {}).items()}
        keywords = tuple((str(k).lower(), float(v)) for k, v in (raw.get("keywords") or []))
        default = float(raw.get("default_weight", 1.0))
    except (TypeError, ValueError) as error:
        raise HarmTableError(f"{path}: every weight must be a number ({error})") from None
    negative = [k for k, v in list(categories.items()) + list(keywords) if v < 0]
    if negative or default < 0:
        raise HarmTableError(f"{path}: weights must not be negative ({', '.join(negative) or 'default_weight'})")
    # The proactive lists are one list for the whole application: a force's own weights table
    # that does not restate them keeps the shipped ones (an empty list states "none").
    shipped = None if Path(path) == DEFAULT_TABLE.resolve() else _load(str(DEFAULT_TABLE.resolve()))
    if "proactive_categories" in raw or shipped is None:
        proactive_categories = frozenset(category_key(str(c)) for c in raw.get("proactive_categories") or ())
    else:
        proactive_categories = shipped.proactive_categories
    if "proactive_keywords" in raw or shipped is None:
        proactive_keywords = tuple(_words(k) for k in raw.get("proactive_keywords") or ())
    else:
        proactive_keywords = shipped.proactive_keywords
    return HarmTable(
        source=str(raw.get("source", path)),
        default_weight=default,
        categories=categories,
        keywords=keywords,
        proactive_categories=proactive_categories,
        proactive_keywords=proactive_keywords,
    )


def harm_weight(category: object, table: HarmTable | None = None) -> float:
    return (table or load_harm_table()).weight(category)


def harm_weights(categories, table: HarmTable | None = None) -> np.ndarray:
    """One weight per category value (looked up once per distinct value)."""
    table = table or load_harm_table()
    values = np.asarray(categories, dtype=object)
    distinct = {c: table.weight(c) for c in set(values.tolist())}
    return np.array([distinct[c] for c in values.tolist()], dtype=float)


def is_proactive(category: object, table: HarmTable | None = None) -> bool:
    """True for offences mostly found by patrols (drugs, weapon possession), not reported."""
    return (table or load_harm_table()).is_proactive(category)


def reported_mask(categories, table: HarmTable | None = None) -> np.ndarray:
    """Boolean mask of the events to train on: those whose category is not proactively found."""
    table = table or load_harm_table()
    values = [c if isinstance(c, str) else ("" if c is None or (isinstance(c, float) and math.isnan(c)) else str(c))
              for c in categories]
    kept = {c: not table.is_proactive(c) for c in set(values)}
    return np.array([kept[c] for c in values], dtype=bool)
