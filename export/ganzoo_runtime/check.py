"""Checking a rewritten graph against the portable file: fixed latents in, largest difference out.

Shared by the device forms (ganzoo_runtime.cpu, ganzoo_runtime.cuda): each
runs its candidate on these feeds and compares with the portable graph run
by onnxruntime's CPU kernels, the reference every export is verified against.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
import numpy as np
import onnxruntime as ort

from ganzoo_runtime.latents import latent_vectors
from ganzoo_runtime.metadata import GeneratorInfo

log = logging.getLogger("ganzoo_runtime")

CHECK_SEED = 20261127


def check_feeds(info: GeneratorInfo, batch: int, names: Sequence[str], seed: int = CHECK_SEED) -> dict[str, np.ndarray]:
    """Seeded latents (and every class in turn, for a conditional generator) for ``batch`` images."""
    feeds = {names[0]: latent_vectors(seed, batch, info.latent_dim)}
    if info.conditional:
        feeds[names[1]] = np.arange(batch, dtype=np.int64) % info.num_classes
    return feeds


def cpu_outputs(model: bytes | ort.InferenceSession, info: GeneratorInfo, batches: Sequence[int],
                seed: int = CHECK_SEED) -> list[np.ndarray]:
    """The graph's first output on onnxruntime's CPU kernels for each batch size (``model``: the graph, or a CPU
    session already made from it); [] if it does not load or run."""
    if isinstance(model, ort.InferenceSession):
        session = model
    else:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(model, sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as error:  # noqa: BLE001 - onnxruntime's own types: a rewrite it cannot load fails
            log.debug("a rewritten graph does not load: %s", error)
            return []
    names = [i.name for i in session.get_inputs()]
    output = session.get_outputs()[0].name
    try:
        return [session.run([output], check_feeds(info, batch, names, seed))[0] for batch in batches]
    except Exception as error:  # noqa: BLE001 - a graph that takes other inputs than the file's fails its check
        log.debug("a rewritten graph does not run: %s", error)
        return []


def largest_difference(got: Sequence[np.ndarray], expected: Sequence[np.ndarray]) -> float:
    """Largest absolute difference over all outputs; infinite where shapes, types or counts differ."""
    if len(got) != len(expected) or any(g.shape != e.shape or g.dtype != e.dtype for g, e in zip(got, expected)):
        return float("inf")
    return max(float(np.abs(g.astype(np.float64) - e.astype(np.float64)).max()) for g, e in zip(got, expected))


def bound_for(info: GeneratorInfo, bounds: dict[str, float]) -> float:
    """The bound that applies to this generator's output: ``bounds['uint8']`` in gray levels, else
    ``bounds['float']``."""
    return bounds["uint8" if info.pixel_range == (0, 255) else "float"]

