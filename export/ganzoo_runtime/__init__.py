"""ganzoo's TensorFlow-free side: images from generators (onnxruntime, numpy, pillow only)."""

__version__ = "0.1.0"

from ganzoo_runtime.latents import latent_vectors  # noqa: F401
