"""Five synthetic force systems built on one synthetic population, with the truth kept.

``write_systems`` writes what a force and its partners would export, each system in its own
format and with its own data-quality habits, all describing the same people
(``watchhouse.synth.people``) and the real police.uk crimes of the sample months:

==========================  =========================  =====================================
system                      file(s)                    habits
==========================  =========================  =====================================
command-and-control         cad_incidents.csv          'SURNAME, Given' callers, dd/mm/yyyy,
                                                       messy phones and postcodes, dates of
                                                       birth mostly missing, anonymous calls
crime-recording             crimes.csv,                police.uk months, categories and map
                            crime_nominals.csv         points (scenes shared by the crimes
                                                       there); stolen or seized property;
                                                       victims, suspects, witnesses by
                                                       involvement code; ISO dates
custody                     custody.jsonl              nested JSON, 'SURNAME Given', PNC ids
                                                       nearly always, warning markers
intelligence                intelligence.psv           pipe-separated, yyyymmdd, 3x5x2 and
                                                       historic 5x5x5 gradings, GPMS and
                                                       current markings, some SECRET
asb-council                 asb_cases.csv              a council's export: 'Given Surname',
                                                       dd.mm.yyyy, '3 July 2018', own codes
==========================  =========================  =====================================

``truth.csv`` says which true person each source person record is (source_system,
source_record_id, person_id). A small share of rows carry the invalid values real exports do
(an impossible date, a malformed postcode) so loading them exercises the quarantine.
Everything is deterministic for a seed.
"""

from __future__ import annotations

import calendar
import csv
import json
import random
from bisect import bisect_left
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from itertools import accumulate
from pathlib import Path

from watchhouse.synth.people import (
    PROFILES,
    SourceRecord,
    TruePerson,
    generate_population,
    make_source_records,
)

SYSTEMS = ("crime-recording", "command-and-control", "custody", "intelligence", "asb-council")

# The order matters: later files link to records of earlier ones (calls and arrests to crimes).
LOAD_ORDER = (
    ("crime-recording-crimes", "crimes.csv"),
    ("crime-recording-nominals", "crime_nominals.csv"),
    ("command-and-control", "cad_incidents.csv"),
    ("custody", "custody.jsonl"),
    ("intelligence", "intelligence.psv"),
    ("asb-council", "asb_cases.csv"),
)
TRUTH_FILE = "truth.csv"
MANIFEST_FILE = "manifest.json"

# Each system's corruption habits, on top of the linkage generator's profiles; no system
# duplicates a person within one appearance, so extra records are off.
SYSTEM_PROFILES = {
    "command-and-control": replace(PROFILES["heavy"], name="command-and-control", extra_records_mean=0.0,
                                   ni_present=0.0, pnc_present=0.0),
    "crime-recording": replace(PROFILES["police"], name="crime-recording", extra_records_mean=0.0,
                               ni_present=0.15, pnc_present=0.25),
    "custody": replace(PROFILES["light"], name="custody", extra_records_mean=0.0, ni_present=0.5, pnc_present=0.95),
    "intelligence": replace(PROFILES["police"], name="intelligence", extra_records_mean=0.0,
                            ni_present=0.1, pnc_present=0.6),
    "asb-council": replace(PROFILES["heavy"], name="asb-council", extra_records_mean=0.0,
                           ni_present=0.3, pnc_present=0.0),
}

