"""Mixed precision (``--precision``): Keras dtype policies, and loss scaling for float16.

Layers take the policy in force when they are built, so the models are built
inside :func:`policy`; variables stay float32 under every policy, which is why
checkpoints, export and sampling do not depend on the precision a run trained in.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import keras

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")

#: The 16-bit type of each mixed policy, and the CPU features (as Linux's /proc/cpuinfo names them, x86 and Arm)
#: that compute it natively; without one, the CPU emulates it.
NATIVE_CPU_FEATURES = {"mixed_bfloat16": ("bfloat16", {"avx512_bf16", "amx_bf16", "bf16"}),
                       "mixed_float16": ("float16", {"avx512_fp16", "amx_fp16", "asimdhp"})}


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


def cpu_features(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str] | None:
    """The first processor's feature flags (x86's ``flags``, Arm's ``Features``); None where the system does not
    list them."""
    try:
        for line in cpuinfo.read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("flags", "Features"):
                return set(value.split())
    except OSError:
        pass
    return None


def emulated_note(precision: str, features: set[str] | None) -> str | None:
    """One line for a mixed policy that a CPU with ``features`` computes without native support, where it costs
    many times float32's time; None where it is native, where the policy is float32, or where nothing is known."""
    if precision not in NATIVE_CPU_FEATURES or features is None:
        return None
    kind, native = NATIVE_CPU_FEATURES[precision]
    if features & native:
        return None
    return (f"note: this CPU has no native {kind} ({', '.join(sorted(native))}): {precision} is emulated, expect "
            f"several times float32's time per step (mixed_bfloat16 trained at 0.10x float32's speed on a 2-core "
            f"AVX2 host); training goes on")
