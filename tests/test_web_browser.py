"""The web interface in a real browser: Debian's Chromium driven by Selenium (through Debian's
chromedriver, no download), against the WSGI app served by waitress on 127.0.0.1."""

from __future__ import annotations

import time

import pytest
from helpers import T, save_hour
from webfixtures import (
    browser_available,
    chromium,
    ran,
    screenshot_not_blank,
    serve,
    write_config,
)

from pxstats.actions import graphics, web_pages, web_request
from pxstats.paths import StatsPaths
from pxstats.web import app as web_app
from pxstats.web import site

pytestmark = pytest.mark.skipif(
    not browser_available(), reason="Debian chromium and chromium-driver are not installed"
)

NOW = T("2008-01-05 14:22:00")
EVIL_GROUP = (
    '"><svg>x'  # a group name has no '/' or blank (refused at load); members hold the payload
)
EVIL_WORD = "</script><script>alert(2)</script>"


@pytest.fixture(scope="module")
def site_url(tmp_path_factory):
    root = tmp_path_factory.mktemp("browser")
    config = write_config(root, groups=f"{EVIL_GROUP} = tag1 tx a <img/src=x/onerror=alert(3)>")
    paths = StatsPaths(root)
    for hour in range(T("2008-01-04 14:00:00"), T("2008-01-05 14:00:00"), 3600):
        save_hour(paths, "a", "m1", hour, [(300 + 10, "WXB", 3, 1000, 0)])
        save_hour(paths, "b", "m1", hour, [(600 + 10, "WXB", 1, 2000, 0)])
    ran(paths, "tx", "a", ["m1", "m2"], NOW - 60)
    graphics.produce(
        paths,
        graphics.GraphicRequest(clients=("a",), machines=("m1",), end=NOW, span=24, copy=True),
    )
    web_pages.run(paths, config, web_pages.Request(now=NOW, pairs=(("en", "en"), ("fr", "en"))))
    words = site.words_file(paths, "en")
    words.parent.mkdir(parents=True, exist_ok=True)
    words.write_text(f"WXB\n{EVIL_WORD}\n")  # stored behind the validation's back
    app = web_app.App(paths, config, broker=web_request.Broker(paths, config))
    with serve(app) as url:
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def no_alert_no_console_error(driver):
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        _ = driver.switch_to.alert.text
    errors = [
        e
        for e in driver.get_log("browser")
        if e["level"] == "SEVERE" and "favicon" not in e["message"]
    ]
    assert errors == []


