import json

import pytest
import shapely

import watchhouse.areas as areas
from watchhouse.areas.geojson_import import import_neighbourhoods

LEEDS = "E08000035"


def district_teams(engine) -> dict:
    """A FeatureCollection of one 'neighbourhood team' per district, drawn on its outline."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"team": f"npt-{d.name.lower()}", "label": f"{d.name} NPT", "description": "Team area"},
                "geometry": json.loads(d.boundary_geojson),
            }
            for d in areas.children(engine, "west-yorkshire")
        ],
    }


def write(tmp_path, document, name="teams.geojson"):
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return path


def test_import_replaces_neighbourhoods_and_reparents_lsoas(derived_areas, tmp_path):
    path = write(tmp_path, district_teams(derived_areas))
    population = areas.get_area(derived_areas, "west-yorkshire").population

    result = import_neighbourhoods(derived_areas, path, force_code="west-yorkshire", id_property="team", name_property="label")

    assert result.neighbourhoods == 5 and result.replaced == 299
    lsoas = [areas.get_area(derived_areas, code) for code in areas.lsoa_codes_in(derived_areas, "west-yorkshire")]
    without_crimes = sum(1 for lsoa in lsoas if lsoa.centre_lat is None)
    assert without_crimes > 0  # a few LSOAs have no crime that month: placed with their MSOA siblings
    assert result.lsoas_inside == 1388 - without_crimes and result.lsoas_by_neighbours == without_crimes
    assert result.lsoas_nearest == 0 and result.lsoas_unplaced == 0
    teams = areas.neighbourhoods(derived_areas, "west-yorkshire")
    assert [t.code for t in teams] == ["npt-bradford", "npt-calderdale", "npt-kirklees", "npt-leeds", "npt-wakefield"]
    leeds_team = areas.get_area(derived_areas, "npt-leeds")
    assert leeds_team.parent_code == LEEDS and leeds_team.name == "Leeds NPT"
    assert not leeds_team.boundary_approximate
    assert leeds_team.boundary_source.startswith("imported from teams.geojson")
    assert leeds_team.description == "Team area"
    assert leeds_team.population == areas.get_area(derived_areas, LEEDS).population == 751_485
    assert areas.get_area(derived_areas, "west-yorkshire").population == population
    assert len(areas.lsoa_codes_in(derived_areas, "npt-leeds")) == 482
    assert areas.get_area(derived_areas, "E02006875") is None  # the MSOA neighbourhoods are gone
    # Locating uses the new boundaries straight away.
    assert areas.locate_neighbourhood(derived_areas, 53.7965, -1.5478).code == "npt-leeds"
    assert [a.level for a in areas.area_path(derived_areas, areas.lsoa_codes_in(derived_areas, "npt-leeds")[0])] == [
        "force", "district", "neighbourhood", "lsoa"
    ]  # fmt: skip


def test_reimport_is_idempotent_and_survives_lookup_reload_and_rederivation(derived, tmp_path):
    path = write(tmp_path, district_teams(derived))
    import_neighbourhoods(derived, path, force_code="west-yorkshire", id_property="team", name_property="label")
    again = import_neighbourhoods(derived, path, force_code="west-yorkshire", id_property="team", name_property="label")
    assert again.changes.total == 0

    areas.load_lookup(derived, forces={"west-yorkshire"})
    assert len(areas.neighbourhoods(derived, "west-yorkshire")) == 5
    assert len(areas.lsoa_codes_in(derived, "npt-leeds")) == 482
    areas.derive_approximate_boundaries(derived, "west-yorkshire")
    team = areas.get_area(derived, "npt-leeds")
    assert not team.boundary_approximate and team.boundary_source.startswith("imported")


def test_lsoas_in_a_gap_join_the_nearest_team(derived_areas, tmp_path):
    document = district_teams(derived_areas)
    leeds = next(f for f in document["features"] if f["properties"]["team"] == "npt-leeds")
    # Shave 300 m off Leeds' team area (in degrees, roughly): some LSOA centres fall in the gap.
    shrunk = shapely.geometry.shape(leeds["geometry"]).buffer(-0.004)
    leeds["geometry"] = json.loads(shapely.to_geojson(shrunk))
    result = import_neighbourhoods(
        derived_areas, write(tmp_path, document), force_code="west-yorkshire", id_property="team", name_property="label"
    )
    assert result.lsoas_nearest > 0
    assert result.lsoas_inside + result.lsoas_nearest + result.lsoas_by_neighbours + result.lsoas_unplaced == 1388
    assert sum(t.population for t in areas.neighbourhoods(derived_areas, "west-yorkshire")) == 2_226_058


def test_default_properties_and_repairable_polygon(derived_areas, tmp_path):
    # A bow-tie (self-intersecting) ring is repaired with make_valid rather than refused.
    bow_tie = [[-1.56, 53.79], [-1.53, 53.81], [-1.53, 53.79], [-1.56, 53.81], [-1.56, 53.79]]
    document = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "id": "LS1", "properties": {"name": "City Centre"},
                      "geometry": {"type": "Polygon", "coordinates": [bow_tie]}}],
    }  # fmt: skip
    assert import_geojson_count(derived_areas, write(tmp_path, document)) == 1
    team = areas.get_area(derived_areas, "LS1")
    assert team.name == "City Centre" and shapely.from_geojson(team.boundary_geojson).is_valid


def import_geojson_count(engine, path):
    return areas.import_geojson(engine, path, force_code="west-yorkshire")


def feature(geometry=None, **properties):
    square = {"type": "Polygon", "coordinates": [[[-1.56, 53.79], [-1.53, 53.79], [-1.53, 53.81], [-1.56, 53.81], [-1.56, 53.79]]]}
    return {"type": "Feature", "properties": {"id": "A", "name": "Alpha", **properties},
            "geometry": square if geometry is None else geometry}  # fmt: skip


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def ring(*points):
    return {"type": "Polygon", "coordinates": [[list(p) for p in points]]}


BAD_FILES = {
    "not json": ("{not json", r"not valid JSON: .* at line 1, column 2"),
    "not a collection": ({"type": "Feature"}, "not a GeoJSON FeatureCollection"),
    "no features": (collection(), "the FeatureCollection has no features"),
    "projected crs": (
        {**collection(feature()), "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}}},
        "declares crs 'urn:ogc:def:crs:EPSG::27700'; neighbourhood boundaries must be WGS84",
    ),
    "missing geometry": (collection(feature(), feature(geometry={}, id="B")), "feature 1: has no geometry"),
    "point geometry": (
        collection(feature(geometry={"type": "Point", "coordinates": [-1.5, 53.8]})),
        "feature 0: geometry is 'Point'; a neighbourhood must be a Polygon or MultiPolygon",
    ),
    "malformed coordinates": (
        collection(feature(geometry={"type": "Polygon", "coordinates": [[[-1.5]]]})),
        "feature 0: malformed Polygon coordinates",
    ),
    "british national grid": (
        collection(feature(geometry=ring((430000, 433000), (431000, 433000), (431000, 434000), (430000, 433000)))),
        r"feature 0: coordinate \(430000, 433000\) is outside the WGS84 range .* British National Grid",
    ),
    "lat lng swapped": (
        collection(feature(geometry=ring((53.79, -1.56), (53.79, -1.53), (53.81, -1.53), (53.79, -1.56)))),
        "feature 0: coordinate .* looks like latitude, longitude; GeoJSON order is longitude, latitude",
    ),
    "outside britain": (
        collection(feature(geometry=ring((2.35, 48.85), (2.36, 48.85), (2.36, 48.86), (2.35, 48.85)))),
        r"feature 0: coordinate \(longitude 2.35, latitude 48.85\) is outside Great Britain",
    ),
    "zero area": (
        collection(feature(geometry=ring((-1.5, 53.5), (-1.25, 53.75), (-1.0, 54.0), (-1.5, 53.5)))),
        "feature 0: invalid polygon .* cannot be repaired into an area",
    ),
    "missing id": (
        collection({"type": "Feature", "properties": {"name": "Alpha", "ward": "x"}, "geometry": feature()["geometry"]}),
        r"feature 0: no id: .* name the property with --id-property \(properties present: name, ward\)",
    ),
    "missing name": (collection(feature(name="")), "feature 0: no name"),
    "duplicate id": (collection(feature(), feature()), "feature 1: id 'A' repeats feature 0"),
    "id unusable in a path": (collection(feature(id="LS/1")), "feature 0: id 'LS/1' cannot be an API path segment"),
    "id of another area": (collection(feature(id=LEEDS)), "feature 0: id 'E08000035' is already the code of district"),
    "not a feature": (collection(["Alpha"]), "feature 0: is not a GeoJSON Feature object"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_files_are_refused_with_feature_and_reason(derived_areas, tmp_path, case):
    document, message = BAD_FILES[case]
    before = [(n.code, n.population) for n in areas.neighbourhoods(derived_areas, "west-yorkshire")]
    with pytest.raises(areas.AreasError, match=message):
        import_geojson_count(derived_areas, write(tmp_path, document))
    assert [(n.code, n.population) for n in areas.neighbourhoods(derived_areas, "west-yorkshire")] == before


def test_every_bad_feature_is_reported_at_once(derived_areas, tmp_path):
    document = collection(feature(), feature(geometry=None, id="B") | {"geometry": None}, feature(id="C", name=""))
    with pytest.raises(areas.AreasError) as raised:
        import_geojson_count(derived_areas, write(tmp_path, document))
    assert "2 bad feature(s)" in str(raised.value)
    assert "feature 1: has no geometry" in str(raised.value) and "feature 2: no name" in str(raised.value)


def test_named_property_missing(derived_areas, tmp_path):
    with pytest.raises(areas.AreasError, match="feature 0: property 'team' \\(id\\) is missing or empty"):
        areas.import_geojson(derived_areas, write(tmp_path, collection(feature())), force_code="west-yorkshire", id_property="team")


def test_force_without_hierarchy_or_missing_file(derived_areas, tmp_path):
    with pytest.raises(areas.AreasError, match="force 'durham' has no LSOAs"):
        areas.import_geojson(derived_areas, write(tmp_path, collection(feature())), force_code="durham")
    with pytest.raises(areas.AreasError, match="nowhere.geojson: no such file"):
        areas.import_geojson(derived_areas, tmp_path / "nowhere.geojson", force_code="west-yorkshire")
