"""Pages speak the reader's language: no raw codes, money as money, Beijing times, rounded readings, true legends."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import wait_for_map

pytestmark = pytest.mark.browser
LANGS = ("zh", "en")
# Codes that must never be visible text: enum values, industry and scale codes, field names.
SNAKE = re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b")
ZH_RAW = re.compile(r"\b(open|explained|rectified|removed|none|pm25|so2|no2|o3|aqi|true|false|null|undefined)\b")
EN_RAW = re.compile(r"劣V|未整改|已说明|已整改|已撤销|超标排放|北京时间|违规|\bundefined\b|\bnull\b|\bNaN\b")


@pytest.fixture()
def record_facility(conn):
    """A facility with a removed record, a record with a status history and a penalty, and online monitoring."""
    row = conn.execute("""
        SELECT f.id FROM facilities f
        WHERE EXISTS (SELECT 1 FROM violations v WHERE v.facility_id = f.id AND v.status = 'removed')
          AND EXISTS (SELECT 1 FROM violations v WHERE v.facility_id = f.id AND v.status = 'explained'
                      AND v.penalty_cny IS NOT NULL)
          AND EXISTS (SELECT 1 FROM violations v WHERE v.facility_id = f.id AND v.source = 'online monitoring')
        ORDER BY f.id LIMIT 1""").fetchone()
    assert row, "the bundled data has a facility with removed, explained and monitored records"
    return row[0]


@pytest.fixture()
def air_station(conn):
    """The first air station (real Beijing readings)."""
    return conn.execute("SELECT id FROM stations WHERE kind = 'air' ORDER BY code LIMIT 1").fetchone()[0]


def _visible(page) -> str:
    """The page's visible text, with every <details> opened first."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    return page.evaluate("document.body.innerText")


def _open(page, url: str, ready: str | None = None) -> None:
    page.goto(url, wait_until="load")
    if ready:
        page.locator(ready).first.wait_for(timeout=20000)
    page.wait_for_load_state("networkidle")


PAGES = [
    ("/", "#layer-switcher fieldset"),
    ("/near?lon=118.18&lat=39.63&radius_m=10000", "#near-facilities li[data-facility-id]"),
    ("/carbon", "#carbon-ranking tbody tr"),
    ("/sources", None),
    ("/supply-chain", None),
    ("/search?q=%E6%B0%B4%E6%B3%A5", "#search-list li"),
    ("/facilities/999999999", None),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("path", "ready"), PAGES)
def test_no_raw_codes_on_pages(page, live_url, lang, path, ready):
    sep = "&" if "?" in path else "?"
    _open(page, f"{live_url}{path}{sep}lang={lang}", ready)
    _check_text(_visible(page), lang)


@pytest.mark.parametrize("lang", LANGS)
def test_no_raw_codes_on_facility_and_station_pages(page, live_url, lang, record_facility, air_station):
    _open(page, f"{live_url}/facilities/{record_facility}?lang={lang}", "#violations")
    _check_text(_visible(page), lang)
    _open(page, f"{live_url}/stations/{air_station}?lang={lang}", "#st-table tbody tr")
    _check_text(_visible(page), lang)


def _check_text(text: str, lang: str) -> None:
    """No code in the visible text; on Chinese pages no English enum word, on English pages no Chinese one."""
    assert not SNAKE.findall(text), SNAKE.findall(text)[:10]
    if lang == "zh":  # the interpolation method of the PM2.5 surface (English in the raster's metadata)
        assert "Inverse distance" not in text
    raw = (ZH_RAW if lang == "zh" else EN_RAW).findall(text) + re.findall(r"\b(?:facility|station) \d+", text)
    assert not raw, raw[:10]


