"""The shipped MNIST classifier: its data split, and its features and class probabilities on onnxruntime."""

from __future__ import annotations

import importlib.resources
import json
from functools import cached_property

import numpy as np

FEATURE_SHAPE = (28, 28, 1)
SPLIT_SEED = 0
HELDOUT_PER_CLASS = 100
BATCH = 500


def heldout_split(labels: np.ndarray, seed: int = SPLIT_SEED,
                  per_class: int = HELDOUT_PER_CLASS) -> tuple[np.ndarray, np.ndarray]:
    """(train indices, held-out indices): ``per_class`` random images of each class held out."""
    rng = np.random.default_rng(seed)
    heldout = np.concatenate([rng.permutation(np.flatnonzero(labels == c))[:per_class]
                              for c in np.unique(labels)])
    train = np.setdiff1d(np.arange(len(labels)), heldout)
    return train, np.sort(heldout)


def to_network_input(images: np.ndarray) -> np.ndarray:
    """uint8 [N, 28, 28, 1] -> float32 in [-1, 1], as the network was trained."""
    return images.astype(np.float32) / 127.5 - 1.0


class FeatureNetwork:
    """The classifier in ``ganzoo/metrics/data/mnist_classifier.onnx`` and its training record."""

    FILE = "mnist_classifier.onnx"
    RECORD = "mnist_classifier.json"

    @cached_property
    def record(self) -> dict:
        return json.loads(importlib.resources.files("ganzoo.metrics").joinpath("data", self.RECORD).read_text())

    @cached_property
    def _session(self):
        from ganzoo_runtime.providers import create_session
        model = importlib.resources.files("ganzoo.metrics").joinpath("data", self.FILE).read_bytes()
        return create_session(model, "cpu")

    def __call__(self, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """uint8 images [N, 28, 28, 1] -> (penultimate features [N, 128] float64, class probabilities [N, 10])."""
        features, logits = [], []
        for i in range(0, len(images), BATCH):
            out = self._session.run(["features", "logits"], {"images": to_network_input(images[i:i + BATCH])})
            features.append(out[0])
            logits.append(out[1])
        logits = np.concatenate(logits).astype(np.float64)
        probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
        probabilities /= probabilities.sum(axis=1, keepdims=True)
        return np.concatenate(features).astype(np.float64), probabilities
