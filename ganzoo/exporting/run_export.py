"""Exporting a run: its trained generator, described by its config.json, through the model exporters."""

from __future__ import annotations

from pathlib import Path

from ganzoo import __version__
from ganzoo.exporting.onnx_export import OnnxExport, OnnxOptions, export_onnx
from ganzoo.training.restore import TrainedGenerator
from ganzoo_runtime.metadata import GeneratorInfo


def export_run(trained: TrainedGenerator, output: Path, options: OnnxOptions = OnnxOptions()) -> OnnxExport:
    """The run-directory adapter: export a run's trained generator, described by its config.json."""
    return export_onnx(trained.generator, run_info(trained), output, options, rebuild=trained.rebuild)


def run_info(trained: TrainedGenerator) -> GeneratorInfo:
    spec, config = trained.config.image_spec, trained.config
    return GeneratorInfo(latent_dim=config.latent_dim, image_shape=spec.shape,
                         num_classes=(spec.num_classes or 0) if trained.conditional else 0,
                         generator=config.generator, dataset=config.dataset, step=trained.step,
                         ganzoo_version=__version__, config_sha256=trained.config_sha256, hparams=trained.hparams)
