"""The public crime map pages and their data, against the real West Yorkshire sample.

Every expected figure is computed here with its own SQL over the stored crimes and areas, not
through the functions under test.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import sqlalchemy as sa

from watchhouse.publish import figures
from watchhouse.web.routes.crime_map import trend_chart

MONTH, EARLIER = "2018-07", "2017-07"


def _scalar(engine, sql: str, **params):
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


def _rows(engine, sql: str, **params):
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).all()


def _busiest_neighbourhood(engine, month: str = MONTH) -> str:
    return _scalar(
        engine,
        "SELECT l.parent_code FROM crimes c JOIN areas l ON l.code = c.lsoa_code AND l.level = 'lsoa' "
        "WHERE c.month = :month GROUP BY l.parent_code ORDER BY count(*) DESC, l.parent_code LIMIT 1",
        month=month,
    )


def _neighbourhood_counts(engine, code: str, month: str) -> dict[str, int]:
    return dict(
        _rows(
            engine,
            "SELECT c.category, count(*) FROM crimes c JOIN areas l ON l.code = c.lsoa_code AND l.level = 'lsoa' "
            "WHERE l.parent_code = :code AND c.month = :month GROUP BY c.category",
            code=code,
            month=month,
        )
    )


def _neighbourhood_population(engine, code: str) -> int:
    return _scalar(engine, "SELECT sum(population) FROM areas WHERE level = 'lsoa' AND parent_code = :code", code=code)


# ------------------------------------------------------------------------------------- figures


def test_neighbourhood_figures_match_the_crimes_table(map_engine):
    code = _busiest_neighbourhood(map_engine)
    now = _neighbourhood_counts(map_engine, code, MONTH)
    before = _neighbourhood_counts(map_engine, code, EARLIER)
    population = _neighbourhood_population(map_engine, code)

    result = figures.area_figures(map_engine, code, MONTH)

    assert result.area.code == code and result.month == MONTH
    assert result.year_earlier_month == EARLIER and result.year_earlier_available
    by_category = {row.category: row for row in result.categories}
    for category, count in now.items():
        assert by_category[category].count == count
        assert by_category[category].year_earlier_count == before.get(category, 0)
        assert by_category[category].change == count - before.get(category, 0)
    assert all(row.count == 0 for slug, row in by_category.items() if slug not in now)
    assert result.total.count == sum(now.values()) > 0
    assert result.total.year_earlier_count == sum(before.values())
    assert result.total.change_percent == pytest.approx((sum(now.values()) - sum(before.values())) * 100 / sum(before.values()))
    assert result.rate_per_1000 == pytest.approx(sum(now.values()) * 1000 / population)
    assert [(point.month, point.total) for point in result.trend] == [(EARLIER, sum(before.values())), (MONTH, sum(now.values()))]
    assert [area.level for area in result.path] == ["force", "district", "neighbourhood"]


def test_year_earlier_month_not_loaded_is_no_data_never_zero(map_engine):
    code = _busiest_neighbourhood(map_engine, EARLIER)
    result = figures.area_figures(map_engine, code, EARLIER)
    assert result.year_earlier_month == "2016-07" and not result.year_earlier_available
    assert result.total.year_earlier_count is None and result.total.change is None
    assert all(row.year_earlier_count is None and row.change is None for row in result.categories)
    assert result.total.count == sum(_neighbourhood_counts(map_engine, code, EARLIER).values())


@pytest.mark.parametrize("level", ["force", "district", "lsoa"])
def test_figures_at_every_level_sum_their_lsoas(map_engine, level):
    code = _scalar(map_engine, "SELECT min(code) FROM areas WHERE level = :level", level=level)
    lsoa_filter = {
        "force": "l.force_code = :code",
        "district": "l.parent_code IN (SELECT code FROM areas WHERE parent_code = :code)",
        "lsoa": "l.code = :code",
    }[level]
    expected = _scalar(
        map_engine,
        f"SELECT count(*) FROM crimes c JOIN areas l ON l.code = c.lsoa_code AND l.level = 'lsoa' "
        f"WHERE c.month = :month AND {lsoa_filter}",
        code=code,
        month=MONTH,
    )
    result = figures.area_figures(map_engine, code, MONTH)
    assert result.area.level == level
    assert result.total.count == expected > 0


def test_latest_month_is_the_default(map_engine):
    code = _busiest_neighbourhood(map_engine)
    assert figures.area_figures(map_engine, code).month == MONTH


def test_bad_month_and_code_raise_clear_errors(map_engine):
    code = _busiest_neighbourhood(map_engine)
    with pytest.raises(ValueError, match="YYYY-MM"):
        figures.area_figures(map_engine, code, "2018-7")
    with pytest.raises(figures.MonthNotAvailable, match="2015-07.*2017-07, 2018-07"):
        figures.area_figures(map_engine, code, "2015-07")
    with pytest.raises(figures.AreaNotFound, match="E99999999"):
        figures.area_figures(map_engine, "E99999999", MONTH)


# ------------------------------------------------------------------------------------- pages


def test_map_page_renders_pickers_map_and_attribution(map_client):
    response = map_client.get("/")
    assert response.status_code == 200
    html = response.text
    assert '<label for="month">Month</label>' in html and '<label for="category">Crime type</label>' in html
    assert '<option value="2018-07" selected>July 2018</option>' in html
    assert '<option value="2017-07" >July 2017</option>' in html
    assert '<option value="all-crime" selected>All crime</option>' in html
    assert '<option value="burglary" >Burglary</option>' in html
    assert 'id="crime-map"' in html and 'data-month="2018-07"' in html and 'data-tile-url=""' in html
    assert "Open Government Licence v3.0" in html
    assert '<label for="area-search-input">Find a neighbourhood</label>' in html


def test_tiles_only_when_configured(map_client, monkeypatch):
    monkeypatch.setenv("WATCHHOUSE_TILE_URL", "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png")
    html = map_client.get("/").text
    assert 'data-tile-url="https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"' in html
    assert 'data-tile-attribution="Map data © OpenStreetMap contributors"' in html


def test_pages_carry_no_inline_script(map_client):
    code = _busiest_neighbourhood(map_client.app.state.engine)
    for path in ("/", f"/?area={code}", f"/neighbourhoods/{code}", "/neighbourhoods?q=leeds", f"/map/figures/{code}"):
        html = map_client.get(path).text
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert all(" src=" in tag for tag in scripts), (path, scripts)
        assert not re.search(r"\son[a-z]+=", html), path
        assert "javascript:" not in html


def test_static_assets_are_served_with_their_licence(map_client):
    html = map_client.get("/").text
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert map_client.get(asset).status_code == 200, asset
    assert "BSD 2-Clause" in map_client.get("/static/vendor/leaflet/LICENSE").text


def test_map_page_with_an_area_renders_its_figures_without_script(map_client, map_engine):
    code = _busiest_neighbourhood(map_engine)
    html = map_client.get(f"/?month={MONTH}&area={code}").text
    total = sum(_neighbourhood_counts(map_engine, code, MONTH).values())
    assert f'data-figure="total">{total:,}<' in html
    assert 'data-area="' + code + '"' in html


def test_figures_page_shows_counts_rate_change_and_trend(map_client, map_engine):
    code = _busiest_neighbourhood(map_engine)
    now = sum(_neighbourhood_counts(map_engine, code, MONTH).values())
    before = sum(_neighbourhood_counts(map_engine, code, EARLIER).values())
    rate = now * 1000 / _neighbourhood_population(map_engine, code)
    response = map_client.get(f"/neighbourhoods/{code}?month={MONTH}")
    assert response.status_code == 200
    html = response.text
    assert f'data-figure="total">{now:,}<' in html
    assert f'data-figure="rate">{rate:,.1f}<' in html
    change = now - before
    shown_change = f"+{change:,}" if change > 0 else f"{change:,}".replace("-", "\u2212")
    assert f'data-figure="change">{shown_change}' in html
    assert "<svg" in html and "July 2017: " + f"{before:,}" in html and "approximate boundary" in html
    assert f'href="/neighbourhoods/{code}.csv?month={MONTH}"' in html


def test_figures_page_says_no_data_when_the_earlier_month_is_missing(map_client, map_engine):
    code = _busiest_neighbourhood(map_engine, EARLIER)
    html = map_client.get(f"/neighbourhoods/{code}?month={EARLIER}").text
    assert 'data-figure="change">no data<' in html
    assert "No crimes are loaded for July 2016" in html


def test_figures_panel_fragment_for_the_map(map_client, map_engine):
    code = _busiest_neighbourhood(map_engine)
    response = map_client.get(f"/map/figures/{code}?month={MONTH}")
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="figures-title"' in response.text
    name = _scalar(map_engine, "SELECT name FROM areas WHERE code = :code", code=code)
    assert f">{name}</h2>" in response.text
    assert "is-chosen" not in response.text
    burglary = map_client.get(f"/map/figures/{code}?month={MONTH}&category=burglary").text
    assert re.findall(r'<tr data-category="([a-z-]+)" class="is-chosen">', burglary) == ["burglary"]


def test_neighbourhood_search_page_lists_matches_without_script(map_client, map_engine):
    name = _scalar(map_engine, "SELECT min(name) FROM areas WHERE level = 'neighbourhood' AND name LIKE 'Leeds%'")
    html = map_client.get("/neighbourhoods", params={"q": name.lower()}).text
    code = _scalar(map_engine, "SELECT code FROM areas WHERE name = :name AND level = 'neighbourhood'", name=name)
    assert f'href="/neighbourhoods/{code}?month={MONTH}"' in html
    nothing = map_client.get("/neighbourhoods", params={"q": "zzzz-nowhere"}).text
    assert "No district or neighbourhood name contains" in nothing
    everything = map_client.get("/neighbourhoods").text
    assert everything.count('class="area-list__item area-list__item--neighbourhood"') == _scalar(
        map_engine, "SELECT count(*) FROM areas WHERE level = 'neighbourhood'"
    )


# ------------------------------------------------------------------------------------- CSV


def test_csv_for_one_month_matches_the_crimes_table(map_client, map_engine):
    code = _busiest_neighbourhood(map_engine)
    now = _neighbourhood_counts(map_engine, code, MONTH)
    before = _neighbourhood_counts(map_engine, code, EARLIER)
    response = map_client.get(f"/neighbourhoods/{code}.csv?month={MONTH}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f'filename="watchhouse-{code}-{MONTH}.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(figures.CSV_COLUMNS)
    by_category = {row["category"]: row for row in rows}
    assert by_category["all-crime"]["count"] == str(sum(now.values()))
    assert by_category["all-crime"]["year_earlier_count"] == str(sum(before.values()))
    for category, count in now.items():
        row = by_category[category]
        assert (row["month"], row["count"], row["area_code"]) == (MONTH, str(count), code)
        assert row["change"] == str(count - before.get(category, 0))
    population = _neighbourhood_population(map_engine, code)
    assert float(by_category["all-crime"]["rate_per_1000"]) == pytest.approx(sum(now.values()) * 1000 / population, abs=0.005)


def test_csv_of_every_month_leaves_missing_comparisons_empty(map_client, map_engine):
    code = _busiest_neighbourhood(map_engine)
    rows = list(csv.DictReader(io.StringIO(map_client.get(f"/neighbourhoods/{code}.csv").text)))
    assert sorted({row["month"] for row in rows}) == [EARLIER, MONTH]
    earlier_rows = [row for row in rows if row["month"] == EARLIER]
    assert earlier_rows and all(row["year_earlier_count"] == "" and row["change"] == "" for row in earlier_rows)
    total = next(row for row in earlier_rows if row["category"] == "all-crime")
    assert total["count"] == str(sum(_neighbourhood_counts(map_engine, code, EARLIER).values()))


# ------------------------------------------------------------------------------------- map data


def test_points_grouped_on_a_grid_add_up_to_the_located_crimes(map_client, map_engine):
    west, south, east, north = -1.60, 53.76, -1.50, 53.83
    expected = _scalar(
        map_engine,
        "SELECT count(*) FROM crimes WHERE month = :month AND latitude BETWEEN :s AND :n AND longitude BETWEEN :w AND :e",
        month=MONTH, s=south, n=north, w=west, e=east,
    )
    body = map_client.get(
        "/map/points", params={"month": MONTH, "zoom": 12, "bbox": f"{west},{south},{east},{north}"}
    ).json()
    assert body["grouping"] == "grid" and body["month"] == MONTH
    assert sum(point[2] for point in body["points"]) == body["total"] == expected > 1000
    assert len(body["points"]) < expected / 5  # grouping is what keeps the map fast
    assert all(south <= lat <= north and west <= lng <= east for lat, lng, _count in body["points"])
    unlocated = _scalar(map_engine, "SELECT count(*) FROM crimes WHERE month = :month AND latitude IS NULL", month=MONTH)
    assert body["unlocated"] == unlocated > 0


def test_points_by_map_point_at_street_zoom_with_category(map_client, map_engine):
    west, south, east, north = -1.56, 53.79, -1.53, 53.81
    expected = _rows(
        map_engine,
        "SELECT latitude, longitude, count(*) FROM crimes WHERE month = :month AND category = 'burglary' "
        "AND latitude BETWEEN :s AND :n AND longitude BETWEEN :w AND :e GROUP BY latitude, longitude",
        month=MONTH, s=south, n=north, w=west, e=east,
    )
    body = map_client.get(
        "/map/points",
        params={"month": MONTH, "category": "burglary", "zoom": 16, "bbox": f"{west},{south},{east},{north}"},
    ).json()
    assert body["grouping"] == "map-point"
    assert sorted((lat, lng, n) for lat, lng, n, _name, _categories in body["points"]) == sorted(
        (round(lat, 6), round(lng, 6), n) for lat, lng, n in expected
    )
    assert all(categories == {"burglary": n} and name.startswith("On or near") for _lat, _lng, n, name, categories in body["points"])


def test_points_answer_304_while_the_data_is_unchanged(map_client):
    first = map_client.get("/map/points", params={"month": MONTH, "zoom": 9})
    again = map_client.get("/map/points", params={"month": MONTH, "zoom": 9}, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304


def test_boundaries_are_geojson_marked_approximate(map_client, map_engine):
    response = map_client.get("/map/boundaries")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/geo+json")
    collection = json.loads(response.text)
    neighbourhoods = [f for f in collection["features"] if f["properties"]["level"] == "neighbourhood"]
    assert len(neighbourhoods) == _scalar(map_engine, "SELECT count(*) FROM areas WHERE level = 'neighbourhood'")
    assert all(f["properties"]["approximate"] is True for f in neighbourhoods)
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in neighbourhoods)
    cached = map_client.get("/map/boundaries", headers={"If-None-Match": response.headers["etag"]})
    assert cached.status_code == 304
    plain = map_client.get("/map/boundaries", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and json.loads(plain.text) == collection
    assert response.headers["content-encoding"] == "gzip"  # httpx asks for gzip and decodes it


# ------------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/?month=2018-13", 400, "month must be YYYY-MM"),
        ("/?month=2015-07", 404, "no crimes are loaded for 2015-07"),
        ("/?category=knife-crime", 400, "unknown category &#39;knife-crime&#39;"),
        ("/?force=atlantis", 404, "no force has id &#39;atlantis&#39;"),
        ("/?area=E99999999", 404, "E99999999"),
        ("/neighbourhoods/E99999999", 404, "no neighbourhood or other area has code &#39;E99999999&#39;"),
        ("/neighbourhoods/{code}?month=July", 400, "month must be YYYY-MM"),
    ],
)
def test_bad_page_input_gets_a_status_and_a_message(map_client, map_engine, path, status, message):
    response = map_client.get(path.format(code=_busiest_neighbourhood(map_engine)))
    assert response.status_code == status
    assert message in response.text and 'role="alert"' in response.text


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/map/points?month=201807", 400, "month must be YYYY-MM"),
        ("/map/points?category=nope", 400, "unknown category 'nope'"),
        ("/map/points?bbox=1,2,3", 400, "bbox must be west,south,east,north"),
        ("/map/points?bbox=-1,54,-2,53", 400, "south <= north"),
        ("/map/figures/E99999999", 404, "E99999999"),
        ("/map/figures/west-yorkshire?category=nope", 400, "unknown category 'nope'"),
        ("/map/boundaries?force=atlantis", 404, "no force has id 'atlantis'"),
    ],
)
def test_bad_map_data_input_gets_json_with_a_message(map_client, path, status, message):
    response = map_client.get(path)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_bad_csv_input_gets_plain_text(map_client, map_engine):
    code = _busiest_neighbourhood(map_engine)
    response = map_client.get(f"/neighbourhoods/{code}.csv?month=2018-99")
    assert response.status_code == 400 and "month must be YYYY-MM" in response.text
    assert map_client.get("/neighbourhoods/E99999999.csv").status_code == 404


# ------------------------------------------------------------------------------------- chart


def test_trend_chart_puts_months_on_a_time_axis_and_dashes_gaps():
    trend = [figures.MonthTotal("2017-07", 10), figures.MonthTotal("2017-08", 20), figures.MonthTotal("2018-07", 40)]
    chart = trend_chart(trend)
    xs = [point["x"] for point in chart["points"]]
    # A month apart is an eleventh of eleven months apart.
    assert (xs[1] - xs[0]) * 11 == pytest.approx(xs[2] - xs[1], abs=1.5)  # coordinates keep one decimal
    assert [segment["gap"] for segment in chart["segments"]] == [False, True] and chart["has_gaps"]
    ys = [point["y"] for point in chart["points"]]
    assert ys[0] > ys[1] > ys[2]  # SVG y grows downwards
    assert chart["y_ticks"][0]["value"] == 0 and chart["y_ticks"][-1]["value"] >= 40
