"""The command-line contract other tools depend on: ``watchhouse forecast`` and ``watchhouse backtest``."""

from __future__ import annotations

import csv
import datetime as dt
import json

import numpy as np
import pytest
from typer.testing import CliRunner

from watchhouse.cli import app
from watchhouse.predict.events import datetime_from_days
from watchhouse.predict.synthetic import SyntheticCity, generate, write_events_csv

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def forecast(events, as_of, out, *extra):
    return run("forecast", "--events", events, "--as-of", as_of, "--horizon-days", 7, "--out", out, *extra)


def read_scores(path) -> dict[tuple, float]:
    collection = json.loads(path.read_text())
    return {tuple(map(tuple, f["geometry"]["coordinates"][0])): f["properties"]["score"] for f in collection["features"]}


def test_forecast_writes_wgs84_polygons_with_numeric_scores(small_city_csv, tmp_path):
    out = tmp_path / "forecast.geojson"
    result = forecast(small_city_csv, "2021-06-01", out)
    assert result.exit_code == 0, result.output
    collection = json.loads(out.read_text())
    assert collection["type"] == "FeatureCollection"
    features = collection["features"]
    assert len(features) > 100
    for feature in features:
        assert feature["geometry"]["type"] == "Polygon"
        ring = np.array(feature["geometry"]["coordinates"][0])
        assert ring.shape == (5, 2) and np.allclose(ring[0], ring[-1])
        assert np.all(np.abs(ring[:, 0] + 1.55) < 0.2) and np.all(np.abs(ring[:, 1] - 53.8) < 0.2)
        assert isinstance(feature["properties"]["score"], float)
    scores = np.array([f["properties"]["score"] for f in features])
    assert scores.max() > scores.min() >= 0
    assert collection["watchhouse"]["method"] == "auto"
    assert collection["watchhouse"]["window_end"] == "2021-06-08T00:00:00"


def test_as_of_date_and_midnight_date_time_give_the_same_forecast(small_city_csv, tmp_path):
    a, b = tmp_path / "a.geojson", tmp_path / "b.geojson"
    assert forecast(small_city_csv, "2021-06-01", a, "--method", "long-run").exit_code == 0
    assert forecast(small_city_csv, "2021-06-01T00:00:00", b, "--method", "long-run").exit_code == 0
    assert read_scores(a) == read_scores(b)


@pytest.mark.parametrize("method", ["auto", "sepp", "prospective", "recent"])
def test_events_at_or_after_as_of_do_not_change_the_forecast(small_city, tmp_path, method):
    events = small_city.events
    as_of = dt.datetime(2021, 6, 1)
    before = tmp_path / "before.csv"
    write_events_csv(events.before((as_of - dt.datetime(1970, 1, 1)).total_seconds() / 86400), before)
    with_future = tmp_path / "with_future.csv"
    write_events_csv(events, with_future)
    # Events exactly at as-of, and far outside the current study area after it, must change nothing.
    with open(with_future, "a", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["at-as-of", -1.55, 53.80, "2021-06-01T00:00:00", "burglary"])
        writer.writerow(["future-far", -1.20, 53.95, "2021-06-03T12:00:00", "robbery"])
    a, b = tmp_path / "a.geojson", tmp_path / "b.geojson"
    assert forecast(before, "2021-06-01", a, "--method", method).exit_code == 0
    assert forecast(with_future, "2021-06-01", b, "--method", method).exit_code == 0
    assert read_scores(a) == read_scores(b)


def test_category_filter(small_city_csv, tmp_path):
    out = tmp_path / "burglary.geojson"
    result = forecast(small_city_csv, "2021-06-01", out, "--category", "Burglary", "--method", "long-run")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["watchhouse"]["category"] == "Burglary"
    missing = forecast(small_city_csv, "2021-06-01", out, "--category", "piracy")
    assert missing.exit_code != 0 and "no events of category 'piracy'" in missing.output


def test_no_history_before_as_of_is_a_clear_error(small_city_csv, tmp_path):
    result = forecast(small_city_csv, "1999-01-01", tmp_path / "x.geojson")
    assert result.exit_code != 0
    assert "no events before as-of 1999-01-01" in result.output
    assert not (tmp_path / "x.geojson").exists()


def test_bad_rows_are_reported_and_skipped(tmp_path, small_city):
    path = tmp_path / "events.csv"
    write_events_csv(small_city.events, path)
    with open(path, "a") as handle:
        handle.write("bad1,,53.8,2021-05-01T00:00:00,burglary\nbad2,-1.55,53.8,31/05/2021,burglary\n")
    out = tmp_path / "f.geojson"
    result = forecast(path, "2021-06-01", out, "--method", "long-run")
    assert result.exit_code == 0, result.output
    assert "skipped 2" in result.stderr and "1 missing coordinates" in result.stderr
    assert "1 unparsable occurred_at" in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--as-of", "next tuesday"], "ISO 8601"),
        (["--method", "crystal-ball"], "unknown method"),
        (["--horizon-days", "0"], "horizon must be a positive"),
        (["--cell-size", "-5"], "cell size must be positive"),
    ],
)
def test_bad_arguments_are_clear_errors(small_city_csv, tmp_path, args, message):
    base = {"--as-of": "2021-06-01", "--horizon-days": "7", "--method": "auto", "--cell-size": "200"}
    base.update(dict(zip(args[::2], args[1::2])))
    flat = [item for pair in base.items() for item in pair]
    result = run("forecast", "--events", small_city_csv, "--out", tmp_path / "x.geojson", *flat)
    assert result.exit_code != 0
    assert message in result.output


