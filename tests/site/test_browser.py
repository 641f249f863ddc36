"""The built site, as a reader sees it: headless Chromium over a loopback server.

Run by ``make site-check`` after ``make site`` (or point ``DLARCH_SITE`` at
any built ``_build/html``). Skips, saying why, where Chromium is absent;
CI installs it (Debian's ``chromium`` and ``chromium-driver``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

SITE = Path(os.environ.get("DLARCH_SITE", "_build/html"))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

pytestmark = [
    pytest.mark.skipif(not (SITE / "index.html").exists(),
                       reason=f"no built site at {SITE} (run `make site` or `make book` first)"),
    pytest.mark.skipif(not (CHROMIUM and DRIVER),
                       reason="Chromium/chromedriver not installed (apt-get install chromium chromium-driver)"),
]



def first_page(chapter: str) -> str:
    pages = sorted((SITE / "chapters" / chapter).glob("0*.html"))
    assert pages, f"no notebook pages for {chapter} in {SITE}"
    return str(pages[0].relative_to(SITE))


@pytest.fixture(scope="module")
def base_url(serve_folder):
    return serve_folder(SITE)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--window-size=1280,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def open_page(browser, url):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    WebDriverWait(browser, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")
    return browser


def wait_for_math(browser):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(lambda d: d.execute_script(
        "return document.querySelectorAll('mjx-container').length > 0"))


BROKEN_IMAGES = """return Array.from(document.images)
    .filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src);"""
FIGURES = "return document.querySelectorAll('.cell_output img').length;"


@pytest.mark.parametrize("chapter", ["00-intro", "01-neurons"])
def test_page_has_figures_and_launch_buttons(browser, base_url, chapter):
    page = open_page(browser, base_url + first_page(chapter))
    assert page.execute_script(FIGURES) > 0, f"{chapter}: no figures in the executed outputs"
    assert page.execute_script(BROKEN_IMAGES) == [], f"{chapter}: broken images"
    html = page.page_source
    assert "colab.research.google.com" in html, f"{chapter}: no Colab launch button"
    assert "mybinder.org" in html, f"{chapter}: no Binder launch button"


def test_math_renders_offline(browser, base_url):
    pages = sorted((SITE / "chapters" / "01-neurons").glob("0*.html"))
    with_math = [p for p in pages if 'class="math' in p.read_text(encoding="utf-8")]
    assert with_math, "no page of chapter 01 contains math"
    page = open_page(browser, base_url + str(with_math[0].relative_to(SITE)))
    wait_for_math(page)
    raw = page.execute_script(
        "return Array.from(document.querySelectorAll('.math')).filter("
        "e => !e.querySelector('mjx-container')).length;")
    assert raw == 0, f"{raw} formula(s) left unrendered on {with_math[0].name}"
