"""Latent vectors from a seed: the same numbers in every ganzoo sampler (Keras or ONNX)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np


def latent_vectors(seed: int, n: int, latent_dim: int) -> np.ndarray:
    """``n`` standard-normal float32 vectors of size ``latent_dim``, fixed by ``seed``."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim), dtype=np.float32)


def latent_batches(seed: int, n: int, latent_dim: int, batch_size: int) -> Iterator[np.ndarray]:
    """:func:`latent_vectors` ``(seed, n, latent_dim)`` in batches of ``batch_size`` rows: the same numbers,
    without holding all ``n`` at once."""
    rng = np.random.default_rng(seed)
    for start in range(0, n, batch_size):
        yield rng.standard_normal((min(batch_size, n - start), latent_dim), dtype=np.float32)