VICTIMLESS = {"Drugs", "Public order", "Possession of weapons", "Other crime", "Bicycle theft"}
CALL_CODES = {  # police.uk crime type -> (CAD opening code, usual grades)
    "Anti-social behaviour": ("ASB", ["G2", "G3", "G4"]),
    "Burglary": ("BURG", ["G1", "G2", "G3"]),
    "Violence and sexual offences": ("ASLT", ["G1", "G1", "G2"]),
    "Criminal damage and arson": ("DAMG", ["G2", "G3"]),
    "Vehicle crime": ("VEH", ["G3", "G4"]),
    "Shoplifting": ("SHOP", ["G2", "G3"]),
    "Robbery": ("ROBB", ["G1"]),
    "Public order": ("PUBO", ["G1", "G2"]),
    "Other theft": ("THEFT", ["G3", "G4"]),
    "Theft from the person": ("THEFT", ["G2", "G3"]),
    "Drugs": ("DRUG", ["G3"]),
    "Possession of weapons": ("WEAP", ["G1"]),
    "Bicycle theft": ("THEFT", ["G4"]),
    "Other crime": ("OTHR", ["G3", "G4"]),
}
OTHER_CALLS = [("CFS", ["G1", "G2"]), ("SUSP", ["G2", "G3"]), ("RTC", ["G1", "G2", "G3"]),
               ("MISP", ["G1", "G2"]), ("INFO", ["G5"]), ("NOISE", ["G4", "G5"])]
INVOLVEMENT_CODES = {"victim": "V", "suspect": "S", "witness": "W"}
WARNINGS = ["VIOLENT", "WEAPONS", "DRUGS", "ESCAPER", "SELF HARM", "MENTAL HEALTH", "CONTAGION", "AILMENT"]
ASB_CODES = {"Anti-social behaviour": ["NOI", "VER", "YTH", "NEI", "DRG", "VEH", "LIT"]}
INTEL_TOPICS = [
    "seen dealing from {vrm}", "associating with known burglars", "storing stolen property at home address",
    "carrying a knife in the town centre", "using {vrm} to travel to commit offences",
    "owes money to a local supplier", "frequenting licensed premises late at night",
]
OPERATION_WORDS = ["BADGER", "HERON", "KESTREL", "OTTER", "FALCON", "MAGPIE", "LYNX", "MARTEN", "PLOVER", "STOAT",
                   "WREN", "HARRIER", "CURLEW", "VOLE", "EGRET", "SISKIN"]


@dataclass
class PoliceUkEvent:
    """A row of the real police.uk street-level archive that a synthetic record is tied to."""

    crime_id: str
    month: str
    crime_type: str
    latitude: float | None
    longitude: float | None
    location: str
    lsoa_code: str
    outcome: str


@dataclass
class SynthReport:
    directory: Path
    files: dict[str, Path] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    truth_rows: int = 0


def read_police_uk(paths: Sequence[Path] | None = None) -> tuple[list[PoliceUkEvent], list[PoliceUkEvent]]:
    """Crimes (rows with a Crime ID) and anti-social behaviour rows of the real archive."""
    if paths is None:
        from watchhouse.sample import street_files

        paths = street_files()
    crimes, asb = [], []
    for path in paths:
        with Path(path).open(newline="", encoding="utf-8-sig") as handle:
            for row in csv.DictReader(handle):
                try:
                    latitude, longitude = float(row["Latitude"]), float(row["Longitude"])
                except (TypeError, ValueError):
                    continue  # no map point: nothing to tie a synthetic record to
                event = PoliceUkEvent(row["Crime ID"].strip(), row["Month"].strip(), row["Crime type"].strip(),
                                      latitude, longitude, row["Location"].strip(), row["LSOA code"].strip(),
                                      (row.get("Last outcome category") or "").strip())
                (crimes if event.crime_id else asb).append(event)
    if not crimes:
        raise ValueError("the police.uk files hold no crimes with a map point to tie synthetic records to")
    return crimes, asb


class _Picker:
    """Weighted choice of people, with an eligibility rule (age at the event date)."""

    def __init__(self, rng: random.Random, people: list[TruePerson], weights: list[float]) -> None:
        self.rng = rng
        self.people = people
        self.cumulative = list(accumulate(weights))

    def pick(self, when: date, *, min_age: int, exclude: set[str] = frozenset()) -> TruePerson | None:
        if not self.people:
            return None
        total = self.cumulative[-1]
        for _ in range(12):
            person = self.people[bisect_left(self.cumulative, self.rng.random() * total)]
            if person.person_id not in exclude and _age(person, when) >= min_age:
                return person
        return None


def _age(person: TruePerson, when: date) -> int:
    born = person.date_of_birth
    return when.year - born.year - ((when.month, when.day) < (born.month, born.day))