@pytest.mark.parametrize("lang", LANGS)
def test_facility_page_money_times_and_removed_records(page, live_url, conn, lang, record_facility):
    _open(page, f"{live_url}/facilities/{record_facility}?lang={lang}", "#violations")
    rows = page.locator("#violations tbody tr")
    statuses = rows.evaluate_all("els => els.map(e => e.dataset.status)")
    total, removed = conn.execute("""SELECT count(*), count(*) FILTER (WHERE status = 'removed') FROM violations
                                     WHERE facility_id = %s""", (record_facility,)).fetchone()
    assert removed > 0
    # Removed records (after a third-party audit) are not listed to the public, only counted beside the others.
    assert len(statuses) == total - removed and "removed" not in statuses
    count = page.locator("#violation-count")
    assert int(count.get_attribute("data-count")) == total - removed
    assert int(count.get_attribute("data-removed")) == removed
    assert str(total - removed) in count.inner_text() and str(removed) in count.inner_text()
    assert page.locator("#violations tr.removed-row").count() == 0
    # Money as money.
    money = [m for m in page.locator("#violations td.money").all_inner_texts() if m != "—"]
    assert money and all(re.fullmatch(r"¥\d{1,3}(,\d{3})*(\.\d{2})?", m) for m in money), money[:5]
    # Status history in words and Beijing time, labelled.
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    history = page.locator("#violations ol.history li").all_inner_texts()
    assert history
    words = ("未整改", "已说明") if lang == "zh" else ("Open", "Explained")
    assert any(all(w in h for w in words) for h in history), history[:3]
    label = "北京时间" if lang == "zh" else "Beijing time"
    assert all(label in h and re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", h) for h in history)
    changed = conn.execute("""SELECT to_char(min(changed_at) AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI')
                              FROM violation_status_history h JOIN violations v ON v.id = h.violation_id
                              WHERE v.facility_id = %s AND v.status <> 'removed'""",
                           (record_facility,)).fetchone()[0]
    assert any(changed in h for h in history)
    if lang == "en":  # categories and the monitoring authority in English
        text = page.locator("#violations").inner_text()
        assert "Air emissions over limit" in text or "Water discharges over limit" in text
        assert "超标排放" not in text and "污染源自动监控系统" not in text


@pytest.mark.parametrize("lang", LANGS)
def test_station_table_rounded_and_as_written(page, live_url, lang, air_station):
    _open(page, f"{live_url}/stations/{air_station}?lang={lang}", "#st-table tbody tr")
    heads = page.locator("#st-table thead th")
    fields = heads.evaluate_all("els => els.map(e => e.dataset.field)")
    html = dict(zip(fields, heads.evaluate_all("els => els.map(e => e.innerHTML)"), strict=True))
    assert html["so2"].startswith("SO<sub>2</sub>") and html["no2"].startswith("NO<sub>2</sub>")
    assert html["pm25"].startswith("PM2.5") and html["o3_8h_max"].startswith("O<sub>3</sub>")
    texts = dict(zip(fields, heads.all_inner_texts(), strict=True))
    assert texts["day"] == ("日期" if lang == "zh" else "Date")
    assert texts["primary_pollutants"] == ("首要污染物" if lang == "zh" else "Primary pollutant")
    cells = page.locator("#st-table tbody tr").first.locator("td").all_inner_texts()
    row = dict(zip(fields, cells, strict=True))
    for k in ("pm25", "pm10", "so2", "no2", "o3_8h_max"):
        assert re.fullmatch(r"[\d,]+(\.\d)?|—", row[k]), (k, row[k])
    assert re.fullmatch(r"\d+(\.\d{1,2})?|—", row["co"]), row["co"]
    assert not re.search(r"pm25|o3|\[", row["primary_pollutants"])
    # The hourly table is in Beijing time and says so.
    page.select_option("#st-interval", "hour")
    page.wait_for_function("() => window.bluemap.series.interval === 'hour'", timeout=15000)
    first = page.evaluate("window.bluemap.series.rows[window.bluemap.series.rows.length - 1][0]")
    head = page.locator("#st-table thead th").first.inner_text()
    assert ("北京时间" if lang == "zh" else "Beijing time") in head
    assert page.locator("#st-table tbody tr").first.locator("td").first.inner_text() == \
        first[:10] + " " + first[11:16]  # the API gives +08:00 times


@pytest.mark.parametrize("lang", LANGS)
def test_cluster_colours_are_in_the_legend(page, live_url, lang):
    _open(page, f"{live_url}/?lang={lang}", "#layer-switcher fieldset")
    wait_for_map(page)
    paint = page.evaluate("window.bluemap.map.getPaintProperty('factories-clusters', 'circle-color')")
    drawn = {x.lower() for x in re.findall(r"#[0-9a-fA-F]{6}", str(paint))}
    assert len(drawn) >= 2
    swatches = page.locator("fieldset[data-layer=factories] .swatch").evaluate_all(
        "els => els.map(e => e.getAttribute('style') || '')")
    shown = {x.lower() for s in swatches for x in re.findall(r"#[0-9a-fA-F]{6}", s)}
    assert drawn <= shown, (drawn, shown)
    # The water legend names every class in the page's language.
    water = page.locator("fieldset[data-layer=water_stations] .legend").inner_text()
    assert ("劣V" in water) == (lang == "zh")


@pytest.mark.parametrize("lang", LANGS)
def test_carbon_trend_from_zero_and_metrics_without_data(page, live_url, lang):
    _open(page, f"{live_url}/carbon?lang={lang}", "#carbon-ranking tbody tr")
    page.wait_for_function("() => window.bluemap.carbonTrend")
    assert page.evaluate("window.bluemap.carbonTrend.scales.y.min") == 0
    label = "排放总量（百万吨）" if lang == "zh" else "Total CO2 (Mt)"
    assert page.evaluate("window.bluemap.carbonTrend.axes[1].label") == label
    legend = page.locator("#carbon-trend .u-legend").inner_text()
    assert ("年份" if lang == "zh" else "Year") in legend and "Value" not in legend
    none = "该年份没有这项指标的数据" if lang == "zh" else "No data for this metric in this year"
    page.select_option("#carbon-metric", "co2_per_10k_cny")
    page.wait_for_function("() => window.bluemap.carbon.metric === 'co2_per_10k_cny'")
    if page.evaluate("window.bluemap.carbon.areas.some((a) => a.value != null)"):  # data has come since
        assert page.locator("#carbon-legend .no-data").count() == 0
        return
    # Where no open figure exists for the metric the page says so in words (the API's note when it has one).
    note = page.evaluate(f"(window.bluemap.carbon.note || {{}})['{lang}'] || null")
    none = note or none
    page.locator("#carbon-legend .no-data").wait_for(timeout=10000)
    assert none in page.locator("#carbon-legend").inner_text()
    page.locator("#carbon-trend .no-data").wait_for(timeout=10000)
    assert none in page.locator("#carbon-trend").inner_text()
    values = page.locator("#carbon-ranking tbody td.num").all_inner_texts()
    assert values and set(values) == {note or ("无数据" if lang == "zh" else "no data")}
