import pytest
import shapely
import sqlalchemy as sa

import watchhouse.areas as areas
from watchhouse.areas.boundaries import derive
from watchhouse.crimes.tables import crimes



def geometry(area):
    return shapely.from_geojson(area.boundary_geojson)


def centre(area):
    return shapely.Point(area.centre_lng, area.centre_lat)


def test_every_lsoa_with_crimes_gets_a_valid_cell_around_its_centre(derived, crime_rows):
    lsoa_codes = areas.lsoa_codes_in(derived, "west-yorkshire")
    with_crimes = {row["lsoa_code"] for row in crime_rows()} & set(lsoa_codes)
    for code in lsoa_codes:
        lsoa = areas.get_area(derived, code)
        if code not in with_crimes:
            assert lsoa.boundary_geojson is None
            continue
        cell = geometry(lsoa)
        assert cell.geom_type == "Polygon" and cell.is_valid and cell.area > 0
        assert cell.covers(centre(lsoa))
        assert lsoa.boundary_approximate
        assert lsoa.boundary_source.startswith("approximate: Voronoi cells")


def test_higher_levels_are_dissolved_cells_covering_their_lsoa_centres(derived):
    force = areas.get_area(derived, "west-yorkshire")
    force_shape = geometry(force)
    assert force_shape.is_valid and force.boundary_approximate
    district_area = 0.0
    for district in areas.children(derived, "west-yorkshire"):
        shape = geometry(district)
        assert shape.is_valid
        district_area += shape.area
        for neighbourhood in areas.children(derived, district.code):
            outline = geometry(neighbourhood)
            assert outline.is_valid and neighbourhood.boundary_approximate
            assert outline.covers(centre(neighbourhood))
            for lsoa in areas.children(derived, neighbourhood.code):
                if lsoa.centre_lat is not None:
                    assert outline.covers(centre(lsoa))
                    assert shape.covers(centre(lsoa))
    # Districts tile the force: no overlap, no gap (up to coordinate rounding).
    assert district_area == pytest.approx(force_shape.area, rel=1e-4)


def test_force_outline_contains_every_crime_point_of_its_lsoas(derived, crime_rows):
    force_shape = geometry(areas.get_area(derived, "west-yorkshire"))
    lsoas = set(areas.lsoa_codes_in(derived, "west-yorkshire"))
    points = [shapely.Point(r["longitude"], r["latitude"]) for r in crime_rows() if r["lsoa_code"] in lsoas]
    assert all(force_shape.covers(point) for point in points)
    # ...and crimes West Yorkshire recorded in other forces' LSOAs do not stretch it.
    leeds_west, _, _, _ = force_shape.bounds
    assert -2.3 < leeds_west < -2.0


def test_lsoas_without_crimes_stay_in_the_hierarchy_without_a_polygon(with_crimes, crime_rows):
    lsoa = areas.lsoa_codes_in(with_crimes, "E08000035")[0]
    with with_crimes.begin() as connection:
        connection.execute(sa.delete(crimes).where(crimes.c.lsoa_code == lsoa))
    result = derive(with_crimes, "west-yorkshire")
    lsoas_in_force = set(areas.lsoa_codes_in(with_crimes, "west-yorkshire"))
    assert result.lsoas_without_crimes == len(lsoas_in_force - {r["lsoa_code"] for r in crime_rows()}) + 1
    area = areas.get_area(with_crimes, lsoa)
    assert area.boundary_geojson is None and area.centre_lat is None
    assert lsoa in areas.lsoa_codes_in(with_crimes, "west-yorkshire")
    neighbourhood = areas.get_area(with_crimes, area.parent_code)
    assert neighbourhood.boundary_geojson is not None  # its sibling LSOAs still have cells


def test_deriving_again_changes_nothing(derived):
    assert derive(derived, "west-yorkshire").changes.total == 0


def test_new_crimes_redraw_the_boundaries(derived, crime_rows, add_crimes):
    before = areas.get_area(derived, "west-yorkshire").boundary_source
    add_crimes(derived, crime_rows("2017-07"))
    result = derive(derived, "west-yorkshire")
    assert result.changes.updated > 0
    assert areas.get_area(derived, "west-yorkshire").boundary_source != before


def test_locate_neighbourhood_on_known_points(derived, crime_rows):
    # A Leeds city-centre crime point lands in a Leeds MSOA, the one its own LSOA belongs to.
    city_centre = next(
        r for r in crime_rows() if r["lsoa_name"].startswith("Leeds 111") and "Briggate" not in r["lsoa_name"]
    )
    found = areas.locate_neighbourhood(derived, city_centre["latitude"], city_centre["longitude"])
    assert found is not None and found.level == "neighbourhood" and found.name.startswith("Leeds ")
    assert areas.get_area(derived, city_centre["lsoa_code"]).parent_code == found.code
    assert areas.locate_neighbourhood(derived, 51.5072, -0.1276) is None  # London: no boundaries held
    # A cell's own centre is located in that cell's neighbourhood, for every LSOA.
    for neighbourhood in areas.neighbourhoods(derived, "west-yorkshire")[:40]:
        for lsoa in areas.children(derived, neighbourhood.code):
            if lsoa.centre_lat is not None:
                assert areas.locate_neighbourhood(derived, lsoa.centre_lat, lsoa.centre_lng).code == neighbourhood.code


def test_boundary_points_are_the_closed_outer_ring_as_lat_lng(derived):
    neighbourhood = areas.neighbourhoods(derived, "west-yorkshire")[0]
    points = areas.boundary_points(derived, neighbourhood.code)
    assert len(points) >= 4 and points[0] == points[-1]
    assert all(53.2 < lat < 54.2 and -2.4 < lng < -1.1 for lat, lng in points)
    ring = shapely.Polygon([(lng, lat) for lat, lng in points])
    assert ring.is_valid and ring.covers(centre(neighbourhood))


def test_deriving_needs_a_hierarchy_and_crimes(engine):
    with pytest.raises(areas.AreasError, match="has no LSOAs: run `watchhouse areas load-lookup`"):
        areas.derive_approximate_boundaries(engine, "west-yorkshire")
    areas.load_lookup(engine, forces={"west-yorkshire"})
    with pytest.raises(areas.AreasError, match="no located crimes in its LSOAs"):
        areas.derive_approximate_boundaries(engine, "west-yorkshire")
