"""The cdcgan plugin's own tests, written as a third party would: through ganzoo's CLI and conformance kit."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest
from PIL import Image

pytest.importorskip("ganzoo_cdcgan", reason="pip install -e plugins/cdcgan to run its tests")


os.environ["GANZOO_OFFLINE"] = "1"


def ganzoo(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, cwd=cwd)


def test_cdcgan_keeps_the_contract(ganzoo_conformance):
    ganzoo_conformance.architecture("cdcgan")


def test_train_export_and_sample_a_label(tmp_path):
    from ganzoo import open_dataset
    data = open_dataset("mnist-5k")
    np.savez(tmp_path / "d.npz", x=data.images[::25, ..., 0], y=data.labels[::25])  # 200 images, 20 per digit
    run = tmp_path / "run"
    trained = ganzoo("train", "cdcgan", "--dataset", f"npz:{tmp_path / 'd.npz'}", "--epochs", "1", "--batch-size", "50",
                     "--latent-dim", "8", "-o", "embedding=16", "--eval-every", "1", "--run-dir", str(run))
    assert trained.returncode == 0, trained.stderr
    # real digits with their labels: the evaluation during training reports how far the label steers
    line = next(line for line in trained.stderr.splitlines() if "epoch 1: FID" in line)
    assert 0 <= float(line.rsplit("label agreement ", 1)[1]) <= 1
    with Image.open(run / "samples" / "epoch-0001.png") as grid:  # a row per class: 10 rows of 28x28 at 2x
        assert grid.size[1] == 2 * (10 * (28 + 2) + 2)

    exported = ganzoo("export", str(run), "--output", str(tmp_path / "c.onnx"))
    assert exported.returncode == 0, exported.stderr
    model = onnx.load(tmp_path / "c.onnx")
    assert [i.name for i in model.graph.input] == ["z", "label"]
    assert model.graph.input[1].type.tensor_type.elem_type == onnx.TensorProto.INT64
    metadata = {p.key: p.value for p in model.metadata_props}
    assert metadata["ganzoo.num_classes"] == "10"
    assert json.loads(metadata["ganzoo.hparams"]) == {"embedding": 16}  # the generator's, set with -o

    for label in ("7", "3"):
        sampled = ganzoo("sample", str(tmp_path / "c.onnx"), "--label", label, "-n", "6",
                         "--output", str(tmp_path / f"s{label}.npy"))
        assert sampled.returncode == 0, sampled.stderr
    sevens, threes = np.load(tmp_path / "s7.npy"), np.load(tmp_path / "s3.npy")
    assert sevens.shape == (6, 28, 28, 1) and np.abs(sevens - threes).max() > 1e-3  # the label changes the image

    out_of_range = ganzoo("sample", str(tmp_path / "c.onnx"), "--label", "12", "--output", str(tmp_path / "x.png"))
    assert out_of_range.returncode == 2 and "classes 0..9" in out_of_range.stderr
    # ganzoo eval of a conditional file: tests/test_metrics.py, on this plugin's shelf entry


def test_list_check_builds_the_conditional_models():
    checked = subprocess.run([sys.executable, "-m", "ganzoo", "list", "--check"], capture_output=True, text=True,
                             env={**os.environ, "GANZOO_ALLOW_PLUGINS": "ganzoo-cdcgan"})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("ganzoo-cdcgan 0.1.0  ok") == 1  # its architecture record
    assert "ganzoo-cdcgan: cdcgan-mnist-mode-seeking" in checked.stdout  # its shelf entry, listed without an import
