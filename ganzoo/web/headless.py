"""Headless Chromium for the zoo site's tests and benchmark: Debian's `chromium` and `chromium-driver`, driven by
selenium (the test extra). Nothing is downloaded: the driver is the one on PATH, never Selenium Manager's."""

from __future__ import annotations

import shutil


def missing() -> str | None:
    """Why no headless browser can start here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[test]')"
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        return "no headless Chromium: apt-get install chromium chromium-driver (.ci/run does)"
    return None


def start_chromium(width: int = 1100, height: int = 1400):
    """A headless Chromium that keeps the pages' console messages (``driver.get_log("browser")``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = shutil.which("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_script_timeout(120)
    return driver


def wait_for_next_grid(driver, renders_before: int) -> None:
    """Wait until the page has drawn more grids than ``renders_before``."""
    driver.execute_async_script(
        "const [before, done] = arguments; (function poll() { window.ganzooPage.renders > before ? done() : "
        "setTimeout(poll, 20); })()", renders_before)


def open_entry(driver, url: str) -> dict:
    """Load a page of the site and wait for its generator: the page's state (backend, info, error, note, renders,
    first image)."""
    driver.get(url)
    return driver.execute_async_script(
        "const done = arguments[0]; window.ganzooPage.ready.then(() => done({"
        "backend: window.ganzooPage.backend, info: window.ganzooPage.info, error: window.ganzooPage.error(), "
        "note: document.getElementById('note').textContent, renders: window.ganzooPage.renders, "
        "firstImageMs: window.ganzooPage.firstImageMs}))")
