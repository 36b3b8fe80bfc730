"""Training settings: each declared once (:data:`SETTINGS`), and how they resolve (:func:`resolve`).

A :class:`Setting` carries its command-line option and help (``ganzoo train``'s
options are generated from :data:`SETTINGS`), whether a recipe may set it,
whether a resumed run may change it, whether plugins may default it, and the
core's default. Precedence, highest first:

    command line > recipe > the loss's defaults > the architecture's defaults > the core's

Hyperparameters (``-o NAME=VALUE``, a recipe's ``[architecture]`` table) merge
by name in the same order, over the architecture's declared defaults.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from ganzoo.errors import UserError
from ganzoo.plugins.interfaces import ImageSpec, TrainingDefaults
from ganzoo.settings.types import BETA, POSITIVE_FLOAT, POSITIVE_INT, SEED, Assignment, Channels, DeviceList, \
    FiniteFloatRange, Policies


@dataclass(frozen=True)
class Setting:
    """One training setting, declared once."""

    name: str
    type: Any  # a click type; a recipe's value goes through it as the command line's text would
    help: str
    default: Any = None  # the core's default; None: not set unless given
    metavar: str | None = None
    short: str | None = None  # e.g. "-d"
    recipe: bool = True  # a recipe's [train] table may set it
    resumable: bool = False  # --resume may change it; every other one must match config.json
    plugin_default: bool = False  # an architecture's or a loss's TrainingDefaults may set it
    switch: bool = False  # --name/--no-name
    option: str | None = None  # the long option, when it is not --name

    @property
    def flag(self) -> str:
        return self.option or "--" + self.name.replace("_", "-")


#: Every setting of a run, in `ganzoo train --help` order. How a run is spread over devices and compiled
#: changes its speed, not its variables, so a checkpoint written under one strategy resumes under another.
SETTINGS = (
    Setting("dataset", str, "mnist, mnist-5k, fashion-mnist, folder:PATH, npz:PATH, or any installed dataset "
            "plugin.", metavar="NAME", short="-d"),
    Setting("epochs", POSITIVE_INT, "Passes over the data (on --resume: may extend the run).", 25, resumable=True,
            plugin_default=True),
    Setting("batch_size", POSITIVE_INT, "Images per step.", 64, plugin_default=True),
    Setting("lr", POSITIVE_FLOAT, "Adam learning rate of both networks.", 2e-4, plugin_default=True),
    Setting("beta_1", BETA, "Adam beta_1 of both networks.", 0.5, plugin_default=True),
    Setting("beta_2", BETA, "Adam beta_2 of both networks.", 0.999, plugin_default=True),
    Setting("latent_dim", POSITIVE_INT, "Size of the latent vector z.", 100, plugin_default=True),
    Setting("loss", str, "Loss plugin (default: the architecture's).", "nonsaturating", metavar="NAME",
            plugin_default=True),
    Setting("generator", str, "Take the generator from this architecture (default: ARCH).", metavar="ARCH"),
    Setting("discriminator", str, "Take the discriminator from this architecture (default: ARCH).",
            metavar="ARCH"),
    Setting("hparams", Assignment(), "An architecture hyperparameter, NAME=VALUE; repeat for more "
            "(`ganzoo list -v ARCH` shows them). In a recipe: its [architecture] table.", metavar="NAME=VALUE",
            short="-o", recipe=False, option="--hparam"),
    Setting("image_size", POSITIVE_INT, "folder: datasets: resize images to SIZE x SIZE."),
    Setting("channels", Channels(), "folder: datasets: 1 (grayscale) or 3 (RGB)."),
    Setting("seed", SEED, "Random seed, 0 to 2**32 - 1 (default 0).", 0),
    Setting("r1", FiniteFloatRange(min=0), "R1 penalty on the discriminator, GAMMA/2 * E||grad D(real)||^2, "
            "with any loss (default: the architecture's, else off).", 0.0, metavar="GAMMA", plugin_default=True),
    Setting("eval_every", POSITIVE_INT, "Quality metrics (FID, KID, …) after epoch 1, every N epochs and the last; "
            "keeps the checkpoint with the best FID as checkpoints/best.npz. 28x28x1 data only.", metavar="N",
            resumable=True),
    Setting("strategy", click.Choice(["default", "mirrored", "multiworker"]), "tf.distribute strategy: one device "
            "(default), every local GPU (mirrored), or several machines configured by TF_CONFIG (multiworker). "
            "See docs/scaling.md.", "default", recipe=False, resumable=True),
    Setting("devices", DeviceList(), "mirrored: the devices to use, e.g. gpu:0,gpu:1 (cpu:0,cpu:1 splits the CPU "
            "into logical devices).", (), metavar="LIST", recipe=False, resumable=True),
    Setting("precision", click.Choice(["float32", "mixed_float16", "mixed_bfloat16"]), "Keras dtype policy of the "
            "models (default float32); variables, images and losses stay float32.", "float32"),
    Setting("jit", click.BOOL, "XLA-compile the training step (default off).", False, recipe=False, resumable=True,
            switch=True),
    Setting("augment", Policies(), "DiffAugment: the same random, differentiable color, translation and/or cutout "
            "for every image the discriminator sees (e.g. translation,cutout; for small datasets).", (),
            metavar="POLICIES"),
    Setting("ema", FiniteFloatRange(min=0, max=1, min_open=True, max_open=True), "Keep an exponential moving "
            "average of the generator's weights (e.g. 0.999); samples, export and evaluation then use it unless "
            "given --no-ema.", 0.0, metavar="DECAY"),
    Setting("mode_seeking", FiniteFloatRange(min=0), "Add WEIGHT times MSGAN's mode-seeking term to the generator's "
            "loss: 1 / (image distance / latent distance) over same-label pairs of each batch, for a generator "
            "that ignores z (default off).", 0.0, metavar="WEIGHT"),
)
BY_NAME = {s.name: s for s in SETTINGS}
RESUMABLE_CHANGES = tuple(s.name for s in SETTINGS if s.resumable)
#: The [train] keys a recipe may set.
RECIPE_KEYS = tuple(s.name for s in SETTINGS if s.recipe)
#: The core's defaults of the settings that plugins may default (the bottom layer of the precedence).
CORE_DEFAULTS = TrainingDefaults(**{s.name: s.default for s in SETTINGS if s.plugin_default})


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
    augment: tuple[str, ...] = ()  # DiffAugment policies (empty: off)
    mode_seeking: float = 0.0  # weight of the generator's mode-seeking term (0: off)
    hparams: dict[str, Any] = field(default_factory=dict)  # every hyperparameter of the architecture(s)
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
            for name in ("devices", "augment"):
                if name in data:
                    data[name] = tuple(data[name])
            return cls(**data)
        except TypeError as error:
            raise ValueError(str(error)) from None


#: The JSON types a config.json value of each annotated type may have (an int is a valid float).
_JSON_TYPES = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,), "str | None": (str, type(None)),
               "int | None": (int, type(None)), "float | None": (int, float, type(None)),
               "ImageSpec | None": (dict, type(None)), "tuple[str, ...]": (list,), "dict[str, str]": (dict,),
               "dict[str, Any]": (dict,)}


def _is_one_of(value: Any, types: tuple) -> bool:
    return bool in types if isinstance(value, bool) else isinstance(value, types)  # JSON true is no int


def load_config(path: Path) -> TrainConfig:
    """A run's config.json, or a one-line :class:`UserError` saying why it cannot be used."""
    try:
        return TrainConfig.from_json(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:  # RecursionError: nested too deep
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise UserError(f"cannot read {path}: {reason}") from None


def resolve(command_line: Mapping[str, Any], recipe: Mapping[str, Any], loss: TrainingDefaults,
            architecture: TrainingDefaults, images: int) -> dict[str, Any]:
    """Every setting, from the layers of the precedence; ``None`` (or absent) in a layer means "not given".

    A layer that sets a training length (``epochs``, or a plugin's ``steps``)
    overrides the lower layers' length in either form; a step budget becomes
    whole epochs of ``images // batch_size`` steps (at least one).
    Hyperparameters merge by name.
    """
    resolved: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    resolved["hparams"] = {}
    for layer in (architecture.as_dict(), loss.as_dict(), recipe, command_line):
        given = {k: v for k, v in layer.items() if v is not None}
        if "epochs" in given or "steps" in given:
            resolved.pop("epochs", None)
            resolved.pop("steps", None)
        resolved.update({**given, "hparams": {**resolved["hparams"], **given.get("hparams", {})}})
    steps = resolved.pop("steps", None)
    if resolved.get("epochs") is None:
        steps_per_epoch = max(1, images // resolved["batch_size"])
        resolved["epochs"] = max(1, round(steps / steps_per_epoch))
    return resolved


def loss_name(command_line: Mapping[str, Any], recipe: Mapping[str, Any], architecture: TrainingDefaults) -> str:
    """The loss, by the same precedence (the loss's own defaults cannot choose it)."""
    return command_line.get("loss") or recipe.get("loss") or architecture.loss or BY_NAME["loss"].default


def contradictions(stored: TrainConfig, requested: Mapping[str, Any]) -> list[str]:
    """Lines ``name: run has X, command line says Y`` for each given setting that differs and may not change
    on resume (hyperparameters compare by name, parsed)."""
    lines = []
    for name, value in requested.items():
        if value is None or name in RESUMABLE_CHANGES or not hasattr(stored, name):
            continue
        if name == "hparams":
            lines += [f"{k}: run has {stored.hparams.get(k)!r}, command line says {v!r}"
                      for k, v in value.items() if stored.hparams.get(k) != v]
        elif getattr(stored, name) != value:
            lines.append(f"{name}: run has {getattr(stored, name)!r}, command line says {value!r}")
    return lines

