"""The shared GAN: one ``keras.Model`` whose ``train_step`` trains any generator,
discriminator and loss, so that ``fit()`` provides the loop, callbacks and
progress bar.

The step works under any ``tf.distribute`` strategy: each replica's losses are
divided by the number of replicas (the optimizers sum gradients across
replicas), and the latents are a stateless function of (seed, step, draw), of
which each replica takes its rows, so N replicas see exactly the latents that
one device would see for the same global batch. Under a mixed-precision policy
the generator's images and the discriminator's logits are cast to float32
before any loss, and a ``LossScaleOptimizer`` gets its scaled loss. With
DiffAugment policies (``augment``, ganzoo.training.augment) every image the
discriminator sees, real and generated, is augmented first; with an ADA
target (``ada_target``, StyleGAN2-ADA) each image is augmented with a
probability p that follows the discriminator's overfitting. With a
mode-seeking weight the generator's loss adds that multiple of
ganzoo.training.mode_seeking's term, on its images before augmentation.
Before each step, every ganzoo.layers.Ramp in the models learns how many
images training has seen (steps done times the global batch).
"""

from __future__ import annotations

import keras
import tensorflow as tf

from ganzoo.layers import ramps
from ganzoo.plugins.generator_inputs import generator_inputs
from ganzoo.plugins.interfaces import Loss, LossContext
from ganzoo.training.augment import ADA_IMAGES, augment
from ganzoo.training.ema import GeneratorEMA
from ganzoo.training.mode_seeking import mode_seeking_term


