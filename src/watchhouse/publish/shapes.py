"""data.police.uk JSON shapes, field for field and in the published key order.

Coordinates are strings with the six decimals of the archive; ids are integers; an
anti-social behaviour record's ``persistent_id`` is ""; ``outcome_status.category`` is an
outcome *name* while ``outcomes[].category`` is ``{code, name}``.
"""

from __future__ import annotations

from watchhouse.crimes.categories import outcome_code, slugify
from watchhouse.crimes.query import CrimeOutcome, MapPoint, Stop, StreetCrime

BRITISH_TRANSPORT_POLICE = "btp"  # police.uk's force id


def coordinate(value: float) -> str:
    return f"{value:.6f}"


def location(latitude: float, longitude: float, street_id: int | None, street_name: str | None) -> dict:
    return {
        "latitude": coordinate(latitude),
        "street": {"id": street_id, "name": street_name or ""},
        "longitude": coordinate(longitude),
    }


def _is_btp(crime: StreetCrime) -> bool:
    return crime.force_code == BRITISH_TRANSPORT_POLICE or (crime.reported_by or "").lower() == "british transport police"


def crime(crime: StreetCrime, *, with_outcome_status: bool = True) -> dict:
    """A street crime as crimes-street, crimes-at-location and crimes-no-location give it."""
    located = crime.latitude is not None and crime.longitude is not None
    item: dict = {
        "category": crime.category,
        "location_type": ("BTP" if _is_btp(crime) else "Force") if located else None,
        "location": location(crime.latitude, crime.longitude, crime.location_id, crime.location_name) if located else None,
        "context": crime.context or "",
    }
    if with_outcome_status:
        item["outcome_status"] = (
            {"category": crime.outcome_category, "date": crime.outcome_month or crime.month}
            if crime.outcome_category
            else None
        )
    item["persistent_id"] = crime.persistent_id or ""
    item["id"] = crime.id
    # The archives do not carry the subtype (e.g. BTP's "STATION"); police.uk gives "" for forces.
    item["location_subtype"] = ""
    item["month"] = crime.month
    return item


def outcome(outcome: CrimeOutcome) -> dict:
    return {"category": {"code": outcome.code, "name": outcome.name}, "date": outcome.month, "person_id": None}


def outcomes_for_crime(street_crime: StreetCrime, outcomes: list[CrimeOutcome]) -> dict:
    return {"crime": crime(street_crime, with_outcome_status=False), "outcomes": [outcome(o) for o in outcomes]}


def outcome_at_location(street_crime: StreetCrime) -> dict:
    """outcomes-at-location's item: the crime's latest outcome with the crime inside."""
    name = street_crime.outcome_category or ""
    return {
        "category": {"code": outcome_code(name), "name": name},
        "date": street_crime.outcome_month or street_crime.month,
        "person_id": None,
        "crime": crime(street_crime, with_outcome_status=False),
    }


def _flag(value: str | None) -> bool | None:
    """Archive "true"/"false"/"" (also "True"/"False") as the API's true/false/null."""
    text = (value or "").strip().lower()
    if text in {"true", "yes", "1"}:
        return True
    if text in {"false", "no", "0"}:
        return False
    return None


# police.uk's outcome_object ids for the stop-and-search outcomes it publishes.
_STOP_OUTCOME_IDS = {
    "a no further action disposal": "bu-no-further-action",
    "nothing found - no further action": "bu-no-further-action",
    "arrest": "bu-arrest",
    "suspect arrested": "bu-arrest",
    "offender given penalty notice": "bu-penalty-notice",
    "penalty notice for disorder": "bu-penalty-notice",
    "summons / charged by post": "bu-summons",
    "suspect summonsed to court": "bu-summons",
    "caution (simple or conditional)": "bu-caution",
    "offender cautioned": "bu-caution",
    "khat or cannabis warning": "bu-warning",
    "community resolution": "bu-community-resolution",
    "local resolution": "bu-community-resolution",
}


def stop(stop: Stop, street: MapPoint | None = None) -> dict:
    """A stop and search as stops-street, stops-force and stops-no-location give it."""
    located = stop.latitude is not None and stop.longitude is not None
    outcome_name = stop.outcome or ""
    return {
        "age_range": stop.age_range or None,
        "outcome": outcome_name or None,
        "involved_person": (stop.type or "") != "Vehicle search",
        "self_defined_ethnicity": stop.self_defined_ethnicity or None,
        "gender": stop.gender or None,
        "legislation": stop.legislation or None,
        "outcome_linked_to_object_of_search": _flag(stop.outcome_linked_to_object_of_search),
        "datetime": stop.datetime,
        "removal_of_more_than_outer_clothing": _flag(stop.removal_of_more_than_outer_clothing),
        "outcome_object": {
            "id": _STOP_OUTCOME_IDS.get(outcome_name.lower(), "bu-" + slugify(outcome_name)) if outcome_name else "",
            "name": outcome_name,
        },
        "location": location(stop.latitude, stop.longitude, street.id if street else None, street.name if street else "")
        if located
        else None,
        "operation": bool(_flag(stop.operation)),
        "officer_defined_ethnicity": stop.officer_defined_ethnicity or None,
        "type": stop.type or None,
        "operation_name": stop.operation_name or None,
        "object_of_search": stop.object_of_search or None,
    }


def force_summary(area) -> dict:
    return {"id": area.code, "name": area.name}


def force_detail(area) -> dict:
    return {
        "description": area.description or None,
        "url": getattr(area, "url", None) or None,
        "engagement_methods": [],
        "telephone": getattr(area, "telephone", None) or None,
        "id": area.code,
        "name": area.name,
    }


def neighbourhood_summary(area) -> dict:
    return {"id": area.code, "name": area.name}


def neighbourhood_detail(area, force) -> dict:
    centre = (
        {"latitude": coordinate(area.centre_lat), "longitude": coordinate(area.centre_lng)}
        if area.centre_lat is not None and area.centre_lng is not None
        else None
    )
    return {
        "url_force": getattr(force, "url", None) or "",
        "contact_details": {},
        "name": area.name,
        "links": [],
        "centre": centre,
        "locations": [],
        "description": area.description or None,
        "id": area.code,
        # police.uk gives population as a string; 0 when it is not known.
        "population": str(area.population or 0),
        # Not in police.uk's shape (clients ignore it): until a force imports its real
        # neighbourhood boundaries the polygon is derived from crime map points.
        "boundary_approximate": bool(area.boundary_approximate),
    }


def boundary(points: list[tuple[float, float]]) -> list[dict]:
    return [{"latitude": coordinate(lat), "longitude": coordinate(lng)} for lat, lng in points]
