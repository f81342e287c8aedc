import sqlalchemy as sa

from watchhouse.store import upgrade


def test_every_branch_reaches_head_and_reupgrade_is_a_no_op(engine):
    names = set(sa.inspect(engine).get_table_names())
    assert {"areas", "crimes", "outcomes", "stops", "map_points", "ingest_runs", "quarantine"} <= names
    upgrade(engine)  # running again must not fail or duplicate anything
    with engine.connect() as connection:
        heads = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    assert len(heads) == len(set(heads)) >= 3


def test_transaction_rolls_back_on_error(engine):
    from watchhouse.store import transaction

    try:
        with transaction(engine) as connection:
            connection.execute(sa.text("INSERT INTO areas (code, level, name, boundary_approximate) VALUES ('x', 'force', 'X', true)"))
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM areas")).scalar() == 0