class GAN(keras.Model):
    """Generator + discriminator trained together, by the loss's rules (see ganzoo.plugins.interfaces.Loss)."""

    def __init__(self, generator: keras.Model, discriminator: keras.Model, loss: Loss, latent_dim: int,
                 seed: int, r1_gamma: float = 0.0, ema: GeneratorEMA | None = None, conditional: bool = False,
                 augment: tuple[str, ...] = (), mode_seeking: float = 0.0, discriminator_steps: int | None = None,
                 r1_every: int = 1, ada_target: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.augment_policies = augment  # DiffAugment policies for every image the discriminator sees
        # ADA: the probability with which each image is augmented, adapted so that the share of reals the
        # discriminator calls real (the mean sign of its logits) stays near the target
        self.ada_target = ada_target
        self.ada_p = keras.Variable(0.0, dtype="float32", trainable=False, aggregation="only_first_replica",
                                    name="ada_p") if ada_target else None
        self.mode_seeking = mode_seeking  # weight of the generator's mode-seeking term (0: off)
        self.conditional = conditional  # whether the models take class labels (from the architecture's record)
        self.r1_gamma = r1_gamma
        self.r1_every = r1_every  # lazy R1: the penalty on every r1_every-th step only, times r1_every
        self.generator = generator
        self.discriminator = discriminator
        self.gan_loss = loss
        self.latent_dim = latent_dim
        self.seed = seed
        self.ema = ema
        self.loss_seed = keras.random.SeedGenerator(seed)  # the losses' own randomness (LossContext.seed_generator)
        # --d-steps, else the loss's own rule (WGAN-GP: 5), else 1
        self.discriminator_steps = discriminator_steps or getattr(loss, "discriminator_steps", 1)
        # Not the optimizer's `iterations`: a LossScaleOptimizer leaves that unchanged on the steps it skips.
        self.steps_done = keras.Variable(0, dtype="int64", trainable=False, aggregation="only_first_replica",
                                         name="steps_done")
        # the ramps of all three models (the EMA copy's too, which averaging alone would leave behind)
        self.ramps = [*ramps(generator), *ramps(discriminator), *(ramps(ema.generator) if ema else ())]
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
        """Completed training steps."""
        return int(self.steps_done.numpy())

    def build_optimizers(self) -> None:
        """Create the optimizers' slots now, so a checkpoint can be restored into them."""
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    def checkpoint_variables(self) -> list:
        """Every variable a checkpoint must hold, in a fixed order: generator first, EMA weights last."""
        return [*self.generator.variables, *self.discriminator.variables, self.loss_seed.state, self.steps_done,
                *self.d_optimizer.variables, *self.g_optimizer.variables,
                *((self.ada_p,) if self.ada_p is not None else ()), *(self.ema.variables if self.ema else ())]

    @property
    def sampling_generator(self) -> keras.Model:
        """The generator that samples, grids and evaluation use: the EMA one when there is one."""
        return self.ema.generator if self.ema else self.generator

    def train_step(self, data):
        real_images, labels = data if self.conditional else (data, None)
        self._tell_ramps(tf.shape(real_images)[0])
        real_images = self._augment(real_images)  # the same augmented reals in every update of this step
        if self.discriminator_steps == 1:
            d_loss, g_loss, real_logits = self._simultaneous_step(real_images, labels)
        else:
            for draw in range(self.discriminator_steps):
                d_loss, real_logits = self._discriminator_step(real_images, labels, draw)
            g_loss = self._generator_step(real_images, labels, self.discriminator_steps)
        if self.ema:
            self.ema.update(self.generator)
        if self.ada_p is not None:
            self._adapt(real_logits)
        self.steps_done.assign_add(1)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        logs = {"d_loss": self.d_loss_tracker.result(), "g_loss": self.g_loss_tracker.result()}
        if self.ada_p is not None:
            logs["ada_p"] = self.ada_p.value
        if self.ramps:  # the first one's factor (the generator's, if it has one), as this step used it
            logs["ramp"] = self.ramps[0].weight
        return logs

    def _tell_ramps(self, batch):
        """Every Ramp's count of images trained on: the steps done times the global batch (every batch is full:
        the pipeline drops the remainder)."""
        if self.ramps:
            replicas = tf.distribute.get_replica_context().num_replicas_in_sync
            seen = tf.cast(self.steps_done.value, tf.float32) * tf.cast(batch * replicas, tf.float32)
            for ramp in self.ramps:
                ramp.seen.assign(seen)

    def _adapt(self, real_logits):
        """StyleGAN2-ADA's rule, every step: p moves by the batch's share of ADA_IMAGES towards more augmentation
        while the mean sign of D(real) over every replica's batch is above the target, towards less below it."""
        replica = tf.distribute.get_replica_context()
        overfit = replica.all_reduce("mean", tf.reduce_mean(tf.sign(real_logits)))
        images = tf.cast(tf.shape(real_logits)[0] * replica.num_replicas_in_sync, tf.float32)
        step = tf.sign(overfit - self.ada_target) * images / ADA_IMAGES
        self.ada_p.assign(tf.clip_by_value(self.ada_p.value + step, 0.0, 1.0))

    def _latents(self, batch, draw: int):
        """This replica's rows of the global batch's latents for draw ``draw`` of the current step."""
        replica = tf.distribute.get_replica_context()
        replicas, index = replica.num_replicas_in_sync, replica.replica_id_in_sync_group
        step = self.steps_done.value
        seed = tf.stack([tf.constant(self.seed, tf.int64), step * (self.discriminator_steps + 1) + draw])
        every_replica = tf.random.stateless_normal((batch * replicas, self.latent_dim), seed=seed)
        return every_replica[batch * index: batch * (index + 1)]

    def _generate(self, real_images, labels, draw: int = 0, seeking: bool = True):
        """Fake images (float32) for a batch, as the discriminator sees them (augmented, if asked): fresh
        latents, and the real batch's labels for a conditional model. Also the weighted mode-seeking term
        on them, for the generator's loss (0 when off or not ``seeking``)."""
        z = self._latents(tf.shape(real_images)[0], draw)
        images = tf.cast(self.generator(generator_inputs(self.generator, z, labels), training=True), tf.float32)
        term = self.mode_seeking * mode_seeking_term(images, z, labels) if seeking and self.mode_seeking else 0.0
        return self._augment(images), term

    def _augment(self, images):
        if not self.augment_policies:
            return images
        probability = None if self.ada_p is None else self.ada_p.value
        return augment(images, self.augment_policies, self.loss_seed, probability)

    def _judge(self, images, labels):
        logits = self.discriminator(images if labels is None else [images, labels], training=True)
        return tf.cast(logits, tf.float32)

    def _context(self, real_images, fake_images, real_logits, fake_logits, labels) -> LossContext:
        return LossContext(real_images, fake_images, real_logits, fake_logits, self.discriminator, labels,
                           seed_generator=self.loss_seed)

    def _real_logits_and_r1(self, real_images, labels):
        """Discriminator logits on real images, and the R1 penalty (gamma/2 E||grad_x D(x)||^2) if enabled: on
        every step, or lazily (StyleGAN2) on every ``r1_every``-th step times ``r1_every``, the other steps
        skipping its cost (a ``tf.cond``, through which the discriminator's gradient flows either way)."""
        if not self.r1_gamma:
            return self._judge(real_images, labels), 0.0
        if self.r1_every == 1:
            return self._with_r1(real_images, labels, 1.0)
        due = tf.equal(self.steps_done.value % self.r1_every, 0)
        return tf.cond(due, lambda: self._with_r1(real_images, labels, float(self.r1_every)),
                       lambda: (self._judge(real_images, labels), tf.constant(0.0)))

    def _with_r1(self, real_images, labels, scale: float):
        with tf.GradientTape() as tape:
            tape.watch(real_images)
            real_logits = self._judge(real_images, labels)
            total = tf.reduce_sum(real_logits)  # inside the tape, or it records no path to the input
        gradients = tape.gradient(total, real_images)
        penalty = tf.reduce_mean(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]))
        return real_logits, scale * 0.5 * self.r1_gamma * penalty

    def _simultaneous_step(self, real_images, labels):
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images, seeking = self._generate(real_images, labels)
            real_logits, r1 = self._real_logits_and_r1(real_images, labels)
            fake_logits = self._judge(fake_images, labels)
            ctx = self._context(real_images, fake_images, real_logits, fake_logits, labels)
            d_loss = self.gan_loss.discriminator_loss(ctx) + r1
            g_loss = self.gan_loss.generator_loss(ctx) + seeking
            d_target, g_target = _target(self.d_optimizer, d_loss), _target(self.g_optimizer, g_loss)
        _apply(self.d_optimizer, d_tape, d_target, self.discriminator)
        _apply(self.g_optimizer, g_tape, g_target, self.generator)
        return d_loss, g_loss, real_logits

    def _discriminator_step(self, real_images, labels, draw: int):
        fake_images, _ = self._generate(real_images, labels, draw, seeking=False)
        with tf.GradientTape() as tape:
            real_logits, r1 = self._real_logits_and_r1(real_images, labels)
            fake_logits = self._judge(fake_images, labels)
            d_loss = self.gan_loss.discriminator_loss(
                self._context(real_images, fake_images, real_logits, fake_logits, labels)) + r1
            target = _target(self.d_optimizer, d_loss)
        _apply(self.d_optimizer, tape, target, self.discriminator)
        return d_loss, real_logits

    def _generator_step(self, real_images, labels, draw: int):
        with tf.GradientTape() as tape:
            fake_images, seeking = self._generate(real_images, labels, draw)
            fake_logits = self._judge(fake_images, labels)
            g_loss = self.gan_loss.generator_loss(
                self._context(real_images, fake_images, None, fake_logits, labels)) + seeking
            target = _target(self.g_optimizer, g_loss)
        _apply(self.g_optimizer, tape, target, self.generator)
        return g_loss


def _target(optimizer, loss):
    """What to differentiate (inside the tape): the loss divided among the replicas, whose gradients the
    optimizer sums, and multiplied by the loss scale when the optimizer is a LossScaleOptimizer."""
    replicas = tf.distribute.get_replica_context().num_replicas_in_sync
    return optimizer.scale_loss(loss / replicas)


def _apply(optimizer, tape, target, model):
    variables = model.trainable_variables
    optimizer.apply_gradients(zip(tape.gradient(target, variables), variables))