def _appearances(people: list[TruePerson], system: str, seed: int) -> list[SourceRecord]:
    """One corrupted record per appearance, in the order of ``people`` (a person may repeat)."""
    if not people:
        return []
    records = make_source_records(people, seed=seed, profile=SYSTEM_PROFILES[system])
    if len(records) != len(people):
        raise RuntimeError(f"expected one record per appearance for {system}, got {len(records)} for {len(people)}")
    queues: dict[str, deque] = defaultdict(deque)
    for record in records:
        queues[record.person_id].append(record)
    return [queues[person.person_id].popleft() for person in people]


def _moment(rng: random.Random, month: str) -> datetime:
    year, number = map(int, month.split("-"))
    day = rng.randint(1, calendar.monthrange(year, number)[1])
    hour = rng.choices(range(24), weights=[3, 3, 2, 2, 1, 1, 1, 2, 3, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 6, 5, 4, 4])[0]
    return datetime(year, number, day, hour, rng.randint(0, 59))


def _phone(person_id: str) -> str:
    digits = random.Random(f"phone-{person_id}").randint(0, 999_999_999)
    return f"07{digits:09d}"


def _messy_phone(rng: random.Random, phone: str) -> str:
    return rng.choice([phone, f"{phone[:5]} {phone[5:]}", f"+44{phone[1:]}", f"+44 {phone[1:5]} {phone[5:]}",
                       f"({phone[:5]}) {phone[5:8]} {phone[8:]}"])


def _messy_postcode(rng: random.Random, postcode: str | None) -> str:
    if not postcode:
        return ""
    return rng.choice([postcode, postcode, postcode.replace(" ", ""), postcode.lower()])


def _d(value: date | None, fmt: str) -> str:
    return value.strftime(fmt) if value else ""


class _Writer:
    """A CSV file with a header, counting its rows."""

    def __init__(self, path: Path, columns: list[str], delimiter: str = ",") -> None:
        self.handle = path.open("w", newline="", encoding="utf-8")
        self.writer = csv.DictWriter(self.handle, fieldnames=columns, delimiter=delimiter, lineterminator="\n")
        self.writer.writeheader()
        self.rows = 0

    def write(self, row: dict) -> None:
        self.writer.writerow(row)
        self.rows += 1

    def close(self) -> None:
        self.handle.close()


def _vrm(rng: random.Random) -> str:
    return (rng.choice("ABCDEFGHKLMNOPRSVWY") + rng.choice("ABCDEFGHKLMNOPRSVWXY") + f"{rng.randint(10, 69)}"
            + "".join(rng.choice("ABCDEFGHJKLMNOPRSTUVWXYZ") for _ in range(3)))


def _property(rng: random.Random, crime_type: str) -> dict[str, str]:
    """What was stolen or seized, as a crime system records it (blank when nothing was)."""
    kind = ref = description = role = ""
    if crime_type == "Vehicle crime":
        kind, ref, role = "vehicle", _vrm(rng), "STOLEN"
        description = rng.choice(["Ford Fiesta", "Vauxhall Astra", "VW Polo", "Nissan Qashqai", "Transit van"])
    elif crime_type in ("Theft from the person", "Robbery") and rng.random() < 0.7:
        kind, role = "phone", "STOLEN"
        ref = "35" + "".join(rng.choice("0123456789") for _ in range(13))  # an IMEI
        description = rng.choice(["iPhone", "Samsung Galaxy", "Google Pixel"])
    elif crime_type == "Possession of weapons":
        kind, role = "weapon", "SEIZED"
        description = rng.choice(["Lock knife", "Kitchen knife", "Machete", "Knuckleduster", "Air pistol"])
    elif crime_type == "Bicycle theft":
        kind, role, description = "property", "STOLEN", "Bicycle"
        ref = "WB" + "".join(rng.choice("0123456789") for _ in range(8))  # frame number
    elif crime_type == "Burglary" and rng.random() < 0.6:
        kind, role = "property", "STOLEN"
        description = rng.choice(["Laptop", "Jewellery", "Television", "Cash", "Games console", "Power tools"])
    return {"PROPERTY_KIND": kind, "PROPERTY_REF": ref, "PROPERTY_DESC": description, "PROPERTY_ROLE": role}


