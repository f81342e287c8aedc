"""Index keys for finding people: the forms a searcher's words and a record's values share.

A record and a query meet on keys such as ``f:smith`` (family name), ``fp:SM0`` (its
sound), ``g:william`` (a formal given name, so "Bill" finds "William"), ``d:1984-03-07``,
``pc:ls11ab``. Keys only propose candidates; ranking compares the visible values themselves.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import jellyfish

from watchhouse.resolve.names import formal_names

# How much one shared key says about a candidate; identifiers and phones nearly decide it.
KEY_WEIGHTS = {
    "f": 4.0,  # family name token
    "fp": 2.0,  # family name sound
    "g": 3.0,  # given name (formal form)
    "gp": 1.0,  # given name sound
    "d": 5.0,  # date of birth
    "pc": 3.0,  # full postcode
    "ps": 1.0,  # postcode sector
    "t": 6.0,  # telephone
    "i": 10.0,  # identifier (PNC, NI number, driving licence)
    # Family name with given name, as one key: "david smith" is a few hundred people among a
    # million where "smith" and "david" are tens of thousands each, so a name search stays fast.
    "n": 7.0,  # family name token | formal given name
    "np": 3.0,  # their sounds
    # Family name token within one typing slip | the given name's sound: "Keith Carke" finds
    # Keith Clarke, whose surname neither shares a token nor sounds alike.
    "nd": 5.0,
}

PAIRED_NAMES = 4

_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)\s*([0-9][A-Z]{2})$")


@lru_cache(maxsize=200_000)
def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"['`.]", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text).strip()


def clean(text: str | None) -> str:
    # Names repeat endlessly across a million records: each distinct spelling is cleaned once.
    if not text:
        return ""
    return _clean(str(text))


@lru_cache(maxsize=200_000)
def metaphone(token: str) -> str:
    return jellyfish.metaphone(token)


def name_tokens(text: str | None) -> list[str]:
    """Tokens of a name; a double-barrelled surname also yields each part."""
    return [token for token in clean(text).split() if len(token) > 1 or text and len(clean(text)) == 1]


def postcode_parts(text: str | None) -> tuple[str, str] | None:
    """(full, sector) of a UK postcode, e.g. ('ls11ab', 'ls11'); None if not a postcode."""
    if not text:
        return None
    return _postcode_parts(str(text))


@lru_cache(maxsize=200_000)
def _postcode_parts(text: str) -> tuple[str, str] | None:
    match = _POSTCODE.match(re.sub(r"\s+", " ", str(text).strip().upper()))
    if not match:
        return None
    outward, inward = match.groups()
    return f"{outward}{inward}".lower(), f"{outward}{inward[0]}".lower()


def phone_key(text: str | None) -> str | None:
    digits = re.sub(r"\D", "", str(text or ""))
    if digits.startswith("44") and len(digits) >= 12:
        digits = "0" + digits[2:]
    return digits[-10:] if len(digits) >= 9 else None


def identifier_key(text: str | None) -> str | None:
    key = re.sub(r"[^A-Za-z0-9]", "", str(text or "")).upper()
    return key or None


@lru_cache(maxsize=200_000)
def _family_keys(family_name: str) -> frozenset[str]:
    keys = set()
    for token in name_tokens(family_name):
        keys.add(f"f:{token}")
        keys.add(f"fp:{metaphone(token)}")
    family = clean(family_name).replace(" ", "")
    if family:
        keys.add(f"f:{family}")
    return frozenset(keys)


@lru_cache(maxsize=200_000)
def _given_keys(given_name: str) -> frozenset[str]:
    keys = set()
    for token in name_tokens(given_name)[:2]:
        for formal in formal_names(token):
            keys.add(f"g:{formal}")
        keys.add(f"gp:{metaphone(token)}")
    return frozenset(keys)


@lru_cache(maxsize=200_000)
def one_slip_forms(token: str) -> frozenset[str]:
    """The token and each form of it with one letter left out. Two spellings one typing slip
    apart (a letter dropped, added or changed, or two letters swapped) share at least one of
    these; short tokens give none, as one letter out of three leaves too many names alike."""
    if len(token) < 4:
        return frozenset()
    return frozenset({token} | {token[:i] + token[i + 1 :] for i in range(len(token))})


def _slip_keys(family: str, given: str) -> set[str]:
    sound = metaphone(given)
    return {f"nd:{form}|{sound}" for form in one_slip_forms(family)}


@lru_cache(maxsize=200_000)
def _name_pair_keys(given_name: str, family_name: str) -> frozenset[str]:
    given = name_tokens(given_name)[:1]
    if not given:
        return frozenset()
    keys = set()
    for family in name_tokens(family_name):
        keys.update(f"n:{family}|{formal}" for formal in formal_names(given[0]))
        keys.add(f"np:{metaphone(family)}|{metaphone(given[0])}")
        keys |= _slip_keys(family, given[0])
    return frozenset(keys)


def person_key_fields(values: dict) -> dict[str, tuple[str, ...]]:
    """Every key a person record can be found by, with the fields it was made from (so a key
    can carry the marking of those fields)."""
    keys: dict[str, tuple[str, ...]] = {}

    def add(found: Iterable[str], *fields: str) -> None:
        for key in found:
            keys[key] = tuple(sorted(set(keys.get(key, ())) | set(fields)))

    given, family = values.get("given_name"), values.get("family_name")
    if family:
        add(_family_keys(str(family)), "family_name")
        if given:
            add(_name_pair_keys(str(given), str(family)), "given_name", "family_name")
    if given:
        add(_given_keys(str(given)), "given_name")
    dob = values.get("date_of_birth")
    if dob:
        add([f"d:{dob.isoformat() if isinstance(dob, date) else str(dob)[:10]}"], "date_of_birth")
    parts = postcode_parts(values.get("postcode"))
    if parts:
        add([f"pc:{parts[0]}", f"ps:{parts[1]}"], "postcode")
    phone = phone_key(values.get("phone"))
    if phone:
        add([f"t:{phone}"], "phone")
    for name in ("pnc_id", "ni_number", "driving_licence"):
        identifier = identifier_key(values.get(name))
        if identifier:
            add([f"i:{identifier}"], name)
    return keys


def person_keys(values: dict) -> set[str]:
    """Every key a person record can be found by."""
    return set(person_key_fields(values))


_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$"), ("d", "m", "y")),
)
_AGE = re.compile(r"^(\d{1,3})(?:-(\d{1,3}))?$")
_IDENTIFIER = re.compile(r"^(\d{2,4}/\d{1,7}[A-Z]|[A-Z]{2}\d{6}[A-D]|[A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2})$")


@dataclass
class PersonQuery:
    """What a searcher asked for, parsed from free text and structured filters."""

    names: list[str] = field(default_factory=list)  # free-text name tokens, order unknown
    given_name: str | None = None
    family_name: str | None = None
    date_of_birth: date | None = None
    age_min: int | None = None
    age_max: int | None = None
    postcode: str | None = None
    phone: str | None = None
    identifier: str | None = None

    @property
    def empty(self) -> bool:
        return not (self.names or self.given_name or self.family_name or self.date_of_birth or self.postcode
                    or self.phone or self.identifier or self.age_min is not None or self.age_max is not None)

    def terms(self) -> dict:
        """The search terms, for the audit entry."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.__dict__.items() if v not in (None, [])}


