import csv

import pandas as pd
import pytest

import watchhouse.areas as areas
from watchhouse import sample
from watchhouse.areas.lookup import load

WEST_YORKSHIRE_DISTRICTS = ["Bradford", "Calderdale", "Kirklees", "Leeds", "Wakefield"]


def census_population_by_lsoa() -> dict[str, int]:
    # Independent reading of the census file, to check the loader's parsing of "1,563".
    frame = pd.read_csv(sample.population_file(), dtype=str, usecols=["LSOA Code", "Persons"])
    return {code: int(persons.replace(",", "")) for code, persons in zip(frame["LSOA Code"], frame["Persons"])}


def test_west_yorkshire_hierarchy(engine):
    count = areas.load_lookup(engine, forces={"west-yorkshire"})

    districts = areas.children(engine, "west-yorkshire")
    assert [d.name for d in districts] == WEST_YORKSHIRE_DISTRICTS
    assert len(areas.neighbourhoods(engine, "west-yorkshire")) == 299
    assert len(areas.lsoa_codes_in(engine, "west-yorkshire")) == 1388
    assert count == 1 + 5 + 299 + 1388
    assert [f.code for f in areas.forces(engine)] == ["west-yorkshire"]
    force = areas.get_area(engine, "west-yorkshire")
    assert force.name == "West Yorkshire Police"
    assert force.level == areas.FORCE and force.parent_code is None


def test_populations_sum_upwards(engine):
    areas.load_lookup(engine, forces={"west-yorkshire"})
    census = census_population_by_lsoa()

    force = areas.get_area(engine, "west-yorkshire")
    lsoas = areas.lsoa_codes_in(engine, "west-yorkshire")
    assert force.population == sum(census[code] for code in lsoas) == 2_226_058  # census 2011
    for district in areas.children(engine, "west-yorkshire"):
        assert district.population == sum(census[c] for c in areas.lsoa_codes_in(engine, district.code))
    leeds = areas.get_area(engine, "E08000035")
    assert leeds.population == 751_485
    neighbourhood = areas.neighbourhoods(engine, "west-yorkshire")[0]
    children = areas.children(engine, neighbourhood.code)
    assert neighbourhood.population == sum(child.population for child in children)
    assert all(child.population == census[child.code] for child in children)


def test_reloading_changes_nothing_and_a_changed_file_updates_only_what_changed(engine, tmp_path):
    first = load(engine, forces={"west-yorkshire"})
    assert first.changes.inserted == first.areas
    again = load(engine, forces={"west-yorkshire"})
    assert again.changes.total == 0 and again.areas == first.areas

    lsoa_code = areas.lsoa_codes_in(engine, "E08000035")[0]
    changed = tmp_path / "population.csv"
    with open(sample.population_file(), newline="", encoding="utf-8-sig") as source, open(changed, "w", newline="") as out:
        reader, writer = csv.reader(source), csv.writer(out)
        header = next(reader)
        writer.writerow(header)
        persons = header.index("Persons")
        for record in reader:
            if record[header.index("LSOA Code")] == lsoa_code:
                record[persons] = "9,999"
            writer.writerow(record)
    before = areas.get_area(engine, "west-yorkshire").population
    old = areas.get_area(engine, lsoa_code).population
    updated = load(engine, forces={"west-yorkshire"}, population_path=changed)
    # The LSOA, its neighbourhood, its district and the force.
    assert updated.changes.updated == 4 and updated.changes.inserted == 0
    assert areas.get_area(engine, lsoa_code).population == 9999
    assert areas.get_area(engine, "west-yorkshire").population == before - old + 9999


def test_full_lookup_gives_every_lsoa_a_police_uk_force(engine):
    areas.load_lookup(engine)
    codes = {force.code for force in areas.forces(engine)}
    assert len(codes) == 39  # the English forces; the lookup has no Welsh LSOAs
    assert {"metropolitan", "city-of-london", "devon-and-cornwall", "avon-and-somerset"} <= codes
    # Harrogate's LSOAs have no Police_force in the shipped lookup; the local authority places them.
    assert areas.get_area(engine, "E07000165").force_code == "north-yorkshire"
    assert areas.get_area(engine, "metropolitan").name == "Metropolitan Police Service"
    lookup_lsoas = pd.read_csv(sample.lsoa_lookup_file(), dtype=str)["LSOA Code"]
    assert sum(len(areas.lsoa_codes_in(engine, code)) for code in codes) == len(lookup_lsoas)


def test_unknown_force_is_refused(engine):
    with pytest.raises(areas.AreasError, match="unknown police force 'atlantis'"):
        areas.load_lookup(engine, forces={"atlantis"})
    with pytest.raises(areas.AreasError, match="btp have no LSOAs"):
        areas.load_lookup(engine, forces={"btp"})


def test_bad_population_value_names_file_line_and_field(engine, tmp_path):
    bad = tmp_path / "population.csv"
    bad.write_text('LSOA Code,Persons\nE01033008,"1,2x3"\n')
    with pytest.raises(areas.AreasError, match=r"population.csv: line 2: field 'Persons': '1,2x3'"):
        load(engine, forces={"west-yorkshire"}, population_path=bad)
    assert areas.forces(engine) == []


def test_lookup_without_a_required_column_is_refused(engine, tmp_path):
    bad = tmp_path / "lookup.csv"
    bad.write_text("LSOA Code,LSOA Name\nE01033008,Leeds 111A\n")
    with pytest.raises(areas.AreasError, match="line 1: missing column.*MSOA Code"):
        load(engine, lookup_path=bad)


def test_lookup_force_spelling_unknown_names_line(engine, tmp_path):
    bad = tmp_path / "lookup.csv"
    bad.write_text(
        "Local authority code,Local authority name,MSOA Code,MSOA Name,LSOA Code,LSOA Name,Police_force\n"
        "E08000035,Leeds,E02006875,Leeds 111,E01033008,Leeds 111A,West Yorkshire\n"
        "E08000035,Leeds,E02002330,Leeds 001,E01011366,Leeds 001B,Gotham City\n"
    )
    with pytest.raises(areas.AreasError, match="lookup.csv: line 3: field 'Police_force': unknown police force 'Gotham City'"):
        load(engine, lookup_path=bad)
