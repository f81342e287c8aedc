import json

import pytest
import sqlalchemy as sa

from watchhouse.access import Viewer
from watchhouse.connectors import (
    FileRefused,
    MappingError,
    load_file,
    load_files,
    load_mapping,
    parse_mapping,
    quarantined_rows,
)
from watchhouse.records import master_id_for, person_events, person_view

ADMIN = Viewer("a", "admin", "TOP SECRET", frozenset({"OFFICIAL-SENSITIVE"}))
OFFICER = Viewer("o", "response-officer", "OFFICIAL")

CALLS_MAPPING = """
system: test-cad
format: csv
marking: {column: MARKING, default: OFFICIAL}
code_tables:
  grade: {"1": G1, "2": G2, "3": G3}
records:
  call:
    kind: event
    id: "{REF}"
    fields:
      event_kind: {constant: call}
      reference: REF
      reported_at: {column: WHEN, transforms: [trim, {datetime: ["%d/%m/%Y %H:%M", "%Y-%m-%dT%H:%M"]}]}
      call_grade: {column: GRADE, transforms: [{code: grade}]}
      latitude: {column: LAT}
      longitude: {column: LON}
  caller:
    kind: person
    id: "{REF}-caller"
    when: CALLER
    fields:
      name: {column: CALLER, split_name: "SURNAME, Given"}
      date_of_birth: {column: DOB, transforms: [{null_if: ["N/K"]}, {date: "%d/%m/%Y"}]}
      phone: {column: TEL, transforms: [phone]}
      postcode: {column: PC, transforms: [postcode]}
      address_lines: {columns: [ADDR1, ADDR2], transforms: [trim, title]}
    field_markings: {phone: SECRET}
links:
  - {from: caller, to: call, role: caller}
markers:
  - {person: caller, column: WARN, split: ";", transforms: [trim, lower]}
"""

HEADER = "REF,WHEN,GRADE,LAT,LON,CALLER,DOB,TEL,PC,ADDR1,ADDR2,WARN,MARKING\n"
GOOD_ROWS = [
    "C1,01/07/2018 10:15,1,53.80,-1.55,\"SMITH, John\",04/05/1980,07700 900123,ls14ap,1 high st,,violent; weapons,",
    "C2,2018-07-02T11:00,2,,,\"JONES, Mary Ann\",N/K,+44 7700 900456,LS2 7HY,9 low rd,leeds,,OFFICIAL-SENSITIVE",
    "C3,02/07/2018 12:00,3,,,,,,,,,,",
]
BAD_ROWS = [
    "C4,31/02/2018 10:00,1,,,\"BROWN, Ann\",01/01/1990,,,,,,",  # impossible date
    "C5,03/07/2018 10:00,9,,,\"GREEN, Al\",01/01/1990,12345,,,,,",  # unknown grade and bad phone
    "C6,03/07/2018 10:00,1,,,\"WHITE, Bo\",01/01/1990,,,,,,ULTRA SECRET",  # unknown marking
    "C7,03/07/2018 10:00,1",  # short row
]


@pytest.fixture
def mapping(tmp_path):
    path = tmp_path / "cad.yaml"
    path.write_text(CALLS_MAPPING)
    return load_mapping(path)


def write(tmp_path, name, rows):
    path = tmp_path / name
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


def count(engine, table):
    with engine.connect() as c:
        return c.execute(sa.text(f"select count(*) from {table}")).scalar()


