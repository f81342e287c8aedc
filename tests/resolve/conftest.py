"""A police-like synthetic population and a model trained on it, shared by the resolve tests."""

from __future__ import annotations

import pytest

from watchhouse.resolve import parse_mapping, prepare_frame, resolve
from watchhouse.synth.people import RECORDS_MAPPING, generate_population, make_source_records, records_table


@pytest.fixture(scope="session")
def police_population():
    return generate_population(1500, seed=5)


@pytest.fixture(scope="session")
def police_table(police_population):
    return records_table(make_source_records(police_population, seed=5))


@pytest.fixture(scope="session")
def police_mapping():
    return parse_mapping(RECORDS_MAPPING)


@pytest.fixture(scope="session")
def police_resolution(police_table, police_mapping):
    records = prepare_frame(police_table.drop(columns="person_id"), police_mapping, name="police.csv")
    return resolve(records)
