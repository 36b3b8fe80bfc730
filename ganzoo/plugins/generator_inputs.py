"""What a generator is fed: latents, a label when it is conditional, and a truncation when it takes one.

A generator takes the truncation trick's psi when its Keras model has a last input named ``truncation``
(float, one value per image): 1 leaves the latents as they are, 0 gives every latent the average image,
values between trade variety for fidelity. Training, grids, evaluation and export parity feed 1; only
sampling chooses another value (``--truncation``). Every call site builds its inputs here, so a model
with the extra input needs nothing special anywhere else.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ganzoo_runtime.metadata import TRUNCATION

NO_TRUNCATION = 1.0


def takes_truncation(generator) -> bool:
    """Whether the Keras ``generator`` has a ``truncation`` input."""
    return any(tensor.name == TRUNCATION for tensor in generator.inputs)


def generator_inputs(generator, z, labels: Optional[Any] = None, truncation: float = NO_TRUNCATION):
    """The inputs to call ``generator`` with: ``z``, or ``[z, labels]``, plus ``truncation`` for every image
    when the model takes it (``z`` may be a NumPy array or a tensor; the psi column is of the same kind and dtype)."""
    inputs = [z] if labels is None else [z, labels]
    if takes_truncation(generator):
        inputs.append(_column(z, truncation))
    return inputs[0] if len(inputs) == 1 else inputs


def _column(z, value):
    """``value`` once per row of ``z``, of the same kind (Keras refuses a mix of arrays and tensors)."""
    if isinstance(z, np.ndarray):
        return np.full(len(z), value, z.dtype)
    return z[:, 0] * 0 + value  # not a fill of z's shape: an exported graph then needs no Shape operator