def test_loads_records_links_markers_and_quarantines_bad_rows(engine, tmp_path, mapping):
    path = write(tmp_path, "calls.csv", GOOD_ROWS + BAD_ROWS)
    report = load_file(engine, mapping, path)
    assert (report.rows_read, report.rows_loaded, report.rows_quarantined) == (7, 3, 4)
    assert report.inserted == 5 and report.links_added == 2
    bad = quarantined_rows(engine, system="test-cad")
    by_line = {}
    for row in bad:
        by_line.setdefault(row.line, []).append((row.field, row.reason))
    assert sorted(by_line) == [5, 6, 7, 8]
    assert any("call.reported_at (WHEN)" == f and "does not match" in r for f, r in by_line[5])
    assert {f for f, _ in by_line[6]} == {"call.call_grade (GRADE)", "caller.phone (TEL)"}
    assert any("unknown marking" in r for _, r in by_line[7])
    assert by_line[8][0][1] == "the row has 3 fields but the header has 13"
    assert all(row.file_name == str(path) for row in bad)

    master = master_id_for(engine, ADMIN, "test-cad", "C1-caller")
    view = person_view(engine, ADMIN, master)
    record = view.records[0]
    assert (record.values["given_name"], record.values["family_name"]) == ("John", "SMITH")
    assert record.values["postcode"] == "LS1 4AP" and record.values["phone"] == "07700900123"
    assert record.values["address"] == "1 High St"
    assert record.raw["TEL"] == "07700 900123"  # the source's own value is kept as it was
    assert [m.marker for m in view.warning_markers] == ["violent", "weapons"]
    # The phone field and its source column are SECRET: withheld from an OFFICIAL officer, and said so.
    officer_record = person_view(engine, OFFICER, master).records[0]
    assert "phone" not in officer_record.values and "TEL" not in officer_record.raw
    assert set(officer_record.withheld) == {"phone", "raw.TEL"}
    # Row C2 was OFFICIAL-SENSITIVE: invisible to an officer without the caveat.
    assert master_id_for(engine, OFFICER, "test-cad", "C2-caller") is None
    mary = person_view(engine, ADMIN, master_id_for(engine, ADMIN, "test-cad", "C2-caller")).records[0]
    assert (mary.values["given_name"], mary.values["middle_names"], mary.values["date_of_birth"]) == ("Mary", "Ann", None)
    events = person_events(engine, ADMIN, master)
    assert events[0].event.values["call_grade"] == "G1" and events[0].roles[0].role == "caller"


def test_rerunning_a_file_creates_no_duplicates(engine, tmp_path, mapping):
    path = write(tmp_path, "calls.csv", GOOD_ROWS + BAD_ROWS)
    load_file(engine, mapping, path)
    before = {t: count(engine, t) for t in ("record_people", "record_events", "record_links", "record_warning_markers",
                                            "connector_quarantine", "master_people")}
    again = load_file(engine, mapping, path)
    assert (again.inserted, again.updated, again.unchanged, again.links_added) == (0, 0, 5, 0)
    after = {t: count(engine, t) for t in before}
    assert after == before


def test_a_file_loads_atomically(engine, tmp_path, mapping, monkeypatch):
    path = write(tmp_path, "calls.csv", GOOD_ROWS)
    import watchhouse.connectors.load as load

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(load, "upsert_records", explode)
    with pytest.raises(RuntimeError):
        load_file(engine, mapping, path)
    assert count(engine, "record_people") == 0 and count(engine, "connector_runs") == 0


def test_missing_columns_refuse_the_file_before_loading(engine, tmp_path, mapping):
    path = tmp_path / "short.csv"
    path.write_text("REF,WHEN\nC1,01/07/2018 10:15\n")
    with pytest.raises(FileRefused, match="missing column.*CALLER.*GRADE"):
        load_file(engine, mapping, path)
    report = load_files(engine, mapping, [path, write(tmp_path, "ok.csv", GOOD_ROWS)], progress=False)
    assert len(report.errors) == 1 and report.total.rows_loaded == 3
    assert count(engine, "connector_runs") == 1


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("{code: grade}", "{code: grades}"), "code table 'grades' is not defined"),
        (("[phone]", "[telephone]"), "unknown transform 'telephone'"),
        (('"%d/%m/%Y"}]', '"%d/%q/%Y"}]'), "bad date format '%d/%q/%Y'"),
        (("postcode: {column: PC", "post_code: {column: PC"), "unknown person field 'post_code'"),
        (("role: caller", "role: owner"), "role 'owner' cannot link person->event"),
        (("role: caller", "role: bystander"), "unknown link role 'bystander'"),
        (("to: call,", "to: cal,"), "no record named 'cal'"),
        (("SURNAME, Given", "Surname First"), "split_name"),
        (("default: OFFICIAL", "default: SUPER"), "unknown marking 'SUPER'"),
        (("date_of_birth: {column: DOB, transforms: [{null_if: [\"N/K\"]}, {date: \"%d/%m/%Y\"}]}",
          "date_of_birth: DOB"), "date_of_birth is a date"),
        (("{constant: call}", "{constant: phone-call}"), "event_kind 'phone-call' is not one of"),
    ],
)
def test_bad_mappings_fail_before_loading_naming_the_problem(change, expected):
    old, new = change
    assert old in CALLS_MAPPING
    import yaml

    with pytest.raises(MappingError) as error:
        parse_mapping(yaml.safe_load(CALLS_MAPPING.replace(old, new)), "cad.yaml")
    assert expected in str(error.value)


