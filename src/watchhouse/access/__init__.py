"""The one place that decides what a viewer may see of personal data.

Every read of personal data in Watchhouse goes through here: ``watchhouse.records`` read
functions take a :class:`Viewer` and filter and redact with it. The rule (issue 4 adds
users, purpose enforcement and audit on top of it):

* a record is visible when the viewer's clearance is at or above its classification and the
  viewer holds every caveat on it (a caveat such as OFFICIAL-SENSITIVE or ``case:CR-1`` names a
  need-to-know group; ``role:<slug>`` caveats are held by everyone with that role);
* within a visible record, a field whose own marking the viewer cannot see is *withheld*: it is
  removed and its name is reported, so a reader is told something was withheld rather than
  shown an empty value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from watchhouse.domain.markings import Classification, Marking, parse_marking
from watchhouse.domain.roles import Role

# Keys of a record mapping that describe its marking rather than hold personal data.
MARKING_KEY = "marking"
FIELD_MARKINGS_KEY = "field_markings"
RAW_KEY = "raw"


class AccessDenied(PermissionError):
    """The viewer may not see this record. Say 'not found' to callers who may not know it exists."""


@dataclass(frozen=True)
class Viewer:
    """Who is looking, with what clearance and caveats, and why."""

    user_id: str
    role: Role
    clearance: Classification = Classification.OFFICIAL
    caveats: frozenset[str] = field(default_factory=frozenset)
    purpose: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role.parse(self.role))
        clearance = self.clearance
        if not isinstance(clearance, Classification):
            clearance = Classification.parse(str(clearance))
        object.__setattr__(self, "clearance", clearance)
        # Caveats are canonicalised the same way markings canonicalise theirs.
        object.__setattr__(self, "caveats", Marking(Classification.OFFICIAL, frozenset(self.caveats)).caveats)

    def holds(self, caveat: str) -> bool:
        return caveat in self.caveats or caveat == self.role.caveat

    @classmethod
    def system(cls, purpose: str) -> Viewer:
        """Watchhouse itself (linkage, quality reports): everything, with the reason recorded."""
        return _SystemViewer(
            user_id="system", role=Role.ADMIN, clearance=Classification.TOP_SECRET, purpose=purpose
        )


@dataclass(frozen=True)
class _SystemViewer(Viewer):
    def holds(self, caveat: str) -> bool:
        return True


_UNMARKED = Marking(Classification.OFFICIAL)


def _as_marking(marking: Marking | Classification | str | None, caveats: Iterable[str] = ()) -> Marking:
    if isinstance(marking, Marking) and not caveats:  # the usual case, on every record read
        return marking
    # A missing marking is treated as OFFICIAL only when the store wrote none; records always carry one.
    base = parse_marking(marking, default=_UNMARKED)
    extra = frozenset(caveats or ())
    return base.with_caveats(*extra) if extra else base


def can_see(viewer: Viewer, marking: Marking | Classification | str | None, caveats: Iterable[str] = ()) -> bool:
    """True when the viewer's clearance covers the marking and they hold every caveat."""
    marking = _as_marking(marking, caveats)
    if viewer.clearance < marking.classification:
        return False
    return all(viewer.holds(caveat) for caveat in marking.caveats)


def check_visible(viewer: Viewer, marking: Marking | Classification | str | None, caveats: Iterable[str] = ()) -> None:
    if not can_see(viewer, marking, caveats):
        raise AccessDenied("not found")


class PurposeRequired(PermissionError):
    """The look-up needs a stated reason (an incident or case reference, or free text)."""


def needs_purpose(marking: Marking | Classification | str | None, caveats: Iterable[str] = ()) -> bool:
    """Opening a record above OFFICIAL, or one carrying a caveat, must be justified."""
    marking = _as_marking(marking, caveats)
    return marking.classification > Classification.OFFICIAL or bool(marking.caveats)


def check_purpose(viewer: Viewer, marking: Marking | Classification | str | None = None, *, person_lookup: bool = False) -> None:
    """PurposeRequired unless the viewer stated why, when the look-up needs a reason: every look-up
    of a person, and every record above OFFICIAL or under a caveat."""
    if (person_lookup or needs_purpose(marking)) and not (viewer.purpose or "").strip():
        raise PurposeRequired(
            "state the purpose of this look-up (an incident or case reference, or a reason): "
            "looking up a person, or a record marked above OFFICIAL or with a caveat, must be justified"
        )


def redact(viewer: Viewer, record: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The record as the viewer may see it, and the names of the fields withheld from it.

    ``record`` carries its own ``marking`` (a Marking or its text) and optionally
    ``field_markings`` ({field: marking}); a ``raw.<column>`` key in field_markings withholds
    that column of the source's own values in ``record["raw"]``. Raises AccessDenied when the
    whole record is above the viewer: callers filter those out before they get here.
    """
    check_visible(viewer, record.get(MARKING_KEY))
    field_markings: Mapping[str, Any] = record.get(FIELD_MARKINGS_KEY) or {}
    withheld = sorted(name for name, marking in field_markings.items() if not can_see(viewer, marking))
    visible = {key: value for key, value in record.items() if key not in withheld and key != FIELD_MARKINGS_KEY}
    raw_withheld = {name.removeprefix("raw.") for name in withheld if name.startswith("raw.")}
    if raw_withheld and isinstance(visible.get(RAW_KEY), Mapping):
        visible[RAW_KEY] = {k: v for k, v in visible[RAW_KEY].items() if k not in raw_withheld}
    return visible, withheld


def visible_records(viewer: Viewer, records: Iterable[Mapping[str, Any]]) -> list[tuple[dict[str, Any], list[str]]]:
    """Records the viewer may see, each redacted; the others are left out without trace."""
    return [redact(viewer, record) for record in records if can_see(viewer, record.get(MARKING_KEY))]


__all__ = [
    "AccessDenied", "PurposeRequired", "Viewer", "can_see", "check_purpose", "check_visible", "needs_purpose",
    "redact", "visible_records",
]
