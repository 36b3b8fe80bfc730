"""Training settings and how they resolve.

Precedence, highest first: command line > recipe > the loss's defaults > the
architecture's defaults > the core's (:data:`ganzoo.interfaces.CORE_DEFAULTS`).
A recipe's values reach this module as if given on the command line, after
the command line's own have been laid over them (ganzoo.cli.train_command).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.errors import UserError
from ganzoo.interfaces import CORE_DEFAULTS, ImageSpec, TrainingDefaults

#: Settings that a resumed run may change; every other one must match config.json.
#: How a run is spread over devices and compiled changes its speed, not its
#: variables, so a checkpoint written under one strategy resumes under another.
RESUMABLE_CHANGES = ("epochs", "eval_every", "strategy", "devices", "jit")


@dataclass(frozen=True)
class TrainConfig:
    """Everything needed to rebuild the models and continue a run (stored as config.json)."""

    architecture: str
    generator: str
    discriminator: str
    loss: str
    dataset: str
    latent_dim: int
    batch_size: int
    epochs: int
    lr: float
    beta_1: float
    beta_2: float
    seed: int
    image_size: int | None = None
    channels: int | None = None
    image_spec: ImageSpec | None = None
    dataset_size: int | None = None
    eval_every: int | None = None  # quality metrics after epoch 1, every N epochs and the last
    r1: float = 0.0  # R1 penalty weight gamma on the discriminator (0: off)
    recipe: str | None = None  # "name@version" when the settings came from a recipe
    strategy: str = "default"  # tf.distribute strategy: default, mirrored, multiworker
    devices: tuple[str, ...] = ()  # mirrored: the devices (empty: every local GPU)
    precision: str = "float32"  # Keras dtype policy: float32, mixed_float16, mixed_bfloat16
    jit: bool = False  # XLA-compile the training step
    ema: float = 0.0  # decay of the generator weights' moving average (0: off)
    plugins: dict[str, str] = field(default_factory=dict)  # "group:name" -> "distribution version"
    ganzoo_version: str = ""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        """Parse config.json; ValueError naming what is wrong (not an object, a missing key, a wrong type)."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"it holds a JSON {type(data).__name__}, not an object")
        known = {f.name: f for f in dataclasses.fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        missing = [name for name, f in known.items() if f.default is dataclasses.MISSING
                   and f.default_factory is dataclasses.MISSING and name not in data]
        if missing:
            raise ValueError(f"keys missing: {', '.join(missing)}")
        for name, value in data.items():
            expected = _JSON_TYPES.get(known[name].type)
            if expected and not _is_one_of(value, expected):
                raise ValueError(f"{name} is {value!r}, not {known[name].type}")
        try:
            if data.get("image_spec"):
                data["image_spec"] = ImageSpec(**data["image_spec"])
            if "devices" in data:
                data["devices"] = tuple(data["devices"])
            return cls(**data)
        except TypeError as error:
            raise ValueError(str(error)) from None


#: The JSON types a config.json value of each annotated type may have (an int is a valid float).
_JSON_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "str | None": (str, type(None)),
               "int | None": (int, type(None)), "float | None": (int, float, type(None)),
               "ImageSpec | None": (dict, type(None)), "tuple[str, ...]": (list,), "dict[str, str]": (dict,)}


def _is_one_of(value: Any, types: tuple) -> bool:
    return bool in types if isinstance(value, bool) else isinstance(value, types)  # JSON true is no int


def load_config(path: Path) -> TrainConfig:
    """A run's config.json, or a one-line :class:`UserError` saying why it cannot be used."""
    try:
        return TrainConfig.from_json(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise UserError(f"cannot read {path}: {reason}") from None


def architecture_defaults(generator_factory: Any, discriminator_factory: Any) -> TrainingDefaults:
    """The architecture's defaults: the generator's, over the discriminator's."""
    merged = {**_defaults_of(discriminator_factory).as_dict(), **_defaults_of(generator_factory).as_dict()}
    return TrainingDefaults(**merged)


def resolve_loss_name(cli_loss: str | None, architecture: TrainingDefaults) -> str:
    return cli_loss or architecture.loss or CORE_DEFAULTS.loss


def resolve_settings(command_line: Mapping[str, Any], loss: TrainingDefaults, architecture: TrainingDefaults,
                     images: int) -> dict[str, Any]:
    """Merge the layers of settings; ``None`` on the command line means "not given".

    A layer that sets a training length (``epochs`` or ``steps``) overrides the
    lower layers' length in either form; a step budget becomes whole epochs of
    ``images // batch_size`` steps (at least one).
    """
    resolved: dict[str, Any] = {}
    for layer in (CORE_DEFAULTS.as_dict(), architecture.as_dict(), loss.as_dict(),
                  {k: v for k, v in command_line.items() if v is not None}):
        if "epochs" in layer or "steps" in layer:
            resolved.pop("epochs", None)
            resolved.pop("steps", None)
        resolved.update(layer)
    steps = resolved.pop("steps", None)
    if "epochs" not in resolved:
        steps_per_epoch = max(1, images // resolved["batch_size"])
        resolved["epochs"] = max(1, round(steps / steps_per_epoch))
    resolved.pop("loss", None)
    return resolved


def contradictions(stored: TrainConfig, requested: Mapping[str, Any]) -> list[str]:
    """Lines ``name: run has X, command line says Y`` for each given option that differs."""
    lines = []
    for name, value in requested.items():
        if value is None or name in RESUMABLE_CHANGES or not hasattr(stored, name):
            continue
        if getattr(stored, name) != value:
            lines.append(f"{name}: run has {getattr(stored, name)!r}, command line says {value!r}")
    return lines


def _defaults_of(factory: Any) -> TrainingDefaults:
    defaults = getattr(factory, "defaults", None)
    return defaults if isinstance(defaults, TrainingDefaults) else TrainingDefaults()
