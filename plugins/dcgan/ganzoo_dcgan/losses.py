"""GAN losses on the discriminator's logits.

The tutorial's non-saturating loss (default) and the original minimax form,
with binary cross-entropy on logits written as BCE(1, x) = softplus(-x),
BCE(0, x) = softplus(x); and least squares, hinge and WGAN-GP.
"""

from __future__ import annotations

import keras
from keras import ops

from ganzoo import Loss, LossContext, TrainingDefaults


def _discriminator_bce(ctx: LossContext):
    return ops.mean(ops.softplus(-ctx.real_logits)) + ops.mean(ops.softplus(ctx.fake_logits))


class NonSaturatingLoss(Loss):
    """Generator maximises log D(G(z)) (the tutorial's loss)."""

    def discriminator_loss(self, ctx: LossContext):
        return _discriminator_bce(ctx)

    def generator_loss(self, ctx: LossContext):
        return ops.mean(ops.softplus(-ctx.fake_logits))


class MinimaxLoss(Loss):
    """Generator minimises log(1 - D(G(z))), Goodfellow et al.'s original form."""

    def discriminator_loss(self, ctx: LossContext):
        return _discriminator_bce(ctx)

    def generator_loss(self, ctx: LossContext):
        return -ops.mean(ops.softplus(ctx.fake_logits))


NON_SATURATING = NonSaturatingLoss()
MINIMAX = MinimaxLoss()


class LeastSquaresLoss(Loss):
    """LSGAN (Mao et al. 2017): D regresses real to 1 and fake to 0; G pushes fake to 1."""

    def discriminator_loss(self, ctx: LossContext):
        return 0.5 * (ops.mean(ops.square(ctx.real_logits - 1.0)) + ops.mean(ops.square(ctx.fake_logits)))

    def generator_loss(self, ctx: LossContext):
        return 0.5 * ops.mean(ops.square(ctx.fake_logits - 1.0))


class HingeLoss(Loss):
    """Hinge loss (Lim & Ye 2017; SAGAN, BigGAN): D margins at ±1; G maximises D(G(z))."""

    def discriminator_loss(self, ctx: LossContext):
        return ops.mean(ops.relu(1.0 - ctx.real_logits)) + ops.mean(ops.relu(1.0 + ctx.fake_logits))

    def generator_loss(self, ctx: LossContext):
        return -ops.mean(ctx.fake_logits)


class WassersteinGPLoss(Loss):
    """WGAN-GP (Gulrajani et al. 2017): critic D(real) - D(fake) with a gradient penalty
    lambda * E[(||grad D(x_hat)|| - 1)^2] at random interpolates x_hat of real and fake images;
    5 critic steps per generator step, Adam beta_1 0.5, beta_2 0.9."""

    defaults = TrainingDefaults(lr=2e-4, beta_1=0.5, beta_2=0.9)
    discriminator_steps = 5

    def __init__(self, penalty_weight: float = 10.0):
        self.penalty_weight = penalty_weight

    def discriminator_loss(self, ctx: LossContext):
        critic = ops.mean(ctx.fake_logits) - ops.mean(ctx.real_logits)
        return critic + self.penalty_weight * gradient_penalty(ctx)

    def generator_loss(self, ctx: LossContext):
        return -ops.mean(ctx.fake_logits)


def gradient_penalty(ctx: LossContext):
    """E[(||grad_x D(x)|| - 1)^2] at x = eps * real + (1 - eps) * fake, eps ~ U(0, 1) per image."""
    import tensorflow as tf  # gradients of the discriminator with respect to its input need the backend

    real = tf.cast(ctx.real_images, tf.float32)
    fake = tf.cast(ctx.fake_images, tf.float32)
    eps = keras.random.uniform((tf.shape(real)[0], 1, 1, 1), seed=ctx.seed_generator)
    mixed = eps * real + (1.0 - eps) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        total = tf.reduce_sum(ctx.discriminator(mixed, training=True))
    gradients = tape.gradient(total, mixed)
    norms = tf.sqrt(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]) + 1e-12)
    return tf.reduce_mean(tf.square(norms - 1.0))


LSGAN = LeastSquaresLoss()
HINGE = HingeLoss()
WGAN_GP = WassersteinGPLoss()
