"""A run's trained generator, rebuilt from config.json and its newest checkpoint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganzoo import discovery, models
from ganzoo.errors import UserError
from ganzoo.interrupts import deferred_ctrl_c
from ganzoo.settings import TrainConfig, load_config
from ganzoo.training.checkpoint import load_checkpoint, usable_checkpoint
from ganzoo.training.run_directory import RunDirectory


@dataclass(frozen=True)
class TrainedGenerator:
    generator: Any  # keras.Model
    config: TrainConfig
    step: int
    run: RunDirectory
    factory: Any  # the plugin factory, to rebuild the generator (e.g. in float16)
    weights: str = "raw"  # "ema" (the moving average of the weights) or "raw" (the trained ones)

    @property
    def config_sha256(self) -> str:
        return hashlib.sha256(self.run.config.read_bytes()).hexdigest()


def is_run_directory(path: Path) -> bool:
    return (path / "config.json").is_file()


def load_trained_generator(path: Path, ema: bool = True) -> TrainedGenerator:
    """Rebuild the generator of the run at ``path`` and restore its newest checkpoint: the moving average
    of its weights when the run keeps one (``--ema``) unless ``ema`` is False, else the trained weights."""
    run = RunDirectory(Path(path))
    if not is_run_directory(run.path):
        raise UserError(f"{run.path} is not a run directory (it has no config.json)")
    config = load_config(run.config)
    checkpoint = usable_checkpoint(run.checkpoints)
    if checkpoint is None:
        raise UserError(f"run {run.path} has no checkpoint yet: train it for at least one epoch "
                        f"(ganzoo train --resume --run-dir {run.path})")
    plugin = discovery.find_plugin("ganzoo.generators", config.generator)
    factory = discovery.load_plugin(plugin)
    with deferred_ctrl_c():  # building traces Keras layers, which can swallow a KeyboardInterrupt
        generator = models.build_generator(plugin, factory, config.image_spec, config.latent_dim)
    weights = "ema" if ema and config.ema else "raw"
    info = load_checkpoint(checkpoint, generator.variables, part="trailing" if weights == "ema" else "leading")
    return TrainedGenerator(generator, config, info.step, run, factory, weights)
