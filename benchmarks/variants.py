"""The variants the training benchmarks name: a precision, 'jit', PRECISION+jit, augment:POLICIES or augment:none."""

from __future__ import annotations


def variant_options(variant: str) -> dict:
    """``mixed_bfloat16+jit`` -> {"precision": "mixed_bfloat16", "jit": True}; ``jit`` -> float32 with XLA;
    ``augment:translation,cutout`` -> those DiffAugment policies; ``augment:none`` -> none."""
    if variant.startswith("augment:"):
        policies = variant.split(":", 1)[1]
        return {"augment": () if policies == "none" else tuple(policies.split(","))}
    precision, _, jit = variant.partition("+")
    if precision == "jit":
        return {"precision": "float32", "jit": True}
    return {"precision": precision, "jit": bool(jit)}