def _spoil(rng: random.Random, rate: float, value: str, spoiled: Callable[[str], str]) -> str:
    """Real exports carry a few invalid values; they end up in quarantine, not in the records."""
    return spoiled(value) if value and rng.random() < rate else value


def _bad_date(value: str) -> str:
    return "31/02/" + value[-4:] if len(value) >= 4 else "31/02/1990"


INVALID_RATE = 0.004


def write_systems(n_people: int, out_dir: str | Path, *, seed: int = 0,
                  police_uk_files: Sequence[Path] | None = None) -> SynthReport:
    """Write the five systems, the truth and a manifest for ``n_people`` synthetic people."""
    if n_people < 1:
        raise ValueError("--people must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = SynthReport(out)
    rng = random.Random(f"watchhouse-systems-{seed}")
    population = generate_population(n_people, seed=seed)
    crimes_pool, asb_pool = read_police_uk(police_uk_files)

    # Who is who: a few prolific offenders and repeat victims carry most of the events.
    # Offenders mostly already have a PNC record; the rest will get one on arrest.
    offenders = [p for p in population if rng.random() < (0.4 if p.pnc_id else 0.05)]
    offender_ids = {p.person_id for p in offenders}
    # Heavy-tailed but capped: the most prolific offender has tens of events, not hundreds.
    offender_picker = _Picker(rng, offenders, [min(rng.paretovariate(1.5), 25.0) for _ in offenders])
    victim_picker = _Picker(rng, population, [min(rng.paretovariate(2.2), 10.0) for _ in population])
    anyone = _Picker(rng, population, [1.0] * len(population))
    warnings_of = {p.person_id: sorted(rng.sample(WARNINGS, k=rng.choice([0, 0, 1, 1, 2]))) for p in offenders}
    truth: list[tuple[str, str, str]] = []

    # ---- crime recording: real police.uk crimes, with victims, suspects and witnesses
    n_crimes = min(len(crimes_pool), max(1, round(n_people * 0.6)))
    chosen = sorted(rng.sample(range(len(crimes_pool)), n_crimes))
    crimes: list[dict] = []
    involvements: list[tuple[dict, str, TruePerson]] = []
    for index, pool_index in enumerate(chosen):
        event = crimes_pool[pool_index]
        start = _moment(rng, event.month)
        crime = {"event": event, "ref": f"13/{index + 1:06d}/{event.month[2:4]}", "from": start,
                 "to": start + timedelta(minutes=rng.choice([0, 0, 30, 120, 600])),
                 "reported": start + timedelta(minutes=rng.randint(5, 2880)), "operation": ""}
        crimes.append(crime)
        when = start.date()
        people_here: set[str] = set()
        if event.crime_type not in VICTIMLESS:
            victim = victim_picker.pick(when, min_age=5)
            if victim:
                involvements.append((crime, "victim", victim))
                people_here.add(victim.person_id)
        if rng.random() < 0.45:
            suspect = offender_picker.pick(when, min_age=10, exclude=people_here)
            if suspect:
                involvements.append((crime, "suspect", suspect))
                people_here.add(suspect.person_id)
        if rng.random() < 0.22:
            witness = anyone.pick(when, min_age=12, exclude=people_here)
            if witness:
                involvements.append((crime, "witness", witness))
    # Prolific suspects get an operation: a case grouping their crimes.
    suspect_crimes: dict[str, list[dict]] = defaultdict(list)
    for crime, role, person in involvements:
        if role == "suspect":
            suspect_crimes[person.person_id].append(crime)
    operations = 0
    for person_id in sorted(suspect_crimes, key=lambda p: (-len(suspect_crimes[p]), p)):
        if len(suspect_crimes[person_id]) < 3:
            break
        name = f"OP-{OPERATION_WORDS[operations % len(OPERATION_WORDS)]}-{operations // len(OPERATION_WORDS) + 1}"
        operations += 1
        for crime in suspect_crimes[person_id]:
            crime["operation"] = crime["operation"] or name

    crimes_file = _Writer(out / "crimes.csv", ["CRIME_REF", "POLICE_UK_CRIME_ID", "MONTH", "COMMITTED_FROM",
                                                "COMMITTED_TO", "REPORTED", "HO_CATEGORY", "LOCATION", "LATITUDE",
                                                "LONGITUDE", "LSOA", "STATUS", "OPERATION", "PROPERTY_KIND",
                                                "PROPERTY_REF", "PROPERTY_DESC", "PROPERTY_ROLE"])
    property_rng = random.Random(f"watchhouse-property-{seed}")
    for crime in crimes:
        event = crime["event"]
        crimes_file.write({
            **_property(property_rng, event.crime_type),
            "CRIME_REF": crime["ref"], "POLICE_UK_CRIME_ID": event.crime_id, "MONTH": event.month,
            "COMMITTED_FROM": crime["from"].strftime("%Y-%m-%d %H:%M"), "COMMITTED_TO": crime["to"].strftime("%Y-%m-%d %H:%M"),
            "REPORTED": crime["reported"].strftime("%Y-%m-%d %H:%M"), "HO_CATEGORY": event.crime_type,
            "LOCATION": event.location, "LATITUDE": f"{event.latitude:.6f}", "LONGITUDE": f"{event.longitude:.6f}",
            "LSOA": event.lsoa_code, "STATUS": event.outcome or "Under investigation", "OPERATION": crime["operation"],
        })
    crimes_file.close()
    nominals = _Writer(out / "crime_nominals.csv", ["NOMINAL_REF", "CRIME_REF", "INVOLVEMENT", "FORENAME", "SURNAME",
                                                    "DOB", "SEX", "HOUSE", "TOWN", "POSTCODE", "NI_NUMBER", "PNC_ID",
                                                    "MARKING"])
    crime_records = _appearances([person for _, _, person in involvements], "crime-recording", seed * 7 + 1)
    per_crime: Counter = Counter()
    victim_records: dict[str, tuple[TruePerson, dict]] = {}
    for (crime, role, person), record in zip(involvements, crime_records, strict=True):
        per_crime[crime["ref"]] += 1
        nominal = f"{crime['ref']}/N{per_crime[crime['ref']]}"
        sensitive = role == "victim" and crime["event"].crime_type == "Violence and sexual offences" and rng.random() < 0.3
        nominals.write({
            "NOMINAL_REF": nominal, "CRIME_REF": crime["ref"], "INVOLVEMENT": INVOLVEMENT_CODES[role],
            "FORENAME": record.given_name or "", "SURNAME": record.family_name or "",
            "DOB": _spoil(rng, INVALID_RATE, _d(record.date_of_birth, "%Y-%m-%d"), lambda v: v[:4] + "-02-30"),
            "SEX": record.sex or "", "HOUSE": record.address or "", "TOWN": record.locality or "",
            "POSTCODE": record.postcode or "", "NI_NUMBER": record.ni_number or "", "PNC_ID": record.pnc_id or "",
            "MARKING": "OFFICIAL-SENSITIVE" if sensitive else "OFFICIAL",
        })
        truth.append(("crime-recording", nominal, person.person_id))
        if role == "victim":
            victim_records[crime["ref"]] = (person, crime)
    nominals.close()
    report.counts.update({"crimes": len(crimes), "crime nominals": nominals.rows, "operations": operations})

    # ---- command and control: victims calling in their crimes, and calls about everything else
    calls: list[dict] = []
    for crime_ref, (person, crime) in victim_records.items():
        if rng.random() < 0.55:
            code, grades = CALL_CODES.get(crime["event"].crime_type, ("OTHR", ["G3"]))
            calls.append({"at": crime["reported"] - timedelta(minutes=rng.randint(1, 20)), "code": code,
                          "grade": rng.choice(grades), "event": crime["event"], "caller": person, "crime_ref": crime_ref})
    for _ in range(round(n_people * 0.4)):
        event = rng.choice(asb_pool or crimes_pool) if rng.random() < 0.5 else rng.choice(crimes_pool)
        code, grades = rng.choice(OTHER_CALLS) if rng.random() < 0.6 else CALL_CODES.get(event.crime_type, ("OTHR", ["G3"]))
        at = _moment(rng, event.month)
        caller = None if rng.random() < 0.06 else anyone.pick(at.date(), min_age=14)
        calls.append({"at": at, "code": code, "grade": rng.choice(grades), "event": event, "caller": caller, "crime_ref": ""})
    calls.sort(key=lambda c: c["at"])
    with_caller = [c for c in calls if c["caller"] is not None]
    caller_records = iter(_appearances([c["caller"] for c in with_caller], "command-and-control", seed * 7 + 2))
    cad = _Writer(out / "cad_incidents.csv", ["INCIDENT_NO", "CREATED", "GRADE", "OPENING_CODE", "LOCATION", "LAT",
                                              "LONG", "CALLER_NAME", "CALLER_DOB", "CALLER_TEL", "CALLER_ADDRESS",
                                              "CALLER_POSTCODE", "CRIME_REF"])
    per_day: Counter = Counter()
    for call in calls:
        day = call["at"].strftime("%Y%m%d")
        per_day[day] += 1
        incident = f"{day}-{per_day[day]:04d}"
        row = {"INCIDENT_NO": incident, "CREATED": call["at"].strftime("%d/%m/%Y %H:%M"), "GRADE": call["grade"],
               "OPENING_CODE": call["code"], "LOCATION": call["event"].location,
               "LAT": f"{call['event'].latitude:.5f}", "LONG": f"{call['event'].longitude:.5f}",
               "CALLER_NAME": "", "CALLER_DOB": "", "CALLER_TEL": "", "CALLER_ADDRESS": "", "CALLER_POSTCODE": "",
               "CRIME_REF": call["crime_ref"]}
        if call["caller"] is not None:
            record = next(caller_records)
            family = (record.family_name or "").upper()
            row.update({
                "CALLER_NAME": f"{family}, {record.given_name or ''}".strip(", "),
                # Call handlers rarely get a date of birth.
                "CALLER_DOB": _spoil(rng, 0.02, _d(record.date_of_birth, "%d/%m/%Y"), _bad_date)
                if rng.random() < 0.35 else "",
                "CALLER_TEL": _messy_phone(rng, _phone(call["caller"].person_id)) if rng.random() < 0.85 else "",
                "CALLER_ADDRESS": ", ".join(filter(None, [record.address, record.locality])),
                "CALLER_POSTCODE": _spoil(rng, INVALID_RATE, _messy_postcode(rng, record.postcode), lambda v: "LS99"),
            })
            truth.append(("command-and-control", f"{incident}-caller", call["caller"].person_id))
        cad.write(row)
    cad.close()
    report.counts["calls"] = cad.rows

    # ---- custody: arrests of suspects, and a few arrests on warrants
    arrests: list[tuple[datetime, TruePerson, str, str]] = []
    for crime, role, person in involvements:
        if role == "suspect" and rng.random() < 0.6:
            arrests.append((crime["from"] + timedelta(hours=rng.randint(1, 240)), person, crime["event"].crime_type, crime["ref"]))
    for _ in range(round(n_people * 0.02)):
        at = _moment(rng, rng.choice(crimes_pool).month)
        person = offender_picker.pick(at.date(), min_age=12)
        if person:
            arrests.append((at, person, rng.choice(["Wanted on warrant", "Drunk and disorderly", "Breach of bail"]), ""))
    arrests.sort(key=lambda a: (a[0], a[1].person_id))
    detainees = _appearances([a[1] for a in arrests], "custody", seed * 7 + 3)
    per_year: Counter = Counter()
    with (out / "custody.jsonl").open("w", encoding="utf-8") as handle:
        for (at, person, offence, crime_ref), record in zip(arrests, detainees, strict=True):
            per_year[at.year] += 1
            custody_no = f"WY/{at.year % 100:02d}/{per_year[at.year]:06d}"
            forenames = " ".join(filter(None, [record.given_name, person.middle_name if rng.random() < 0.5 else None]))
            line = {
                "custody_no": custody_no,
                "arrest": {"time": (at + timedelta(seconds=rng.randint(0, 59))).isoformat(), "offence": offence,
                           "crime_ref": crime_ref or None, "station": rng.choice(["Leeds", "Bradford", "Wakefield",
                                                                                  "Huddersfield", "Halifax"])},
                "detainee": {
                    "name": f"{(record.family_name or '').upper()} {forenames.upper()}".strip(),
                    "dob": _d(record.date_of_birth, "%Y-%m-%d") or None, "sex": record.sex,
                    "pnc": record.pnc_id, "ni": record.ni_number,
                    "address": {"line": record.address, "town": record.locality, "postcode": record.postcode},
                },
                "warnings": warnings_of.get(person.person_id, []),
                "marking": "OFFICIAL-SENSITIVE" if "SELF HARM" in warnings_of.get(person.person_id, []) else "OFFICIAL",
            }
            handle.write(json.dumps(line, separators=(",", ":")) + "\n")
            truth.append(("custody", f"{custody_no}-detainee", person.person_id))
    report.counts["arrests"] = len(arrests)

    # ---- intelligence: graded reports on offenders, some historic, some SECRET
    reports: list[tuple[date, TruePerson, bool]] = []
    for _ in range(round(n_people * 0.15)):
        historic = rng.random() < 0.2
        recorded = (date(rng.randint(2011, 2013), rng.randint(1, 12), rng.randint(1, 28)) if historic
                    else _moment(rng, rng.choice(crimes_pool).month).date())
        subject = offender_picker.pick(recorded, min_age=12)
        if subject:
            reports.append((recorded, subject, historic))
    reports.sort(key=lambda r: (r[0], r[1].person_id))
    subjects = _appearances([r[1] for r in reports], "intelligence", seed * 7 + 4)
    intel = _Writer(out / "intelligence.psv", ["URN", "RECORDED", "GRADE", "CLASSIFICATION", "SUBJ_SURNAME",
                                               "SUBJ_FORENAMES", "SUBJ_DOB", "SUBJ_PNC", "SUBJ_ADDR", "SUBJ_PC", "VRM",
                                               "VEHICLE", "SUMMARY"], delimiter="|")
    for index, ((recorded, person, historic), record) in enumerate(zip(reports, subjects, strict=True)):
        if historic:
            grade = rng.choice("ABCDE") + rng.choice("12345") + rng.choice("12345")
            marking = rng.choice(["RESTRICTED", "RESTRICTED", "CONFIDENTIAL", "PROTECT"])
        else:
            grade = "/".join([rng.choice("1122233"), rng.choice("AABBCCDE"), rng.choice("PPPC")])
            marking = rng.choices(["OFFICIAL", "OFFICIAL-SENSITIVE", "SECRET"], [0.5, 0.35, 0.15])[0]
        vrm = _vrm(rng) if rng.random() < 0.3 else ""
        urn = f"INT-{recorded.year}-{index + 1:06d}"
        intel.write({
            "URN": urn, "RECORDED": recorded.strftime("%Y%m%d"), "GRADE": grade, "CLASSIFICATION": marking,
            "SUBJ_SURNAME": (record.family_name or "").upper(), "SUBJ_FORENAMES": record.given_name or "",
            "SUBJ_DOB": _d(record.date_of_birth, "%Y%m%d"), "SUBJ_PNC": record.pnc_id or "",
            "SUBJ_ADDR": record.address or "", "SUBJ_PC": record.postcode or "", "VRM": vrm,
            "VEHICLE": rng.choice(["Ford Focus", "Vauxhall Corsa", "BMW 3 Series", "VW Golf", "Audi A3"]) if vrm else "",
            "SUMMARY": rng.choice(INTEL_TOPICS).format(vrm=vrm or "a car"),
        })
        truth.append(("intelligence", f"{urn}-subject", person.person_id))
    intel.close()
    report.counts["intelligence reports"] = intel.rows

    # ---- the council's anti-social behaviour cases, at the real police.uk ASB map points
    cases = []
    for _ in range(round(n_people * 0.12)):
        event = rng.choice(asb_pool or crimes_pool)
        opened = _moment(rng, event.month).date()
        complainant = victim_picker.pick(opened, min_age=16)
        perpetrator = None
        if rng.random() < 0.7:
            picker = offender_picker if rng.random() < 0.5 else anyone
            perpetrator = picker.pick(opened, min_age=10, exclude={complainant.person_id} if complainant else set())
        if complainant or perpetrator:
            cases.append((opened, event, complainant, perpetrator))
    cases.sort(key=lambda c: c[0])
    mentions = [p for _, _, c, q in cases for p in (c, q) if p is not None]
    council_records = iter(_appearances(mentions, "asb-council", seed * 7 + 5))
    asb = _Writer(out / "asb_cases.csv", ["Case Reference", "Date Opened", "Case Type", "Status", "Location",
                                          "Latitude", "Longitude", "Complainant", "Complainant DOB",
                                          "Complainant Address", "Complainant Postcode", "Complainant Phone",
                                          "Perpetrator", "Perpetrator DOB", "Perpetrator Address", "Perpetrator Postcode"])
    for index, (opened, event, complainant, perpetrator) in enumerate(cases):
        ref = f"ASB/{opened.year}/{index + 1:05d}"
        row = {"Case Reference": ref, "Date Opened": f"{opened.day} {opened.strftime('%B %Y')}",
               "Case Type": rng.choice(ASB_CODES["Anti-social behaviour"]), "Status": rng.choice(["Open", "Closed", "Monitoring"]),
               "Location": event.location, "Latitude": f"{event.latitude:.6f}", "Longitude": f"{event.longitude:.6f}"}
        for role, person in (("Complainant", complainant), ("Perpetrator", perpetrator)):
            if person is None:
                row.update({role: "", f"{role} DOB": "", f"{role} Address": "", f"{role} Postcode": ""})
                continue
            record = next(council_records)
            row.update({
                role: " ".join(filter(None, [(record.given_name or "").title(), (record.family_name or "").title()])),
                f"{role} DOB": _spoil(rng, INVALID_RATE, _d(record.date_of_birth, "%d.%m.%Y"), lambda v: "30.02." + v[-4:]),
                f"{role} Address": ", ".join(filter(None, [record.address, record.locality])),
                f"{role} Postcode": record.postcode or "",
            })
            truth.append(("asb-council", f"{ref}-{role.lower()}", person.person_id))
        row["Complainant Phone"] = _phone(complainant.person_id) if complainant and rng.random() < 0.7 else ""
        asb.write(row)
    asb.close()
    report.counts["asb cases"] = asb.rows

    with (out / TRUTH_FILE).open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["source_system", "source_record_id", "person_id"])
        writer.writerows(truth)
    report.truth_rows = len(truth)
    report.files = {mapping: out / name for mapping, name in LOAD_ORDER}
    report.files["truth"] = out / TRUTH_FILE
    manifest = {
        "seed": seed, "people": n_people, "load_order": [{"mapping": m, "file": f} for m, f in LOAD_ORDER],
        "truth": TRUTH_FILE, "counts": dict(report.counts), "truth_rows": len(truth),
        "offenders": len(offender_ids),
    }
    (out / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return report


def load_systems(engine, directory: str | Path, *, progress: bool = False):
    """Load a ``write_systems`` directory through the shipped mappings, in dependency order."""
    from watchhouse.connectors import LoadReport, load_files, load_mapping, shipped_mappings

    directory = Path(directory)
    mappings = shipped_mappings()
    combined = LoadReport()
    for mapping_name, file_name in LOAD_ORDER:
        result = load_files(engine, load_mapping(mappings[mapping_name]), [directory / file_name], progress=progress)
        combined.files.extend(result.files)
        combined.errors.extend(result.errors)
    return combined


def read_truth(directory: str | Path) -> dict[tuple[str, str], str]:
    """(source_system, source_record_id) -> true person id."""
    with (Path(directory) / TRUTH_FILE).open(newline="", encoding="utf-8") as handle:
        return {(row["source_system"], row["source_record_id"]): row["person_id"] for row in csv.DictReader(handle)}