def test_every_mapping_problem_is_reported_together():
    import yaml

    document = yaml.safe_load(CALLS_MAPPING.replace("[phone]", "[telephone]").replace("{code: grade}", "{code: nope}"))
    with pytest.raises(MappingError) as error:
        parse_mapping(document)
    assert len(error.value.problems) == 2


def test_unreadable_mapping_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("system: [unclosed\n")
    with pytest.raises(MappingError, match="not valid YAML"):
        load_mapping(path)
    with pytest.raises(MappingError, match="cannot read"):
        load_mapping(tmp_path / "absent.yaml")


JSONL_MAPPING = """
system: test-custody
format: jsonl
records:
  arrest:
    kind: event
    id: "{custody_no}"
    marking: {column: marking, default: OFFICIAL}
    fields:
      event_kind: {constant: arrest}
      reference: custody_no
      occurred_at: {column: arrested_at, transforms: [{datetime: "%Y-%m-%dT%H:%M:%S"}]}
      category: offence
  detainee:
    kind: person
    id: "{detainee.pnc}"
    fields:
      name: {column: detainee.name, split_name: "SURNAME Given"}
      pnc_id: detainee.pnc
      date_of_birth: {column: detainee.dob, transforms: [{date: "%Y-%m-%d"}]}
links:
  - {from: detainee, to: arrest, role: arrested-person}
  - {from: arrest, to: {kind: event, system: test-cad, id: "{call_ref}"}, role: led-to, when: call_ref}
markers:
  - {person: detainee, column: warnings, transforms: [lower]}
"""


def test_jsonl_with_nested_fields_and_links_to_other_systems(engine, tmp_path, mapping):
    load_file(engine, mapping, write(tmp_path, "calls.csv", GOOD_ROWS))
    custody = parse_mapping(__import__("yaml").safe_load(JSONL_MAPPING), "custody.yaml")
    lines = [
        {"custody_no": "K1", "arrested_at": "2018-07-01T11:00:00", "offence": "assault", "call_ref": "C1",
         "warnings": ["VIOLENT", "DRUGS"],
         "detainee": {"name": "SMITH John", "pnc": "80/123456A", "dob": "1980-05-04"}},
        {"custody_no": "K2", "arrested_at": "2018-07-01T12:00:00", "offence": "theft", "call_ref": "C99",
         "detainee": {"name": "DOE Jane", "pnc": "81/1A", "dob": "1981-01-01"}},
        "not json at all",
        {"custody_no": "K3", "arrested_at": "2018-07-01T12:00:00", "offence": "theft", "call_ref": "",
         "marking": "SECRET", "detainee": {"name": "ROE Rich", "pnc": "82/1A", "dob": "1982-02-02"}},
    ]
    path = tmp_path / "custody.jsonl"
    path.write_text("\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n")
    report = load_file(engine, custody, path)
    assert (report.rows_loaded, report.rows_quarantined, report.links_added) == (2, 2, 3)
    reasons = {row.line: row.reason for row in quarantined_rows(engine, system="test-custody")}
    assert "test-cad/C99, which is not loaded" in reasons[2]
    assert reasons[3].startswith("not valid JSON")
    john = master_id_for(engine, ADMIN, "test-custody", "80/123456A")
    kinds = [e.event.values["event_kind"] for e in person_events(engine, ADMIN, john)]
    assert kinds == ["arrest"]
    assert [m.marker for m in person_view(engine, ADMIN, john).warning_markers] == ["drugs", "violent"]
    # K3's arrest is SECRET; the officer sees the detainee but not the arrest or the link to it.
    rich = master_id_for(engine, ADMIN, "test-custody", "82/1A")
    assert person_events(engine, OFFICER, rich) == []
    assert len(person_events(engine, ADMIN, rich)) == 1


def test_jsonl_missing_path_refuses_file(engine, tmp_path):
    custody = parse_mapping(__import__("yaml").safe_load(JSONL_MAPPING), "custody.yaml")
    path = tmp_path / "custody.jsonl"
    path.write_text(json.dumps({"custody_no": "K1", "arrested_at": "2018-07-01T11:00:00", "offence": "x",
                                "call_ref": "", "detainee": {"name": "A B"}}) + "\n")
    with pytest.raises(FileRefused, match="detainee.dob, detainee.pnc"):
        load_file(engine, custody, path)


