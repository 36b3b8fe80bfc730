"""The zoo site's two pictures in the README and docs/zoo-site.md, taken again from the shelf as installed:
``python -m ganzoo.web.screenshots docs/images`` writes zoo-site-index.png (the index) and zoo-site-entry.png
(an entry page, digit 7 asked of the conditional entry whose labels are followed best). Needs what the site's
browser tests need (ganzoo.web.headless)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

SIZE = (1000, 857)  # the browser window (the pictures are its viewport: a little shorter)


def take(folder: Path, digit: int = 7) -> list[Path]:
    from selenium.webdriver.support.ui import Select

    from ganzoo.web.headless import missing, open_entry, start_chromium, wait_for_next_grid
    from ganzoo.web.server import serve_in_thread
    from ganzoo.web.site import build_site
    from ganzoo.zoo.shelf import best_conditional, shelf
    if missing():
        raise SystemExit(f"error: {missing()}")
    entry = best_conditional(shelf())
    if entry is None:
        raise SystemExit("error: no conditional entry on the shelf: install the plugins (see .ci/run)")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        url, stop = serve_in_thread(build_site(Path(scratch) / "site").folder)
        driver = start_chromium(*SIZE)
        try:
            driver.get(url + "/")
            driver.save_screenshot(str(folder / "zoo-site-index.png"))
            open_entry(driver, f"{url}/entries/{entry.name}/")
            before = driver.execute_script("return window.ganzooPage.renders")
            Select(driver.find_element("id", "label")).select_by_value(str(digit))
            wait_for_next_grid(driver, before)
            driver.save_screenshot(str(folder / "zoo-site-entry.png"))
        finally:
            driver.quit()
            stop()
    print(f"{folder / 'zoo-site-index.png'}, {folder / 'zoo-site-entry.png'} (digit {digit} asked of {entry.name})")
    return [folder / "zoo-site-index.png", folder / "zoo-site-entry.png"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--digit", type=int, default=7)
    options = parser.parse_args(argv)
    take(options.folder, options.digit)


if __name__ == "__main__":
    main()
