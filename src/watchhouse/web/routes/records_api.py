"""Records arriving one at a time: ``POST /v1/records/people`` for source systems.

The route validates the body (422 naming each bad field), checks the caller may write records
at that marking, and hands the record to ``watchhouse.people.incoming``, which stores, links,
indexes and audits it in one transaction.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from watchhouse.access import can_see
from watchhouse.access.permissions import Permission
from watchhouse.domain import PersonRecord
from watchhouse.domain.markings import MarkingError, parse_marking
from watchhouse.domain.pole import DomainError
from watchhouse.users import User
from watchhouse.web.auth import api_user, client_address, require, viewer_for

router = APIRouter()

Text = Annotated[str | None, Field(max_length=200)]
Short = Annotated[str | None, Field(max_length=40)]
# The person fields a field marking may name, besides "raw.<column>" for one of the source's values.
MARKABLE = {"given_name", "middle_names", "family_name", "date_of_birth", "sex", "address_lines", "locality",
            "postcode", "phone", "email", "pnc_id", "ni_number", "driving_licence"}


class PersonIn(BaseModel):
    """One person record as its source system holds it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    source_system: str = Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9\-_.]*$",
                               description="The sending system, a lower-case slug such as 'custody'")
    source_record_id: str = Field(min_length=1, max_length=200, description="The record's id in that system")
    given_name: Text = None
    middle_names: Text = None
    family_name: Text = None
    date_of_birth: date | None = None
    sex: Annotated[str | None, Field(max_length=20)] = None
    address_lines: list[Annotated[str, Field(max_length=200)]] = Field(default_factory=list, max_length=6)
    locality: Text = None
    postcode: Annotated[str | None, Field(max_length=10)] = None
    phone: Short = None
    email: Annotated[str | None, Field(max_length=300)] = None
    pnc_id: Annotated[str | None, Field(max_length=30)] = None
    ni_number: Annotated[str | None, Field(max_length=20)] = None
    driving_licence: Annotated[str | None, Field(max_length=30)] = None
    recorded_at: datetime | None = Field(default=None, description="When the source recorded these details")
    marking: str = Field(default="OFFICIAL", max_length=200,
                         description="OFFICIAL, OFFICIAL-SENSITIVE, SECRET or TOP SECRET, with [caveats]")
    field_markings: dict[str, str] = Field(default_factory=dict, max_length=30,
                                           description="Marking of single fields, or 'raw.<column>'")
    raw: dict[str, str | int | float | bool | None] | None = Field(
        default=None, max_length=200, description="The source's own values as it holds them (default: this body)")

    @field_validator("marking")
    @classmethod
    def _marking(cls, value: str) -> str:
        try:
            return str(parse_marking(value))
        except MarkingError as error:
            raise ValueError(str(error)) from None

    @field_validator("field_markings")
    @classmethod
    def _field_markings(cls, value: dict[str, str]) -> dict[str, str]:
        for name, marking in value.items():
            if name not in MARKABLE and not (name.startswith("raw.") and 4 < len(name) <= 104):
                raise ValueError(f"{name!r} is not a person field or 'raw.<column>'")
            try:
                parse_marking(marking)
            except MarkingError as error:
                raise ValueError(f"{name}: {error}") from None
        return value


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("body", field), "msg": message, "input": None}])


def _domain_record(body: PersonIn) -> PersonRecord:
    values = body.model_dump(exclude={"marking", "field_markings", "raw", "source_system", "source_record_id"})
    values["address_lines"] = tuple(values["address_lines"])
    field_markings = {name: parse_marking(m) for name, m in body.field_markings.items()}
    if body.raw is not None:
        raw: dict[str, Any] = body.raw
    else:
        # The body stands as the source's own values, so a marked field stays marked there too.
        raw = body.model_dump(mode="json", exclude_none=True, exclude={"marking", "field_markings", "raw"})
        field_markings.update({f"raw.{name}": marking for name, marking in list(field_markings.items())
                               if name in MARKABLE})
    try:
        return PersonRecord(
            body.source_system, body.source_record_id, raw=raw, marking=parse_marking(body.marking),
            field_markings=field_markings, **values,
        )
    except DomainError as error:
        text = str(error)
        field = "date_of_birth" if "date of birth" in text else "given_name" if "needs a name" in text else "body"
        raise _invalid(field, text) from None


@router.post("/v1/records/people", tags=["records"], status_code=200,
             responses={401: {"description": "Not authenticated"},
                        403: {"description": "Role may not write records, not this system's account, or the "
                                             "marking (sent or stored) is above the caller's"},
                        422: {"description": "Bad record: the fields at fault are named"}})
def receive_person_api(request: Request, user: Annotated[User, Depends(api_user)], body: PersonIn):
    """Store one person record from a source system, link it to the people already known and
    make it searchable at once. Idempotent on (source_system, source_record_id).

    A source-system account writes for the system its username names, and nothing else. The
    answer says only what became of the record (inserted, updated, unchanged): which person it
    joined would tell the sender about records it may not be cleared to see. Staff find the
    person through ``GET /v1/people``."""
    from watchhouse.people.incoming import ArrivalRefused, receive_person

    require(user, Permission.WRITE_RECORDS)
    if body.source_system != user.username:
        raise HTTPException(403, f"This account writes records for the system {user.username!r} only.")
    record = _domain_record(body)
    viewer = viewer_for(user)
    # A system may not write what its own account could not read: markings stay honest.
    markings = [record.marking, *record.field_markings.values()]
    if not all(can_see(viewer, marking) for marking in markings):
        raise HTTPException(403, "The record or one of its fields is marked above this account's clearance.")
    try:
        arrival = receive_person(request.app.state.engine, record, actor=user.username,
                                 client=client_address(request), viewer=viewer)
    except ArrivalRefused as refused:
        raise HTTPException(403, f"Refused: {refused}.") from None
    return {"record_id": arrival.record_id, "outcome": arrival.outcome}
