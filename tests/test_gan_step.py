"""The GAN's step counter, in process: it counts every step, also those a LossScaleOptimizer skips."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from ganzoo_dcgan.losses import NonSaturatingLoss
from ganzoo_dcgan.models import build_discriminator, build_generator

from ganzoo.plugins.interfaces import ImageSpec
from ganzoo.training import precision
from ganzoo.training.gan import GAN


@pytest.fixture
def float16_gan():
    spec = ImageSpec(28, 28, 1)
    with precision.policy("mixed_float16"):
        gan = GAN(build_generator(spec, latent_dim=8), build_discriminator(spec), NonSaturatingLoss(), 8, seed=0)
        # a loss scale so large that every float16 gradient overflows: each step is skipped
        optimizers = [keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(1e-3), initial_scale=1e30)
                      for _ in range(2)]
        gan.compile(d_optimizer=optimizers[0], g_optimizer=optimizers[1])
        gan.build_optimizers()
    return gan


def test_skipped_float16_steps_still_count(float16_gan):
    before = [v.numpy().copy() for v in float16_gan.generator.trainable_variables]
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    for _ in range(2):
        float16_gan.train_step(images)
    assert float16_gan.g_optimizer.iterations.numpy() == 0  # the optimizer skipped both updates…
    assert float16_gan.step == 2  # …and the run still counts two steps (data order and latents follow it)
    after = float16_gan.generator.trainable_variables
    assert all(np.array_equal(b, a.numpy()) for b, a in zip(before, after))
