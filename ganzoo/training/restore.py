"""A run's trained generator, rebuilt from config.json and its newest checkpoint."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ganzoo.plugins import models
from ganzoo.errors import UserError
from ganzoo.tf_support.interrupts import deferred_ctrl_c
from ganzoo.plugins.run_plugins import LoadedArchitecture, explain_mismatch, load_architecture
from ganzoo.settings import TrainConfig, load_config
from ganzoo.training.checkpoint import CheckpointMismatch, load_checkpoint, usable_checkpoint
from ganzoo.training.run_directory import RunDirectory


@dataclass(frozen=True)
class TrainedGenerator:
    generator: Any  # keras.Model
    config: TrainConfig
    step: int
    run: RunDirectory
    architecture: LoadedArchitecture  # the generator's record, to rebuild it (e.g. in float16)
    conditional: bool
    weights: str = "raw"  # "ema" (the moving average of the weights) or "raw" (the trained ones)

    @property
    def config_sha256(self) -> str:
        return hashlib.sha256(self.run.config.read_bytes()).hexdigest()

    @property
    def hparams(self) -> dict[str, Any]:
        """The generator's hyperparameters, every one (a run from before they existed has the defaults)."""
        return self.architecture.record.hparam_values(self.config.hparams, "generator")

    def rebuild(self) -> Any:
        """A fresh generator of the same architecture, under the current Keras dtype policy (untrained)."""
        config = self.config
        return models.build_generator(self.architecture, config.image_spec, config.latent_dim, config.hparams,
                                      self.conditional)


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
    architecture = load_architecture(config.generator)
    conditional = architecture.record.is_conditional(config.image_spec)
    with deferred_ctrl_c():  # building traces Keras layers, which can swallow a KeyboardInterrupt
        generator = models.build_generator(architecture, config.image_spec, config.latent_dim, config.hparams,
                                           conditional)
    weights = "ema" if ema and config.ema else "raw"
    try:
        info = load_checkpoint(checkpoint, generator.variables, part="trailing" if weights == "ema" else "leading")
    except CheckpointMismatch as error:
        raise explain_mismatch(error, config.plugins) from None
    return TrainedGenerator(generator, config, info.step, run, architecture, conditional, weights)
