"""The zoo site in a real browser (headless Chromium, driven by selenium): every page loads without console
errors, draws what ganzoo-sample draws, and its controls and drop zone do what they say.

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them) and ganzoo-web; skips without them."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ganzoo.web.headless import missing, open_entry, start_chromium, wait_for_next_grid
from ganzoo.zoo.shelf import best_conditional, shelf

pytest.importorskip("ganzoo_web", reason="the zoo site needs ganzoo-web: pip install -e web")
if missing():
    pytest.skip(missing(), allow_module_level=True)

from ganzoo_runtime.latents import latent_vectors  # noqa: E402
from ganzoo_runtime.model import OnnxGenerator  # noqa: E402

pytestmark = pytest.mark.xdist_group("browser")  # one browser and one server for the whole module
ENTRIES = sorted(shelf())


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    from ganzoo.web.server import serve_in_thread
    from ganzoo.web.site import build_site
    url, stop = serve_in_thread(build_site(tmp_path_factory.mktemp("zoo") / "site").folder)
    yield url
    stop()


@pytest.fixture(scope="module")
def browser():
    driver = start_chromium()
    yield driver
    driver.quit()


def console_errors(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]


def grid_images(browser, n: int, height: int, width: int, columns: int) -> np.ndarray:
    """The canvas, cut back into its n images (gray: the red channel), as uint8 [n, H, W]."""
    grid = browser.execute_script("return window.ganzooPage.gridPixels()")
    rgba = np.array(grid["rgba"], np.uint8).reshape(grid["height"], grid["width"], 4)
    return np.stack([rgba[2 + (i // columns) * (height + 2):][:height, 2 + (i % columns) * (width + 2):][:, :width, 0]
                     for i in range(n)])


def test_the_index_and_the_try_page_load_without_console_errors(browser, base_url):
    browser.get(base_url + "/")
    links = [a.get_attribute("href") for a in browser.find_elements("css selector", "article h2 a")]
    assert [link.rstrip("/").rsplit("/", 1)[-1] for link in links] == \
        [e.name for e in sorted(shelf().values(), key=lambda e: (e.fid is None, e.fid or 0, e.name))]
    browser.get(base_url + "/try.html")
    assert browser.find_element("id", "backend").text == "Drop a generator to start."
    assert console_errors(browser) == []


@pytest.mark.parametrize("name", ENTRIES)
def test_each_entry_page_draws_what_ganzoo_sample_draws(browser, base_url, name):
    state = open_entry(browser, f"{base_url}/entries/{name}/")
    assert state["error"] is None and state["renders"] == 1, state
    assert state["backend"]["backend"] in ("wasm", "webgpu")
    if state["backend"]["backend"] == "wasm":
        assert state["backend"]["threads"] >= 1 and "running on WebAssembly" in state["note"]
    info = state["info"]
    n = 6
    z = latent_vectors(7, n, info["latentDim"])
    labels = [i % info["classes"] for i in range(n)] if info["classes"] else None
    psi = 0.7 if info["truncation"] else 1
    browser.execute_async_script("const [z, labels, psi, done] = arguments; "
                                 "window.ganzooPage.render(z, labels, psi).then(done)", z.ravel().tolist(), labels, psi)
    page = grid_images(browser, n, info["height"], info["width"], math.ceil(math.sqrt(n)))

    generator = OnnxGenerator(shelf()[name].model, device="cpu", cache=False)  # as ganzoo-sample runs it
    expected = generator.pixels(z, None if labels is None else np.array(labels), psi if info["truncation"] else None)
    difference = np.abs(page.astype(int) - expected[..., 0].astype(int))
    assert difference.max() <= 1, f"{name}: {np.count_nonzero(difference > 1)} pixels differ by more than 1"
    assert console_errors(browser) == []


def _conditional_entry() -> str:
    """The conditional entry whose digits the classifier reads best (its card's label agreement)."""
    entry = best_conditional(shelf())
    if entry is None:
        pytest.skip("no conditional entry on the shelf: install the plugins (see .ci/run)")
    return entry.name


def _truncated_entry() -> str:
    names = [n for n in ENTRIES if OnnxGenerator(shelf()[n].model, device="cpu", cache=False).takes_truncation]
    if not names:
        pytest.skip("no entry with truncation on the shelf: install the stylegan plugin (see .ci/run)")
    return names[0]


def test_the_digit_control_steers_a_conditional_entry(browser, base_url):
    from selenium.webdriver.support.ui import Select

    from ganzoo.metrics.feature_network import FeatureNetwork
    state = open_entry(browser, f"{base_url}/entries/{_conditional_entry()}/")
    for digit in (3, 8):
        before = browser.execute_script("return window.ganzooPage.renders")
        Select(browser.find_element("id", "label")).select_by_value(str(digit))
        wait_for_next_grid(browser, before)
        images = grid_images(browser, 16, 28, 28, 4)
        _, probabilities = FeatureNetwork()(images[..., None])
        assert np.mean(probabilities.argmax(axis=1) == digit) >= 0.75, (digit, probabilities.argmax(axis=1))
    assert state["error"] is None and console_errors(browser) == []


def test_psi_zero_makes_every_sample_of_a_truncated_entry_the_same(browser, base_url):
    open_entry(browser, f"{base_url}/entries/{_truncated_entry()}/")
    assert browser.find_element("id", "psi-control").is_displayed()
    before = browser.execute_script("return window.ganzooPage.renders")
    browser.execute_script("const psi = document.getElementById('psi'); psi.value = '0'; "
                           "psi.dispatchEvent(new Event('input'))")
    wait_for_next_grid(browser, before)
    images = grid_images(browser, 16, 28, 28, 4)
    assert all(np.array_equal(image, images[0]) for image in images) and images[0].std() > 10


def test_a_dropped_file_that_is_not_a_generator_is_one_line_on_the_page(browser, base_url, tmp_path):
    from ganzoo.metrics.feature_network import FeatureNetwork
    import importlib.resources
    model = shelf()["dcgan-mnist"].model.read_bytes()
    classifier = importlib.resources.files("ganzoo.metrics").joinpath("data", FeatureNetwork.FILE).read_bytes()
    cases = {"truncated.onnx": (model[:len(model) // 3], "it is not an ONNX file, or it is damaged"),
             "noise.onnx": (bytes(np.random.default_rng(0).integers(0, 256, 5000, np.uint8)), ""),
             "classifier.onnx": (classifier, "without ganzoo metadata, not a generator made by `ganzoo export`"),
             "empty.onnx": (b"", ""), "grid.png": ((shelf()["dcgan-mnist"].folder / "grid.png").read_bytes(),
                                                   "expected an .onnx file made by `ganzoo export`")}
    open_entry(browser, f"{base_url}/try.html")
    chooser = browser.find_element("id", "file")
    for name, (data, message) in cases.items():
        browser.execute_script("document.getElementById('error').hidden = true")
        if name.endswith(".onnx"):  # through the file chooser (which offers .onnx files only)
            (tmp_path / name).write_bytes(data)
            chooser.send_keys(str(tmp_path / name))
        else:  # dropped on the page, which takes any file
            browser.execute_script(
                "const [bytes, name] = arguments, files = new DataTransfer(); "
                "files.items.add(new File([Uint8Array.from(bytes)], name)); "
                "document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: files}))",
                list(data), name)
        error = browser.execute_async_script(
            "const done = arguments[0]; (function poll() { const e = window.ganzooPage.error(); "
            "e ? done(e) : setTimeout(poll, 20); })()")
        assert error.startswith(f"{name}: ") and "\n" not in error and message in error, error
    (tmp_path / "good.onnx").write_bytes(model)
    chooser.send_keys(str(tmp_path / "good.onnx"))
    wait_for_next_grid(browser, 0)
    assert browser.execute_script("return window.ganzooPage.error()") is None
    assert browser.find_element("id", "title").text == "your file: good.onnx"
    assert console_errors(browser) == []


def test_interpolation_animates_until_stopped(browser, base_url):
    open_entry(browser, f"{base_url}/entries/dcgan-mnist/")
    before = browser.execute_script("return window.ganzooPage.renders")
    browser.find_element("id", "interpolate").click()
    wait_for_next_grid(browser, before + 3)  # frames keep coming
    first_frame = grid_images(browser, 16, 28, 28, 4)
    wait_for_next_grid(browser, browser.execute_script("return window.ganzooPage.renders") + 3)
    assert not np.array_equal(grid_images(browser, 16, 28, 28, 4), first_frame)  # and they move
    browser.find_element("id", "interpolate").click()
    stopped = browser.execute_async_script(
        "const done = arguments[0]; setTimeout(() => { const n = window.ganzooPage.renders; "
        "setTimeout(() => done([n, window.ganzooPage.renders]), 500); }, 200)")
    assert stopped[0] == stopped[1] and browser.find_element("id", "interpolate").text == "Interpolate"
    assert console_errors(browser) == []
