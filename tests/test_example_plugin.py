"""The plugin guide's example plugin (docs/example-plugin) is really installed with pip and used, so the guide
cannot rot; so is a real broken distribution, which must leave every other command working."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, pythonpath_with, run_cli


def _pip_install(source, site):
    """A real `pip install` of a distribution into ``site`` (its own folder, put on PYTHONPATH by the tests)."""
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                             "--target", str(site), str(source)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="session")
def example_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("example")
    source = root / "example-plugin"
    shutil.copytree(REPO / "docs" / "example-plugin", source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    _pip_install(source, root / "site")
    return root / "site", source


def test_the_example_plugin_installs_lists_trains_and_passes_its_own_tests(example_site, tiny_npz, tmp_path):
    site, source = example_site
    env = pythonpath_with(site)
    listed = run_cli("list", env=env)
    assert "mlpgan" in listed.stdout and "ganzoo-mlpgan 0.1.0" in listed.stdout and "ragan" in listed.stdout

    run = tmp_path / "run"
    described = run_cli("list", "-v", "mlpgan", env=env)
    assert described.returncode == 0 and "hidden" in described.stdout and "int = 512" in described.stdout
    trained = run_cli("train", "mlpgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "2", "-o", "hidden=64",
                      "--run-dir", str(run), env=env)
    assert trained.returncode == 0, trained.stderr
    assert "loss ragan" in trained.stderr  # the architecture's default loss, from the plugin
    assert json.loads((run / "config.json").read_text())["hparams"] == {"hidden": 64}
    # its export: the conformance kit in its own tests exports its generator and checks parity

    own_tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(source / "tests")],
                               capture_output=True, text=True, env={**os.environ, **env}, cwd=tmp_path)
    assert own_tests.returncode == 0, own_tests.stdout + own_tests.stderr
    assert "2 passed" in own_tests.stdout


@pytest.mark.slow  # a real pip install; test_discovery and test_faults do the same with fake distributions
def test_a_broken_installed_distribution_leaves_every_other_command_working(tmp_path, tiny_npz):
    source = tmp_path / "broken-src"
    (source / "ganzoo_broken").mkdir(parents=True)
    (source / "ganzoo_broken" / "__init__.py").write_text("raise ImportError('this plugin is broken on purpose')\n")
    (source / "pyproject.toml").write_text("""
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"
[project]
name = "ganzoo-broken"
version = "6.6.6"
[project.entry-points."ganzoo.architectures"]
broken = "ganzoo_broken:ARCH"
[project.entry-points."ganzoo.losses"]
broken-loss = "ganzoo_broken:LOSS"
[tool.setuptools]
packages = ["ganzoo_broken"]
""")
    site = tmp_path / "site"
    _pip_install(source, site)
    env = pythonpath_with(site)
    assert run_cli("list", env=env).returncode == 0
    checked = run_cli("list", "--check", env=env)
    assert checked.returncode == 1 and "ganzoo-broken 6.6.6" in checked.stdout
    assert "this plugin is broken on purpose" in checked.stdout
    trained = run_cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", "--batch-size", "32",
                      "--latent-dim", "8", "--run-dir", str(tmp_path / "run"), env=env)
    assert trained.returncode == 0, trained.stderr
    assert run_cli("export", str(tmp_path / "run"), env=env).returncode == 0
    assert run_cli("sample", str(tmp_path / "run" / "generator.onnx"), "--output", str(tmp_path / "s.png"),
                   env=env).returncode == 0
    used = run_cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--loss", "broken-loss", env=env)
    assert used.returncode == 2
    assert used.stderr.strip() == ("error: loss 'broken-loss' from ganzoo-broken 6.6.6 is broken: "
                                   "ImportError: this plugin is broken on purpose")
