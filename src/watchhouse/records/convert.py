"""Between domain records and table rows: markings as text, times in UTC, content hashes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields
from datetime import UTC, date, datetime
from enum import Enum
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from watchhouse.domain import (
    AnyRecord,
    Classification,
    Marking,
    parse_marking,
)
from watchhouse.domain.pole import SourceRecord

# Source systems write local wall-clock times; a naive time is read as UK local time.
SOURCE_TIMEZONE = ZoneInfo("Europe/London")

_LINEAGE_FIELDS = {f.name for f in fields(SourceRecord)}


def to_utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=SOURCE_TIMEZONE)
    return value.astimezone(UTC)


def from_store_time(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def marking_columns(marking: Marking) -> dict[str, str]:
    return {"marking": marking.classification.slug, "caveats": ",".join(sorted(marking.caveats))}


def marking_from_columns(classification: str, caveats: str | None) -> Marking:
    return Marking(
        Classification[classification.replace("-", "_")],
        frozenset(c for c in (caveats or "").split(",") if c),
    )


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    return value


@lru_cache(maxsize=None)
def _content_fields(record_type: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(record_type) if f.name not in _LINEAGE_FIELDS and f.init)


# Domain fields stored under another name (the address lines become one address column).
_STORED_NAMES = {"address_lines": "address"}


def record_to_row(record: AnyRecord) -> dict[str, Any]:
    """The table row for a domain record, without the load times (the store sets those)."""
    row: dict[str, Any] = {
        "source_system": record.source_system,
        "source_record_id": record.source_record_id,
        "raw": _json_safe(record.raw),
        # Marked under the stored field's name: redaction hides the keys it is given.
        "field_markings": {_STORED_NAMES.get(name, name): str(parse_marking(m))
                           for name, m in sorted(record.field_markings.items())},
        **marking_columns(record.marking),
    }
    for name in _content_fields(type(record)):
        value = getattr(record, name)
        if name == "address_lines":
            row["address"] = "\n".join(value) if value else None
        elif name == "grading":
            row["grading"] = value.code if value is not None else None
            row["grading_scheme"] = value.scheme if value is not None else None
        elif isinstance(value, datetime):
            row[name] = to_utc(value)
        elif isinstance(value, Enum):
            row[name] = value.value
        else:
            row[name] = value
    row["content_hash"] = content_hash(row)
    return row


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def content_hash(row: dict[str, Any]) -> str:
    payload = json.dumps(row, sort_keys=True, default=_json_default, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()

