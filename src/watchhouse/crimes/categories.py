"""data.police.uk crime categories and outcome categories: archive names <-> API slugs.

The archive CSVs carry names ("Violence and sexual offences"); the API speaks slugs
("violent-crime"). Both tables are the published ones; historic names map to their slugs.
"""

from __future__ import annotations

# (slug, API display name) in the order data.police.uk lists them.
CRIME_CATEGORIES: list[tuple[str, str]] = [
    ("all-crime", "All crime"),
    ("anti-social-behaviour", "Anti-social behaviour"),
    ("bicycle-theft", "Bicycle theft"),
    ("burglary", "Burglary"),
    ("criminal-damage-arson", "Criminal damage and arson"),
    ("drugs", "Drugs"),
    ("other-theft", "Other theft"),
    ("possession-of-weapons", "Possession of weapons"),
    ("public-order", "Public order"),
    ("robbery", "Robbery"),
    ("shoplifting", "Shoplifting"),
    ("theft-from-the-person", "Theft from the person"),
    ("vehicle-crime", "Vehicle crime"),
    ("violent-crime", "Violence and sexual offences"),
    ("other-crime", "Other crime"),
]

_SLUG_BY_ARCHIVE_NAME = {name.lower(): slug for slug, name in CRIME_CATEGORIES if slug != "all-crime"}
# Names used in older archives.
_SLUG_BY_ARCHIVE_NAME.update(
    {
        "violent crime": "violent-crime",
        "violence and sexual offences": "violent-crime",
        "public disorder and weapons": "public-disorder-weapons",
        "criminal damage & arson": "criminal-damage-arson",
    }
)
NAME_BY_SLUG = dict(CRIME_CATEGORIES) | {"public-disorder-weapons": "Public disorder and weapons"}


def category_slug(archive_name: str) -> str | None:
    """The API slug for an archive ``Crime type``; None when the name is not a known category."""
    return _SLUG_BY_ARCHIVE_NAME.get(archive_name.strip().lower())


def slugify(text: str) -> str:
    out = []
    for ch in text.lower():
        out.append(ch if ch.isalnum() else "-")
    return "-".join(part for part in "".join(out).split("-") if part)


# Outcome names as published in archives and in outcome_status.category, with the API codes
# used in outcomes-for-crime's {code, name}.
OUTCOME_CODES: dict[str, str] = {
    "Investigation complete; no suspect identified": "no-further-action",
    "Unable to prosecute suspect": "unable-to-prosecute",
    "Under investigation": "under-investigation",
    "Status update unavailable": "status-update-unavailable",
    "Awaiting court outcome": "awaiting-court-result",
    "Court result unavailable": "court-result-unavailable",
    "Local resolution": "local-resolution",
    "Offender given a caution": "cautioned",
    "Offender given a drugs possession warning": "drugs-possession-warning",
    "Offender given penalty notice": "penalty-notice-issued",
    "Offender given conditional discharge": "conditional-discharge",
    "Offender fined": "fined",
    "Offender sent to prison": "imprisoned",
    "Offender given community sentence": "community-sentence",
    "Offender given suspended prison sentence": "suspended-sentence",
    "Offender deprived of property": "property-deprived",
    "Offender ordered to pay compensation": "compensation",
    "Offender otherwise dealt with": "dealt-with-otherwise",
    "Offender given absolute discharge": "absolute-discharge",
    "Defendant found not guilty": "not-guilty",
    "Defendant sent to Crown Court": "sent-to-crown-court",
    "Suspect charged as part of another case": "charged-as-part-of-another-case",
    "Formal action is not in the public interest": "formal-action-not-in-public-interest",
    "Further action is not in the public interest": "further-action-not-in-public-interest",
    "Further investigation is not in the public interest": "further-investigation-not-in-public-interest",
    "Action to be taken by another organisation": "action-by-another-organisation",
    "Suspect charged": "charged",
    "Defendant found guilty": "guilty",
    "Offender given a caution or penalty": "cautioned",
}


def outcome_code(name: str) -> str:
    """The API code for an outcome name; unknown names get a stable slug rather than failing."""
    return OUTCOME_CODES.get(name.strip(), slugify(name))
