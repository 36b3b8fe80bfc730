"""Shared test helpers: no downloads, fake plugin distributions, running the CLI."""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

# No test may download: the MNIST loader falls back to the embedded subset.
os.environ["GANZOO_OFFLINE"] = "1"
os.environ.setdefault("GANZOO_CACHE_DIR", tempfile.mkdtemp(prefix="ganzoo-test-cache-"))  # never the user's cache
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parent.parent


def make_distribution(site: Path, name: str, version: str, entry_points: dict[str, dict[str, str]],
                      modules: dict[str, str]) -> Path:
    """Write an installed-looking distribution (dist-info + modules) into ``site``."""
    site.mkdir(parents=True, exist_ok=True)
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    lines = []
    for group, entries in entry_points.items():
        lines.append(f"[{group}]")
        lines += [f"{k} = {v}" for k, v in entries.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for module, source in modules.items():  # "pkg/__init__" makes a package
        (site / f"{module}.py").parent.mkdir(parents=True, exist_ok=True)
        (site / f"{module}.py").write_text(textwrap.dedent(source))
    return site


def one_node_model(node, x_shape: list, y_shape: list, initializers: list):
    """An ONNX model of ``node`` alone, reading float ``x`` and writing float ``y``."""
    from onnx import TensorProto, helper

    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, y_shape)], initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9  # what onnxruntime 1.31 reads
    return model


def run_x_to_y(model, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(["y"], {"x": x})[0]


def run_cli(*args: str, env: dict | None = None, cwd: Path | None = None, timeout: int = 300):
    """Run ``python -m ganzoo ARGS`` in a subprocess; returns the CompletedProcess."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True,
                          env=full_env, cwd=cwd, timeout=timeout)


def pythonpath_with(site: Path) -> dict[str, str]:
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


@pytest.fixture
def cli(capsys, monkeypatch):
    """``ganzoo ARGS`` in this process, with ganzoo's own plugins only: (exit code, stdout, stderr). Seconds
    cheaper than run_cli, which imports TensorFlow afresh; for tests that are not about a fresh process."""
    from ganzoo.cli.main import main

    monkeypatch.setenv("GANZOO_DISABLE_PLUGIN_AUTOLOAD", "1")

    def invoke(*args):
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return code, out, err
    return invoke


def ganzoo_here(*args, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """run_cli's interface and result, run in this process with ganzoo's own plugins only, as ``cli`` does:
    seconds cheaper, for a test or a session fixture that is not about a fresh process (its exit, its imports,
    stray output from native code)."""
    from ganzoo.cli.main import main

    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    os.environ.update({"GANZOO_DISABLE_PLUGIN_AUTOLOAD": "1", **(env or {})})
    out, err = io.StringIO(), io.StringIO()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([str(a) for a in args])
    finally:
        os.chdir(saved_cwd)
        os.environ.clear()
        os.environ.update(saved_env)
    return subprocess.CompletedProcess(["ganzoo", *args], code, out.getvalue(), err.getvalue())


@pytest.fixture
def run_here():
    return ganzoo_here


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Under ``--dist loadgroup`` (the default options), a module marked ``xdist_group`` must run on one worker,
    or each worker builds its expensive session fixtures again: pytest-xdist marks such tests by a suffix of
    their node id, which some pytest releases silently drop (pytest-xdist#1386, pytest 9.2)."""
    if getattr(config.option, "loadgroup", False):
        lost = [item.nodeid for item in items if item.get_closest_marker("xdist_group") and "@" not in item.nodeid]
        if lost:
            raise pytest.UsageError(f"pytest-xdist cannot group tests under this pytest ({pytest.__version__}; "
                                    f"e.g. {lost[0]}): install the test extra's pytest (pip install -e '.[test]')")


@pytest.fixture
def tiny_npz(tmp_path) -> Path:
    """64 real MNIST digits as an npz dataset: two steps per epoch at batch 32."""
    with np.load(REPO / "ganzoo" / "datasets" / "data" / "mnist_5k.npz") as data:
        x, y = data["x"][::78][:64], data["y"][::78][:64]
    path = tmp_path / "tiny.npz"
    np.savez(path, x=x, y=y)
    return path


@pytest.fixture
def fake_site(tmp_path, monkeypatch) -> Path:
    """A folder on sys.path for fake distributions, visible to in-process discovery."""
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    return site


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory) -> Path:
    """A tiny dcgan run (64 MNIST digits, 2 epochs, latent 8), trained once per test session."""
    root = tmp_path_factory.mktemp("trained")
    with np.load(REPO / "ganzoo" / "datasets" / "data" / "mnist_5k.npz") as data:
        np.savez(root / "tiny.npz", x=data["x"][::78][:64])
    run = root / "run"
    result = ganzoo_here("train", "dcgan", "--dataset", f"npz:{root / 'tiny.npz'}", "--epochs", "2", "--batch-size",
                         "32", "--latent-dim", "8", "--run-dir", run)
    assert result.returncode == 0, result.stderr
    return run


@pytest.fixture(scope="session")
def trained_onnx(trained_run) -> Path:
    """The tiny run's default export, ``RUN/generator.onnx`` (tests that export it themselves may write it too)."""
    path = trained_run / "generator.onnx"
    if not path.exists():
        result = ganzoo_here("export", trained_run)
        assert result.returncode == 0, result.stderr
    return path
