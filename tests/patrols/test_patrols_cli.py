from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from watchhouse.cli import app

runner = CliRunner()
STEP = 0.003  # degrees: cells of roughly 200 m by 330 m near Leeds


def _square(lon, lat):
    return {"type": "Polygon", "coordinates": [[[lon, lat], [lon + STEP, lat], [lon + STEP, lat + STEP],
                                                [lon, lat + STEP], [lon, lat]]]}


@pytest.fixture
def forecast_file(tmp_path):
    features = []
    for row in range(6):
        for col in range(6):
            lon, lat = -1.56 + col * STEP, 53.79 + row * STEP
            score = float((row * 6 + col) % 7 + (10 if (row, col) in {(1, 1), (4, 4)} else 0))
            features.append({"type": "Feature", "geometry": _square(lon, lat),
                             "properties": {"cell_id": row * 6 + col, "score": score}})
    path = tmp_path / "forecast.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features,
                                "watchhouse": {"as_of": "2024-03-01T00:00:00"}}))
    return path


@pytest.fixture
def neighbourhoods_file(tmp_path):
    def box(x0, x1):
        return {"type": "Polygon", "coordinates": [[[x0, 53.78], [x1, 53.78], [x1, 53.82], [x0, 53.82], [x0, 53.78]]]}

    middle = -1.56 + 3 * STEP
    path = tmp_path / "neighbourhoods.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": box(-1.57, middle), "properties": {"name": "West"}},
        {"type": "Feature", "geometry": box(middle, -1.53), "properties": {"name": "East"}},
    ]}))
    return path


