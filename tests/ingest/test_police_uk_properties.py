"""Whatever a street file holds, ingest accounts for every row and never crashes."""

import csv
import io

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchhouse.ingest.police_uk import STREET_COLUMNS, ingest_paths
from watchhouse.store import get_engine, upgrade

HEX = "0123456789abcdef"
crime_ids = st.one_of(st.just(""), st.text(HEX, min_size=64, max_size=64), st.text(HEX + "xyz-", max_size=70))
months = st.sampled_from(["2018-07", "2018-07", "2018-13", "2018-06", "18-07", ""])
coordinates = st.sampled_from([("53.8", "-1.55"), ("", ""), ("53.8", ""), ("153.8", "-1.55"), ("nan", "1"), ("-33.9", "151.2"), ("x", "y")])
crime_types = st.sampled_from(["Burglary", "Anti-social behaviour", "Violence and sexual offences", "Jaywalking", ""])
locations = st.sampled_from(["On or near Briggate", "", "On or near Park Row, Leeds"])
widths = st.sampled_from([12, 12, 12, 11, 13])


@st.composite
def street_rows(draw):
    latitude, longitude = draw(coordinates)
    row = [
        draw(crime_ids), draw(months), "West Yorkshire Police", draw(st.sampled_from(["West Yorkshire Police", ""])),
        longitude, latitude, draw(locations), "E01033010", "Leeds 111B", draw(crime_types),
        draw(st.sampled_from(["", "Under investigation"])), "",
    ]  # fmt: skip
    width = draw(widths)
    return (row + [""] * width)[:width]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(street_rows(), max_size=25))
def test_every_row_is_loaded_or_quarantined_and_reload_is_a_no_op(tmp_path_factory, rows):
    folder = tmp_path_factory.mktemp("2018-07")
    engine = get_engine(f"sqlite:///{folder / 'watchhouse.db'}")
    upgrade(engine)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(STREET_COLUMNS)
    writer.writerows(rows)
    path = folder / "2018-07-west-yorkshire-street.csv"
    path.write_text(buffer.getvalue())

    first = ingest_paths(engine, [path]).total
    assert first.read == len(rows)
    assert first.loaded + first.unchanged + first.quarantined == first.read
    with engine.connect() as connection:
        stored = connection.execute(sa.text("SELECT count(*) FROM crimes")).scalar()
        quarantined = connection.execute(sa.text("SELECT count(*) FROM quarantine")).scalar()
    assert stored == first.loaded and quarantined == first.quarantined

    second = ingest_paths(engine, [path]).total
    assert (second.loaded, second.updated) == (0, 0)
    assert second.unchanged == first.loaded + first.unchanged
    assert second.quarantined == first.quarantined
    engine.dispose()
