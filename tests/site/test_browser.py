"""The site in a real browser: Debian's chromium, headless, driven by Selenium through chromedriver.

Skipped with a message where chromium is missing, unless CI=true (there `.ci/run` installs it and a
missing browser is a failure). A screenshot of a chapter page is kept in `_build/artifacts/`.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml

from booktools.paths import BUILD, ROOT, chapter_files


CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture(scope="module")
def browser():
    if not (CHROMIUM and DRIVER):
        if os.environ.get("CI") == "true":
            pytest.fail("chromium and chromedriver must be installed in CI (.ci/run installs them)")
        pytest.skip("browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="mlbook-chromium-")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1600", f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def wait_for(driver, script: str, timeout: float = 20.0):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, poll_frequency=0.25).until(lambda d: d.execute_script(script))


@pytest.fixture(scope="module")
def chapter(browser, site_url):
    doc = next(d for d in chapter_files() if not d.endswith("00-introduction"))
    browser.get(f"{site_url}/{doc}.html")
    wait_for(browser, "return document.querySelectorAll('mjx-container').length > 0")
    return doc


def test_math_is_typeset(browser, chapter):
    count = browser.execute_script("return document.querySelectorAll('mjx-container').length")
    assert count > 5, f"only {count} typeset formulas"
    text = browser.execute_script("return document.querySelector('main').innerText")
    assert "$$" not in text and "\\begin{" not in text


def test_figures_load(browser, chapter):
    images = browser.execute_script(
        "return [...document.querySelectorAll('main img')].map(i => [i.src, i.complete, i.naturalWidth])")
    assert images, "no figures on the page"
    broken = [src for src, complete, width in images if not (complete and width > 0)]
    assert not broken, broken


def test_colab_link(browser, chapter):
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].removeprefix("https://github.com/")
    href = browser.execute_script("return document.querySelector('a.mlbook-colab').href")
    assert href == f"https://colab.research.google.com/github/{repo}/blob/notebooks/{Path(chapter).name}.ipynb"


def test_screenshot_is_kept(browser, chapter):
    out = BUILD / "artifacts"
    out.mkdir(parents=True, exist_ok=True)
    shot = out / "chapter-page.png"
    browser.execute_script("document.querySelector('mjx-container').scrollIntoView({block: 'center'})")
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 20_000


def test_dark_mode_toggles(browser, chapter):
    before = browser.execute_script("return document.documentElement.dataset.theme")
    themes = set()
    for _ in range(3):  # the theme button cycles light -> dark -> auto
        browser.execute_script("document.querySelector('.theme-switch-button').click()")
        themes.add(browser.execute_script("return document.documentElement.dataset.theme"))
    assert "dark" in themes and before in ("light", "dark", "auto", None)
    background = browser.execute_script(
        "document.documentElement.dataset.theme = 'dark';"
        "return getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(255, 255, 255)", background


def test_search_finds_a_chapter(browser, site_url):
    doc = next(d for d in chapter_files() if not d.endswith("00-introduction"))
    word = {"regression": "persistence", "classification": "logistic", "cnn": "convolution"}.get(
        Path(doc).name.split("-", 1)[1], "gradient")
    browser.get(f"{site_url}/search.html?q={word}")
    wait_for(browser, "return document.querySelectorAll('#search-results li').length > 0", timeout=30)
    links = browser.execute_script("return [...document.querySelectorAll('#search-results li a')].map(a => a.href)")
    assert any(f"{Path(doc).name}.html" in href for href in links), links[:10]
