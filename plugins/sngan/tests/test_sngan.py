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
from ganzoo.testing import label_influence

pytest.importorskip("ganzoo_sngan", reason="pip install -e plugins/sngan to run its tests")


# The kit at one colour spec with classes (conditional since 0.3.0); the training test below covers 28x28x1
# without labels end to end (the suite's time budget)
KIT_SPECS = [ImageSpec(32, 32, 3, 10)]
ENV = {**os.environ, "GANZOO_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}


def ganzoo(*args):
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, env=ENV)


def _tiny_mnist(path):
    from ganzoo import open_dataset
    data = open_dataset("mnist-5k")
    np.savez(path, x=data.images[::78][:64, ..., 0])
    return path


def test_sngan_keeps_the_contract(ganzoo_conformance):
    ganzoo_conformance.architecture("sngan", specs=KIT_SPECS)


@pytest.mark.parametrize("spec, blocks", [(ImageSpec(28, 28, 1), 2), (ImageSpec(64, 64, 3), 4)])
def test_both_networks_fit_the_sizes_the_kit_does_not_run(spec, blocks):
    from ganzoo_sngan.models import build_discriminator, build_generator

    from ganzoo.layers import resnet_plan
    assert resnet_plan(spec, 0) == (spec.height // 2 ** blocks, blocks)
    generator = build_generator(spec, latent_dim=8, width=8, blocks=0)
    discriminator = build_discriminator(spec, width=8, blocks=0)
    assert [t.name for t in generator.inputs] == ["z"] and [t.name for t in discriminator.inputs] == ["images"]
    images = np.asarray(generator(np.random.default_rng(0).standard_normal((2, 8)).astype(np.float32)))
    assert images.shape == (2, *spec.shape) and np.abs(images).max() <= 1
    assert discriminator(images).shape == (2, 1)


def test_with_labels_the_label_moves_both_networks_from_the_first_step():
    # ganzoo-sagan's test, for 0.3.0's conditional form: BigGAN's N(0, 1) class embedding in the generator and the
    # projection discriminator; a fixed seed, and the label's effect measured against another noise's
    import keras
    from ganzoo_sngan.models import build_discriminator, build_generator
    keras.utils.set_random_seed(0)
    spec = ImageSpec(28, 28, 1, 10)
    generator, discriminator = build_generator(spec, latent_dim=8, width=16, blocks=0), \
        build_discriminator(spec, width=16, blocks=0)
    assert [t.name for t in generator.inputs] == ["z", "label"]
    steering, judging = label_influence(generator, discriminator, 10)
    assert steering > 1.5 and judging > 0.5  # the label moves the images more than new latents do


def test_the_discriminator_reaches_the_hinge_margin_within_a_few_steps():
    # A sum over positions, as in the paper: 0.1.0's mean divided the logits' gap by 49 at 28x28 under spectral
    # normalisation, and after 10 steps on digits against noise its hinge loss was still 1.88 (its start: 2)
    import keras
    import tensorflow as tf
    from ganzoo_sngan.models import build_discriminator

    from ganzoo import open_dataset
    keras.utils.set_random_seed(0)
    discriminator = build_discriminator(ImageSpec(28, 28, 1), width=8, blocks=0)
    digits = (open_dataset("mnist-5k").images[:32] / 127.5 - 1).astype(np.float32)
    noise = np.random.default_rng(0).uniform(-1, 1, digits.shape).astype(np.float32)
    optimizer = keras.optimizers.Adam(2e-4, beta_1=0.0, beta_2=0.9)
    for _ in range(10):
        with tf.GradientTape() as tape:
            loss = (tf.reduce_mean(tf.nn.relu(1 - discriminator(digits, training=True)))
                    + tf.reduce_mean(tf.nn.relu(1 + discriminator(noise, training=True))))
        gradients = tape.gradient(loss, discriminator.trainable_variables)
        optimizer.apply_gradients(zip(gradients, discriminator.trainable_variables))
    gap = np.mean(discriminator(digits)) - np.mean(discriminator(noise))
    assert float(loss) < 0.5 and gap > 2


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
