"""A generator to draw from, whatever it was given as: a run directory (Keras) or an ``.onnx`` file (no TensorFlow)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ganzoo.errors import UserError
from ganzoo_runtime.errors import NotOnnxError, no_truncation_input
from ganzoo_runtime.metadata import GeneratorInfo

Generate = Callable[[np.ndarray, Optional[np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class GeneratorSource:
    generate: Generate
    info: GeneratorInfo
    description: str  # e.g. "onnxruntime on cpu" or "Keras, step 4680, CPU"
    pixels: Optional[Generate] = None  # uint8 [N, H, W, C] images made by the generator itself (ONNX on CUDA)


def open_generator(source: Path, device: str = "auto", ema: bool = True, cache: bool = True,
                   truncation: Optional[float] = None) -> GeneratorSource:
    """Open ``source`` (a run directory, an .onnx file or ``zoo:NAME``); TensorFlow is imported only for a run.

    ``ema``: a run that keeps a moving average of its generator's weights samples with it, unless False;
    ``cache``: an ONNX file's CPU form is cached on disk (ganzoo_runtime.cpu.cache), unless False;
    ``truncation``: the truncation psi for a generator that takes one (a UserError for one that does not).
    """
    from ganzoo.zoo.shelf import PREFIX, resolve_source
    given = str(source)
    source = resolve_source(source)
    if source.suffix.lower() == ".onnx" or source.is_file():
        from ganzoo_runtime.model import OnnxGenerator
        try:
            generator = OnnxGenerator(source, device, cache, name=given if given.startswith(PREFIX) else None)
        except NotOnnxError:
            if source.suffix.lower() == ".onnx":
                raise
            raise UserError(f"{source} is not an ONNX file: expected a run directory, an .onnx file made by "
                            "`ganzoo export`, or zoo:NAME") from None
        return GeneratorSource(generator.sampler(truncation), generator.info, generator.description,
                               generator.pixel_sampler(truncation))
    if (source / "config.json").is_file():
        return _keras_generator(source, device, ema, truncation)
    raise UserError(f"{source} is neither a run directory (with config.json) nor an .onnx file")


def _keras_generator(source: Path, device: str, ema: bool, truncation: Optional[float]) -> GeneratorSource:
    from ganzoo.tf_support.imports import import_tensorflow
    tf = import_tensorflow()
    if device == "tensorrt":
        raise UserError("--device tensorrt applies to .onnx files; export the run first (ganzoo export)")
    gpus = tf.config.list_physical_devices("GPU")
    if device == "cuda" and not gpus:
        raise UserError("--device cuda: TensorFlow sees no GPU on this machine")
    from ganzoo.training.restore import load_trained_generator

    from ganzoo.plugins.generator_inputs import NO_TRUNCATION, generator_inputs, takes_truncation

    trained = load_trained_generator(source, ema)
    if truncation is not None and not takes_truncation(trained.generator):
        raise no_truncation_input(f"the generator of {source}")
    psi = NO_TRUNCATION if truncation is None else truncation
    spec = trained.config.image_spec
    conditional = trained.conditional
    info = GeneratorInfo(latent_dim=trained.config.latent_dim, image_shape=spec.shape,
                         num_classes=(spec.num_classes or 0) if conditional else 0,
                         generator=trained.config.generator, dataset=trained.config.dataset, step=trained.step)
    placement = "/GPU:0" if gpus and device != "cpu" else "/CPU:0"

    def generate(z, labels):
        if labels is not None and not conditional:
            raise UserError(f"the generator of {source} is not conditional: it takes no --label")
        with tf.device(placement):
            return trained.generator(generator_inputs(trained.generator, z, labels, psi), training=False).numpy()

    weights = ", EMA weights" if trained.weights == "ema" else ""
    return GeneratorSource(generate, info,
                           f"Keras, step {trained.step}{weights}, {'GPU' if '/GPU' in placement else 'CPU'}")
