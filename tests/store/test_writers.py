"""Writers to one SQLite file queue on its writer lock and always let it go."""

import fcntl
import os
import threading

import sqlalchemy as sa

from watchhouse.store import get_engine


def _engine(tmp_path):
    engine = get_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE tally (n INTEGER)")
    return engine


def _lock_is_free(tmp_path) -> bool:
    fd = os.open(tmp_path / "w.db-writers", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_concurrent_writers_all_commit_and_the_lock_is_let_go(tmp_path):
    engine = _engine(tmp_path)
    errors = []

    def work():
        try:
            for _ in range(25):
                with engine.begin() as connection:
                    connection.execute(sa.text("SELECT count(*) FROM tally")).scalar()
                    connection.execute(sa.text("INSERT INTO tally VALUES (1)"))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM tally")).scalar() == 200
    assert _lock_is_free(tmp_path)
    engine.dispose()


def test_a_failed_write_lets_the_lock_go(tmp_path):
    engine = _engine(tmp_path)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text("INSERT INTO tally VALUES (1)"))
            assert not _lock_is_free(tmp_path)  # held by this transaction
            raise RuntimeError("the load failed")
    except RuntimeError:
        pass
    assert _lock_is_free(tmp_path)
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM tally")).scalar() == 0
    engine.dispose()


def test_reads_never_take_the_lock(tmp_path):
    engine = _engine(tmp_path)
    with engine.connect() as connection:
        connection.execute(sa.text("SELECT count(*) FROM tally")).scalar()
        assert _lock_is_free(tmp_path)
    engine.dispose()
