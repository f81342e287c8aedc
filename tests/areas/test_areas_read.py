import pytest

import watchhouse.areas as areas


@pytest.fixture
def west_yorkshire(engine):
    areas.load_lookup(engine, forces={"west-yorkshire"})
    return engine


def test_area_path_runs_force_to_lsoa(west_yorkshire):
    lsoa = areas.lsoa_codes_in(west_yorkshire, "E08000035")[0]
    path = areas.area_path(west_yorkshire, lsoa)
    assert [a.level for a in path] == ["force", "district", "neighbourhood", "lsoa"]
    assert path[0].code == "west-yorkshire" and path[1].name == "Leeds" and path[-1].code == lsoa
    assert path[2].name.startswith("Leeds ")  # an MSOA name until real boundaries are imported


def test_lsoa_codes_in_each_level(west_yorkshire):
    engine = west_yorkshire
    neighbourhood = areas.neighbourhoods(engine, "west-yorkshire")[0]
    in_neighbourhood = areas.lsoa_codes_in(engine, neighbourhood.code)
    assert in_neighbourhood == sorted(child.code for child in areas.children(engine, neighbourhood.code))
    assert 1 <= len(in_neighbourhood) <= 12
    assert areas.lsoa_codes_in(engine, in_neighbourhood[0]) == [in_neighbourhood[0]]
    district_total = sum(len(areas.lsoa_codes_in(engine, d.code)) for d in areas.children(engine, "west-yorkshire"))
    assert district_total == len(areas.lsoa_codes_in(engine, "west-yorkshire")) == 1388
    assert areas.lsoa_codes_in(engine, "nowhere") == []


def test_unknown_codes_read_as_nothing(west_yorkshire):
    assert areas.get_area(west_yorkshire, "nowhere") is None
    assert areas.area_path(west_yorkshire, "nowhere") == []
    assert areas.children(west_yorkshire, "nowhere") == []
    assert areas.neighbourhoods(west_yorkshire, "nowhere") == []
    assert areas.boundary_points(west_yorkshire, "west-yorkshire") == []  # no boundary derived yet


def test_force_contact_details_are_only_what_holds(west_yorkshire):
    force = areas.get_area(west_yorkshire, "west-yorkshire")
    assert force.telephone == "101"
    assert force.url == "https://www.westyorkshire.police.uk/"
    district = areas.get_area(west_yorkshire, "E08000035")
    assert district.telephone is None and district.url is None
