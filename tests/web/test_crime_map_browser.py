"""The crime map in real headless Chromium (Debian's package, driven by Playwright).

The server is uvicorn on a free port over the session's sample database; expected figures
come from SQL over that database.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from watchhouse.store import get_engine

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
MONTH = "2018-07"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not at /usr/bin/chromium: apt-get install chromium"
    ),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser, map_server):
    context = browser.new_context(viewport={"width": 1280, "height": 860}, base_url=map_server)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on("console", lambda message: message.type == "error" and problems.append(f"console: {message.text}"))
    opened.problems = problems
    yield opened
    context.close()


@pytest.fixture(scope="module")
def sample_engine(map_sqlite_url):
    return get_engine(map_sqlite_url)


def _scalar(engine, sql: str, **params):
    with engine.connect() as connection:
        return connection.execute(sa.text(sql), params).scalar()


def _neighbourhood_total(engine, code: str) -> int:
    return _scalar(
        engine,
        "SELECT count(*) FROM crimes c JOIN areas l ON l.code = c.lsoa_code AND l.level = 'lsoa' "
        "WHERE l.parent_code = :code AND c.month = :month",
        code=code,
        month=MONTH,
    )


def _open_map(page, path: str = "/"):
    from playwright.sync_api import expect

    page.goto(path)
    page.wait_for_selector("#crime-map[data-ready=true][data-points-loading=false]")
    page.wait_for_selector(".crime-cluster")
    expect(page.locator("#map-status")).to_contain_text("in this view", timeout=15_000)


def _located_in_view(page, engine, category: str | None = None, month: str = MONTH) -> int:
    """Crimes inside the box the page last asked markers for, by SQL."""
    west, south, east, north = (float(v) for v in page.get_attribute("#crime-map", "data-points-bbox").split(","))
    return _scalar(
        engine,
        "SELECT count(*) FROM crimes WHERE month = :month AND (:category IS NULL OR category = :category) "
        "AND latitude BETWEEN :south AND :north AND longitude BETWEEN :west AND :east",
        month=month, category=category, south=south, north=north, west=west, east=east,
    )


def _marker_total(page) -> int:
    titles = page.eval_on_selector_all(".crime-cluster", "markers => markers.map(m => m.getAttribute('title'))")
    return sum(int(title.split()[0]) for title in titles)


def test_map_loads_with_boundaries_and_crime_markers(page, sample_engine):
    _open_map(page)
    neighbourhoods = _scalar(sample_engine, "SELECT count(*) FROM areas WHERE level = 'neighbourhood'")
    assert page.locator("path[data-area-code]").count() == neighbourhoods
    assert page.locator(".crime-cluster").count() > 20
    located = _located_in_view(page, sample_engine)
    everywhere = _scalar(sample_engine, "SELECT count(*) FROM crimes WHERE month = :month AND latitude IS NOT NULL", month=MONTH)
    # The first view is the whole force: all but a stray few far-off points.
    assert _marker_total(page) == located > 0.99 * everywhere
    assert f"{located:,} crimes in July 2018" in page.locator("#map-status").text_content()
    assert page.problems == []


def test_clicking_a_neighbourhood_shows_its_figures(page, sample_engine):
    _open_map(page)
    # A real click needs a pixel where the polygon, not a marker, is on top.
    target = page.evaluate(
        """() => {
          for (const path of document.querySelectorAll('path[data-area-code]')) {
            const box = path.getBoundingClientRect();
            if (box.width < 20 || box.height < 20) continue;
            for (let fy = 0.3; fy <= 0.7; fy += 0.05) {
              for (let fx = 0.3; fx <= 0.7; fx += 0.05) {
                const x = box.left + fx * box.width, y = box.top + fy * box.height;
                if (document.elementFromPoint(x, y) === path) return {code: path.dataset.areaCode, x, y};
              }
            }
          }
          return null;
        }"""
    )
    assert target is not None, "no neighbourhood had a clickable pixel"
    page.mouse.click(target["x"], target["y"])
    name = _scalar(sample_engine, "SELECT name FROM areas WHERE code = :code", code=target["code"])
    page.wait_for_selector(f"#figures-title:has-text('{name}')")
    total = _neighbourhood_total(sample_engine, target["code"])
    assert page.locator("[data-figure=total]").text_content().strip() == f"{total:,}"
    assert page.locator(".figures-table tbody tr").count() >= 10
    assert page.locator(".trend__chart circle").count() == 2
    csv_link = page.locator(f"a[href='/neighbourhoods/{target['code']}.csv?month={MONTH}']")
    assert csv_link.count() == 1
    assert f"area={target['code']}" in page.url
    selected_stroke = page.get_attribute(f"path[data-area-code='{target['code']}']", "stroke")
    assert selected_stroke == "#b42318"
    assert page.problems == []


def test_keyboard_search_finds_and_shows_a_neighbourhood(page, sample_engine):
    _open_map(page)
    name = _scalar(sample_engine, "SELECT min(name) FROM areas WHERE level = 'neighbourhood' AND name LIKE 'Bradford%'")
    code = _scalar(sample_engine, "SELECT code FROM areas WHERE name = :name AND level = 'neighbourhood'", name=name)
    for _ in range(20):  # reach the search box by keyboard alone
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "area-search-input":
            break
    assert page.evaluate("document.activeElement.id") == "area-search-input"
    page.keyboard.type(name)
    search = page.locator("#area-search-input")
    assert search.get_attribute("aria-expanded") == "true"
    page.keyboard.press("ArrowDown")
    active = search.get_attribute("aria-activedescendant")
    assert page.get_attribute(f"#{active}", "aria-selected") == "true"
    assert page.locator(f"#{active}").text_content().startswith(name)
    page.keyboard.press("Enter")
    page.wait_for_selector(f"#figures-title:has-text('{name}')")
    assert page.evaluate("document.activeElement.id") == "figures-title"
    assert page.locator("[data-figure=total]").text_content().strip() == f"{_neighbourhood_total(sample_engine, code):,}"
    assert search.get_attribute("aria-expanded") == "false"
    assert page.problems == []


def test_changing_month_and_category_redraws_the_markers(page, sample_engine):
    from playwright.sync_api import expect

    _open_map(page)
    page.select_option("#category", "burglary")
    expect(page.locator("#map-status")).to_contain_text("burglary crimes", timeout=15_000)
    page.wait_for_selector("#crime-map[data-points-loading=false]")
    burglaries = _located_in_view(page, sample_engine, "burglary")
    assert _marker_total(page) == burglaries > 0
    page.select_option("#month", "2017-07")
    expect(page.locator("#map-status")).to_contain_text("July 2017", timeout=15_000)
    page.wait_for_selector("#crime-map[data-points-loading=false]")
    earlier = _located_in_view(page, sample_engine, "burglary", "2017-07")
    assert _marker_total(page) == earlier != burglaries
    assert re.search(r"month=2017-07&category=burglary", page.url)
    assert page.problems == []


def test_without_javascript_search_leads_to_the_figures_page(browser, map_server, sample_engine):
    context = browser.new_context(java_script_enabled=False, base_url=map_server)
    try:
        page = context.new_page()
        page.goto("/")
        assert page.locator("noscript").count() == 1
        name = _scalar(sample_engine, "SELECT min(name) FROM areas WHERE level = 'neighbourhood' AND name LIKE 'Wakefield%'")
        page.fill("#area-search-input", name)
        page.click("#area-search button[type=submit]")
        page.wait_for_url(re.compile(r"/neighbourhoods\?"))
        page.click(f"a:text-is('{name}')")
        page.wait_for_selector("h1#figures-title")
        assert page.locator("h1#figures-title").text_content() == name
        code = _scalar(sample_engine, "SELECT code FROM areas WHERE name = :name AND level = 'neighbourhood'", name=name)
        assert page.locator("[data-figure=total]").text_content().strip() == f"{_neighbourhood_total(sample_engine, code):,}"
    finally:
        context.close()
