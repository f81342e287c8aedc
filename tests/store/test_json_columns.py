"""JSON columns read back exactly as the json module reads them, fast path or not."""

import json

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from watchhouse.store.engine import json_loads

EDGE_CASES = [
    '{"a": 1}',
    "NaN",
    '{"a": NaN, "b": Infinity}',
    '{"id": 123456789012345678901234567890}',  # beyond 64 bits: orjson would make it a float
    '{"n": 9223372036854775807}',
    '{"n": 18446744073709551616}',
    '"\\ud800"',  # a lone surrogate: json reads it, orjson refuses it
    '{"\u00e9": "\u00fc", "x": [1.5, -2, null, true]}',
    "{}",
]


@pytest.mark.parametrize("text", EDGE_CASES)
@pytest.mark.parametrize("as_bytes", [False, True])
def test_json_loads_matches_the_json_module(text, as_bytes):
    value = text.encode("utf-8", "surrogatepass") if as_bytes else text
    assert repr(json_loads(value)) == repr(json.loads(value))


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_any_value_the_json_module_wrote_reads_back_the_same(value):
    text = json.dumps(value)
    assert repr(json_loads(text)) == repr(json.loads(text))
    assert repr(json_loads(text.encode())) == repr(json.loads(text.encode()))


def test_engines_read_json_columns_through_it(engine):
    table = sa.Table("json_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                     sa.Column("value", sa.JSON))
    table.create(engine)
    stored = {"big": 123456789012345678901234567890, "text": "caf\u00e9", "nested": [1, {"a": None}]}
    with engine.begin() as connection:
        connection.execute(table.insert(), [{"id": 1, "value": stored}])
    with engine.connect() as connection:
        assert connection.execute(sa.select(table.c.value)).scalar_one() == stored
