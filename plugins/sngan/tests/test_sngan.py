"""The sngan plugin's own tests, written as a third party would: through ganzoo's CLI and conformance kit."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest

from ganzoo import ImageSpec

pytest.importorskip("ganzoo_sngan", reason="pip install -e plugins/sngan to run its tests")


# The kit at one colour spec; the training test below covers 28x28x1 end to end (the suite's time budget)
KIT_SPECS = [ImageSpec(32, 32, 3, 10)]
ENV = {**os.environ, "GANZOO_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}


def ganzoo(*args):
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, env=ENV)


def _tiny_mnist(path):
    from ganzoo.datasets.keras_datasets import mnist_5k
    data = mnist_5k()
    np.savez(path, x=data.images[::78][:64, ..., 0])
    return path


def test_sngan_keeps_the_contract(ganzoo_conformance):
    ganzoo_conformance.architecture("sngan", specs=KIT_SPECS)


# Slow (55 s on 2 cores): the core suite runs the shared loop mirrored, in mixed precision and with EMA, and the kit
# (test_sngan_keeps_the_contract) trains, exports and checks sngan
@pytest.mark.slow
def test_trains_mirrored_in_bfloat16_with_ema_then_exports_and_samples(tmp_path):
    data = _tiny_mnist(tmp_path / "d.npz")
    run = tmp_path / "run"
    trained = ganzoo("train", "sngan", "--dataset", f"npz:{data}", "--epochs", "1", "--batch-size", "32",
                     "--latent-dim", "8", "-o", "width=16", "--strategy", "mirrored", "--devices", "cpu:0,cpu:1",
                     "--precision", "mixed_bfloat16", "--ema", "0.9", "--run-dir", str(run))
    assert trained.returncode == 0, trained.stderr
    assert "with loss hinge" in trained.stderr  # the architecture's default
    config = json.loads((run / "config.json").read_text())
    assert config["hparams"] == {"width": 16, "blocks": 0} and config["precision"] == "mixed_bfloat16"
    exported = ganzoo("export", str(run), "--output", str(tmp_path / "g.onnx"))
    assert exported.returncode == 0, exported.stderr
    assert json.loads({p.key: p.value for p in onnx.load(tmp_path / "g.onnx").metadata_props}["ganzoo.hparams"]) \
        == {"width": 16, "blocks": 0}
    sampled = ganzoo("sample", str(tmp_path / "g.onnx"), "-n", "4", "--output", str(tmp_path / "g.npy"))
    assert sampled.returncode == 0, sampled.stderr
    images = np.load(tmp_path / "g.npy")
    assert images.shape == (4, 28, 28, 1) and np.abs(images).max() <= 1


def test_more_blocks_than_the_size_allows_is_one_line_before_anything_is_written(tmp_path):
    data = _tiny_mnist(tmp_path / "d.npz")
    result = ganzoo("train", "sngan", "--dataset", f"npz:{data}", "-o", "blocks=3", "--run-dir", str(tmp_path / "r"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: sngan: blocks = 3 does not fit 28x28: at most 2 (each block halves the size, which must stay a "
        "whole number of at least 2)"]
    assert not (tmp_path / "r").exists()
