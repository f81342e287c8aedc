from watchhouse.audit import entries, verify
from watchhouse.synth.systems import LOAD_ORDER, load_systems, write_systems


def test_every_loaded_file_is_logged_as_collection(engine, tmp_path):
    write_systems(30, tmp_path, seed=1)
    load_systems(engine, tmp_path)
    logged = entries(engine, actions=["collection"], limit=100)
    assert len(logged) == len(LOAD_ORDER)
    assert all(e.detail["inserted"] > 0 for e in logged)
    assert verify(engine).ok
    load_systems(engine, tmp_path)  # a reload is logged too, with nothing inserted
    again = entries(engine, actions=["collection"], limit=100)
    assert len(again) == 2 * len(LOAD_ORDER) and again[0].detail["inserted"] == 0
