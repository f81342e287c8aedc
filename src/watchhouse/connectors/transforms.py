"""Value transforms a mapping may name: each turns one source value into a cleaner one, or
raises :class:`ValueProblem` saying why the value is unusable (the row then goes to quarantine).

A transform is written in YAML either as a bare name (``trim``) or as a one-key mapping with its
argument (``{date: "%d/%m/%Y"}``). Blank values (None or "") pass through every transform except
``default`` untouched: a missing value is not an invalid one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class ValueProblem(ValueError):
    """This value cannot be used, and why."""


class TransformSpecError(ValueError):
    """A transform written wrongly in a mapping (found before any file is loaded)."""


@dataclass(frozen=True)
class Transform:
    name: str
    argument: Any
    apply: Callable[[Any], Any]

    def __call__(self, value: Any) -> Any:
        if self.name != "default" and (value is None or value == ""):
            return value
        return self.apply(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def _check_format(fmt: Any, with_time: bool) -> list[str]:
    formats = [fmt] if isinstance(fmt, str) else fmt
    if not isinstance(formats, list) or not formats or not all(isinstance(f, str) for f in formats):
        raise TransformSpecError(f"date format must be a strftime string or a list of them, not {fmt!r}")
    sample = datetime(2001, 11, 23, 14, 35, 56)
    for f in formats:
        if "%" not in f:
            raise TransformSpecError(f"date format {f!r} has no % directives (e.g. '%d/%m/%Y')")
        try:
            datetime.strptime(sample.strftime(f), f)
        except ValueError as error:
            raise TransformSpecError(f"bad date format {f!r}: {error}") from None
        if not re.search(r"%[dj]", f) or not re.search(r"%[mbB]", f) or not re.search(r"%[yY]", f):
            raise TransformSpecError(f"date format {f!r} needs a day, a month and a year")
    return formats


def _dates(fmt: Any, with_time: bool) -> Callable[[Any], Any]:
    formats = _check_format(fmt, with_time)

    def parse(value: Any) -> Any:
        if isinstance(value, datetime):
            return value if with_time else value.date()
        text = _text(value).strip()
        for f in formats:
            try:
                parsed = datetime.strptime(text, f)
            except ValueError:
                continue
            return parsed if with_time else parsed.date()
        raise ValueProblem(f"{text!r} does not match the date format {' or '.join(map(repr, formats))}")

    return parse


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def normalise_postcode(value: Any) -> str:
    compact = re.sub(r"[^A-Za-z0-9]", "", _text(value)).upper()
    match = _POSTCODE.match(compact)
    if not match:
        raise ValueProblem(f"{value!r} is not a UK postcode")
    return f"{match.group(1)} {match.group(2)}"


def normalise_phone(value: Any) -> str:
    digits = re.sub(r"[^0-9+]", "", _text(value))
    if digits.startswith("+44"):
        digits = "0" + digits[3:]
    elif digits.startswith("0044"):
        digits = "0" + digits[4:]
    elif digits.startswith("44") and len(digits) == 12:
        digits = "0" + digits[2:]
    if "+" in digits or not digits.startswith("0") or len(digits) not in (10, 11):
        raise ValueProblem(f"{value!r} is not a UK phone number")
    return digits


def _integer(value: Any) -> int:
    try:
        return int(_text(value).strip().replace(",", ""))
    except ValueError:
        raise ValueProblem(f"{value!r} is not a whole number") from None


def _number(value: Any) -> float:
    try:
        return float(_text(value).strip().replace(",", ""))
    except ValueError:
        raise ValueProblem(f"{value!r} is not a number") from None


def _code(table_name: Any, code_tables: Mapping[str, Mapping[str, Any]]) -> Callable[[Any], Any]:
    if not isinstance(table_name, str) or table_name not in code_tables:
        known = ", ".join(sorted(code_tables)) or "none defined"
        raise TransformSpecError(f"code table {table_name!r} is not defined under code_tables (defined: {known})")
    table = {str(k).strip().upper(): v for k, v in code_tables[table_name].items()}

    def look_up(value: Any) -> Any:
        key = _text(value).strip().upper()
        if key not in table:
            raise ValueProblem(f"{value!r} is not in code table {table_name!r}")
        return table[key]

    return look_up


def _null_if(values: Any) -> Callable[[Any], Any]:
    values = values if isinstance(values, list) else [values]
    blanks = {_text(v).strip().upper() for v in values}
    return lambda value: None if _text(value).strip().upper() in blanks else value


def _matches(pattern: Any) -> Callable[[Any], Any]:
    try:
        compiled = re.compile(pattern)
    except (re.error, TypeError) as error:
        raise TransformSpecError(f"bad regular expression {pattern!r}: {error}") from None

    def check(value: Any) -> Any:
        if not compiled.fullmatch(_text(value)):
            raise ValueProblem(f"{value!r} does not match {pattern!r}")
        return value

    return check


def _default(default: Any) -> Callable[[Any], Any]:
    return lambda value: default if value is None or value == "" else value


SIMPLE: dict[str, Callable[[Any], Any]] = {
    "trim": lambda v: _text(v).strip(),
    "upper": lambda v: _text(v).upper(),
    "lower": lambda v: _text(v).lower(),
    "title": lambda v: _text(v).title(),
    "collapse_spaces": lambda v: " ".join(_text(v).split()),
    "postcode": normalise_postcode,
    "phone": normalise_phone,
    "integer": _integer,
    "number": _number,
    "blank_to_none": lambda v: v if _text(v).strip() else None,
}

WITH_ARGUMENT: dict[str, Callable[..., Callable[[Any], Any]]] = {
    "date": lambda arg, tables: _dates(arg, with_time=False),
    "datetime": lambda arg, tables: _dates(arg, with_time=True),
    "code": _code,
    "null_if": lambda arg, tables: _null_if(arg),
    "matches": lambda arg, tables: _matches(arg),
    "default": lambda arg, tables: _default(arg),
}

KNOWN = sorted([*SIMPLE, *WITH_ARGUMENT])


def build_transform(spec: Any, code_tables: Mapping[str, Mapping[str, Any]]) -> Transform:
    """A Transform from its YAML spelling; TransformSpecError naming the problem otherwise."""
    if isinstance(spec, str):
        if spec in SIMPLE:
            return Transform(spec, None, SIMPLE[spec])
        if spec in WITH_ARGUMENT:
            raise TransformSpecError(f"transform {spec!r} needs an argument, e.g. {{{spec}: ...}}")
        raise TransformSpecError(f"unknown transform {spec!r} (known: {', '.join(KNOWN)})")
    if isinstance(spec, dict) and len(spec) == 1:
        (name, argument), = spec.items()
        if name in WITH_ARGUMENT:
            return Transform(name, argument, WITH_ARGUMENT[name](argument, code_tables))
        if name in SIMPLE:
            raise TransformSpecError(f"transform {name!r} takes no argument")
        raise TransformSpecError(f"unknown transform {name!r} (known: {', '.join(KNOWN)})")
    raise TransformSpecError(f"a transform is a name or a one-key mapping like {{date: '%d/%m/%Y'}}, not {spec!r}")


# ------------------------------------------------------------------------------------ names

NAME_STYLES = ("SURNAME, Given", "Given Surname", "SURNAME Given")
_SUFFIXES = {"jr", "sr", "junior", "senior", "ii", "iii", "iv"}


def split_name(value: Any, style: str) -> dict[str, str | None]:
    """Split a full name into given, middle and family names.

    'SURNAME, Given Middle' (comma after the surname), 'Given Middle Surname' (surname last;
    particles such as 'van', 'de', 'O' stay with it) or 'SURNAME Given Middle' (surname first,
    no comma, as some custody systems print it).
    """
    text = " ".join(_text(value).replace("\u00a0", " ").split())
    if not text:
        return {"given_name": None, "middle_names": None, "family_name": None}
    if style == "SURNAME, Given" or "," in text:
        family, _, rest = text.partition(",")
        given = rest.split()
    elif style == "SURNAME Given":
        family, *given = text.split()
    else:
        words = text.split()
        if len(words) == 1:
            raise ValueProblem(f"{text!r} has only one name; cannot tell given name from surname")
        cut = len(words) - 1
        if cut > 1 and words[cut].rstrip(".").lower() in _SUFFIXES:
            cut -= 1  # "John Smith Jr": the suffix stays with the surname
        while cut > 1 and words[cut - 1].lower() in {"van", "von", "de", "der", "da", "di", "le", "la", "st", "st."}:
            cut -= 1
        given, family = words[:cut], " ".join(words[cut:])
    family = family.strip()
    if not family:
        raise ValueProblem(f"{text!r} has no surname")
    return {
        "given_name": given[0] if given else None,
        "middle_names": " ".join(given[1:]) or None,
        "family_name": family,
    }

