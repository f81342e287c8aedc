"""Protective markings: the Government Security Classifications and their handling caveats.

Three tiers, ordered: OFFICIAL < SECRET < TOP SECRET. OFFICIAL-SENSITIVE is *not* a tier: it is
OFFICIAL material carrying the handling caveat ``OFFICIAL-SENSITIVE``, which narrows access to
people holding that caveat (a need to know). Other caveats name need-to-know groups such as a
case team (``case:CR-2018-0042``) or a role (``role:intelligence-analyst``).

A marking admits a viewer when the viewer's clearance is at or above the classification AND the
viewer holds *every* caveat on it: each caveat narrows, never widens, so adding one can only
remove viewers (the same rule as national caveats).

Historic GPMS markings (before 2 April 2014) stay readable. They are mapped conservatively, as
the Cabinet Office transition guidance allows, so old material is never under-protected:

=================  ==============================================
GPMS marking       read as
=================  ==============================================
PROTECT            OFFICIAL
RESTRICTED         OFFICIAL with the OFFICIAL-SENSITIVE caveat
CONFIDENTIAL       SECRET
SECRET             SECRET
TOP SECRET         TOP SECRET
=================  ==============================================

"NOT PROTECTIVELY MARKED" / "UNCLASSIFIED" read as OFFICIAL.
"""

from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from enum import IntEnum

SENSITIVE = "OFFICIAL-SENSITIVE"


class MarkingError(ValueError):
    """A marking or caveat that cannot be read."""


class Classification(IntEnum):
    OFFICIAL = 1
    SECRET = 2
    TOP_SECRET = 3

    @property
    def label(self) -> str:
        return self.name.replace("_", " ")

    @property
    def slug(self) -> str:
        """The CLI spelling: OFFICIAL, SECRET, TOP-SECRET."""
        return self.name.replace("_", "-")

    @classmethod
    def parse(cls, text: str | Classification) -> Classification:
        """A classification from its label; historic GPMS labels are read as documented above."""
        return parse_marking(text).classification

    def __str__(self) -> str:
        return self.label


def _canonical_caveat(caveat: str) -> str:
    caveat = caveat.strip()
    if not caveat:
        raise MarkingError("empty caveat")
    if caveat.upper().replace("_", "-").replace(" ", "-") == SENSITIVE:
        return SENSITIVE
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9:._/\- ]*", caveat):
        raise MarkingError(f"caveat {caveat!r} has characters other than letters, digits and : . _ / -")
    return caveat


@dataclass(frozen=True)
class Marking:
    """A classification plus the caveats (need-to-know groups) a viewer must all hold."""

    classification: Classification = Classification.OFFICIAL
    caveats: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        object.__setattr__(self, "classification", Classification(self.classification))
        object.__setattr__(self, "caveats", frozenset(_canonical_caveat(c) for c in self.caveats))

    @property
    def sensitive(self) -> bool:
        return SENSITIVE in self.caveats

    @property
    def descriptor(self) -> str:
        """How the marking is written on a document: 'OFFICIAL-SENSITIVE', 'SECRET', ..."""
        if self.classification is Classification.OFFICIAL and self.sensitive:
            return SENSITIVE
        return self.classification.label

    def __str__(self) -> str:
        """Round-trips through :func:`parse_marking`: 'OFFICIAL-SENSITIVE [case:CR-1]'."""
        others = sorted(c for c in self.caveats if c != SENSITIVE)
        if self.sensitive and self.classification is not Classification.OFFICIAL:
            others = [SENSITIVE, *others]
        return self.descriptor + (f" [{', '.join(others)}]" if others else "")

    def with_caveats(self, *caveats: str) -> Marking:
        return Marking(self.classification, self.caveats | frozenset(caveats))

    def at_least(self, other: Marking) -> Marking:
        """The stricter of two markings: the higher tier and the union of caveats."""
        return Marking(max(self.classification, other.classification), self.caveats | other.caveats)


OFFICIAL = Marking(Classification.OFFICIAL)

_GPMS: dict[str, tuple[Classification, frozenset[str]]] = {
    "PROTECT": (Classification.OFFICIAL, frozenset()),
    "RESTRICTED": (Classification.OFFICIAL, frozenset({SENSITIVE})),
    "CONFIDENTIAL": (Classification.SECRET, frozenset()),
    "NOT PROTECTIVELY MARKED": (Classification.OFFICIAL, frozenset()),
    "NPM": (Classification.OFFICIAL, frozenset()),
    "UNCLASSIFIED": (Classification.OFFICIAL, frozenset()),
}

_CURRENT: dict[str, tuple[Classification, frozenset[str]]] = {
    "OFFICIAL": (Classification.OFFICIAL, frozenset()),
    "OFFICIAL SENSITIVE": (Classification.OFFICIAL, frozenset({SENSITIVE})),
    "SECRET": (Classification.SECRET, frozenset()),
    "TOP SECRET": (Classification.TOP_SECRET, frozenset()),
}

HISTORIC_GPMS_MARKINGS = tuple(sorted(_GPMS))


def parse_marking(text: str | Marking | Classification | None, *, default: Marking | None = None) -> Marking:
    """Read 'SECRET', 'OFFICIAL-SENSITIVE', 'TOP-SECRET [case:CR-1, role:investigator]', 'RESTRICTED'.

    Blank text gives ``default`` when one is given; anything unreadable raises MarkingError
    naming the text, never silently becomes OFFICIAL.
    """
    if isinstance(text, Marking):
        return text
    if isinstance(text, Classification):
        return Marking(text)
    if text is None or not str(text).strip():
        if default is not None:
            return default
        raise MarkingError("no marking given")
    return _parse_marking_text(str(text).strip())


@lru_cache(maxsize=1024)
def _parse_marking_text(raw: str) -> Marking:
    # Loads read the same few markings millions of times; Marking is immutable, so cache it.
    match = re.fullmatch(r"([^\[\]]+?)\s*(?:\[([^\[\]]*)\])?", raw)
    if not match:
        raise MarkingError(f"cannot read marking {raw!r}")
    head, caveat_text = match.group(1), match.group(2)
    key = re.sub(r"[\s_\-]+", " ", head.upper()).strip()
    if key in _CURRENT:
        classification, implied = _CURRENT[key]
    elif key in _GPMS:
        classification, implied = _GPMS[key]
    else:
        known = ", ".join(["OFFICIAL", SENSITIVE, "SECRET", "TOP SECRET", *HISTORIC_GPMS_MARKINGS])
        raise MarkingError(f"unknown marking {head!r} (known: {known})")
    caveats = set(implied)
    if caveat_text:
        caveats.update(_canonical_caveat(c) for c in caveat_text.split(",") if c.strip())
    return Marking(classification, frozenset(caveats))
