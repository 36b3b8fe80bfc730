"""`ganzoo zoo site` and `ganzoo zoo serve` without a browser: what the site holds, and a server that serves that
folder and nothing else (the pages in a real browser: test_zoo_browser.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

import numpy as np
from conftest import make_distribution, pythonpath_with, run_cli
from ganzoo_runtime.latents import latent_vectors
from ganzoo_runtime.model import OnnxGenerator
from ganzoo.zoo.shelf import by_fid, shelf

ganzoo_web = pytest.importorskip("ganzoo_web", reason="the zoo site needs ganzoo-web: pip install -e web")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from ganzoo.web.site import build_site
    return build_site(tmp_path_factory.mktemp("zoo") / "site").folder


def test_the_index_lists_every_entry_best_fid_first_with_its_licences(site):
    index = (site / "index.html").read_text()
    names = [entry.name for entry in by_fid(shelf())]
    positions = [index.index(f'href="entries/{name}/"') for name in names]
    assert positions == sorted(positions)
    assert index.count("Data: the embedded MNIST subset") == len(names) and "Weights: Apache-2.0 (ganzoo)" in index


def test_each_entry_ships_its_verified_file_its_grid_and_a_page(site):
    for name, entry in shelf().items():
        folder = site / "entries" / name
        assert hashlib.sha256((folder / "generator.onnx").read_bytes()).hexdigest() == entry.card["sha256"]
        assert (folder / "grid.png").read_bytes() == (entry.folder / "grid.png").read_bytes()
        page = (folder / "index.html").read_text()
        assert '"model": "browser.onnx"' in page and 'src="../../page.js"' in page
        form = OnnxGenerator(folder / "browser.onnx", "cpu", cache=False)  # the CPU form, which draws the same
        z = latent_vectors(3, 8, form.info.latent_dim)
        labels = np.arange(8) % form.info.num_classes if form.info.conditional else None
        assert np.abs(form.pixels(z, labels).astype(int) - OnnxGenerator(folder / "generator.onnx", "cpu", cache=False)
                      .pixels(z, labels).astype(int)).max() <= 1


def test_the_site_carries_onnxruntime_web_as_recorded(site):
    record = json.loads((site / "ort" / "VENDOR.json").read_text())
    assert record["package"] == "onnxruntime-web" and record["license"] == "MIT"
    for name, digest in record["sha256"].items():
        assert hashlib.sha256((site / "ort" / name).read_bytes()).hexdigest() == digest
    assert "Microsoft" in (site / "ort" / "LICENSE").read_text()
    # offline: no page names another host
    for page in site.rglob("*.html"):
        assert "http://" not in page.read_text() and "https://" not in page.read_text(), page


def test_a_folder_that_is_not_an_earlier_site_is_never_replaced(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("years of work")
    result = run_cli("zoo", "site", str(tmp_path / "mine"))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "not empty" in result.stderr
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]  # no staging folder left behind


def test_an_earlier_site_is_rebuilt_in_place(tmp_path):
    from ganzoo.web.site import build_site
    build_site(tmp_path / "site")
    (tmp_path / "site" / "entries" / "stale-entry").mkdir()
    build_site(tmp_path / "site")
    assert not (tmp_path / "site" / "entries" / "stale-entry").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_an_earlier_site_that_a_killed_build_moved_aside_comes_back(tmp_path):
    from ganzoo.web.site import MARKER, build_site
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    aside = tmp_path / f".site.earlier-{dead.pid}"
    aside.mkdir()
    (aside / MARKER).write_text("")
    (aside / "index.html").write_text("the earlier site")
    build_site(tmp_path / "site")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"] and "ganzoo zoo" in \
        (tmp_path / "site" / "index.html").read_text()


def test_without_ganzoo_web_the_site_is_one_line(tmp_path):
    code = ("import sys; sys.modules['ganzoo_web'] = None; from ganzoo.cli.main import main; "
            f"sys.exit(main(['zoo', 'site', {str(tmp_path / 'site')!r}]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and result.stderr == ("error: the zoo site needs onnxruntime-web, which ships in "
                                                        "ganzoo-web: pip install ./web (from a clone of ganzoo)\n")


def test_a_third_party_card_cannot_inject_markup_and_a_damaged_entry_is_left_out(tmp_path):
    dist = make_distribution(tmp_path / "dist", "oddshelf", "1.0", {"ganzoo.zoo": {"odd": "oddshelf_pkg.shelf"}},
                             {"oddshelf_pkg/__init__": ""})
    shelf_dir = dist / "oddshelf_pkg" / "shelf"
    source = shelf()["dcgan-mnist"].folder
    shutil.copytree(source, shelf_dir / "odd-entry")
    card = json.loads((source / "card.json").read_text())
    card.update(description='<script src="https://evil.example/x.js"></script>', grid="../../../etc/passwd",
                data='<img src=x onerror="alert(1)">', curve=[{"minutes": 1, "fid": 90}, {"minutes": 5, "fid": 30},
                                                             {"minutes": "x", "fid": None}])
    (shelf_dir / "odd-entry" / "card.json").write_text(json.dumps(card))
    shutil.copytree(source, shelf_dir / "damaged-entry")
    data = bytearray((shelf_dir / "damaged-entry" / "generator.onnx").read_bytes())
    data[-100] ^= 0xFF
    (shelf_dir / "damaged-entry" / "generator.onnx").write_bytes(bytes(data))

    result = run_cli("zoo", "site", str(tmp_path / "site"), env=pythonpath_with(dist))
    assert result.returncode == 0, result.stderr
    assert "warning: left out damaged-entry [oddshelf]: zoo entry 'damaged-entry' is damaged" in result.stderr
    index = (tmp_path / "site" / "index.html").read_text()
    assert "<script src=" not in index and "<img src=x" not in index and "&lt;script" in index
    assert "<polyline" in index  # the card's curve, from its two usable points
    assert not (tmp_path / "site" / "entries" / "damaged-entry").exists()
    assert not (tmp_path / "site" / "entries" / "odd-entry" / "grid.png").exists()  # a grid outside its folder


# --- the server -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(site, tmp_path_factory):
    """The site, with a secret beside it and symlinks that lead out of it, served on a free port."""
    from ganzoo.web.server import serve_in_thread
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.txt").write_text("private")
    (site / "leak.txt").symlink_to(outside / "secret.txt")
    (site / "leakdir").symlink_to(outside)
    (site / "inside.txt").symlink_to(site / "style.css")
    url, stop = serve_in_thread(site)
    yield int(url.rsplit(":", 1)[1])
    stop()
    for name in ("leak.txt", "leakdir", "inside.txt"):
        (site / name).unlink()


def raw_request(port: int, line: str) -> tuple[int, dict, bytes]:
    """Send one request line exactly as written (no client-side normalisation); (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(line.encode("latin-1") + b"\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(h.split(": ", 1) for h in header_lines)
    return int(status_line.split()[1]), headers, body


def test_pages_come_with_cross_origin_isolation_and_a_content_security_policy(served):
    status, headers, body = raw_request(served, "GET /entries/dcgan-mnist/ HTTP/1.1")
    assert status == 200 and b'id=entry' in body and headers["Content-Type"].startswith("text/html")
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    assert "script-src 'self' 'wasm-unsafe-eval'" in headers["Content-Security-Policy"]
    assert raw_request(served, "GET /ort/ort-wasm-simd-threaded.wasm HTTP/1.1")[1]["Content-Type"] == \
        "application/wasm"
    assert raw_request(served, "GET /page.js HTTP/1.1")[1]["Content-Type"].startswith("text/javascript")


@pytest.mark.parametrize("target", [
    "/../outside/secret.txt", "/entries/../../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E%2Fsecret.txt",
    "/entries/%2e%2e%2f%2e%2e%2fsecret.txt", "/..%5csecret.txt", "/entries\\..\\..\\secret.txt",
    "/leak.txt", "/leakdir/secret.txt", "/index.html%00.png", "/%252e%252e/secret.txt", "/no-such-file.js",
    "//etc/passwd", "/%ff%fe", "http://evil.example/secret.txt", "*",
])
def test_nothing_outside_the_site_is_served(served, target):
    status, headers, body = raw_request(served, f"GET {target} HTTP/1.1")
    assert status in (400, 404) and b"private" not in body and b"root:" not in body
    assert headers.get("Content-Security-Policy")  # errors carry the headers too


def test_a_symlink_inside_the_site_is_served_and_folders_redirect_to_their_slash(served):
    assert raw_request(served, "GET /inside.txt HTTP/1.1")[0] == 200
    status, headers, _ = raw_request(served, "GET /entries/dcgan-mnist HTTP/1.1")
    assert status == 301 and headers["Location"] == "/entries/dcgan-mnist/"


def test_only_get_and_head(served):
    status, headers, body = raw_request(served, "HEAD /index.html HTTP/1.1")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 1000
    for method in ("POST", "PUT", "DELETE", "OPTIONS"):
        assert raw_request(served, f"{method} /index.html HTTP/1.1")[0] == 405


def test_a_port_in_use_is_one_line_and_ctrl_c_stops_the_server(site):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("zoo", "serve", "--site", str(site), "--port", str(port), timeout=60)
    assert result.returncode == 2
    assert result.stderr == f"error: port {port} is in use on 127.0.0.1: stop what uses it, or choose another " \
                            "with --port\n"

    server = subprocess.Popen([sys.executable, "-m", "ganzoo", "zoo", "serve", "--site", str(site), "--port", "0",
                               "--host", "0.0.0.0"], stderr=subprocess.PIPE, text=True, env=os.environ)
    try:
        warning = server.stderr.readline()
        serving = server.stderr.readline()
        assert warning.startswith("warning: --host 0.0.0.0 serves the site to every network")
        port = int(serving.split(":")[-1].split("/")[0])
        assert raw_request(port, "GET / HTTP/1.1")[0] == 200
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=20) == 0
        assert server.stderr.read().strip().splitlines()[-1] == "stopped"  # no traceback
    finally:
        server.kill()
