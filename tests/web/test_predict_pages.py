"""The analysts' prediction pages: forecast map, tension indicators, patrol plan.

Served over a small synthetic EVENTS.csv (named by WATCHHOUSE_PREDICT_EVENTS, as a force would
name its own); figures on the pages are checked against the services called directly.
"""

from __future__ import annotations

import os
import re
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from watchhouse.predict import pages
from watchhouse.predict.synthetic import DEFAULT_CATEGORY_MIX, SyntheticCity, generate, write_events_csv
from watchhouse.store import get_engine, upgrade
from watchhouse.users import add_user, open_session
from watchhouse.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
SCREENS = Path("/tmp/screens")
PLAN = {"hours_per_shift": "8", "officers": "6", "visit_minutes": "15", "min_visits": "1"}


@pytest.fixture(scope="module")
def setting(tmp_path_factory):
    """Environment for the pages: a small events file with patrol-found offences, a private cache."""
    folder = tmp_path_factory.mktemp("predict-pages")
    city = SyntheticCity(days=400, background_per_day=12, places=300, radius_m=3000, seed=3,
                         category_mix=dict(DEFAULT_CATEGORY_MIX, drugs=0.05, **{"possession-of-weapons": 0.01}))
    events_path = folder / "events.csv"
    write_events_csv(generate(city).events, events_path)
    return {"WATCHHOUSE_PREDICT_EVENTS": str(events_path), "WATCHHOUSE_PREDICT_CACHE": str(folder / "cache"),
            "WATCHHOUSE_COOKIE_SECURE": "0", "WATCHHOUSE_TILE_URL": ""}


@pytest.fixture(scope="module")
def environment(setting):
    saved = {name: os.environ.get(name) for name in setting}
    os.environ.update(setting)
    yield setting
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="module")
def database(environment, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('predict-db') / 'watchhouse.db'}"
    engine = get_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        user = add_user(connection, "ana", role="intelligence-analyst", clearance="OFFICIAL",
                        password="correct horse battery")
        session_id, _ = open_session(connection, user)
    return url, session_id


@pytest.fixture(scope="module")
def client(database):
    url, session_id = database
    signed_in = TestClient(create_app(url), follow_redirects=False)
    signed_in.cookies.set("watchhouse_session", session_id)
    return signed_in


def _text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_pages_need_sign_in(database):
    anonymous = TestClient(create_app(database[0]), follow_redirects=False)
    for path in ("/predict", "/predict/tension", "/predict/patrols", "/predict/map/forecast.geojson"):
        response = anonymous.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path


def test_forecast_page_shows_the_services_hotspots_and_says_what_it_trains_on(client):
    response = client.get("/predict", params={"top": 2})
    assert response.status_code == 200
    text = _text(response.text)
    forecast = pages.page_forecast(pages.ForecastRequest())
    top = forecast.top_per_neighbourhood(2)
    assert len(top) >= 5
    rows = re.findall(r"<td>(\d+)</td><td class=\"num\">([\d.]+)</td><td class=\"num\">(\d+)</td>", response.text)
    expected_rows = [(h.cell_id, f"{h.expected:.2f}", str(h.rank)) for hotspots in top.values() for h in hotspots]
    assert rows == expected_rows
    assert f"{forecast.expected_total:,.0f} crimes expected" in text
    assert "Trained on reported offences only" in text and "drugs (" in text and "possession-of-weapons (" in text
    assert "events.csv" in text and "Synthetic data" not in text
    assert forecast.forecast.details.get("reported_only") is True
    # Reported-only training really left them out: no drug event is among the history counted.
    data = pages.prediction_data()
    assert forecast.forecast.history_events == sum(
        1 for c in data.events.category if c not in data.proactive_left_out)


def test_ranking_by_harm_uses_the_harm_weighted_forecast(client):
    from watchhouse.predict import forecast_grid

    response = client.get("/predict", params={"rank": "harm", "top": 1})
    assert response.status_code == 200 and "Expected harm (crime-harm days)" in _text(response.text)
    data = pages.prediction_data()
    direct = forecast_grid(data.events, data.as_of, 7, reported_only=True, weight_by_harm=True)
    page_forecast = pages.page_forecast(pages.ForecastRequest(by_harm=True))
    assert page_forecast.forecast.scores.sum() == pytest.approx(direct.scores.sum())
    assert f"{direct.scores.sum():,.0f} harm (crime-harm days) expected" in _text(response.text)
    assert client.get("/predict/patrols", params={**PLAN, "rank": "harm"}).status_code == 400


