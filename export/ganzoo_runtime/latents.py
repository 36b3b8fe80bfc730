"""Latent vectors from a seed: the same numbers in every ganzoo sampler (Keras or ONNX)."""

from __future__ import annotations

import numpy as np


def latent_vectors(seed: int, n: int, latent_dim: int) -> np.ndarray:
    """``n`` standard-normal float32 vectors of size ``latent_dim``, fixed by ``seed``."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim), dtype=np.float32)
