"""The variants the training benchmarks name: a precision, 'jit', PRECISION+jit, or augment:POLICIES."""

from __future__ import annotations


def variant_options(variant: str) -> dict:
    """``mixed_bfloat16+jit`` -> {"precision": "mixed_bfloat16", "jit": True}; ``jit`` -> float32 with XLA;
    ``augment:translation,cutout`` -> float32 with those DiffAugment policies."""
    if variant.startswith("augment:"):
        return {"augment": tuple(variant.split(":", 1)[1].split(","))}
    precision, _, jit = variant.partition("+")
    if precision == "jit":
        return {"precision": "float32", "jit": True}
    return {"precision": precision, "jit": bool(jit)}