def test_forecast_map_holds_the_flagged_cells_and_each_neighbourhoods_top(client):
    response = client.get("/predict/map/forecast.geojson", params={"top": 2})
    assert response.status_code == 200
    features = response.json()["features"]
    forecast = pages.page_forecast(pages.ForecastRequest())
    flagged = {int(i) for i in forecast.flagged}
    tops = {int(h.cell_id) for hotspots in forecast.top_per_neighbourhood(2).values() for h in hotspots}
    assert {f["properties"]["cell_id"] for f in features} == flagged | tops
    assert sum(f["properties"]["flagged"] for f in features) == len(flagged)
    ranks = [f["properties"]["rank"] for f in features]
    assert ranks == sorted(ranks) and ranks[0] == 1


@pytest.mark.parametrize("query, message", [
    ({"horizon_days": "0"}, "horizon_days must be between 1 and 28"),
    ({"horizon_days": "week"}, "horizon_days must be a whole number"),
    ({"cell_size": "20"}, "cell_size must be between 100 and 1000"),
    ({"method": "crystal-ball"}, "method must be one of"),
    ({"category": "piracy"}, "category 'piracy' is not in the data"),
    ({"category": "drugs"}, "drugs is found by patrolling"),
    ({"top": "99"}, "top must be between 1 and 10"),
    ({"rank": "fear"}, "rank must be crimes or harm"),
])
def test_forecast_bad_input_is_a_400_naming_the_parameter(client, query, message):
    response = client.get("/predict", params=query)
    assert response.status_code == 400 and message in _text(response.text)
    assert client.get("/predict/map/forecast.geojson", params=query).status_code == 400


def test_tension_page_matches_the_report(client):
    response = client.get("/predict/tension", params={"alpha": "0.05"})
    assert response.status_code == 200
    report = pages.page_tension("week", 0.05)
    text = _text(response.text)
    flagged = sum(i.flagged for i in report.indicators)
    assert re.search(rf'id="flagged-count">{flagged}<', response.text)
    assert f"rises flagged of {len(report.indicators)} indicators" in text
    assert f"{report.history_false_alarms.alarms:,} alarms in {report.history_false_alarms.tests:,} past tests" in text
    assert response.text.count('<tr class="is-flagged">') == flagged
    assert report.indicators[0].test in text


@pytest.mark.parametrize("query, message", [
    ({"period": "fortnight"}, "period must be week or month"),
    ({"alpha": "0.5"}, "alpha must be between"),
    ({"alpha": "nan"}, "alpha must be between"),
])
def test_tension_bad_input(client, query, message):
    response = client.get("/predict/tension", params=query)
    assert response.status_code == 400 and message in _text(response.text)


def test_patrol_form_then_plan_matches_the_planner(client):
    form = client.get("/predict/patrols")
    assert form.status_code == 200 and 'id="plan-form"' in form.text and 'id="harm-optimal"' not in form.text
    response = client.get("/predict/patrols", params=PLAN)
    assert response.status_code == 200
    assert 'name="hours_per_shift" type="number" min="1" max="12" step="0.5" value="8"' in response.text
    result = pages.page_patrol_plan(pages.ForecastRequest(), 8.0, 6, visit_minutes=15.0,
                                    min_visits_per_neighbourhood=1, max_visits_per_hotspot=None)
    plan = result.plan
    assert f'id="harm-optimal">{plan.optimal.expected_harm_prevented:,.0f}<' in response.text
    assert f'id="harm-naive">{plan.naive.expected_harm_prevented:,.0f}<' in response.text
    assert plan.optimal.expected_harm_prevented >= plan.naive.expected_harm_prevented
    text = _text(response.text)
    assert f"{plan.optimal.visits_total} visits" in text
    assert all(visits >= 1 for visits in plan.optimal.visits_by_neighbourhood.values())
    fairness_rows = re.findall(r"<tr><td>(cluster-\d+)</td><td class=\"num\">([\d.]+)%", response.text)
    assert {name for name, _ in fairness_rows} == {d.district for d in result.fairness.districts}
    collection = client.get("/predict/map/patrols.geojson", params=PLAN).json()
    assert sum(f["properties"]["visits"] for f in collection["features"]) == plan.optimal.visits_total


