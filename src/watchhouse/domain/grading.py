"""Intelligence grading: the 3x5x2 model, with historic 5x5x5 gradings kept readable.

3x5x2 (College of Policing APP, intelligence management):
  source evaluation      1 reliable, 2 untested, 3 not reliable
  intelligence assessment A known directly to the source, B known indirectly but corroborated,
                          C known indirectly, D not known, E suspected to be false
  handling code          P lawful sharing permitted, C lawful sharing permitted with conditions

5x5x5 (the National Intelligence Model grading it replaced) is parsed into its own type, never
converted: the two scales do not map one to one, and re-grading is an analyst's decision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SOURCE_EVALUATION = {
    "1": "reliable",
    "2": "untested",
    "3": "not reliable",
}
INTELLIGENCE_ASSESSMENT = {
    "A": "known directly to the source",
    "B": "known indirectly to the source but corroborated",
    "C": "known indirectly to the source",
    "D": "not known",
    "E": "suspected to be false",
}
HANDLING_CODE = {
    "P": "lawful sharing permitted",
    "C": "lawful sharing permitted with conditions",
}

HISTORIC_SOURCE_EVALUATION = {
    "A": "always reliable",
    "B": "mostly reliable",
    "C": "sometimes reliable",
    "D": "unreliable",
    "E": "untested source",
}
HISTORIC_INTELLIGENCE_EVALUATION = {
    "1": "known to be true without reservation",
    "2": "known personally to the source but not to the officer",
    "3": "not personally known to the source but corroborated",
    "4": "cannot be judged",
    "5": "suspected to be false or malicious",
}
HISTORIC_HANDLING_CODE = {
    "1": "may be disseminated to other law enforcement and prosecuting agencies",
    "2": "may be disseminated to UK non-prosecuting parties",
    "3": "may be disseminated to non-EEA law enforcement agencies (special conditions)",
    "4": "may be disseminated within the originating agency only",
    "5": "no further dissemination: refer to the originator",
}


class GradingError(ValueError):
    """A grading that is neither 3x5x2 nor 5x5x5."""


@dataclass(frozen=True)
class Grading:
    """A current 3x5x2 grading, e.g. ``Grading("1", "A", "P")`` written '1AP'."""

    source: str
    intelligence: str
    handling: str
    scheme: str = "3x5x2"

    def __post_init__(self) -> None:
        for value, table, part in (
            (self.source, SOURCE_EVALUATION, "source evaluation"),
            (self.intelligence, INTELLIGENCE_ASSESSMENT, "intelligence assessment"),
            (self.handling, HANDLING_CODE, "handling code"),
        ):
            if value not in table:
                raise GradingError(f"3x5x2 {part} {value!r} is not one of {', '.join(table)}")

    @property
    def code(self) -> str:
        return f"{self.source}{self.intelligence}{self.handling}"

    @property
    def sharing_restricted(self) -> bool:
        """Handling code C: onward disclosure only under the conditions recorded with it."""
        return self.handling == "C"

    def describe(self) -> str:
        return (
            f"source {SOURCE_EVALUATION[self.source]}; intelligence "
            f"{INTELLIGENCE_ASSESSMENT[self.intelligence]}; {HANDLING_CODE[self.handling]}"
        )

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True)
class HistoricGrading:
    """A historic 5x5x5 grading, e.g. 'B24': source B, intelligence 2, handling 4."""

    source: str
    intelligence: str
    handling: str
    scheme: str = "5x5x5"

    def __post_init__(self) -> None:
        for value, table, part in (
            (self.source, HISTORIC_SOURCE_EVALUATION, "source evaluation"),
            (self.intelligence, HISTORIC_INTELLIGENCE_EVALUATION, "intelligence evaluation"),
            (self.handling, HISTORIC_HANDLING_CODE, "handling code"),
        ):
            if value not in table:
                raise GradingError(f"5x5x5 {part} {value!r} is not one of {', '.join(table)}")

    @property
    def code(self) -> str:
        return f"{self.source}{self.intelligence}{self.handling}"

    @property
    def sharing_restricted(self) -> bool:
        """Codes 4 and 5 forbid dissemination outside the originating agency."""
        return self.handling in {"4", "5"}

    def describe(self) -> str:
        return (
            f"(historic 5x5x5) source {HISTORIC_SOURCE_EVALUATION[self.source]}; intelligence "
            f"{HISTORIC_INTELLIGENCE_EVALUATION[self.intelligence]}; "
            f"{HISTORIC_HANDLING_CODE[self.handling]}"
        )

    def __str__(self) -> str:
        return self.code


AnyGrading = Grading | HistoricGrading


def parse_grading(text: str) -> AnyGrading:
    """Read '1AP', '1/A/P', '1-A-P', '1 A P' (3x5x2) or 'B24', 'B/2/4' (5x5x5).

    The two schemes never collide: 3x5x2 starts with a digit, 5x5x5 with a letter.
    """
    compact = re.sub(r"[\s/\-.,x]+", "", str(text or "")).upper()
    if len(compact) != 3:
        raise GradingError(f"grading {text!r} should have three parts, like '1AP' (3x5x2) or 'B24' (5x5x5)")
    first, second, third = compact
    if first.isdigit():
        return Grading(first, second, third)
    return HistoricGrading(first, second, third)
