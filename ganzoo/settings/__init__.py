"""Training settings: each declared once (:data:`SETTINGS`), and how they resolve (:func:`resolve`).

A :class:`Setting` carries its type (ganzoo.settings.types: every value of it,
from the command line, a recipe, a plugin's defaults or config.json, passes
through that one type), its command-line option and help, whether a recipe
may set it, whether a resumed run may change it, whether plugins may default
it, and the core's default. Everything else follows from :data:`SETTINGS`:
``ganzoo train``'s options, the recipe keys, :class:`TrainingDefaults` (what
a plugin may recommend), :class:`TrainConfig` (config.json) and its checks,
and the listings (:func:`describe`). Adding a setting is one declaration
here, plus the code that uses it. Precedence, highest first, applied once
(:func:`resolve`):

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
from ganzoo.settings.types import BETA, POSITIVE_FLOAT, POSITIVE_INT, SEED, Assignment, Channels, DeviceList, \
    FiniteFloatRange, Policies, parse


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
    label: str | None = None  # its name in listings (recipes, the start of a run); None: never listed
    required: bool = False  # config.json must hold it: every run since ganzoo 0.1 wrote it (a later setting
    #                         takes its default when an older run's config.json lacks it)

    @property
    def flag(self) -> str:
        return self.option or "--" + self.name.replace("_", "-")

    def parse(self, value: Any) -> Any:
        """``value`` from any source (command-line text, a recipe's or config.json's value, a plugin's default)
        through this setting's type; ValueError with the reason."""
        return parse(self.type, value, self.flag)


#: Every setting of a run, in `ganzoo train --help` order. How a run is spread over devices and compiled
#: changes its speed, not its variables, so a checkpoint written under one strategy resumes under another.
SETTINGS = (
    Setting("dataset", str, "mnist, mnist-5k, fashion-mnist, folder:PATH, npz:PATH, or any installed dataset "
            "plugin.", metavar="NAME", short="-d", required=True),
    Setting("epochs", POSITIVE_INT, "Passes over the data (on --resume: may extend the run).", 25, resumable=True,
            plugin_default=True, label="epochs", required=True),
    Setting("batch_size", POSITIVE_INT, "Images per step.", 64, plugin_default=True, label="batch", required=True),
    Setting("lr", POSITIVE_FLOAT, "Adam learning rate of both networks.", 2e-4, plugin_default=True, label="lr",
            required=True),
    Setting("lr_d", POSITIVE_FLOAT, "Adam learning rate of the discriminator (default: --lr). With --lr-g: the "
            "two-time-scale rule (SAGAN and BigGAN: D 4e-4, G 1e-4).", metavar="FLOAT", plugin_default=True,
            label="lr D"),
    Setting("lr_g", POSITIVE_FLOAT, "Adam learning rate of the generator (default: --lr).", metavar="FLOAT",
            plugin_default=True, label="lr G"),
    Setting("beta_1", BETA, "Adam beta_1 of both networks.", 0.5, plugin_default=True, label="beta_1",
            required=True),
    Setting("beta_2", BETA, "Adam beta_2 of both networks.", 0.999, plugin_default=True, label="beta_2",
            required=True),
    Setting("latent_dim", POSITIVE_INT, "Size of the latent vector z.", 100, plugin_default=True, label="latent",
            required=True),
    Setting("loss", str, "Loss plugin (default: the architecture's).", "nonsaturating", metavar="NAME",
            plugin_default=True, label="loss", required=True),
    Setting("d_steps", POSITIVE_INT, "Discriminator updates per generator update, each with fresh latents on the "
            "step's real batch (default: the loss's, 1 for most; SNGAN's and WGAN-GP's papers use 5).",
            metavar="N", plugin_default=True, label="D steps"),
    Setting("generator", str, "Take the generator from this architecture (default: ARCH).", metavar="ARCH",
            required=True),
    Setting("discriminator", str, "Take the discriminator from this architecture (default: ARCH).",
            metavar="ARCH", required=True),
    Setting("hparams", Assignment(), "An architecture hyperparameter, NAME=VALUE; repeat for more "
            "(`ganzoo list -v ARCH` shows them). In a recipe: its [architecture] table.", metavar="NAME=VALUE",
            short="-o", recipe=False, option="--hparam"),
    Setting("unconditional", click.BOOL, "Ignore the dataset's labels: an architecture that is conditional on "
            "labelled data (sngan, sagan, stylegan) trains on the images alone.", False, switch=True,
            label="unconditional"),
    Setting("image_size", POSITIVE_INT, "folder: datasets: resize images to SIZE x SIZE."),
    Setting("channels", Channels(), "folder: datasets: 1 (grayscale) or 3 (RGB)."),
    Setting("seed", SEED, "Random seed, 0 to 2**32 - 1 (default 0).", 0, label="seed", required=True),
    Setting("r1", FiniteFloatRange(min=0), "R1 penalty on the discriminator, GAMMA/2 * E||grad D(real)||^2, "
            "with any loss (default: the architecture's, else off).", 0.0, metavar="GAMMA", plugin_default=True,
            label="R1"),
    Setting("r1_every", POSITIVE_INT, "Lazy R1 (StyleGAN2: 16): the penalty on every Nth step only, times N, so "
            "that it costs 1/N of its time (default 1: every step).", 1, metavar="N", plugin_default=True,
            label="R1 every"),
    Setting("eval_every", POSITIVE_INT, "Quality metrics (FID, KID, …) after epoch 1, every N epochs and the last; "
            "keeps the checkpoint with the best FID as checkpoints/best.npz. 28x28x1 data only.", metavar="N",
            resumable=True),
    Setting("strategy", click.Choice(["default", "mirrored", "multiworker"]), "tf.distribute strategy: one device "
            "(default), every local GPU (mirrored), or several machines configured by TF_CONFIG (multiworker). "
            "See docs/scaling.md.", "default", recipe=False, resumable=True, label="strategy"),
    Setting("devices", DeviceList(), "mirrored: the devices to use, e.g. gpu:0,gpu:1 (cpu:0,cpu:1 splits the CPU "
            "into logical devices).", (), metavar="LIST", recipe=False, resumable=True, label="devices"),
    Setting("precision", click.Choice(["float32", "mixed_float16", "mixed_bfloat16"]), "Keras dtype policy of the "
            "models (default float32); variables, images and losses stay float32.", "float32", label="precision"),
    Setting("jit", click.BOOL, "XLA-compile the training step (default off).", False, recipe=False, resumable=True,
            switch=True, label="XLA"),
    Setting("augment", Policies(), "DiffAugment: the same random, differentiable color, translation and/or cutout "
            "for every image the discriminator sees (e.g. translation,cutout; for small datasets).", (),
            metavar="POLICIES", label="augment"),
    Setting("ada_target", FiniteFloatRange(min=0, max=1, min_open=True, max_open=True), "Adaptive augmentation "
            "(StyleGAN2-ADA; 0.6 in the paper): each --augment policy transforms each image with a probability p "
            "that rises while more than TARGET of the real images get a positive logit, and falls below it; p is "
            "in metrics.csv and TensorBoard (default off: every image, always).", metavar="TARGET",
            label="ADA target"),
    Setting("ema", FiniteFloatRange(min=0, max=1, min_open=True, max_open=True), "Keep an exponential moving "
            "average of the generator's weights (e.g. 0.999); samples, export and evaluation then use it unless "
            "given --no-ema.", 0.0, metavar="DECAY", label="EMA"),
    Setting("mode_seeking", FiniteFloatRange(min=0), "Add WEIGHT times MSGAN's mode-seeking term to the generator's "
            "loss: 1 / (image distance / latent distance) over same-label pairs of each batch, for a generator "
            "that ignores z (default off).", 0.0, metavar="WEIGHT", label="mode seeking"),
)
BY_NAME = {s.name: s for s in SETTINGS}
RESUMABLE_CHANGES = tuple(s.name for s in SETTINGS if s.resumable)
#: The [train] keys a recipe may set.
RECIPE_KEYS = tuple(s.name for s in SETTINGS if s.recipe)
#: A plugin's training length that holds for any dataset size: epochs = steps / steps per epoch.
STEPS = Setting("steps", POSITIVE_INT, "Training steps (a plugin's default only).")
_PLUGIN_SETTINGS = (*(s for s in SETTINGS if s.plugin_default), STEPS)


def _as_dict(self) -> dict[str, Any]:
    """The settings this object has an opinion on."""
    return {k: v for k, v in dataclasses.asdict(self).items() if v is not None}


def _checked_defaults(self) -> None:
    for setting in _PLUGIN_SETTINGS:
        value = getattr(self, setting.name)
        if value is not None:
            try:
                object.__setattr__(self, setting.name, setting.parse(value))
            except ValueError as error:
                raise ValueError(f"TrainingDefaults: {setting.name} = {value!r}: {error}") from None


#: Settings a plugin recommends (an architecture's record, a loss), ``None`` meaning "no opinion": a keyword
#: for each setting that plugins may default (``Setting.plugin_default``) and ``steps``, each checked by its
#: setting's type when the object is made.
TrainingDefaults = dataclasses.make_dataclass(
    "TrainingDefaults", [(s.name, Any, field(default=None)) for s in _PLUGIN_SETTINGS], frozen=True,
    namespace={"__module__": __name__, "as_dict": _as_dict, "__post_init__": _checked_defaults,
               "__doc__": "Settings a plugin recommends; ``None`` means \"no opinion\". Keywords: "
                          + ", ".join(s.name for s in _PLUGIN_SETTINGS) + "."})

#: The core's defaults of the settings that plugins may default (the bottom layer of the precedence).
CORE_DEFAULTS = TrainingDefaults(**{s.name: s.default for s in SETTINGS if s.plugin_default})

_NONE = type(None)
#: What a run records beside its settings: the JSON types config.json may hold for each, and its default
#: (``MISSING``: required).
RUN_FIELDS = {"architecture": ((str,), dataclasses.MISSING), "image_spec": ((dict, _NONE), None),
              "dataset_size": ((int, _NONE), None), "recipe": ((str, _NONE), None), "plugins": ((dict,), {}),
              "ganzoo_version": ((str,), "")}
#: Settings that config.json holds in another form than the command line's: every hyperparameter, parsed, as a
#: table (not NAME=VALUE pairs).
_STORED_AS = {"hparams": (dict,)}


def _to_json(self) -> str:
    return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"


def _from_json(cls, text: str):
    """Parse config.json; ValueError naming what is wrong (not an object, a missing key, a value its setting's
    type refuses). Every setting's value passes through the same type as the command line's."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"it holds a JSON {type(data).__name__}, not an object")
    known = {f.name for f in dataclasses.fields(cls)}
    data = {k: v for k, v in data.items() if k in known}
    missing = [name for name in _REQUIRED if name not in data]
    if missing:
        raise ValueError(f"keys missing: {', '.join(missing)}")
    for name, value in data.items():
        data[name] = _stored_value(name, value)
    if data.get("image_spec"):
        from ganzoo.plugins.interfaces import ImageSpec
        try:
            data["image_spec"] = ImageSpec(**data["image_spec"])
        except TypeError as error:
            raise ValueError(f"image_spec: {error}") from None
    return cls(**data)


def _stored_value(name: str, value: Any) -> Any:
    """One config.json value, checked: a run field by its JSON type, a setting through its type (its default,
    which may mean "off" where the option refuses it, such as ema 0, as it is)."""
    types = RUN_FIELDS[name][0] if name in RUN_FIELDS else _STORED_AS.get(name)
    if types:
        if isinstance(value, bool) or not isinstance(value, types):
            raise ValueError(f"{name} is {value!r}, not {' or '.join(t.__name__ for t in types)}")
        return value
    setting = BY_NAME[name]
    stored = tuple(value) if isinstance(value, list) else value
    if stored == setting.default and isinstance(stored, bool) == isinstance(setting.default, bool):
        return stored
    try:
        return setting.parse(value)
    except ValueError as error:
        raise ValueError(f"{name} is {value!r}: {error}") from None


_REQUIRED = (*(name for name, (_, default) in RUN_FIELDS.items() if default is dataclasses.MISSING),
             *(s.name for s in SETTINGS if s.required))

#: Everything needed to rebuild the models and continue a run (stored as config.json): ``architecture`` (ARCH
#: as given), every setting of :data:`SETTINGS` as resolved (``hparams``: every hyperparameter, parsed), and
#: what the run records beside them (:data:`RUN_FIELDS`).
TrainConfig = dataclasses.make_dataclass(
    "TrainConfig",
    [*(name for name in _REQUIRED),
     *((s.name, Any, field(default_factory=dict) if s.name == "hparams" else field(default=s.default))
       for s in SETTINGS if not s.required),
     *((name, Any, field(default_factory=dict) if default == {} else field(default=default))
       for name, (_, default) in RUN_FIELDS.items() if default is not dataclasses.MISSING)],
    frozen=True, namespace={"__module__": __name__, "to_json": _to_json, "from_json": classmethod(_from_json),
                            "__doc__": "Everything needed to rebuild the models and continue a run (config.json)."})


def load_config(path: Path) -> TrainConfig:
    """A run's config.json, or a one-line :class:`UserError` saying why it cannot be used."""
    try:
        return TrainConfig.from_json(path.read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:  # RecursionError: nested too deep
        reason = error.strerror if isinstance(error, OSError) and error.strerror else error
        raise UserError(f"cannot read {path}: {reason}") from None


def resolve(command_line: Mapping[str, Any], recipe: Mapping[str, Any], loss: TrainingDefaults,
            architecture: TrainingDefaults) -> dict[str, Any]:
    """Every setting, from the layers of the precedence, applied here only; ``None`` (or absent) in a layer
    means "not given". Hyperparameters merge by name. A layer that sets a training length (``epochs``, or a
    plugin's ``steps``) overrides the lower layers' length in either form: the result holds ``epochs`` or
    ``steps``, which :func:`in_epochs` turns into epochs once the dataset's size is known."""
    resolved: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    resolved["hparams"] = {}
    for layer in (architecture.as_dict(), loss.as_dict(), recipe, command_line):
        given = {k: v for k, v in layer.items() if v is not None}
        if "epochs" in given or "steps" in given:
            resolved.pop("epochs", None)
            resolved.pop("steps", None)
        resolved.update({**given, "hparams": {**resolved["hparams"], **given.get("hparams", {})}})
    return resolved


def in_epochs(resolved: Mapping[str, Any], images: int) -> dict[str, Any]:
    """``resolved`` with a step budget as whole epochs of ``images // (batch_size)`` steps (at least one each)."""
    values = dict(resolved)
    steps = values.pop("steps", None)
    if values.get("epochs") is None:
        steps_per_epoch = max(1, images // values["batch_size"])
        values["epochs"] = max(1, round(steps / steps_per_epoch))
    return values


#: The settings that change how fast a run goes, not what it trains.
SPEED = ("strategy", "devices", "precision", "jit")


def describe(values: Mapping[str, Any], names: tuple[str, ...] | None = None, defaults: bool = False) -> str:
    """The listed settings (those with a ``label``) that ``values`` sets, in SETTINGS' order: ``epochs 60, batch
    64, lr 0.0002, …``; ``names`` limits them. Unset and empty ones are left out, and so are those at the core's
    default (off) unless required or ``defaults``. For the recipes' listing and the start of a run."""
    parts = []
    for s in SETTINGS:
        value = values.get(s.name)
        if not s.label or (names is not None and s.name not in names) or value is None or value == () or value is False \
                or (value == s.default and not (s.required or defaults)):
            continue
        shown = ",".join(value) if isinstance(value, tuple) else "" if value is True else \
            f"{value:g}" if isinstance(value, float) else str(value)
        parts.append(f"{s.label} {shown}".strip())
    return ", ".join(parts)


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

