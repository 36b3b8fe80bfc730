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


def _gan(**kwargs) -> GAN:
    """The same small dcgan pair every time (seeded), compiled with plain SGD so that losses are comparable."""
    keras.utils.set_random_seed(0)
    spec = ImageSpec(28, 28, 1)
    gan = GAN(build_generator(spec, latent_dim=8, width=8), build_discriminator(spec, width=8),
              NonSaturatingLoss(), 8, seed=0, **kwargs)
    gan.compile(d_optimizer=keras.optimizers.SGD(1e-3), g_optimizer=keras.optimizers.SGD(1e-3))
    gan.build_optimizers()
    return gan


def test_lazy_r1_is_the_penalty_times_n_on_every_nth_step_and_nothing_between():
    import tensorflow as tf
    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)), tf.float32)  # as fit() gives it

    def first_d_loss(**kwargs):
        return float(_gan(**kwargs).train_step(images)["d_loss"])

    plain = first_d_loss()
    penalty = first_d_loss(r1_gamma=10.0) - plain  # R1 on every step
    assert penalty > 1e-3
    assert first_d_loss(r1_gamma=10.0, r1_every=4) - plain == pytest.approx(4 * penalty, rel=1e-3)  # step 0: due
    off_step = _gan(r1_gamma=10.0, r1_every=4)
    off_step.steps_done.assign(1)  # step 1 of every 4: no penalty, and no cost
    later = _gan()
    later.steps_done.assign(1)
    assert float(off_step.train_step(images)["d_loss"]) == pytest.approx(float(later.train_step(images)["d_loss"]),
                                                                         rel=1e-6)


def test_d_steps_make_that_many_discriminator_updates_per_generator_update():
    gan = _gan(discriminator_steps=3)
    images = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    gan.train_step(images)
    assert (gan.d_optimizer.iterations.numpy(), gan.g_optimizer.iterations.numpy(), gan.step) == (3, 1, 1)
    assert _gan().discriminator_steps == 1  # the loss's own rule when not given (the non-saturating loss: 1)


def test_ada_raises_p_while_the_discriminator_calls_reals_real_and_lowers_it_otherwise():
    import tensorflow as tf

    from ganzoo.training.augment import ADA_IMAGES
    gan = _gan(augment=("translation",), ada_target=0.6)
    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)), tf.float32)
    last = gan.discriminator.layers[-1]
    for bias, expected in ((100.0, 8 / ADA_IMAGES), (100.0, 16 / ADA_IMAGES), (-100.0, 8 / ADA_IMAGES),
                           (-100.0, 0.0), (-100.0, 0.0)):  # every real called real (sign 1 > 0.6), then none
        last.bias.assign([bias])
        logs = gan.train_step(images)
        assert float(logs["ada_p"]) == pytest.approx(expected, abs=1e-9)
    assert any(v is gan.ada_p for v in gan.checkpoint_variables())  # a resumed run goes on from the same p


@pytest.mark.parametrize("probability, changed", [(0.0, 0), (1.0, 64), (0.5, (16, 48))])
def test_with_a_probability_each_image_is_augmented_that_often(probability, changed):
    import tensorflow as tf

    from ganzoo.training.augment import augment
    images = tf.constant(np.random.default_rng(0).uniform(-1, 1, (64, 16, 16, 1)), tf.float32)
    out = augment(images, ("cutout",), keras.random.SeedGenerator(0), probability)
    count = int(np.sum(np.abs(np.asarray(out) - np.asarray(images)).reshape(64, -1).max(axis=1) > 0))
    assert (changed[0] <= count <= changed[1]) if isinstance(changed, tuple) else count == changed


def test_every_ramp_in_the_generator_its_ema_copy_and_the_discriminator_knows_the_images_trained_on():
    from ganzoo.layers import Ramp, ramps
    from ganzoo.training.ema import GeneratorEMA

    def generator():
        z = keras.Input((8,))
        x = keras.layers.Dense(28 * 28)(Ramp(8, 24)(keras.layers.Dense(8)(z)))
        return keras.Model(z, keras.layers.Reshape((28, 28, 1))(x))

    images = keras.Input((28, 28, 1))
    discriminator = keras.Model(images, Ramp(0, 16)(keras.layers.Dense(1)(keras.layers.Flatten()(images))))
    trained = generator()
    gan = GAN(trained, discriminator, NonSaturatingLoss(), 8, seed=0, ema=GeneratorEMA(generator(), trained, 0.9))
    gan.compile(d_optimizer=keras.optimizers.SGD(1e-3), g_optimizer=keras.optimizers.SGD(1e-3))
    gan.build_optimizers()
    assert len(gan.ramps) == 3
    batch = np.random.default_rng(0).uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    for _ in range(3):
        logs = gan.train_step(batch)
    assert float(logs["ramp"]) == 0.5  # the generator's, as the last step used it
    # the third step trained with the images of the two before it: 16
    assert [float(r.seen.numpy()) for r in gan.ramps] == [16.0, 16.0, 16.0]
    assert [float(r.weight) for r in (*ramps(trained), *ramps(discriminator))] == [0.5, 1.0]
