"""POST /v1/records/people: one record in, linked, searchable and on the person page at once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from watchhouse.access import Viewer
from watchhouse.domain import EntityKind, PersonRecord, RecordRef
from watchhouse.domain.markings import parse_marking
from watchhouse.records import get_records, resolve_refs, upsert_records
from watchhouse.search import rebuild_index
from watchhouse.store import get_engine
from watchhouse.synth.people import generate_population, make_source_records
from watchhouse.users import add_user
from watchhouse.web.app import create_app

PASSWORD = "correct horse battery"


@pytest.fixture
def synthetic(database_url):
    engine = get_engine(database_url)
    records = make_source_records(generate_population(60, seed=4), seed=4)
    upsert_records(engine, [
        PersonRecord("custody", r.record_id, raw={"id": r.record_id}, given_name=r.given_name,
                     family_name=r.family_name, date_of_birth=r.date_of_birth, postcode=r.postcode,
                     address_lines=(r.address,) if r.address else (), locality=r.locality, sex=r.sex,
                     pnc_id=r.pnc_id, ni_number=r.ni_number)
        for r in records
    ])
    rebuild_index(engine)
    with engine.begin() as connection:
        # A source-system account writes for the system its username names.
        add_user(connection, "cad", role="source-system", clearance="OFFICIAL", password=PASSWORD)
        add_user(connection, "intel", role="source-system", clearance="SECRET", password=PASSWORD)
        add_user(connection, "olive", role="response-officer", clearance="OFFICIAL", password=PASSWORD)
    return records


@pytest.fixture
def client(database_url, synthetic):
    return TestClient(create_app(database_url))


def _token(client, name):
    response = client.post("/v1/auth/token", data={"username": name, "password": PASSWORD})
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _body(record, **changes):
    body = {"source_system": "cad", "source_record_id": "CAD-77", "given_name": record.given_name,
            "family_name": record.family_name, "date_of_birth": record.date_of_birth.isoformat(),
            "postcode": record.postcode, "address_lines": [record.address], "locality": record.locality}
    body.update(changes)
    return body


def _clean(records):
    return next(r for r in records if not r.corruptions and r.date_of_birth and r.postcode and r.address)


def _person_holding(client, headers, record, source_record_id):
    found = client.get("/v1/people", params={"q": f"{record.given_name} {record.family_name}"}, headers=headers)
    for hit in found.json()["results"]:
        person = client.get(f"/v1/people/{hit['master_id']}", headers=headers).json()
        if any(r["source_record_id"] == source_record_id for r in person["view"]["records"]):
            return person
    return None


def test_an_arrival_is_linked_searchable_and_on_the_person_page(client, synthetic):
    source = _clean(synthetic)
    response = client.post("/v1/records/people", json=_body(source, raw={"FORENAME": source.given_name}),
                           headers=_token(client, "cad"))
    assert response.status_code == 200, response.text
    arrival = response.json()
    # The sender learns what became of its record, not whom it matched.
    assert set(arrival) == {"record_id", "outcome"} and arrival["outcome"] == "inserted"
    officer = {**_token(client, "olive"), "X-Watchhouse-Purpose": "INC-7"}
    person = _person_holding(client, officer, source, "CAD-77")
    assert person is not None
    sources = {(r["source_system"], r["source_record_id"]) for r in person["view"]["records"]}
    assert ("cad", "CAD-77") in sources and len(sources) >= 2  # joined to the existing person
    cad = next(r for r in person["view"]["records"] if r["source_record_id"] == "CAD-77")
    assert cad["raw"] == {"FORENAME": source.given_name}  # lineage: the source's own values kept
    again = client.post("/v1/records/people", json=_body(source, raw={"FORENAME": source.given_name}),
                        headers=_token(client, "cad"))
    assert again.json() == {**arrival, "outcome": "unchanged"}


def test_a_system_account_writes_only_its_own_systems_records(client, synthetic):
    body = _body(_clean(synthetic), source_system="custody")
    refused = client.post("/v1/records/people", json=body, headers=_token(client, "cad"))
    assert refused.status_code == 403 and "'cad'" in refused.json()["detail"]


def test_marked_fields_of_an_arrival_stay_hidden_everywhere_from_lower_clearance(client, synthetic):
    source = _clean(synthetic)
    body = _body(source, source_system="intel", source_record_id="INT-9",
                 field_markings={"address_lines": "SECRET", "date_of_birth": "SECRET"})
    assert client.post("/v1/records/people", json=body, headers=_token(client, "intel")).status_code == 200
    officer = {**_token(client, "olive"), "X-Watchhouse-Purpose": "INC-8"}
    person = _person_holding(client, officer, source, "INT-9")
    assert person is not None
    record = next(r for r in person["view"]["records"] if r["source_record_id"] == "INT-9")
    shown = repr(record)
    assert source.address not in shown and source.date_of_birth.isoformat() not in shown
    assert {"address", "date_of_birth"} <= set(record["withheld"])


def test_a_stored_record_above_the_senders_clearance_is_not_overwritten(client, synthetic, database_url):
    engine = get_engine(database_url)
    source = _clean(synthetic)
    upsert_records(engine, [PersonRecord("cad", "CAD-SECRET", raw={}, given_name="Hidden", family_name="Person",
                                         marking=parse_marking("SECRET"))])
    body = _body(source, source_record_id="CAD-SECRET")
    refused = client.post("/v1/records/people", json=body, headers=_token(client, "cad"))
    assert refused.status_code == 403 and "clearance" in refused.json()["detail"]
    analyst = Viewer("t", "intelligence-analyst", clearance="SECRET", purpose="test")
    with engine.connect() as connection:
        stored = resolve_refs(connection, [RecordRef(EntityKind.PERSON, "cad", "CAD-SECRET")], {})
    view = get_records(engine, analyst, "person", stored.values())
    assert [(v.values["given_name"], str(v.marking)) for v in view.values()] == [("Hidden", "SECRET")]


@pytest.mark.parametrize("changes, field", [
    ({"source_record_id": ""}, "source_record_id"),
    ({"date_of_birth": "1990-02-31"}, "date_of_birth"),
    ({"date_of_birth": "2090-01-01"}, "date_of_birth"),
    ({"marking": "RESTRICTED-ISH"}, "marking"),
    ({"given_name": None, "family_name": None}, "given_name"),
    ({"source_system": "Bad System"}, "source_system"),
    ({"shoe_size": 9}, "shoe_size"),
    ({"field_markings": {"favourite_colour": "SECRET"}}, "field_markings"),
])
def test_bad_records_are_refused_naming_the_field(client, synthetic, changes, field):
    response = client.post("/v1/records/people", json=_body(_clean(synthetic), **changes),
                           headers=_token(client, "cad"))
    assert response.status_code == 422, response.text
    assert field in {str(part) for error in response.json()["detail"] for part in error["loc"]}


def test_only_source_systems_write_and_only_at_their_clearance(client, synthetic):
    body = _body(_clean(synthetic))
    assert client.post("/v1/records/people", json=body).status_code == 401
    assert client.post("/v1/records/people", json=body, headers=_token(client, "olive")).status_code == 403
    secret = client.post("/v1/records/people", json={**body, "marking": "SECRET"}, headers=_token(client, "cad"))
    assert secret.status_code == 403 and "clearance" in secret.json()["detail"]
