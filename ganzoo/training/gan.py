"""The shared GAN: one ``keras.Model`` whose ``train_step`` trains any generator,
discriminator and loss, so that ``fit()`` provides the loop, callbacks and
progress bar.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from ganzoo.interfaces import Loss, LossContext


class GAN(keras.Model):
    """Generator + discriminator trained together by simultaneous updates (as TF's DCGAN tutorial)."""

    def __init__(self, generator: keras.Model, discriminator: keras.Model, loss: Loss, latent_dim: int,
                 seed: int, **kwargs):
        super().__init__(**kwargs)
        self.generator = generator
        self.discriminator = discriminator
        self.gan_loss = loss
        self.latent_dim = latent_dim
        self.latent_seed = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")

    def compile(self, d_optimizer: keras.optimizers.Optimizer, g_optimizer: keras.optimizers.Optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker]

    @property
    def step(self) -> int:
        """Completed training steps (generator updates)."""
        return int(self.g_optimizer.iterations.numpy())

    def build_optimizers(self) -> None:
        """Create the optimizers' slots now, so a checkpoint can be restored into them."""
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def checkpoint_variables(self) -> list:
        """Every variable a checkpoint must hold, in a fixed order."""
        return [*self.generator.variables, *self.discriminator.variables, self.latent_seed.state,
                *self.d_optimizer.variables, *self.g_optimizer.variables]

    def train_step(self, data):
        real_images = data
        batch_size = tf.shape(real_images)[0]
        z = keras.random.normal((batch_size, self.latent_dim), seed=self.latent_seed)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = self.generator(z, training=True)
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            ctx = LossContext(real_images, fake_images, real_logits, fake_logits, self.discriminator)
            d_loss = self.gan_loss.discriminator_loss(ctx)
            g_loss = self.gan_loss.generator_loss(ctx)
        d_vars, g_vars = self.discriminator.trainable_variables, self.generator.trainable_variables
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}
