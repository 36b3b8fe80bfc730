"""The zoo page's sampling speed in headless Chromium (onnxruntime-web, WebAssembly) against native onnxruntime
on the CPU of the same machine: same file, same batch, the same number of threads, alternated in one run.

    python benchmarks/browser_sampling.py [--rounds 5] [--repeats 5]

For dcgan-mnist and the largest shelf entry (by file size), at batch 1 and 64, each round times `repeats` runs in
the page, then as many in native onnxruntime; the figures are medians over all runs. Also: the time from
opening each entry page (served locally by `ganzoo zoo serve`'s server) to its first grid on screen, median
over rounds. Goals (issue 31): WebAssembly at >= 0.5x the native rate at batch 64; first image within 2 s.
Needs ganzoo-web, selenium and Debian's chromium + chromium-driver.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from ganzoo.web.headless import missing, open_entry, start_chromium
from ganzoo.web.server import serve_in_thread
from ganzoo.web.site import build_site
from ganzoo.zoo.shelf import shelf
from ganzoo_runtime.latents import latent_vectors

BATCHES = (1, 64)


def cpu_name() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            flags = Path("/proc/cpuinfo").read_text()
            return f"{line.split(':', 1)[1].strip()}, {'AVX-512' if 'avx512f' in flags else 'AVX2'}"
    return platform.processor()


def native_times(session, info: dict, n: int, repeats: int) -> list[float]:
    feeds = {"z": latent_vectors(0, n, info["latentDim"])}
    if info["classes"]:
        feeds["label"] = np.arange(n, dtype=np.int64) % info["classes"]
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        session.run(None, feeds)
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    if missing():
        raise SystemExit(missing())
    entries = shelf()
    largest = max(entries.values(), key=lambda e: (e.model.stat().st_size, e.name)).name
    names = ["dcgan-mnist"] + ([largest] if largest != "dcgan-mnist" else [])
    with tempfile.TemporaryDirectory() as scratch:
        url, stop = serve_in_thread(build_site(Path(scratch) / "site").folder)
        driver = start_chromium()
        try:
            print(f"host: {cpu_name()}, {len(__import__('os').sched_getaffinity(0))} cores; "
                  f"onnxruntime {ort.__version__} (native) against onnxruntime-web in "
                  f"{driver.capabilities.get('browserVersion', '?')} Chromium, headless")
            print(f"{'entry':<26} {'batch':>5} {'page img/s':>11} {'native img/s':>13} {'ratio':>6} {'threads':>8}")
            for name in names:
                first_image, page, native = [], {n: [] for n in BATCHES}, {n: [] for n in BATCHES}
                for _ in range(args.rounds):
                    state = open_entry(driver, f"{url}/entries/{name}/")
                    assert state["error"] is None, state["error"]
                    first_image.append(state["firstImageMs"])
                    threads = state["backend"]["threads"] or 1
                    options = ort.SessionOptions()
                    options.intra_op_num_threads = threads
                    session = ort.InferenceSession(str(entries[name].model), options,
                                                   providers=["CPUExecutionProvider"])
                    for n in BATCHES:
                        native_times(session, state["info"], n, 1)  # warm-up
                        driver.execute_async_script("const [n, done] = arguments; "
                                                    "window.ganzooPage.time(n, 1).then(done)", n)
                        page[n] += driver.execute_async_script(
                            "const [n, r, done] = arguments; window.ganzooPage.time(n, r).then(done)",
                            n, args.repeats)
                        native[n] += native_times(session, state["info"], n, args.repeats)
                for n in BATCHES:
                    page_rate = n / (statistics.median(page[n]) / 1000)
                    native_rate = n / (statistics.median(native[n]) / 1000)
                    print(f"{name:<26} {n:>5} {page_rate:>11.0f} {native_rate:>13.0f} "
                          f"{page_rate / native_rate:>6.2f} {threads:>8}")
                print(f"{name:<26} first image on screen {statistics.median(first_image) / 1000:.2f} s after "
                      f"opening the page (median of {len(first_image)}; range {min(first_image) / 1000:.2f}-"
                      f"{max(first_image) / 1000:.2f} s)")
        finally:
            driver.quit()
            stop()


if __name__ == "__main__":
    main()
