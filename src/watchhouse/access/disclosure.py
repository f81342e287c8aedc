"""Onward disclosure of intelligence, decided by its handling code.

The handling code travels with intelligence and restricts what may be passed on, whoever
holds it: 3x5x2 'P' permits lawful sharing, 'C' permits it only with the conditions the
originator set; historic 5x5x5 codes range from wide dissemination (1) to none without
referring to the originator (5). Any feature that discloses records outside the force
(sharing with partners, exports) must ask ``disclosure_rule`` first and record the recipient
in the audit.
"""

from __future__ import annotations

from dataclasses import dataclass

from watchhouse.domain.grading import Grading, GradingError, HistoricGrading, parse_grading


@dataclass(frozen=True)
class DisclosureRule:
    to_law_enforcement: bool  # other police forces and prosecutors
    to_partners: bool  # non-prosecuting partners: councils, health, education
    conditions_required: bool  # the originator's conditions must accompany any disclosure
    instruction: str  # what a user is shown


_NO_GRADING = DisclosureRule(True, True, False, "Not intelligence: ordinary data-sharing rules apply.")
_UNREADABLE = DisclosureRule(False, False, True, "Grading unreadable: refer to the originator before any disclosure.")

_HISTORIC = {
    "1": DisclosureRule(True, False, False, "May be disseminated to other law enforcement and prosecuting agencies."),
    "2": DisclosureRule(True, True, False, "May be disseminated to UK non-prosecuting parties."),
    "3": DisclosureRule(True, False, True, "Non-EEA law enforcement only, under special conditions."),
    "4": DisclosureRule(False, False, True, "Within the originating agency only."),
    "5": DisclosureRule(False, False, True, "No further dissemination: refer to the originator."),
}


def disclosure_rule(grading: str | Grading | HistoricGrading | None) -> DisclosureRule:
    """What may be passed on, and how, for intelligence with this grading."""
    if grading in (None, ""):
        return _NO_GRADING
    try:
        parsed = grading if isinstance(grading, Grading | HistoricGrading) else parse_grading(str(grading))
    except GradingError:
        return _UNREADABLE
    if isinstance(parsed, HistoricGrading):
        return _HISTORIC[parsed.handling]
    if parsed.handling == "P":
        return DisclosureRule(True, True, False, "P: lawful sharing permitted.")
    return DisclosureRule(True, True, True, "C: lawful sharing permitted only with the originator's conditions.")


def may_disclose(grading, *, to_partner: bool, conditions_attached: bool) -> bool:
    rule = disclosure_rule(grading)
    allowed = rule.to_partners if to_partner else rule.to_law_enforcement
    return allowed and (conditions_attached or not rule.conditions_required)
