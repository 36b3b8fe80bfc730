"""The shared GAN: one ``keras.Model`` whose ``train_step`` trains any generator,
discriminator and loss, so that ``fit()`` provides the loop, callbacks and
progress bar.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from ganzoo.interfaces import Loss, LossContext


class GAN(keras.Model):
    """Generator + discriminator trained together, by the loss's rules (see ganzoo.interfaces.Loss)."""

    def __init__(self, generator: keras.Model, discriminator: keras.Model, loss: Loss, latent_dim: int,
                 seed: int, r1_gamma: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.r1_gamma = r1_gamma
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

    @property
    def conditional(self) -> bool:
        """Whether the generator takes class labels (a second input)."""
        return len(self.generator.inputs) == 2

    def train_step(self, data):
        real_images, labels = data if self.conditional else (data, None)
        if getattr(self.gan_loss, "discriminator_steps", 1) == 1:
            d_loss, g_loss = self._simultaneous_step(real_images, labels)
        else:
            for _ in range(self.gan_loss.discriminator_steps):
                d_loss = self._discriminator_step(real_images, labels)
            g_loss = self._generator_step(real_images, labels)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        return {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}

    def _generate(self, real_images, labels):
        """Fake images for a batch: fresh latents, and the real batch's labels for a conditional model."""
        z = keras.random.normal((tf.shape(real_images)[0], self.latent_dim), seed=self.latent_seed)
        return self.generator(z if labels is None else [z, labels], training=True)

    def _judge(self, images, labels):
        return self.discriminator(images if labels is None else [images, labels], training=True)

    def _context(self, real_images, fake_images, real_logits, fake_logits, labels) -> LossContext:
        return LossContext(real_images, fake_images, real_logits, fake_logits, self.discriminator, labels,
                           seed_generator=self.latent_seed)

    def _real_logits_and_r1(self, real_images, labels):
        """Discriminator logits on real images, and the R1 penalty (gamma/2 E||grad_x D(x)||^2) if enabled."""
        if not self.r1_gamma:
            return self._judge(real_images, labels), 0.0
        with tf.GradientTape() as tape:
            tape.watch(real_images)
            real_logits = self._judge(real_images, labels)
            total = tf.reduce_sum(real_logits)  # inside the tape, or it records no path to the input
        gradients = tape.gradient(total, real_images)
        penalty = tf.reduce_mean(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]))
        return real_logits, 0.5 * self.r1_gamma * penalty

    def _simultaneous_step(self, real_images, labels):
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = self._generate(real_images, labels)
            real_logits, r1 = self._real_logits_and_r1(real_images, labels)
            fake_logits = self._judge(fake_images, labels)
            ctx = self._context(real_images, fake_images, real_logits, fake_logits, labels)
            d_loss = self.gan_loss.discriminator_loss(ctx) + r1
            g_loss = self.gan_loss.generator_loss(ctx)
        self._apply(self.d_optimizer, d_tape, d_loss, self.discriminator)
        self._apply(self.g_optimizer, g_tape, g_loss, self.generator)
        return d_loss, g_loss

    def _discriminator_step(self, real_images, labels):
        fake_images = self._generate(real_images, labels)
        with tf.GradientTape() as tape:
            real_logits, r1 = self._real_logits_and_r1(real_images, labels)
            fake_logits = self._judge(fake_images, labels)
            d_loss = self.gan_loss.discriminator_loss(
                self._context(real_images, fake_images, real_logits, fake_logits, labels)) + r1
        self._apply(self.d_optimizer, tape, d_loss, self.discriminator)
        return d_loss

    def _generator_step(self, real_images, labels):
        with tf.GradientTape() as tape:
            fake_images = self._generate(real_images, labels)
            fake_logits = self._judge(fake_images, labels)
            g_loss = self.gan_loss.generator_loss(
                self._context(real_images, fake_images, None, fake_logits, labels))
        self._apply(self.g_optimizer, tape, g_loss, self.generator)
        return g_loss

    @staticmethod
    def _apply(optimizer, tape, loss, model):
        variables = model.trainable_variables
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
