"""ganzoo's TensorFlow-free side: images from exported generators (onnxruntime, numpy, pillow only).

    from ganzoo_runtime import OnnxGenerator, latent_vectors
    generator = OnnxGenerator("dcgan.onnx")          # device="auto": TensorRT, CUDA or CPU
    images = generator.generate(latent_vectors(seed=0, n=16, latent_dim=generator.info.latent_dim))
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "OnnxGenerator": "ganzoo_runtime.model",
    "GeneratorInfo": "ganzoo_runtime.metadata",
    "latent_vectors": "ganzoo_runtime.latents",
    "sample_to_path": "ganzoo_runtime.sampling",
    "create_session": "ganzoo_runtime.providers",
    "UserError": "ganzoo_runtime.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ganzoo_runtime' has no attribute {name!r}")
