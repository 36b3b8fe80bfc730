"""The stylegan plugin's own tests, written as a third party would: through ganzoo's CLI and conformance kit."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import onnx
import pytest

from ganzoo import ImageSpec

pytest.importorskip("ganzoo_stylegan", reason="pip install -e plugins/stylegan to run its tests")


# The kit at one colour spec; the training test below covers 28x28x1 end to end (the suite's time budget)
KIT_SPECS = [ImageSpec(32, 32, 3, 10)]
ENV = {**os.environ, "GANZOO_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}


def ganzoo(*args):
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, env=ENV)


def _tiny_mnist(path, size=28):
    from ganzoo import open_dataset
    images = open_dataset("mnist-5k").images[::78][:64, ..., 0]
    if size != 28:
        images = np.pad(images, ((0, 0), (0, size - 28), (0, size - 28)))
    np.savez(path, x=images)
    return path


def test_stylegan_keeps_the_contract(ganzoo_conformance):
    ganzoo_conformance.architecture("stylegan", specs=KIT_SPECS)  # includes: truncation 0 gives the average image


# Slow (45 s on 2 cores): the core suite runs the shared loop mirrored, in mixed precision and with EMA, and the
# kit (test_stylegan_keeps_the_contract) trains and exports stylegan, whose export checks psi 0.5 against Keras
@pytest.mark.slow
def test_trains_mirrored_in_bfloat16_with_ema_then_samples_truncated(tmp_path):
    data = _tiny_mnist(tmp_path / "d.npz")
    run = tmp_path / "run"
    trained = ganzoo("train", "stylegan", "--dataset", f"npz:{data}", "--epochs", "1", "--batch-size", "32",
                     "--latent-dim", "8", "-o", "width=8", "-o", "style_dim=8", "-o", "mapping=2",
                     "--strategy", "mirrored", "--devices", "cpu:0,cpu:1", "--precision", "mixed_bfloat16",
                     "--ema", "0.9", "--run-dir", str(run))
    assert trained.returncode == 0, trained.stderr
    config = json.loads((run / "config.json").read_text())
    assert config["hparams"] == {"width": 8, "mapping": 2, "style_dim": 8}
    assert config["r1"] == 0.01 and config["loss"] == "nonsaturating"  # the architecture's defaults

    exported = ganzoo("export", str(run), "--output", str(tmp_path / "g.onnx"))
    assert exported.returncode == 0, exported.stderr
    assert [i.name for i in onnx.load(tmp_path / "g.onnx").graph.input] == ["z", "truncation"]
    _runs_in_other_consumers(tmp_path / "g.onnx")
    outputs = {}
    for source, psi in ((run, "0.5"), (tmp_path / "g.onnx", "0.5"), (tmp_path / "g.onnx", "1"),
                        (tmp_path / "g.onnx", "0")):  # the Keras run and its export, the same latents
        out = tmp_path / f"{len(outputs)}.npy"
        sampled = ganzoo("sample", str(source), "-n", "4", "--truncation", psi, "--output", str(out))
        assert sampled.returncode == 0, sampled.stderr
        outputs[source.suffix, psi] = np.load(out)
    assert np.abs(outputs["", "0.5"] - outputs[".onnx", "0.5"]).max() < 1e-4
    average = outputs[".onnx", "0"]
    assert np.abs(average - average[:1]).max() < 1e-5  # w_avg for every latent
    assert np.abs(outputs[".onnx", "1"] - average).max() > 1e-3


def test_a_size_that_does_not_halve_to_a_small_start_is_one_line_before_anything_is_written(tmp_path):
    data = _tiny_mnist(tmp_path / "d.npz", size=30)
    result = ganzoo("train", "stylegan", "--dataset", f"npz:{data}", "--run-dir", str(tmp_path / "r"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: stylegan: stylegan needs a size that halves down to a start of 4 to 8 (28, 32, 64, …), got 30x30"]
    assert not (tmp_path / "r").exists()


OPENCV = """
import sys, numpy as np
if len(sys.argv) > 3:
    sys.path.insert(0, sys.argv[3])  # another OpenCV, installed into its own folder
import cv2
net = cv2.dnn.readNetFromONNX(sys.argv[1])
net.setInput(np.load(sys.argv[2]), "z")
np.save(sys.argv[2], net.forward())
"""


def _runs_in_other_consumers(path):
    """The file is portable (ganzoo's export rule): onnx's ReferenceEvaluator, with and without ψ, and OpenCV's
    DNN module (which always takes the default ψ = 1) compute what onnxruntime computes."""
    import onnxruntime as ort
    from onnx.reference import ReferenceEvaluator

    z = np.random.default_rng(0).standard_normal((4, 8), dtype=np.float32)
    session, reference = ort.InferenceSession(str(path)), ReferenceEvaluator(onnx.load(path))
    for feeds in ({"z": z}, {"z": z, "truncation": np.array(0.7, np.float32)}):
        assert np.abs(reference.run(None, feeds)[0] - session.run(None, feeds)[0]).max() < 1e-5
    other = os.environ.get("GANZOO_TEST_OPENCV4")  # .ci/run installs OpenCV 4 beside the test extra's 5
    for opencv in [[], [other]] if other else [[]]:
        np.save(path.parent / "z.npy", z)
        ran = subprocess.run([sys.executable, "-c", OPENCV, str(path), str(path.parent / "z.npy"), *opencv],
                             capture_output=True, text=True)
        assert ran.returncode == 0, ran.stderr
        assert np.abs(np.load(path.parent / "z.npy") - session.run(None, {"z": z})[0]).max() < 1e-5


def test_the_shelf_entry_samples_with_truncation_offline(tmp_path):
    for psi in ("0", "1"):
        sampled = ganzoo("sample", "zoo:stylegan-mnist-small", "-n", "6", "--truncation", psi,
                         "--output", str(tmp_path / f"{psi}.npy"))
        assert sampled.returncode == 0, sampled.stderr
    average, varied = np.load(tmp_path / "0.npy"), np.load(tmp_path / "1.npy")
    assert np.abs(average - average[:1]).max() < 1e-3 < np.abs(varied - varied[:1]).max()