class QueryError(ValueError):
    pass


def parse_date(text: str) -> date:
    for pattern, order in _DATE_PATTERNS:
        match = pattern.match(text.strip())
        if match:
            parts = dict(zip(order, (int(g) for g in match.groups())))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                raise QueryError(f"{text!r} is not a real date") from None
    raise QueryError(f"{text!r} is not a date: use YYYY-MM-DD or DD/MM/YYYY")


def parse_query(q: str | None = None, **filters) -> PersonQuery:
    """Split free text into names, a date of birth, a postcode, a phone or an identifier."""
    query = PersonQuery()
    text = (q or "").strip()
    if len(text) > 200:
        raise QueryError("search text is longer than 200 characters")
    postcode = re.search(r"\b([A-Za-z]{1,2}[0-9][A-Za-z0-9]?\s*[0-9][A-Za-z]{2})\b", text)
    if postcode and postcode_parts(postcode.group(1)):
        query.postcode = postcode.group(1)
        text = text.replace(postcode.group(1), " ")
    for word in text.replace(",", " ").split():
        upper = word.upper()
        if _IDENTIFIER.match(upper):
            query.identifier = upper
        elif re.fullmatch(r"[\d/.-]+", word) and re.search(r"\d{4}", word) and not re.fullmatch(r"\+?\d{9,}", word):
            query.date_of_birth = parse_date(word)
        elif re.fullmatch(r"\+?[\d ]{9,}", word):
            query.phone = word
        elif any(ch.isalpha() for ch in word):
            query.names.extend(name_tokens(word))
    for name in ("given_name", "family_name", "postcode", "phone", "identifier"):
        if filters.get(name):
            setattr(query, name, str(filters[name]).strip())
    if filters.get("date_of_birth"):
        value = filters["date_of_birth"]
        query.date_of_birth = value if isinstance(value, date) else parse_date(str(value))
    for name in ("age_min", "age_max"):
        if filters.get(name) is not None:
            value = int(filters[name])
            if not 0 <= value <= 130:
                raise QueryError(f"{name} must be between 0 and 130")
            setattr(query, name, value)
    if query.age_min is not None and query.age_max is not None and query.age_min > query.age_max:
        raise QueryError("age_min is greater than age_max")
    if query.postcode and not postcode_parts(query.postcode):
        raise QueryError(f"{query.postcode!r} is not a UK postcode")
    return query


