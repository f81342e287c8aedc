import datetime as dt

import numpy as np
import pytest

from watchhouse.predict.events import EventsError, days_since_epoch, load_events, parse_as_of


def test_as_of_accepts_date_and_date_time():
    assert parse_as_of("2021-07-03") == dt.datetime(2021, 7, 3)
    assert parse_as_of("2021-07-03T00:00:00") == dt.datetime(2021, 7, 3)
    assert parse_as_of("2021-07-03T06:30:00") == dt.datetime(2021, 7, 3, 6, 30)


@pytest.mark.parametrize("text", ["03/07/2021", "2021-13-01", "yesterday", ""])
def test_as_of_rejects_other_forms(text):
    with pytest.raises(EventsError, match="ISO 8601"):
        parse_as_of(text)


def test_bad_rows_are_counted_and_skipped(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "id,lon,lat,occurred_at,category\n"
        "1,-1.55,53.80,2021-01-01T10:00:00,burglary\n"
        "2,,53.80,2021-01-01T11:00:00,burglary\n"  # missing lon
        "3,-1.55,95.0,2021-01-01T12:00:00,burglary\n"  # impossible lat
        "4,-1.55,53.80,not a date,robbery\n"
        "5,-1.56,53.81,2021-01-02,robbery\n"  # a date alone is midnight
        "6,0,0,2021-01-02T00:00:00,robbery\n"  # null island: a missing location in disguise
        "7,abc,53.8,2021-01-02T00:00:00,robbery\n"
    )
    events, report = load_events(path)
    assert report.read == 7
    assert report.kept == 2
    assert list(events.ids) == ["1", "5"]
    assert report.skipped == {
        "missing coordinates": 2,
        "impossible coordinates (outside lon -180..180, lat -90..90, or 0,0)": 2,
        "unparsable occurred_at": 1,
    }
    assert report.example_lines["unparsable occurred_at"] == [5]
    assert "skipped 5" in report.summary()
    assert events.t[1] == pytest.approx(days_since_epoch(dt.datetime(2021, 1, 2)))


def test_events_are_sorted_by_time_and_offsets_keep_the_wall_clock(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "id,lon,lat,occurred_at,category\n"
        "late,-1.55,53.80,2021-01-03T10:00:00+01:00,burglary\n"
        "early,-1.55,53.80,2021-01-01T10:00:00+01:00,burglary\n"
    )
    events, _ = load_events(path)
    assert list(events.ids) == ["early", "late"]
    assert events.t[0] == pytest.approx(days_since_epoch(dt.datetime(2021, 1, 1, 10)))
    assert np.all(np.diff(events.t) >= 0)


def test_missing_columns_and_files_are_clear_errors(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("id,lon,lat,when\n1,0,0,2021-01-01\n")
    with pytest.raises(EventsError, match="missing column\\(s\\) occurred_at, category"):
        load_events(path)
    with pytest.raises(EventsError, match="no such events file"):
        load_events(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(EventsError, match="empty"):
        load_events(empty)


def test_mixed_iso_forms_and_offsets_are_read_as_wall_clock_time(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text(
        "id,lon,lat,occurred_at,category\n"
        "1,-1.55,53.8,2021-01-01 10:00,a\n"
        "2,-1.55,53.8,2021-01-01T11:00:00Z,a\n"
        "3,-1.55,53.8,2021-01-01T12:00:00+02:00,a\n"
        "4,-1.55,53.8,2021-01-02,a\n"
    )
    events, report = load_events(path)
    assert report.kept == 4
    expected = [dt.datetime(2021, 1, 1, 10), dt.datetime(2021, 1, 1, 11), dt.datetime(2021, 1, 1, 12), dt.datetime(2021, 1, 2)]
    assert events.t.tolist() == pytest.approx([days_since_epoch(e) for e in expected])
