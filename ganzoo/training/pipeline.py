"""The tf.data pipeline: uint8 images -> shuffled float batches in [-1, 1].

Each epoch's order is a stateless permutation of (seed, epoch), so a resumed
run sees exactly the batches the uninterrupted run would have seen, on one
device or many. Images come from memory (a dataset decoded once: the cache)
or, for a dataset larger than the memory budget, are decoded from disk in
parallel as the epoch goes; both give the same batches. Batches are
prefetched, so the next one is ready when a step ends.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import tensorflow as tf

from ganzoo.errors import UserError

#: GANZOO_MEMORY_BUDGET (bytes) overrides this share of physical memory as the most a dataset may take decoded.
MEMORY_SHARE = 0.25


def steps_per_epoch(num_images: int, batch_size: int) -> int:
    """Full batches per epoch (the last partial batch is dropped, as BatchNorm wants whole batches)."""
    return num_images // batch_size


def memory_budget() -> int:
    override = os.environ.get("GANZOO_MEMORY_BUDGET")
    if override:
        return int(override)
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * MEMORY_SHARE)


def should_stream(dataset: Any) -> bool:
    """Stream a dataset that can be read image by image and would not fit the memory budget decoded."""
    decoded = getattr(dataset, "decoded_bytes", None)
    return callable(getattr(dataset, "read", None)) and decoded is not None and decoded > memory_budget()


class StreamedImages:
    """A dataset read image by image as the epochs go, remembering the first image it could not read:
    tf.data reports that error only as an OpError with a Python traceback in its text."""

    def __init__(self, dataset: Any):
        self.dataset, self.info, self.failure = dataset, dataset.info, None

    def read(self, index: int) -> np.ndarray:
        try:
            return self.dataset.read(index)
        except UserError as error:
            self.failure = self.failure or error
            raise


def training_batches(source: Any, batch_size: int, seed: int, first_epoch: int,
                     skip_steps: int = 0, labels: np.ndarray | None = None) -> tf.data.Dataset:
    """Endless batches of epochs ``first_epoch``, ``first_epoch + 1``, … (0-based), skipping ``skip_steps``.

    ``source``: uint8 images [N, H, W, C] in memory, or a streamed dataset (``read(i)`` -> one image).
    Each element is a float image batch, or ``(images, labels)`` when ``labels`` are given.
    """
    n = len(source) if isinstance(source, np.ndarray) else source.info.size
    per_epoch = steps_per_epoch(n, batch_size)
    classes = None if labels is None else tf.constant(labels, tf.int64)

    def epoch_order(epoch):
        keys = tf.random.stateless_uniform([n], seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(tf.argsort(keys)[: per_epoch * batch_size])

    indices = (tf.data.Dataset.range(first_epoch, 2**62)
               .flat_map(epoch_order)
               .skip(skip_steps * batch_size))
    if isinstance(source, np.ndarray):
        pixels = tf.constant(source)
        batches = indices.batch(batch_size, drop_remainder=True).map(
            lambda i: (tf.gather(pixels, i), i), num_parallel_calls=tf.data.AUTOTUNE)
    else:
        shape = source.info.spec.shape

        def decode(index):
            image = tf.numpy_function(lambda i: source.read(int(i)), [index], tf.uint8, stateful=False)
            return tf.ensure_shape(image, shape), index

        batches = (indices.map(decode, num_parallel_calls=tf.data.AUTOTUNE)  # in order: deterministic
                   .batch(batch_size, drop_remainder=True))

    def to_float(images, indices):
        batch = tf.cast(images, tf.float32) / 127.5 - 1.0
        return batch if classes is None else (batch, tf.gather(classes, indices))

    return batches.map(to_float, num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)
