"""The speed variants the training benchmarks name: a precision, 'jit', or PRECISION+jit."""

from __future__ import annotations


def variant_options(variant: str) -> dict:
    """``mixed_bfloat16+jit`` -> {"precision": "mixed_bfloat16", "jit": True}; ``jit`` -> float32 with XLA."""
    precision, _, jit = variant.partition("+")
    if precision == "jit":
        return {"precision": "float32", "jit": True}
    return {"precision": precision, "jit": bool(jit)}
