import json

from typer.testing import CliRunner

import watchhouse.areas as areas
from watchhouse.cli import app

runner = CliRunner()


def test_import_command_reports_placement_and_refuses_bad_files(derived_areas, database_url, tmp_path):
    leeds = areas.get_area(derived_areas, "E08000035")
    leeds_lsoas = set(areas.lsoa_codes_in(derived_areas, leeds.code))
    bradford_lsoas = set(areas.lsoa_codes_in(derived_areas, "E08000032"))
    good = tmp_path / "leeds.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"ref": "LDS", "title": "Leeds"}, "geometry": json.loads(leeds.boundary_geojson)}
    ]}))  # fmt: skip
    result = runner.invoke(
        app, ["areas", "import", str(good), "--force", "west-yorkshire", "--id-property", "ref",
              "--name-property", "title", "--db", database_url],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 neighbourhoods imported (replacing 299)" in result.output
    # Only Leeds is covered: LSOAs of other districts join it only when their centre is within
    # 500 m of its edge; the rest stay directly under their districts.
    assert "left under their district" in result.output
    in_team = set(areas.lsoa_codes_in(derived_areas, "LDS"))
    assert leeds_lsoas <= in_team and len(in_team - leeds_lsoas) < 40
    bradford_left = [a for a in areas.children(derived_areas, "E08000032") if a.level == "lsoa"]
    assert len(bradford_left) > 280 and {a.code for a in bradford_left} <= bradford_lsoas
    assert set(areas.lsoa_codes_in(derived_areas, "E08000032")) == {a.code for a in bradford_left}
    assert areas.get_area(derived_areas, "west-yorkshire").population == 2_226_058

    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"id": "X", "name": "X"}, "geometry": null}]}')
    refused = runner.invoke(app, ["areas", "import", str(bad), "--force", "west-yorkshire", "--db", database_url])
    assert refused.exit_code == 1
    assert "feature 0: has no geometry" in refused.output


def test_list_and_load_lookup_commands(engine, database_url):
    loaded = runner.invoke(app, ["areas", "load-lookup", "--force", "west-yorkshire", "--db", database_url])
    assert loaded.exit_code == 0, loaded.output
    assert "1 force(s), 1,693 areas: 1,693 added" in loaded.output
    listed = runner.invoke(app, ["areas", "list", "--level", "district", "--force", "west-yorkshire", "--db", database_url])
    assert listed.exit_code == 0
    for district in ("Bradford", "Calderdale", "Kirklees", "Leeds", "Wakefield"):
        assert district in listed.output
    assert "751,485" in listed.output and "5 area(s)" in listed.output
    bad_level = runner.invoke(app, ["areas", "list", "--level", "ward", "--db", database_url])
    assert bad_level.exit_code == 1 and "unknown level 'ward'" in bad_level.output
    bad_force = runner.invoke(app, ["areas", "derive-boundaries", "--force", "west-yorkshire", "--db", database_url])
    assert bad_force.exit_code == 1 and "no located crimes" in bad_force.output
