"""The losses beyond the tutorial's: hand computations, the loop's honouring of their settings, short real runs."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from ganzoo.plugins import discovery
from ganzoo.plugins.interfaces import LossContext
from ganzoo.training.gan import GAN
from ganzoo_dcgan.losses import gradient_penalty


def _linear_discriminator(weights):
    model = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    model.layers[-1].set_weights([np.asarray(weights, np.float32).reshape(4, 1), np.array([0.3], np.float32)])
    return model


def test_wgan_gp_gradient_penalty_matches_a_hand_computation():
    weights = [0.5, -1.0, 2.0, 0.25]  # D(x) = w.x + b: its gradient is w everywhere
    rng = np.random.default_rng(0)
    real, fake = (rng.standard_normal((6, 2, 2, 1)).astype(np.float32) for _ in range(2))
    ctx = LossContext(real, fake, None, None, _linear_discriminator(weights),
                      seed_generator=keras.random.SeedGenerator(0))
    expected = (np.linalg.norm(weights) - 1.0) ** 2
    assert float(gradient_penalty(ctx)) == pytest.approx(expected, rel=1e-5)
    loss = discovery.load("ganzoo.losses", "wgan-gp")
    logits = LossContext(real, fake, np.array([[1.0], [3.0]], "float32"), np.array([[0.5], [0.5]], "float32"),
                         ctx.discriminator,
                         seed_generator=ctx.seed_generator)
    assert float(loss.discriminator_loss(logits)) == pytest.approx(0.5 - 2.0 + 10 * expected, rel=1e-5)
    assert float(loss.generator_loss(logits)) == pytest.approx(-0.5)


def test_r1_penalty_matches_a_hand_computation():
    weights = [0.5, -1.0, 2.0, 0.25]
    gan = GAN(keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Reshape((2, 2, 1))]),
              _linear_discriminator(weights), discovery.load("ganzoo.losses", "nonsaturating"), 3, 0, r1_gamma=4.0)
    import tensorflow as tf
    _, penalty = gan._real_logits_and_r1(tf.constant(np.ones((5, 2, 2, 1), np.float32)), None)
    assert float(penalty) == pytest.approx(4.0 / 2 * np.sum(np.square(weights)), rel=1e-5)


@pytest.mark.parametrize("name, d_loss, g_loss", [
    ("lsgan", 0.5 * ((1 - 1) ** 2 + (3 - 1) ** 2) / 2 + 0.5 * (0.25 + 0.25) / 2, 0.5 * 0.25),
    ("hinge", (0 + 0) / 2 + (1.5 + 1.5) / 2, -0.5),
])
def test_lsgan_and_hinge_match_hand_computations(name, d_loss, g_loss):
    loss = discovery.load("ganzoo.losses", name)
    ctx = LossContext(None, None, np.array([[1.0], [3.0]], "float32"), np.array([[0.5], [0.5]], "float32"), None)
    assert float(loss.discriminator_loss(ctx)) == pytest.approx(d_loss)
    assert float(loss.generator_loss(ctx)) == pytest.approx(g_loss)


def test_the_loop_runs_the_losss_discriminator_steps():
    generator = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                                  keras.layers.Reshape((2, 2, 1))])
    gan = GAN(generator, _linear_discriminator([0.1, 0.2, 0.3, 0.4]), discovery.load("ganzoo.losses", "wgan-gp"), 3, 0)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.fit(np.random.default_rng(0).uniform(-1, 1, (8, 2, 2, 1)).astype("float32"), batch_size=4, epochs=1,
            verbose=0)
    assert int(gan.g_optimizer.iterations) == 2 and int(gan.d_optimizer.iterations) == 10


# lsgan and hinge through the CLI are slow-marked: test_conformance trains every loss for a step (check_loss) and
# the sngan and sagan plugin tests train with hinge; wgan-gp (its own defaults, 5 critic steps) and R1 stay
_COVERED = pytest.mark.slow


@pytest.mark.parametrize("loss, extra", [pytest.param("lsgan", (), marks=_COVERED),
                                         pytest.param("hinge", (), marks=_COVERED),
                                         ("wgan-gp", ()), ("nonsaturating", ("--r1", "10"))])
def test_each_loss_trains_the_default_dcgan_with_finite_losses(tiny_npz, tmp_path, cli, loss, extra):
    run = tmp_path / "run"
    code, _, err = cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--loss", loss, *extra, "--epochs", "2",
                       "--batch-size", "32", "--latent-dim", "8", "--run-dir", run)
    assert code == 0, err
    rows = (run / "metrics.csv").read_text().splitlines()[1:]
    assert len(rows) == 2 and all(np.isfinite(float(v)) for row in rows for v in row.split(",")[2:4])
    config = json.loads((run / "config.json").read_text())
    assert config["loss"] == loss
    if loss == "wgan-gp":  # the loss's optimizer defaults win over the architecture's
        assert config["beta_2"] == 0.9 and config["beta_1"] == 0.5
    if extra:
        assert config["r1"] == 10.0
