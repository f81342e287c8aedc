"""Synthetic people for police-like record linkage, with the truth kept.

``generate_population`` makes households the way they make linkage hard: partners and
children at one address, twins (same birthday, surname and address), fathers and sons with
the same name (Jr/Sr), married names and double-barrelled surnames, people who moved, and
many unrelated people sharing common names. ``make_source_records`` writes each person into
records the way busy systems do: typing errors, nicknames, initials, day/month swaps,
missing dates of birth, the surname from before a marriage, old addresses, gaps.

Names and streets come from Faker's en_GB lists. Everything is deterministic for a seed.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

# Diminutives as they turn up in police and council records. Kept apart from the linkage
# engine's own table so the benchmark does not grade the engine on its own answer key;
# several (Jim, Liz, Cathy -> Kate...) need the engine to generalise.
DIMINUTIVES = {
    "William": ["Bill", "Billy", "Will", "Liam"], "Robert": ["Rob", "Bob", "Bobby", "Robbie"],
    "Richard": ["Rich", "Rick", "Dick", "Richie"], "James": ["Jim", "Jimmy", "Jamie"],
    "John": ["Jack", "Johnny", "Jon"], "Michael": ["Mike", "Mick", "Micky"], "Thomas": ["Tom", "Tommy"],
    "Christopher": ["Chris", "Kit"], "Anthony": ["Tony", "Ant"], "Daniel": ["Dan", "Danny"],
    "David": ["Dave", "Davy"], "Edward": ["Ed", "Eddie", "Ted"], "Joseph": ["Joe", "Joey"],
    "Matthew": ["Matt"], "Nicholas": ["Nick", "Nicky"], "Peter": ["Pete"], "Samuel": ["Sam"],
    "Stephen": ["Steve"], "Andrew": ["Andy", "Drew"], "Benjamin": ["Ben", "Benny"], "Jonathan": ["Jon", "Jonny"],
    "Alexander": ["Alex", "Sandy"], "Charles": ["Charlie", "Chas"], "Kenneth": ["Ken", "Kenny"],
    "Gregory": ["Greg"], "Timothy": ["Tim"], "Patrick": ["Pat", "Paddy"], "Lawrence": ["Larry"],
    "Margaret": ["Maggie", "Peggy", "Meg"], "Elizabeth": ["Liz", "Beth", "Betty", "Lizzie"],
    "Catherine": ["Kate", "Cathy", "Katie"], "Katherine": ["Kate", "Kathy", "Katie"],
    "Rebecca": ["Becky", "Becca"], "Jennifer": ["Jen", "Jenny"], "Victoria": ["Vicky", "Tori"],
    "Samantha": ["Sam"], "Susan": ["Sue", "Susie"], "Deborah": ["Debbie", "Debs"], "Patricia": ["Pat", "Trish"],
    "Alexandra": ["Alex", "Lexi"], "Jessica": ["Jess"], "Abigail": ["Abby", "Abi"], "Eleanor": ["Ellie", "Nell"],
    "Christine": ["Chris", "Chrissie"], "Jacqueline": ["Jackie"], "Dorothy": ["Dot"], "Josephine": ["Jo", "Josie"],
    "Joanne": ["Jo"], "Nicola": ["Nicky", "Nikki"], "Stephanie": ["Steph"], "Caroline": ["Carol", "Carrie"],
}
COMMON_FULL_NAMES = [("John", "Smith"), ("David", "Jones"), ("Michael", "Brown"), ("Sarah", "Smith"),
                     ("James", "Taylor"), ("Paul", "Williams"), ("Claire", "Wilson"), ("Mark", "Davies"),
                     ("Emma", "Evans"), ("Daniel", "Thomas")]
CORRUPTIONS = (
    "typo_given", "typo_family", "nickname", "initial", "dob_swap", "dob_typo", "dob_missing", "married_name",
    "double_barrelled", "moved", "missing_postcode", "missing_address", "name_swap", "postcode_typo",
    "id_typo", "upper_case",
)


@dataclass(frozen=True)
class Address:
    line: str  # "12 Carter Street"
    locality: str
    postcode: str


@dataclass(frozen=True)
class TruePerson:
    person_id: str
    given_name: str
    middle_name: str | None
    family_name: str  # current surname
    birth_family_name: str  # differs after a marriage
    sex: str  # "F" or "M"
    date_of_birth: date
    addresses: tuple[Address, ...]  # oldest first; the last is current
    household_id: str
    name_suffix: str = ""  # "Jr" / "Sr" for a father and son of the same name
    ni_number: str | None = None
    pnc_id: str | None = None
    relations: tuple[tuple[str, str], ...] = ()  # ("partner"|"parent"|"child"|"twin"|"sibling", person_id)

    @property
    def address(self) -> Address:
        return self.addresses[-1]


@dataclass(frozen=True)
class SourceRecord:
    record_id: str
    person_id: str  # the truth
    given_name: str | None
    family_name: str | None
    date_of_birth: date | None
    address: str | None
    locality: str | None
    postcode: str | None
    sex: str | None
    ni_number: str | None
    pnc_id: str | None
    corruptions: tuple[str, ...] = ()


@dataclass(frozen=True)
class CorruptionProfile:
    """How many records each person gets and how often each corruption hits a record."""

    name: str
    extra_records_mean: float
    rates: dict[str, float] = field(default_factory=dict)
    ni_present: float = 0.25
    pnc_present: float = 0.2


PROFILES = {
    "police": CorruptionProfile("police", 1.2, {
        "typo_given": 0.06, "typo_family": 0.08, "nickname": 0.12, "initial": 0.05, "dob_swap": 0.05,
        "dob_typo": 0.05, "dob_missing": 0.08, "married_name": 0.6, "double_barrelled": 0.5, "moved": 0.35,
        "missing_postcode": 0.08, "missing_address": 0.06, "name_swap": 0.02, "postcode_typo": 0.04,
        "id_typo": 0.03, "upper_case": 0.3,
    }),
    "light": CorruptionProfile("light", 0.8, {
        "typo_given": 0.02, "typo_family": 0.02, "nickname": 0.04, "dob_swap": 0.01, "dob_missing": 0.02,
        "married_name": 0.3, "moved": 0.1, "upper_case": 0.3,
    }),
    "heavy": CorruptionProfile("heavy", 2.0, {
        "typo_given": 0.12, "typo_family": 0.15, "nickname": 0.2, "initial": 0.1, "dob_swap": 0.08,
        "dob_typo": 0.1, "dob_missing": 0.15, "married_name": 0.7, "double_barrelled": 0.6, "moved": 0.5,
        "missing_postcode": 0.15, "missing_address": 0.1, "name_swap": 0.04, "postcode_typo": 0.08,
        "id_typo": 0.05, "upper_case": 0.5,
    }),
}


class _Names:
    """Faker en_GB name lists with popularity weights, so common names collide as in life."""

    def __init__(self, rng: random.Random):
        from faker.providers.person.en_GB import Provider

        self.rng = rng
        self.male = list(Provider.first_names_male)
        self.female = list(Provider.first_names_female)
        # The lists run roughly from most to least popular; a Zipf-like weight follows that.
        self.male_weights = [1 / (rank + 5) for rank in range(len(self.male))]
        self.female_weights = [1 / (rank + 5) for rank in range(len(self.female))]
        self.surnames = list(Provider.last_names)
        self.surname_weights = list(Provider.last_names.values())
        self.male += [n for n in DIMINUTIVES if n not in self.male and n in _MALE_FORMAL]
        self.male_weights += [0.02] * (len(self.male) - len(self.male_weights))
        self.female += [n for n in DIMINUTIVES if n not in self.female and n not in _MALE_FORMAL]
        self.female_weights += [0.02] * (len(self.female) - len(self.female_weights))

    def given(self, sex: str, avoid: set[str] = frozenset()) -> str:
        names, weights = (self.male, self.male_weights) if sex == "M" else (self.female, self.female_weights)
        while True:
            name = self.rng.choices(names, weights)[0]
            if name not in avoid:
                return name

    def surname(self) -> str:
        return self.rng.choices(self.surnames, self.surname_weights)[0]


_MALE_FORMAL = {"William", "Robert", "Richard", "James", "John", "Michael", "Thomas", "Christopher", "Anthony",
                "Daniel", "David", "Edward", "Joseph", "Matthew", "Nicholas", "Peter", "Samuel", "Stephen",
                "Andrew", "Benjamin", "Jonathan", "Alexander", "Charles", "Kenneth", "Gregory", "Timothy",
                "Patrick", "Lawrence"}


class _Places:
    """Streets with postcodes shared by neighbours (same sector), in a limited set of towns."""

    def __init__(self, rng: random.Random, faker, n_households: int):
        self.rng = rng
        n_towns = max(5, min(400, n_households // 200))
        self.towns = [faker.city() for _ in range(n_towns)]
        n_streets = max(20, n_households // 25)
        self.streets = []
        for _ in range(n_streets):
            district = faker.postcode().split(" ")[0]
            self.streets.append((faker.street_name(), rng.choice(self.towns), f"{district} {rng.randint(1, 9)}"))

    def address(self) -> Address:
        street, town, sector = self.rng.choice(self.streets)
        unit = "".join(self.rng.choices("ABDEFGHJLNPQRSTUWXYZ", k=2))
        return Address(f"{self.rng.randint(1, 180)} {street}", town, f"{sector}{unit}")


def _ni_number(rng: random.Random) -> str:
    prefix = rng.choice("ABCEGHJKLMNOPRSTWXYZ") + rng.choice("ABCEGHJKLMNPRSTWXYZ")
    return f"{prefix}{rng.randint(0, 999999):06d}{rng.choice('ABCD')}"


def _pnc_id(rng: random.Random, born: date) -> str:
    year = (born.year + rng.randint(14, 40)) % 100
    return f"{year:02d}/{rng.randint(1, 999999):06d}{rng.choice(string.ascii_uppercase)}"


def _birthday(rng: random.Random, start_year: int, end_year: int) -> date:
    first = date(start_year, 1, 1)
    return first + timedelta(days=rng.randint(0, (date(end_year, 12, 31) - first).days))


def generate_population(n_people: int, *, seed: int) -> list[TruePerson]:
    """About ``n_people`` people in households, with the hard negatives real linkage meets."""
    from faker import Faker

    rng = random.Random(seed)
    faker = Faker("en_GB")
    faker.seed_instance(seed)
    names = _Names(rng)
    places = _Places(rng, faker, max(1, n_people // 2))
    people: list[TruePerson] = []
    household = 0

    def person(given, family, sex, born, addresses, *, birth_family=None, middle=None, suffix="",
               relations=()) -> TruePerson:
        index = len(people)
        made = TruePerson(
            person_id=f"P{seed}-{index:07d}", given_name=given, middle_name=middle, family_name=family,
            birth_family_name=birth_family or family, sex=sex, date_of_birth=born, addresses=tuple(addresses),
            household_id=f"H{seed}-{household:07d}", name_suffix=suffix,
            ni_number=_ni_number(rng) if born.year < 2008 else None,
            pnc_id=_pnc_id(rng, born) if rng.random() < 0.35 else None, relations=tuple(relations),
        )
        people.append(made)
        return made

    def history(current: Address) -> list[Address]:
        return [places.address(), current] if rng.random() < 0.45 else [current]

    def middle_name(sex: str) -> str | None:
        return names.given(sex) if rng.random() < 0.4 else None

    def adult(sex: str, home: Address, family: str | None = None, common: bool = False) -> TruePerson:
        if common:
            given, family = rng.choice(COMMON_FULL_NAMES)
            sex = "F" if given in ("Sarah", "Claire", "Emma") else "M"
        return person(given if common else names.given(sex), family or names.surname(), sex,
                      _birthday(rng, 1945, 2002), history(home), middle=middle_name(sex))

    while len(people) < n_people:
        home = places.address()
        kind = rng.choices(
            ["single", "common_name", "couple", "family", "single_parent", "father_son", "twins"],
            [0.30, 0.06, 0.18, 0.22, 0.10, 0.07, 0.07],
        )[0]
        if kind in ("single", "common_name"):
            adult(rng.choice("FM"), home, common=kind == "common_name")
        else:
            husband_index = len(people)
            husband = adult("M", home)
            members = [husband]
            if kind != "single_parent" or rng.random() < 0.5:
                born = husband.date_of_birth + timedelta(days=rng.randint(-2500, 2500))
                maiden = names.surname()
                married = rng.random()
                family = (husband.family_name if married < 0.55 else
                          f"{maiden}-{husband.family_name}" if married < 0.7 else maiden)
                members.append(person(names.given("F"), family, "F", born, history(home), birth_family=maiden,
                                      middle=middle_name("F"), relations=(("partner", husband.person_id),)))
            if kind == "father_son":
                born = husband.date_of_birth + timedelta(days=rng.randint(20 * 365, 35 * 365))
                if born < date(2010, 1, 1):
                    people[husband_index] = replace(husband, name_suffix="Sr")
                    members.append(person(husband.given_name, husband.family_name, "M", born, [home], suffix="Jr",
                                          middle=husband.middle_name if rng.random() < 0.5 else None,
                                          relations=(("parent", husband.person_id),)))
            if kind in ("family", "single_parent", "twins"):
                n_children = 2 if kind == "twins" else rng.randint(1, 3)
                first_born = husband.date_of_birth + timedelta(days=rng.randint(19 * 365, 38 * 365))
                used = {m.given_name for m in members}
                for child in range(n_children):
                    born = first_born if kind == "twins" else first_born + timedelta(days=rng.randint(300, 3000) * child)
                    if born > date(2022, 12, 31):
                        break
                    sex = rng.choice("FM")
                    given = names.given(sex, avoid=used)
                    used.add(given)
                    relations = [("parent", m.person_id) for m in members[:2]]
                    if kind == "twins" and child == 1:
                        relations.append(("twin", people[-1].person_id))
                    members.append(person(given, husband.family_name, sex, born, [home], middle=middle_name(sex),
                                          relations=relations))
        household += 1
    return people[:n_people]


def _typo(rng: random.Random, text: str) -> str:
    if len(text) < 3:
        return text
    position = rng.randrange(1, len(text))
    kind = rng.choice(["substitute", "insert", "delete", "transpose"])
    letter = rng.choice(string.ascii_lowercase)
    if kind == "substitute":
        return text[:position] + letter + text[position + 1:]
    if kind == "insert":
        return text[:position] + letter + text[position:]
    if kind == "delete":
        return text[:position] + text[position + 1:]
    if position == len(text) - 1:
        position -= 1
    return text[:position] + text[position + 1] + text[position] + text[position + 2:]


def _corrupt(rng: random.Random, person: TruePerson, profile: CorruptionProfile, record_id: str) -> SourceRecord:
    rates = profile.rates
    hit = lambda kind: rng.random() < rates.get(kind, 0.0)  # noqa: E731
    kinds: list[str] = []
    given = person.given_name
    family = person.family_name
    born: date | None = person.date_of_birth
    address = person.address
    if person.birth_family_name != person.family_name and hit("married_name"):
        family, kinds = person.birth_family_name, [*kinds, "married_name"]
    elif "-" in family and hit("double_barrelled"):
        family, kinds = rng.choice([family.split("-")[-1], family.replace("-", " ")]), [*kinds, "double_barrelled"]
    if given in DIMINUTIVES and hit("nickname"):
        given, kinds = rng.choice(DIMINUTIVES[given]), [*kinds, "nickname"]
    elif hit("initial"):
        given, kinds = given[0], [*kinds, "initial"]
    elif hit("typo_given"):
        given, kinds = _typo(rng, given), [*kinds, "typo_given"]
    if hit("typo_family"):
        family, kinds = _typo(rng, family), [*kinds, "typo_family"]
    if hit("dob_missing"):
        born, kinds = None, [*kinds, "dob_missing"]
    elif born.day <= 12 and born.day != born.month and hit("dob_swap"):
        born, kinds = date(born.year, born.day, born.month), [*kinds, "dob_swap"]
    elif hit("dob_typo"):
        field_name = rng.choice(["day", "month", "year"])
        try:
            born = (born.replace(day=max(1, min(28, born.day + rng.choice([-1, 1, 10]))))
                    if field_name == "day" else
                    born.replace(month=max(1, min(12, born.month + rng.choice([-1, 1]))))
                    if field_name == "month" else born.replace(year=born.year + rng.choice([-1, 1, -10, 10])))
        except ValueError:
            pass
        if born > date.today():  # a typo never puts a birth in the future
            born -= timedelta(days=3653)
        kinds.append("dob_typo")
    if len(person.addresses) > 1 and hit("moved"):
        address, kinds = person.addresses[0], [*kinds, "moved"]
    line, locality, postcode = address.line, address.locality, address.postcode
    if hit("missing_address"):
        line, kinds = None, [*kinds, "missing_address"]
    if hit("missing_postcode"):
        postcode, kinds = None, [*kinds, "missing_postcode"]
    elif hit("postcode_typo"):
        postcode, kinds = postcode[:-1] + rng.choice("ABDEFGHJLNPQRSTUWXYZ"), [*kinds, "postcode_typo"]
    if person.name_suffix and rng.random() < 0.4:  # some systems write "Smith Jr", most drop it
        family = f"{family} {person.name_suffix}"
    if hit("name_swap"):
        given, family, kinds = family, given, [*kinds, "name_swap"]
    if hit("upper_case"):
        given, family, kinds = given.upper(), family.upper(), [*kinds, "upper_case"]
    ni = person.ni_number if rng.random() < profile.ni_present else None
    pnc = person.pnc_id if rng.random() < profile.pnc_present else None
    if (ni or pnc) and hit("id_typo"):
        if ni:
            ni = _typo(rng, ni.lower()).upper()
        else:
            pnc = _typo(rng, pnc.lower()).upper()
        kinds.append("id_typo")
    return SourceRecord(record_id, person.person_id, given, family, born, line, locality, postcode,
                        person.sex if rng.random() < 0.8 else None, ni, pnc, tuple(kinds))


def make_source_records(population: list[TruePerson], *, seed: int,
                        profile: str | CorruptionProfile = "police") -> list[SourceRecord]:
    """Each person once, some many times, with real-world corruptions; ``person_id`` keeps the truth."""
    if isinstance(profile, str):
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; known profiles are {', '.join(PROFILES)}")
        profile = PROFILES[profile]
    rng = random.Random(seed)
    records: list[SourceRecord] = []
    for person in population:
        # A few people (prolific offenders, repeat victims) appear many times.
        extra = _poisson(rng, profile.extra_records_mean * (4 if rng.random() < 0.05 else 1))
        for _ in range(1 + extra):
            records.append(_corrupt(rng, person, profile, ""))
    rng.shuffle(records)
    return [replace(record, record_id=f"R{seed}-{index:08d}") for index, record in enumerate(records)]


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method; means here are small.
    limit, count, product = pow(2.718281828459045, -mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def records_table(records: list[SourceRecord]):
    """Source records as a pandas DataFrame of CSV-ready strings (dates DD/MM/YYYY, the UK habit),
    plus the truth column ``person_id``; ``RECORDS_MAPPING`` maps it for ``watchhouse resolve``."""
    import pandas as pd

    columns = {
        "record_id": [r.record_id for r in records],
        "forename": [r.given_name or "" for r in records],
        "surname": [r.family_name or "" for r in records],
        "dob": [r.date_of_birth.strftime("%d/%m/%Y") if r.date_of_birth else "" for r in records],
        "address": [r.address or "" for r in records],
        "town": [r.locality or "" for r in records],
        "postcode": [r.postcode or "" for r in records],
        "sex": [r.sex or "" for r in records],
        "ni_number": [r.ni_number or "" for r in records],
        "pnc_id": [r.pnc_id or "" for r in records],
        "person_id": [r.person_id for r in records],
    }
    return pd.DataFrame(columns)


RECORDS_MAPPING = {
    "id": "record_id",
    "fields": {
        "given_name": "forename", "family_name": "surname",
        "date_of_birth": {"column": "dob", "format": "%d/%m/%Y"},
        "address": ["address"], "locality": "town", "postcode": "postcode", "sex": "sex",
        "identifiers": {"ni_number": "ni_number", "pnc_id": "pnc_id"},
    },
}