def test_unreadable_events_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "events.csv"
    bad.write_text("id,lon,lat\n1,2,3\n")
    result = forecast(bad, "2021-06-01", tmp_path / "x.geojson")
    assert result.exit_code != 0 and "missing column(s) occurred_at, category" in result.output
    nothing_valid = tmp_path / "invalid.csv"
    nothing_valid.write_text("id,lon,lat,occurred_at,category\n1,,,nope,x\n")
    result = forecast(nothing_valid, "2021-06-01", tmp_path / "x.geojson")
    assert result.exit_code != 0 and "no usable events" in result.output


def test_all_events_at_one_place_still_forecast_on_a_buffered_area(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "id,lon,lat,occurred_at,category\n"
        + "".join(f"{i},-1.55,53.8,2021-05-{i + 1:02d}T12:00:00,burglary\n" for i in range(10))
    )
    out = tmp_path / "f.geojson"
    result = forecast(path, "2021-06-01", out)
    assert result.exit_code == 0, result.output
    assert "single point or line" in result.stderr
    assert len(json.loads(out.read_text())["features"]) >= 1


def test_a_southern_hemisphere_city_works(tmp_path):
    city = generate(SyntheticCity(centre_lon=-46.63, centre_lat=-23.55, days=150, background_per_day=10, seed=9))
    path = tmp_path / "sao_paulo.csv"
    write_events_csv(city.events, path)
    as_of = datetime_from_days(city.events.t[-1] - 14).date().isoformat()
    out = tmp_path / "sp.geojson"
    result = forecast(path, as_of, out)
    assert result.exit_code == 0, result.output
    collection = json.loads(out.read_text())
    assert collection["watchhouse"]["projection"] == "EPSG:32723"
    lon_lat = np.array([f["geometry"]["coordinates"][0][0] for f in collection["features"]])
    assert abs(lon_lat[:, 0].mean() + 46.63) < 0.05 and abs(lon_lat[:, 1].mean() + 23.55) < 0.05


def test_backtest_reports_hit_rate_and_pai_and_writes_outputs(small_city_csv, tmp_path):
    json_out, csv_out, chart = tmp_path / "bt.json", tmp_path / "bt.csv", tmp_path / "bt.svg"
    vega = tmp_path / "bt.vl.json"
    result = run(
        "backtest", "--events", small_city_csv, "--origins", 4, "--horizon-days", 7,
        "--coverage", "0.05,0.1", "--json", json_out, "--csv", csv_out, "--chart", chart,
    )
    assert result.exit_code == 0, result.output
    assert "PAI@0.05" in result.stdout and "harm" in result.stdout
    report = json.loads(json_out.read_text())
    assert len(report["origins"]) == 4
    methods = {r["method"] for r in report["results"]}
    assert methods == {"auto", "recent", "long-run", "kde", "prospective", "sepp"}
    for row in report["results"]:
        assert row["pai"] == pytest.approx(row["hit_rate"] / row["flagged_share"])
        assert row["flagged_share"] <= row["coverage"] + 1e-9
    # The last window ends at midnight after the last event's day; origins are a week apart.
    origins = [dt.datetime.fromisoformat(o) for o in report["origins"]]
    assert all((b - a) == dt.timedelta(days=7) for a, b in zip(origins, origins[1:]))
    assert csv_out.read_text().startswith("method,measure,coverage,hit_rate,pai")
    assert chart.read_text().startswith("<svg")
    result = run("backtest", "--events", small_city_csv, "--origins", 2, "--horizon-days", 7,
                 "--methods", "long-run,recent", "--chart", vega)
    assert result.exit_code == 0, result.output
    assert json.loads(vega.read_text())["$schema"].endswith("vega-lite/v5.json")


def test_backtest_refuses_origins_before_the_data(small_city_csv):
    result = run("backtest", "--events", small_city_csv, "--origins", 100, "--horizon-days", 7)
    assert result.exit_code != 0 and "no history for the first origin" in result.output


@pytest.mark.parametrize("method", ["auto", "recent", "long-run", "kde", "prospective", "sepp"])
def test_sparse_history_with_a_quiet_last_year_still_forecasts(tmp_path, method):
    rng = np.random.default_rng(1)
    path = tmp_path / "sparse.csv"
    lines = ["id,lon,lat,occurred_at,category"]
    for i in range(80):  # 80 events in 2019, none in 2020
        when = dt.datetime(2019, 1, 1) + dt.timedelta(days=float(rng.uniform(0, 360)))
        lines.append(f"{i},{-1.55 + rng.normal(0, 0.01):.6f},{53.8 + rng.normal(0, 0.01):.6f},{when.isoformat()},burglary")
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "f.geojson"
    result = forecast(path, "2021-01-01", out, "--method", method)
    assert result.exit_code == 0, result.output
    scores = [f["properties"]["score"] for f in json.loads(out.read_text())["features"]]
    assert all(np.isfinite(scores))