def test_name_styles():
    from watchhouse.connectors.transforms import ValueProblem, split_name

    assert split_name("  o'brien ,  Sean  Patrick ", "SURNAME, Given") == {
        "given_name": "Sean", "middle_names": "Patrick", "family_name": "o'brien"}
    assert split_name("Anna de la Cruz", "Given Surname")["family_name"] == "de la Cruz"
    assert split_name("SMITH John", "SURNAME Given")["given_name"] == "John"
    with pytest.raises(ValueProblem, match="only one name"):
        split_name("Prince", "Given Surname")


@pytest.mark.parametrize(("raw", "expected"), [("ls1 4ap", "LS1 4AP"), ("SW1A1AA", "SW1A 1AA"), ("M1 1AE", "M1 1AE")])
def test_postcodes(raw, expected):
    from watchhouse.connectors.transforms import normalise_postcode

    assert normalise_postcode(raw) == expected


def test_cli_refuses_bad_mapping_and_loads_good_one(tmp_path, database_url):
    from typer.testing import CliRunner

    from watchhouse.cli import app

    (tmp_path / "bad.yaml").write_text(CALLS_MAPPING.replace("[phone]", "[telephone]"))
    calls = write(tmp_path, "calls.csv", GOOD_ROWS + BAD_ROWS)
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", "source", str(tmp_path / "bad.yaml"), str(calls), "--db", database_url])
    assert result.exit_code == 2
    assert "unknown transform 'telephone'" in result.output
    (tmp_path / "good.yaml").write_text(CALLS_MAPPING)
    result = runner.invoke(app, ["ingest", "source", str(tmp_path / "good.yaml"), str(calls), "--db", database_url,
                                 "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "test-cad" in result.output
    result = runner.invoke(app, ["ingest", "source-quarantine", "--db", database_url], env={"COLUMNS": "300"})
    assert "does not match" in result.output


def test_a_single_record_arriving_alone_is_in_the_single_view_at_once(engine, tmp_path, mapping):
    import time

    from watchhouse.connectors import RowRejected, load_row
    from watchhouse.connectors.mapping import load_mapping, shipped_mappings

    cad = load_mapping(shipped_mappings()["command-and-control"])
    row = {"INCIDENT_NO": "20180701-0001", "CREATED": "01/07/2018 10:15", "GRADE": "G2", "OPENING_CODE": "ASB",
           "LOCATION": "On or near High Street", "LAT": "53.8", "LONG": "-1.55", "CALLER_NAME": "SMITH, John",
           "CALLER_DOB": "", "CALLER_TEL": "07700 900123", "CALLER_ADDRESS": "1 High St", "CALLER_POSTCODE": "ls1 4ap",
           "CRIME_REF": ""}
    started = time.perf_counter()
    result = load_row(engine, cad, row)
    master = master_id_for(engine, ADMIN, "command-and-control", "20180701-0001-caller")
    view = person_view(engine, ADMIN, master)
    elapsed = time.perf_counter() - started
    assert result.inserted == 2 and view.best("postcode") == "LS1 4AP"
    assert elapsed < 1.0
    with pytest.raises(RowRejected) as rejected:
        load_row(engine, cad, {**row, "INCIDENT_NO": "X2", "CREATED": "yesterday", "CRIME_REF": "13/1/18"})
    assert [p.field for p in rejected.value.problems] == ["call.reported_at (CREATED)", "caller.recorded_at (CREATED)"]
    with pytest.raises(RowRejected, match="which is not loaded"):
        load_row(engine, cad, {**row, "INCIDENT_NO": "X3", "CRIME_REF": "13/1/18"})
    with pytest.raises(RowRejected, match="none of the columns"):
        load_row(engine, cad, {"something": "else"})
    assert master_id_for(engine, ADMIN, "command-and-control", "X3-caller") is None  # nothing written


def test_loaded_people_are_searchable_at_once(engine, tmp_path, mapping):
    from watchhouse.search import parse_query, search_people_for

    load_file(engine, mapping, write(tmp_path, "calls.csv", GOOD_ROWS))
    hits = search_people_for(engine, ADMIN, parse_query("john smith 04/05/1980"))
    assert hits and hits[0].master_id == master_id_for(engine, ADMIN, "test-cad", "C1-caller")
    # A changed row is indexed on its new values.
    load_file(engine, mapping, write(tmp_path, "calls-2.csv", [GOOD_ROWS[0].replace("SMITH, John", "SMYTHE, John")]))
    assert search_people_for(engine, ADMIN, parse_query("smythe"))[0].master_id == hits[0].master_id