def test_plan_round_trip_with_neighbourhood_file(tmp_path, forecast_file, neighbourhoods_file):
    out = tmp_path / "plan.geojson"
    result = runner.invoke(app, ["patrols", "plan", "--forecast", str(forecast_file), "--hours-per-shift", "4",
                                 "--officers", "2", "--min-visits-per-neighbourhood", "3",
                                 "--neighbourhoods", str(neighbourhoods_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "optimal / naive expected harm prevented" in result.output
    assert "neighbourhoods: file neighbourhoods.geojson" in result.output
    plan = json.loads(out.read_text())
    visits = {f["properties"]["hotspot"]: f["properties"]["visits"] for f in plan["features"]}
    by_neighbourhood = {}
    for feature in plan["features"]:
        name = feature["properties"]["neighbourhood"]
        by_neighbourhood[name] = by_neighbourhood.get(name, 0) + feature["properties"]["visits"]
    assert set(by_neighbourhood) == {"West", "East"}
    assert min(by_neighbourhood.values()) >= 3
    # 2 officers x 4 h at 25 min per visit: 9 visits each; cap 2 per hotspot (one per 2 hours).
    assert sum(visits.values()) == 18
    assert max(visits.values()) == 2
    assert visits["7"] == 2 and visits["28"] == 2  # the two standout cells
    assert plan["properties"]["status"] == "optimal"
    assert plan["properties"]["expected_harm_prevented"] >= plan["properties"]["naive_expected_harm_prevented"]
    assert plan["features"][0]["geometry"]["type"] == "Polygon"

    fairness = runner.invoke(app, ["patrols", "fairness", "--forecast", str(forecast_file), "--plan", str(out),
                                   "--districts", str(neighbourhoods_file)])
    assert fairness.exit_code == 0, fairness.output
    assert "West" in fairness.output and "East" in fairness.output
    assert "patrol hours that would have to move between districts" in fairness.output


def test_plan_without_neighbourhoods_uses_marked_clusters(tmp_path, forecast_file):
    out = tmp_path / "plan.geojson"
    result = runner.invoke(app, ["patrols", "plan", "--forecast", str(forecast_file), "--hours-per-shift", "8",
                                 "--officers", "1", "--clusters", "4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    plan = json.loads(out.read_text())
    assert "k-means clusters" in plan["properties"]["neighbourhood_source"]
    assert {f["properties"]["neighbourhood"] for f in plan["features"]} == {f"cluster-0{i}" for i in range(1, 5)}
    assert plan["properties"]["neighbourhood_clusters"] == 4

    # Fairness re-derives the plan's own clusters, so it reproduces the plan's figure.
    fairness = runner.invoke(app, ["patrols", "fairness", "--forecast", str(forecast_file), "--plan", str(out)])
    assert fairness.exit_code == 0, fairness.output
    expected = f"between neighbourhoods to match harm: {plan['properties']['fairness_hours_dissimilarity']:.1%}"
    assert expected in fairness.output
    assert fairness.output.count("cluster-0") == 4


def test_harm_weights_from_events_change_the_plan(tmp_path, forecast_file):
    # Cell 3 (score 3) has a history of robbery, cell 7 (score 10) of shoplifting and drugs finds.
    events = tmp_path / "events.csv"
    rows = ["id,lon,lat,occurred_at,category"]
    for i in range(20):
        rows.append(f"r{i},{-1.56 + 3.5 * STEP},{53.79 + STEP / 2},2024-01-{i + 1:02d}T10:00:00,robbery")
        rows.append(f"s{i},{-1.56 + 1.5 * STEP},{53.79 + 1.5 * STEP},2024-01-{i + 1:02d}T10:00:00,shoplifting")
        rows.append(f"d{i},{-1.56 + 1.5 * STEP},{53.79 + 1.5 * STEP},2024-01-{i + 1:02d}T11:00:00,drugs")
    rows.append("late,-1.5585,53.7915,2024-05-01T10:00:00,robbery")  # after as-of: ignored
    rows.append("bad,999,53.79,2024-01-01T10:00:00,robbery")
    events.write_text("\n".join(rows) + "\n")
    out = tmp_path / "plan.geojson"
    result = runner.invoke(app, ["patrols", "plan", "--forecast", str(forecast_file), "--hours-per-shift", "2",
                                 "--officers", "1", "--min-visits-per-neighbourhood", "0", "--events", str(events),
                                 "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "20 proactively found offence(s)" in result.output
    assert "skipped 1" in result.output
    features = {f["properties"]["hotspot"]: f["properties"] for f in json.loads(out.read_text())["features"]}
    assert features["3"]["count"] < features["7"]["count"]
    assert features["3"]["harm"] > 2 * features["7"]["harm"]  # robbery outweighs shoplifting; drugs left out
    assert features["7"]["naive_visits"] == 1  # the analyst's map patrols the busy shoplifting cell
    assert features["7"]["visits"] == 0


def test_infeasible_cover_is_a_clear_error(forecast_file):
    result = runner.invoke(app, ["patrols", "plan", "--forecast", str(forecast_file), "--hours-per-shift", "1",
                                 "--officers", "1", "--clusters", "6", "--min-visits-per-neighbourhood", "1"])
    assert result.exit_code == 2
    assert "the plan is infeasible" in result.output
    assert "needs 6 visits" in result.output and "short by 4 visits" in result.output


def test_bad_forecast_names_the_feature(tmp_path):
    path = tmp_path / "forecast.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": _square(-1.5, 53.8), "properties": {"score": 1}},
        {"type": "Feature", "geometry": _square(-1.5, 53.9), "properties": {"score": "high"}},
    ]}))
    result = runner.invoke(app, ["patrols", "plan", "--forecast", str(path), "--hours-per-shift", "8", "--officers", "1"])
    assert result.exit_code == 2
    assert "feature 1 has score 'high'" in result.output
    missing = runner.invoke(app, ["patrols", "plan", "--forecast", str(tmp_path / "nope.geojson"),
                                  "--hours-per-shift", "8", "--officers", "1"])
    assert missing.exit_code == 2 and "no such forecast file" in missing.output


def _tension_events_csv(path, rise: bool):
    import numpy as np

    rng = np.random.default_rng(5)
    rows = ["id,lon,lat,occurred_at,category"]
    start = np.datetime64("2024-01-01T12:00")  # a Monday
    n = 0
    for week in range(30):
        for area, lon in (("W", -1.555), ("E", -1.541)):
            violent = rng.poisson(30 if rise and area == "W" and week == 28 else 8)
            for kind, count in (("Violence and sexual offences", violent), ("Anti-social behaviour", rng.poisson(6))):
                for _ in range(count):
                    stamp = start + np.timedelta64(7 * week + int(rng.integers(0, 7)), "D")
                    rows.append(f"e{n},{lon + rng.uniform(0, 0.002):.6f},{53.792 + rng.uniform(0, 0.002):.6f},{stamp},{kind}")
                    n += 1
    path.write_text("\n".join(rows) + "\n")


def test_tension_command_flags_the_injected_rise(tmp_path, neighbourhoods_file):
    events = tmp_path / "events.csv"
    _tension_events_csv(events, rise=True)
    result = runner.invoke(app, ["patrols", "tension", "--events", str(events), "--neighbourhoods", str(neighbourhoods_file),
                                 "--as-of", "2024-07-22"])
    assert result.exit_code == 0, result.output
    assert "RISE" in result.output
    lines = [line for line in result.output.splitlines() if "RISE" in line]
    assert len(lines) == 1 and "West" in lines[0] and "violence" in lines[0] and "2024-07-15" in lines[0]
    assert "false alarms on this history" in result.output


def test_tension_command_on_the_police_uk_sample_says_the_baseline_is_too_short():
    from watchhouse.sample import street_files

    arguments = ["patrols", "tension", "--period", "month", "--clusters", "10"]
    for path in street_files():
        arguments += ["--police-uk", str(path)]
    result = runner.invoke(app, arguments)
    assert result.exit_code == 0, result.output
    assert "0 indicator series tested, 0 flagged; 30 not tested (baseline too short)" in result.output
    assert "no past period has a long enough baseline" in result.output
