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
from ganzoo.testing import label_influence

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
    assert config["hparams"] == {"width": 8, "mapping": 2, "style_dim": 8, "mixing": 0.9}
    assert (config["r1"], config["r1_every"], config["loss"]) == (0.01, 16, "nonsaturating")  # the defaults

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


def test_every_layer_has_an_equalised_learning_rate_and_the_mapping_a_hundredth_of_it():
    """Stored weights N(0, 1) (N(0, 1/0.01) in the mapping network), scaled at each call by 1/sqrt(fan_in)
    (times 0.01 in the mapping network): Adam's steps then move every layer alike, the mapping 100x slower."""
    from ganzoo.layers import EqualizedConv2D, EqualizedDense
    from ganzoo_stylegan.layers import StyledConv
    from ganzoo_stylegan.models import build_discriminator, build_generator
    spec = ImageSpec(28, 28, 1)
    generator = build_generator(spec, latent_dim=16, width=32, mapping=3, style_dim=64, mixing=0.9)
    discriminator = build_discriminator(spec, width=32)
    mapping = [layer for layer in generator.layers if layer.name.startswith("mapping_")]
    assert len(mapping) == 3 and all(layer.lr_multiplier == 0.01 for layer in mapping)
    for layer in mapping:
        stored = layer.kernel.numpy()
        assert abs(stored.std() * 0.01 - 1) < 0.1 and layer.gain == pytest.approx(0.01 / np.sqrt(stored.shape[0]))
    convs = [layer for layer in generator.layers if isinstance(layer, StyledConv)]
    assert len(convs) == 6  # the start, two per doubling block, to RGB
    for layer in convs[:-1]:
        stored = layer.kernel.numpy()
        assert abs(stored.std() - 1) < 0.1 and layer.gain == pytest.approx(1 / np.sqrt(np.prod(stored.shape[:3])))
        assert isinstance(layer.style, EqualizedDense) and np.allclose(layer.style.bias.numpy(), 1)  # styles start at 1
    d_layers = [layer for layer in discriminator.layers if isinstance(layer, (EqualizedConv2D, EqualizedDense))]
    assert len(d_layers) == 1 + 3 * 2 + 3  # from RGB, 2 blocks of three, the last conv and two dense
    assert not [layer for layer in discriminator.layers if type(layer).__name__ in ("Conv2D", "Dense")]


def test_style_mixing_takes_other_latents_style_from_a_random_cutoff_while_training_only():
    from ganzoo_stylegan.layers import MixingCutoff, MixStyle
    from ganzoo_stylegan.models import build_generator
    w, w_mix = np.zeros((2, 4), np.float32), np.ones((2, 4), np.float32)
    cutoffs = {float(MixingCutoff(5, 1.0)(w, training=True)) for _ in range(60)}
    assert cutoffs == {1.0, 2.0, 3.0, 4.0}  # every cutoff from the second layer on, never "no mixing"
    assert float(MixingCutoff(5, 0.0)(w, training=True)) == float(MixingCutoff(5, 1.0)(w, training=False)) == 5
    assert [float(MixStyle(i)(w, w_mix, np.float32(2), training=True)[0, 0]) for i in range(4)] == [0, 0, 1, 1]
    assert float(MixStyle(3)(w, w_mix, np.float32(2), training=False)[0, 0]) == 0  # sampling: w alone
    z, psi = np.random.default_rng(0).standard_normal((4, 16)).astype(np.float32), np.ones(4, np.float32)
    for mixing, differs in ((0.0, False), (1.0, True)):  # noise strengths start at 0: only mixing varies a call
        generator = build_generator(ImageSpec(28, 28, 1), latent_dim=16, width=8, mapping=2, style_dim=16,
                                    mixing=mixing)
        first, second = (generator([z, psi], training=True).numpy() for _ in range(2))
        assert (np.abs(first - second).max() > 1e-4) == differs, mixing
        assert np.array_equal(generator([z, psi]).numpy(), generator([z, psi]).numpy())  # sampling is fixed