@pytest.mark.parametrize("query, message", [
    ({**PLAN, "officers": "0"}, "officers must be between 1 and 200"),
    ({**PLAN, "hours_per_shift": "30"}, "hours_per_shift must be between 1 and 12"),
    ({**PLAN, "visit_minutes": "abc"}, "visit_minutes must be a number"),
    ({**PLAN, "max_visits": "0"}, "max_visits must be between 1 and 20"),
    ({**PLAN, "officers": "1", "min_visits": "20"}, "No plan meets these settings: minimum cover needs"),
])
def test_patrol_bad_input(client, query, message):
    response = client.get("/predict/patrols", params=query)
    assert response.status_code == 400 and message in _text(response.text)


def test_a_missing_events_file_is_named_not_a_crash(client, monkeypatch, tmp_path):
    monkeypatch.setenv("WATCHHOUSE_PREDICT_EVENTS", str(tmp_path / "gone.csv"))
    response = client.get("/predict")
    assert response.status_code == 503 and "WATCHHOUSE_PREDICT_EVENTS" in _text(response.text)
    assert "gone.csv: no such events file" in _text(response.text)


def test_without_an_events_file_the_page_says_the_data_is_synthetic(monkeypatch):
    monkeypatch.delenv("WATCHHOUSE_PREDICT_EVENTS")
    data = pages.prediction_data()
    assert data.synthetic and "no real crime" in data.description
    assert set(data.proactive_left_out) == {"drugs", "possession-of-weapons"}


def test_neighbourhoods_are_the_same_on_every_page(client):
    areas = client.get("/predict/map/neighbourhoods.geojson").json()
    names = {f["properties"]["name"] for f in areas["features"]}
    forecast = pages.page_forecast(pages.ForecastRequest())
    report = pages.page_tension("week", 0.01)
    assert set(forecast.top_per_neighbourhood(1)) <= names
    assert {i.area for i in report.indicators} <= names
    assert sum(n is None for n in forecast.neighbourhood) == 0  # the polygons cover the study area


def test_tension_tests_the_last_complete_week():
    import datetime as dt

    class Data:
        as_of = dt.datetime(2021, 1, 7)  # a Thursday: the data's last day is Wednesday the 6th
    assert pages.tension_as_of(Data, "week") == dt.date(2021, 1, 4)
    assert pages.tension_as_of(Data, "month") == dt.date(2021, 1, 1)
    Data.as_of = dt.datetime(2021, 1, 4)  # a Monday: the week to Sunday the 3rd is complete
    assert pages.tension_as_of(Data, "week") == dt.date(2021, 1, 4)


# --- in headless Chromium ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(database, environment, tmp_path_factory, uvicorn_server):
    log_path = tmp_path_factory.mktemp("predict-server") / "uvicorn.log"
    with uvicorn_server({**environment, "WATCHHOUSE_DATABASE_URL": database[0]}, log_path) as url:
        yield url


@pytest.fixture
def page(server, database):
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not at /usr/bin/chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    SCREENS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
        context.add_cookies([{"name": "watchhouse_session", "value": database[1], "url": server}])
        opened = context.new_page()
        problems: list[str] = []
        opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        opened.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
        opened.problems = problems
        yield opened
        browser.close()


@pytest.mark.browser
def test_forecast_map_shows_hotspot_cells(page):
    page.goto("/predict", timeout=120_000)
    page.wait_for_selector("#predict-map[data-ready='true']", timeout=60_000)
    cells = page.locator("path.predict-cell").count()
    assert cells == int(page.get_attribute("#predict-map", "data-shown")) and cells > 10
    assert page.locator(".predict-area-label").count() >= 5  # neighbourhood names drawn
    page.locator("path.predict-cell").first.hover()
    assert "crimes expected" in page.locator(".leaflet-tooltip").last.text_content()
    page.screenshot(path=str(SCREENS / "predict-forecast.png"), full_page=True)
    assert page.problems == []


@pytest.mark.browser
def test_patrol_form_produces_a_plan_on_the_map(page):
    page.goto("/predict/patrols", timeout=60_000)
    page.fill("#officers", "6")
    page.fill("#hours_per_shift", "8")
    page.click("#plan-form button[type=submit]")
    page.wait_for_selector("#predict-map[data-ready='true']", timeout=120_000)
    assert page.locator("path.predict-visit").count() > 0
    optimal = float(page.text_content("#harm-optimal").replace(",", ""))
    naive = float(page.text_content("#harm-naive").replace(",", ""))
    assert optimal >= naive > 0
    page.screenshot(path=str(SCREENS / "predict-patrols.png"), full_page=True)
    page.goto("/predict/tension", timeout=120_000)
    assert page.locator("#tension-table tbody tr").count() > 10
    page.screenshot(path=str(SCREENS / "predict-tension.png"), full_page=True)
    assert page.problems == []
