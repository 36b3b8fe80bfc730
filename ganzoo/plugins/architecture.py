"""The architecture record: what a plugin registers in ``ganzoo.architectures``.

One :class:`Architecture` holds everything ganzoo needs to know about a
generator/discriminator pair: the two factories, the settings it trains best
with, whether it is class-conditional, and its hyperparameters, each declared
once as an :class:`HParam` with a type, default, help and range or choices.
The record is checked when it is created, so a wrong one is a broken plugin
at import, not a surprise in the middle of training.

This module imports neither TensorFlow nor Keras.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ganzoo.plugins.interfaces import ImageSpec, TrainingDefaults
from ganzoo.settings.types import parse, value_type

#: ``Architecture.conditional`` for a pair that is conditional exactly when the dataset has labels.
WITH_LABELS = "with-labels"
_TYPES = {int: "an integer", float: "a number", str: "a string", bool: "true or false"}
MODELS = ("generator", "discriminator", "both")


@dataclass(frozen=True)
class HParam:
    """One hyperparameter of an architecture, passed to its factories as a keyword argument."""

    name: str
    type: type  # int, float, str or bool
    default: Any
    help: str = ""
    min: float | None = None  # inclusive bounds, for int and float
    max: float | None = None
    choices: tuple = ()
    model: str = "both"  # the factory that receives it: "generator", "discriminator" or "both"

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise ValueError(f"hyperparameter {self.name}: model must be one of {', '.join(MODELS)}, not "
                             f"{self.model!r}")
        if not self.name.isidentifier():
            raise ValueError(f"hyperparameter name {self.name!r} is not a Python identifier")
        if self.type not in _TYPES:
            raise TypeError(f"hyperparameter {self.name}: type must be int, float, str or bool, not {self.type!r}")
        object.__setattr__(self, "choices", tuple(self.choices))
        self.parse(self.default)  # a default outside its own range is the plugin's bug

    def parse(self, value: Any) -> Any:
        """``value`` (as text from the command line, or a TOML/JSON value) as this parameter's type, checked
        against its range or choices by the same typed-value system as every training setting
        (ganzoo.settings.types); ValueError with a one-line reason."""
        try:
            return parse(value_type(self.type, self.min, self.max, self.choices), value, self.name)
        except ValueError as error:
            raise ValueError(f"{self.name} = {value!r}: {error}") from None

    def describe_range(self) -> str:
        if self.choices:
            return "one of " + ", ".join(map(str, self.choices))
        low = "-inf" if self.min is None else f"{self.min:g}"
        high = "inf" if self.max is None else f"{self.max:g}"
        return f"[{low}, {high}]" if self.min is not None or self.max is not None else _TYPES[self.type]


@dataclass(frozen=True)
class Architecture:
    """A generator/discriminator pair, registered once in the ``ganzoo.architectures`` entry-point group.

    ``generator(spec, *, latent_dim, **hparams)`` returns a ``keras.Model`` mapping ``z`` [N, latent_dim]
    (plus an int ``label`` [N] when conditional) to images [N, H, W, C] in [-1, 1];
    ``discriminator(spec, **hparams)`` one mapping images (plus ``label``) to logits [N, 1]. Each receives
    the hyperparameters declared for it (``HParam.model``), at their defaults unless the user set them.

    ``conditional``: ``False``, ``True`` (needs a labelled dataset), or :data:`WITH_LABELS` (conditional
    exactly when the dataset has labels).
    """

    generator: Callable[..., Any]
    discriminator: Callable[..., Any]
    defaults: TrainingDefaults = field(default_factory=TrainingDefaults)
    conditional: bool | str = False
    hparams: tuple[HParam, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        for name in ("generator", "discriminator"):
            if not callable(getattr(self, name)):
                raise TypeError(f"Architecture.{name} must be a factory (callable), not "
                                f"{type(getattr(self, name)).__name__}")
        if not isinstance(self.defaults, TrainingDefaults):
            raise TypeError(f"Architecture.defaults must be a ganzoo.TrainingDefaults, not "
                            f"{type(self.defaults).__name__}")
        if self.conditional not in (False, True, WITH_LABELS) or isinstance(self.conditional, int) \
                and not isinstance(self.conditional, bool):
            raise ValueError(f"Architecture.conditional must be False, True or {WITH_LABELS!r}, not "
                             f"{self.conditional!r}")
        object.__setattr__(self, "hparams", tuple(self.hparams))
        names = [h.name for h in self.hparams if isinstance(h, HParam)]
        if len(names) != len(self.hparams):
            raise TypeError("Architecture.hparams must hold ganzoo.HParam objects")
        reserved = {"spec", "latent_dim"} & set(names)
        if reserved or len(set(names)) != len(names):
            raise ValueError(f"Architecture.hparams: names must be unique and not spec or latent_dim: {names}")

    def is_conditional(self, spec: ImageSpec) -> bool:
        """Whether the models take class labels for data of ``spec`` (the one place this is decided)."""
        return bool(spec.num_classes) if self.conditional == WITH_LABELS else bool(self.conditional)

    def hparam_values(self, given: Mapping[str, Any], model: str = "both") -> dict[str, Any]:
        """Every hyperparameter (or those ``model`` receives) at its default, with ``given`` parsed over it;
        names this record does not declare are left out."""
        return {h.name: h.parse(given[h.name]) if h.name in given else h.default
                for h in self.hparams if model == "both" or h.model in (model, "both")}


def check_hparams(schemas: Mapping[str, tuple[HParam, ...]], given: Mapping[str, Any]) -> None:
    """ValueError (one line, naming the valid ones) for a name that no schema declares."""
    known = sorted({h.name for hparams in schemas.values() for h in hparams})
    unknown = sorted(set(given) - set(known))
    if unknown:
        owners = " and ".join(schemas)
        raise ValueError(f"unknown hyperparameter {', '.join(unknown)} for {owners} (valid: "
                         f"{', '.join(known) or 'none: it has no hyperparameters'})")