def test_with_labels_the_label_moves_both_networks_and_psi_0_gives_each_class_its_own_average():
    # StyleGAN2-ADA's conditioning: the label's embedding joins z in the mapping network, and the discriminator
    # projects its features on the label's code; the truncation pulls towards the label's own average w
    import keras
    from ganzoo_stylegan.models import build_discriminator, build_generator
    keras.utils.set_random_seed(0)
    spec = ImageSpec(28, 28, 1, 10)
    generator = build_generator(spec, latent_dim=16, width=8, mapping=2, style_dim=16)
    discriminator = build_discriminator(spec, width=8)
    assert [t.name for t in generator.inputs] == ["z", "label", "truncation"]
    steering, judging = label_influence(generator, discriminator, 10, n=20)
    assert steering > 0.5 and judging > 0.1  # the label steers from the first step, as z does
    z = np.random.default_rng(0).standard_normal((20, 16)).astype(np.float32)
    labels, psi = np.arange(20) % 10, np.ones(20, np.float32)

    for _ in range(3):  # training calls move each class's average w
        generator([z, labels, psi], training=True)
    average = np.asarray(generator([z, labels, np.zeros(20, np.float32)]))
    assert np.abs(average[labels == 3] - average[labels == 3][:1]).max() < 1e-5  # one image per class
    assert np.abs(average[labels == 3][0] - average[labels == 4][0]).max() > 1e-3  # and another per class


def test_with_a_transition_both_networks_start_unconditional_and_the_label_comes_in_over_its_span():
    # Shahbazi et al. 2022: the label's code times a factor that rises 0 -> 1 between transition_start and _end
    # (thousands of images); the discriminator's logit is an unconditional one plus the projection times it
    import keras
    from ganzoo.layers import ramps
    from ganzoo_stylegan.models import build_discriminator, build_generator
    keras.utils.set_random_seed(0)
    spec, span = ImageSpec(28, 28, 1, 10), {"transition_start": 1, "transition_end": 3}
    generator = build_generator(spec, latent_dim=16, width=8, mapping=2, style_dim=16, **span)
    discriminator = build_discriminator(spec, width=8, **span)
    reals = np.random.default_rng(1).uniform(-1, 1, (20, 28, 28, 1)).astype(np.float32)

    def label_moves(seen):
        for ramp in (*ramps(generator), *ramps(discriminator)):
            ramp.seen.assign(float(seen))
        return label_influence(generator, discriminator, 10, images=reals, n=20)

    assert label_moves(1000) == (0.0, 0.0)  # unconditional until the start
    halfway, full = label_moves(2000), label_moves(3000)
    assert all(h > 1e-3 for h in halfway) and full[1] == pytest.approx(2 * halfway[1], rel=1e-4)
    assert [r.name for r in ramps(generator)] == ["transition"]
    with pytest.raises(ValueError, match="transition_start .4. is after transition_end .3."):
        build_generator(spec, latent_dim=16, width=8, mapping=2, style_dim=16, transition_start=4, transition_end=3)


def test_a_run_with_a_transition_records_its_factor_each_epoch(tmp_path):
    # labelled data, the label coming in over the first thousand images: after epochs of 2 steps of 32 images, the
    # factor in each epoch's last step is 32/1000, then 96/1000 (tests/test_layers.py exports a Ramp with parity)
    import csv
    from ganzoo import open_dataset
    data = tmp_path / "d.npz"
    mnist = open_dataset("mnist-5k")
    np.savez(data, x=mnist.images[::78][:64, ..., 0], y=mnist.labels[::78][:64])
    run = tmp_path / "run"
    trained = ganzoo("train", "stylegan", "--dataset", f"npz:{data}", "--epochs", "2", "--batch-size", "32",
                     "--latent-dim", "8", "-o", "width=8", "-o", "style_dim=8", "-o", "mapping=1",
                     "-o", "transition_end=1", "--run-dir", str(run))
    assert trained.returncode == 0, trained.stderr
    with (run / "metrics.csv").open() as f:
        assert [float(row["ramp"]) for row in csv.DictReader(f)] == pytest.approx([0.032, 0.096])


def test_the_truncation_keeps_one_moving_average_per_class_and_leaves_absent_classes_alone():
    from ganzoo_stylegan.layers import Truncation
    truncation = Truncation(decay=0.5, classes=3)
    w = np.array([[2.0, 0.0], [4.0, 2.0], [-2.0, 8.0]], np.float32)
    labels, psi = np.array([0, 0, 1]), np.zeros(3, np.float32)
    truncation(w, psi, labels, training=True)  # from 0: half of each class's batch mean
    assert np.allclose(truncation.w_avg.numpy(), [[1.5, 0.5], [-1.0, 4.0], [0.0, 0.0]])
    truncation(w[:1], psi[:1], labels[:1], training=True)  # class 0 alone: classes 1 and 2 keep theirs
    assert np.allclose(truncation.w_avg.numpy(), [[1.75, 0.25], [-1.0, 4.0], [0.0, 0.0]])
    pulled = truncation(w, np.array([0.0, 1.0, 0.5], np.float32), labels)  # psi per image, to its class's average
    assert np.allclose(pulled, [[1.75, 0.25], [4.0, 2.0], [-1.5, 6.0]])
