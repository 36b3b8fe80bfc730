"""DiffAugment (Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training", 2020).

The same random, differentiable transformations are applied to every image
the discriminator sees, real and generated, in both networks' updates, so the
discriminator cannot memorise a small dataset while the generator still
learns the data's distribution (gradients flow through the transformations).
Images are float32 in [-1, 1], NHWC. Policies, as in the paper's code:

* ``color``: brightness (add U(-0.5, 0.5)), saturation (scale the distance
  from the pixel's channel mean by U(0, 2)) and contrast (scale the distance
  from the image mean by U(0.5, 1.5)), per image;
* ``translation``: shift by up to 1/8 of the size in each direction, per
  image, filling with zeros;
* ``cutout``: zero a square of half the size at a random place, per image.

With a probability p (adaptive augmentation, StyleGAN2-ADA: ``--ada-target``)
each policy transforms each image with probability p, and leaves it as it is
otherwise; p follows the discriminator's overfitting (ganzoo.training.gan).

Randomness comes from the run's checkpointed seed generator, so a resumed run
draws what an uninterrupted one would.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from ganzoo.settings.types import AUGMENT_POLICIES as POLICIES

TRANSLATION_RATIO, CUTOUT_RATIO = 0.125, 0.5
#: ADA's speed: p can go from 0 to 1 in this many real images (StyleGAN2-ADA: 500,000, for runs of millions;
#: ganzoo's shelf runs see about 200,000).
ADA_IMAGES = 100_000


def augment(images, policies: tuple[str, ...], seed_generator, probability=None):
    """``images`` with each policy applied in turn (paper order: color, translation, cutout); with a
    ``probability``, each policy to each image with that probability (ADA)."""
    for policy in POLICIES:
        if policy in policies:
            changed = _APPLY[policy](images, seed_generator)
            if probability is not None:
                chosen = keras.random.uniform((tf.shape(images)[0], 1, 1, 1), 0.0, 1.0, seed=seed_generator)
                changed = tf.where(chosen < probability, changed, images)
            images = changed
    return images


def _per_image(images, seed_generator, low: float, high: float):
    return keras.random.uniform((tf.shape(images)[0], 1, 1, 1), low, high, seed=seed_generator)


def _color(x, seed):
    x = x + (_per_image(x, seed, 0.0, 1.0) - 0.5)
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    x = (x - mean) * (_per_image(x, seed, 0.0, 1.0) * 2) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * (_per_image(x, seed, 0.0, 1.0) + 0.5) + mean


def _translation(x, seed):
    n, h, w = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
    pad_h = tf.cast(tf.cast(h, tf.float32) * TRANSLATION_RATIO + 0.5, tf.int32)
    pad_w = tf.cast(tf.cast(w, tf.float32) * TRANSLATION_RATIO + 0.5, tf.int32)
    shift_h = _integers(seed, n, -pad_h, pad_h + 1)
    shift_w = _integers(seed, n, -pad_w, pad_w + 1)
    padded = tf.pad(x, [[0, 0], [pad_h, pad_h], [pad_w, pad_w], [0, 0]])
    rows = tf.range(h)[None, :] + pad_h + shift_h[:, None]  # [N, H]: the rows each image takes
    cols = tf.range(w)[None, :] + pad_w + shift_w[:, None]
    x = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(x, cols, axis=2, batch_dims=1)


def _cutout(x, seed):
    n, h, w = tf.shape(x)[0], tf.shape(x)[1], tf.shape(x)[2]
    half_h = tf.cast(tf.cast(h, tf.float32) * CUTOUT_RATIO / 2 + 0.5, tf.int32)
    half_w = tf.cast(tf.cast(w, tf.float32) * CUTOUT_RATIO / 2 + 0.5, tf.int32)
    center_h = _integers(seed, n, 0, h)
    center_w = _integers(seed, n, 0, w)
    inside_h = tf.abs(tf.range(h)[None, :] - center_h[:, None]) < half_h  # [N, H]
    inside_w = tf.abs(tf.range(w)[None, :] - center_w[:, None]) < half_w  # [N, W]
    cut = tf.logical_and(inside_h[:, :, None], inside_w[:, None, :])  # [N, H, W]
    return x * tf.cast(tf.logical_not(cut), x.dtype)[..., None]


def _integers(seed, n, low, high):
    """``n`` integers uniform in [low, high), from the seed generator."""
    fraction = keras.random.uniform((n,), 0.0, 1.0, seed=seed)
    span = tf.cast(high - low, tf.float32)
    return tf.minimum(tf.cast(fraction * span, tf.int32), high - low - 1) + low


_APPLY = {"color": _color, "translation": _translation, "cutout": _cutout}
