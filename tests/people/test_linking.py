from collections import defaultdict

from watchhouse.access import Viewer
from watchhouse.audit import entries, verify
from watchhouse.people.linking import link_people
from watchhouse.records.lookup import masters_of
from watchhouse.resolve import cluster_quality
from watchhouse.synth.systems import load_systems, read_truth, write_systems


def test_synthetic_systems_link_into_people_close_to_the_truth(engine, tmp_path):
    write_systems(150, tmp_path, seed=3)
    load_systems(engine, tmp_path)
    summary = link_people(engine)
    assert summary.records > 150 and summary.masters < summary.records
    from watchhouse import records

    viewer = Viewer.system("test")
    rows = [row for batch in records.iter_people(engine, viewer) for row in batch]
    masters = masters_of(engine, [row["id"] for row in rows])
    truth = read_truth(tmp_path)
    predicted = {row["id"]: masters[row["id"]] for row in rows}
    actual = {row["id"]: truth[(row["source_system"], row["source_record_id"])] for row in rows
              if (row["source_system"], row["source_record_id"]) in truth}
    quality = cluster_quality({k: v for k, v in predicted.items() if k in actual}, actual)
    assert quality.precision > 0.9 and quality.recall > 0.6, quality
    assert entries(engine, actions=["combination"])[0].detail["records"] == summary.records
    assert verify(engine).ok
    again = link_people(engine)
    assert again.masters == summary.masters  # re-running the same data agrees with itself
