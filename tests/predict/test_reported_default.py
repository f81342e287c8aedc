import csv
import json

from typer.testing import CliRunner

from watchhouse.cli import app


def _write_events(path):
    rows = []
    # Patrol-found drug offences piled at one place, reported burglaries at another (about 2 km away).
    for i in range(60):
        rows.append((f"d{i}", -1.5500, 53.8000, f"2021-06-{1 + i % 28:02d}T12:00:00", "Drugs"))
    for i in range(30):
        rows.append((f"b{i}", -1.5200, 53.8100, f"2021-06-{1 + i % 28:02d}T03:00:00", "Burglary"))
    rows.append(("x", -1.5350, 53.7950, "2021-06-10T03:00:00", "Burglary"))  # widen the study area
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "lon", "lat", "occurred_at", "category"])
        writer.writerows(rows)


def _top_cell_centre(path):
    features = json.loads(path.read_text())["features"]
    best = max(features, key=lambda f: f["properties"]["score"])
    ring = best["geometry"]["coordinates"][0]
    return sum(p[0] for p in ring[:-1]) / (len(ring) - 1), sum(p[1] for p in ring[:-1]) / (len(ring) - 1)


def test_forecast_trains_on_reported_offences_by_default(tmp_path):
    events = tmp_path / "events.csv"
    _write_events(events)
    runner = CliRunner()
    args = ["forecast", "--events", str(events), "--as-of", "2021-07-01", "--horizon-days", "7",
            "--method", "long-run"]
    default = runner.invoke(app, [*args, "--out", str(tmp_path / "default.geojson")])
    assert default.exit_code == 0, default.output
    everything = runner.invoke(app, [*args, "--all-offences", "--out", str(tmp_path / "all.geojson")])
    assert everything.exit_code == 0, everything.output
    lon_default, _ = _top_cell_centre(tmp_path / "default.geojson")
    lon_all, _ = _top_cell_centre(tmp_path / "all.geojson")
    assert abs(lon_default - -1.52) < 0.005  # the reported burglaries
    assert abs(lon_all - -1.55) < 0.005  # the patrol-found drugs dominate when included