def wait_for(condition, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize(
    "lang, heading, day",
    [
        ("en", "Daily graphics for TX clients from MetPx.", "Sat"),
        ("fr", "Graphiques journaliers pour tous les clients(TX) de MetPx.", "Sam"),
    ],
)
def test_daily_page_and_its_png(site_url, browser, tmp_path, lang, heading, day):
    """The daily page lists the archive; following its link (a named window) shows the PNG.
    The French page (fr:en) shows French texts and links to the English files."""
    from selenium.webdriver.common.by import By

    browser.get(f"{site_url}/html_{lang}/dailyGraphs_{lang}.html")
    assert heading in browser.page_source
    links = [a for a in browser.find_elements(By.CSS_SELECTOR, "td.links a") if a.text == day]
    assert len(links) == 1
    href = links[0].get_attribute("href")
    assert href.endswith(f"/html_{lang}/archives/daily/tx/a/2008/January/05.png")
    screenshot_not_blank(browser, tmp_path / f"daily_{lang}.png")
    no_alert_no_console_error(browser)
    page = browser.current_window_handle
    links[0].click()
    wait_for(lambda: len(browser.window_handles) == 2)
    browser.switch_to.window([h for h in browser.window_handles if h != page][0])
    try:
        wait_for(lambda: browser.execute_script("return document.images.length"))
        wait_for(lambda: browser.execute_script("return document.images[0].complete"))
        width = browser.execute_script("return document.images[0].naturalWidth")
        height = browser.execute_script("return document.images[0].naturalHeight")
        assert (width, height) == (1280, 1228)
        screenshot_not_blank(browser, tmp_path / f"daily_png_{lang}.png")
    finally:
        browser.close()
        browser.switch_to.window(page)


def test_hostile_description_does_not_execute(site_url, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get(site_url + "/html_en/dailyGraphs_en.html")
    row = [
        r
        for r in browser.find_elements(By.CSS_SELECTOR, "tr")
        if r.find_elements(By.CSS_SELECTOR, "td.name") and EVIL_GROUP in r.text
    ]
    assert len(row) == 1
    row[0].find_element(By.CSS_SELECTOR, "a.describe").click()
    dialog = browser.find_element(By.ID, "description")
    wait_for(lambda: dialog.is_displayed())
    text = browser.find_element(By.ID, "description-text").text
    assert f"--Group Name : {EVIL_GROUP}" in text and "<img/src=x/onerror=alert(3)>" in text
    assert browser.find_elements(By.CSS_SELECTOR, "svg, img") == []
    screenshot_not_blank(browser, tmp_path / "description.png")
    no_alert_no_console_error(browser)


@pytest.mark.parametrize(
    "lang, showing", [("en", "Now showing image {} of 4."), ("fr", "Image {} de 4.")]
)
def test_request_form_two_clients_step_through_panels(site_url, browser, tmp_path, lang, showing):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get(f"{site_url}/scripts/cgi-bin/graphicsRequestPage.py?lang={lang}")
    # remembered words are offered; the stored hostile one is not, and nothing runs
    offered = [
        o.get_attribute("value")
        for o in browser.find_elements(By.CSS_SELECTOR, "#productWords option")
    ]
    assert offered == (["WXB"] if lang == "en" else [])
    no_alert_no_console_error(browser)
    Select(browser.find_element(By.ID, "fileType")).select_by_value("tx")
    Select(browser.find_element(By.ID, "machines")).select_by_value("m1")
    types = "latency,bytecount" if lang == "en" else "latence,nbreDeBytes"
    Select(browser.find_element(By.ID, "statsTypes")).select_by_visible_text(types)
    Select(browser.find_element(By.ID, "preDeterminedSpan")).select_by_index(1)  # daily
    browser.find_element(By.ID, "addNames").click()
    available = Select(
        wait_for(
            lambda: (
                browser.find_element(By.ID, "available")
                if browser.find_element(By.ID, "chooser").is_displayed()
                else None
            )
        )
    )
    assert [o.text for o in available.options] == [EVIL_GROUP, "a", "b"]
    available.select_by_visible_text("a")
    available.select_by_visible_text("b")
    browser.find_element(By.ID, "choose").click()
    browser.find_element(By.ID, "chooserDone").click()
    names = Select(browser.find_element(By.ID, "sourLients"))
    assert [o.text for o in names.options] == ["a", "b"]
    browser.find_element(By.ID, "generate").click()
    shown = browser.find_element(By.ID, "showing")
    wait_for(lambda: shown.text == showing.format(1))
    result = browser.find_element(By.ID, "result")
    assert "requestGraphics/" in result.value_of_css_property("background-image")
    browser.find_element(By.ID, "next").click()
    assert shown.text == showing.format(2)
    assert result.value_of_css_property("background-position") == "0px -307.5px"
    browser.find_element(By.ID, "next").click()
    browser.find_element(By.ID, "next").click()
    assert shown.text == showing.format(4)
    browser.find_element(By.ID, "previous").click()
    assert shown.text == showing.format(3)
    screenshot_not_blank(browser, tmp_path / f"request_{lang}.png")
    no_alert_no_console_error(browser)


def test_client_side_check_in_french(site_url, browser):
    """B-37: the checks work in French too (no English placeholder test)."""
    from selenium.webdriver.common.by import By

    browser.get(f"{site_url}/scripts/cgi-bin/graphicsRequestPage.py?lang=fr")
    browser.find_element(By.ID, "generate").click()
    status = browser.find_element(By.ID, "status")
    assert status.text == "Erreur. Veuillez choisir un type de fichiers."
    assert status.get_attribute("class") == "error"
