"""Mixed precision (``--precision``): Keras dtype policies, and loss scaling for float16.

Layers take the policy in force when they are built, so the models are built
inside :func:`policy`; variables stay float32 under every policy, which is why
checkpoints, export and sampling do not depend on the precision a run trained in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import keras

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@contextlib.contextmanager
def policy(name: str) -> Iterator[None]:
    """Build models under the Keras dtype policy ``name`` (any Keras policy: also plain ``float16``, for
    export); the previous global policy is restored after."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def optimizer_for(precision: str, optimizer: keras.optimizers.Optimizer) -> keras.optimizers.Optimizer:
    """float16 needs dynamic loss scaling (its gradients underflow); bfloat16 has float32's range and does not."""
    return keras.optimizers.LossScaleOptimizer(optimizer) if precision == "mixed_float16" else optimizer
