"""The mode-seeking term (Mao et al., "Mode Seeking Generative Adversarial Networks for Diverse Image
Synthesis", 2019), for generators that draw the same image whatever z is.

Over the pairs of one batch that share a label (every pair, without labels) it
takes the ratio of the mean L1 distance between the generated images to the
mean L1 distance between their latents, and returns 1 / (ratio + eps): small
when different latents give different images, large when the generator
ignores z. The generator's loss adds it, weighted by ``--mode-seeking``.
Images are compared as generated, before any augmentation, whose random
shifts would otherwise count as the generator's variety.
"""

from __future__ import annotations

import tensorflow as tf

EPSILON = 1e-5  # MSGAN's, so that a collapsed batch gives a large but finite term


def mode_seeking_term(images, z, labels=None):
    """1 / (image distance / latent distance + eps) over the batch's same-label pairs; 0 when it has none."""
    images = tf.reshape(tf.cast(images, tf.float32), [tf.shape(images)[0], -1])
    z = tf.cast(z, tf.float32)
    image_distances = _l1_distances(images)
    latent_distances = _l1_distances(z)
    n = tf.shape(images)[0]
    pairs = 1.0 - tf.eye(n)
    if labels is not None:
        labels = tf.reshape(labels, [-1])
        pairs *= tf.cast(tf.equal(labels[:, None], labels[None, :]), tf.float32)
    ratio = tf.math.divide_no_nan(tf.reduce_sum(pairs * image_distances), tf.reduce_sum(pairs * latent_distances))
    return tf.where(tf.reduce_sum(pairs) > 0, 1.0 / (ratio + EPSILON), 0.0)


def _l1_distances(rows):
    """[n, n] mean absolute differences between rows, one row at a time: all pairs at once would hold
    n * n * pixels floats (800 MB at batch 128 and 64x64x3)."""
    return tf.map_fn(lambda row: tf.reduce_mean(tf.abs(rows - row), axis=-1), rows)
