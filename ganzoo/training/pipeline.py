"""The tf.data pipeline: uint8 arrays -> shuffled float batches in [-1, 1].

Each epoch's order is a stateless function of (seed, epoch), so a resumed run
sees exactly the batches the uninterrupted run would have seen.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def steps_per_epoch(num_images: int, batch_size: int) -> int:
    """Full batches per epoch (the last partial batch is dropped, as BatchNorm wants whole batches)."""
    return num_images // batch_size


def training_batches(images: np.ndarray, batch_size: int, seed: int, first_epoch: int,
                     skip_steps: int = 0, labels: np.ndarray | None = None) -> tf.data.Dataset:
    """Endless batches of epochs ``first_epoch``, ``first_epoch + 1``, … (0-based), skipping ``skip_steps``.

    Each element is a float image batch, or ``(images, labels)`` when ``labels`` are given.
    """
    pixels = tf.constant(images)
    classes = None if labels is None else tf.constant(labels, tf.int64)
    n = len(images)
    per_epoch = steps_per_epoch(n, batch_size)

    def epoch_order(epoch):
        keys = tf.random.stateless_uniform([n], seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(tf.argsort(keys)[: per_epoch * batch_size])

    def to_float(indices):
        batch = tf.cast(tf.gather(pixels, indices), tf.float32) / 127.5 - 1.0
        return batch if classes is None else (batch, tf.gather(classes, indices))

    return (tf.data.Dataset.range(first_epoch, 2**62)
            .flat_map(epoch_order)
            .skip(skip_steps * batch_size)
            .batch(batch_size, drop_remainder=True)
            .map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
            .prefetch(tf.data.AUTOTUNE))