def query_keys(query: PersonQuery) -> dict[str, float]:
    """Keys to look up, each with the weight a match on it earns."""
    keys: dict[str, float] = {}

    def add(key: str, weight: float) -> None:
        keys[key] = max(keys.get(key, 0.0), weight)

    # Free-text names may be given or family names: look both up.
    for token in query.names:
        add(f"f:{token}", KEY_WEIGHTS["f"])
        add(f"fp:{metaphone(token)}", KEY_WEIGHTS["fp"])
        for formal in formal_names(token):
            add(f"g:{formal}", KEY_WEIGHTS["g"])
        add(f"gp:{metaphone(token)}", KEY_WEIGHTS["gp"])
    def add_pair(family: str, given: str) -> None:
        for formal in formal_names(given):
            add(f"n:{family}|{formal}", KEY_WEIGHTS["n"])
        add(f"np:{metaphone(family)}|{metaphone(given)}", KEY_WEIGHTS["np"])
        for key in _slip_keys(family, given):
            add(key, KEY_WEIGHTS["nd"])

    # Either free-text name may be the family name and another the given name. A person is named
    # in a few words: pairs are made of the first PAIRED_NAMES only, so forty words of text cannot
    # become ten thousand keys.
    paired = query.names[:PAIRED_NAMES]
    for family in paired:
        for given in paired:
            if given != family:
                add_pair(family, given)
    for family in name_tokens(query.family_name):
        for given in (name_tokens(query.given_name) or query.names)[:1]:
            add_pair(family, given)
    for token in name_tokens(query.family_name):
        add(f"f:{token}", KEY_WEIGHTS["f"])
        add(f"fp:{metaphone(token)}", KEY_WEIGHTS["fp"])
    for token in name_tokens(query.given_name):
        for formal in formal_names(token):
            add(f"g:{formal}", KEY_WEIGHTS["g"])
        add(f"gp:{metaphone(token)}", KEY_WEIGHTS["gp"])
    if query.date_of_birth:
        dob = query.date_of_birth
        add(f"d:{dob.isoformat()}", KEY_WEIGHTS["d"])
        if dob.day <= 12 and dob.day != dob.month:  # the same date typed month-first
            add(f"d:{date(dob.year, dob.day, dob.month).isoformat()}", KEY_WEIGHTS["d"] * 0.6)
    parts = postcode_parts(query.postcode)
    if parts:
        add(f"pc:{parts[0]}", KEY_WEIGHTS["pc"])
        add(f"ps:{parts[1]}", KEY_WEIGHTS["ps"])
    phone = phone_key(query.phone)
    if phone:
        add(f"t:{phone}", KEY_WEIGHTS["t"])
    identifier = identifier_key(query.identifier)
    if identifier:
        add(f"i:{identifier}", KEY_WEIGHTS["i"])
    return keys
