"""The one typed-value system: click types, through which every value passes, whatever its source.

The command line's options use them directly; :func:`parse` puts a recipe's value, a config.json value, a
plugin's default or an architecture's hyperparameter through the same type, as the text a shell would hand
over, so that each source is checked exactly as the command line is. Types here add what click lacks: finite
numbers, device lists, channel counts, DiffAugment policies, NAME=VALUE assignments, closed sets of typed
values.
"""

from __future__ import annotations

import math

import click


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that also refuses nan and inf (``nan > 0`` is False, so a plain range lets it through)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{number} is not a finite number", param, ctx)
        return number


class DeviceList(click.ParamType):
    """``gpu:0,gpu:1`` -> ("gpu:0", "gpu:1")."""

    name = "list"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        return tuple(d.strip() for d in str(value).split(",") if d.strip())


class Channels(click.Choice):
    """1 or 3, as an int."""

    def __init__(self):
        super().__init__(["1", "3"])

    def convert(self, value, param, ctx):
        return int(super().convert(str(value), param, ctx))


#: DiffAugment's policies (ganzoo.training.augment), in the order they are applied.
AUGMENT_POLICIES = ("color", "translation", "cutout")


class Policies(click.ParamType):
    """``translation,cutout`` -> ("translation", "cutout"), each one a DiffAugment policy."""

    name = "policies"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        names = tuple(dict.fromkeys(p.strip() for p in str(value).split(",") if p.strip()))
        unknown = [p for p in names if p not in AUGMENT_POLICIES]
        if unknown or not names:
            self.fail(f"unknown augmentation policy {', '.join(unknown) or repr(value)} (valid: "
                      f"{', '.join(AUGMENT_POLICIES)}, comma-separated)", param, ctx)
        return tuple(p for p in AUGMENT_POLICIES if p in names)


class Assignment(click.ParamType):
    """``NAME=VALUE`` -> (NAME, VALUE as text); the architecture's schema parses the value."""

    name = "name=value"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        name, sep, text = str(value).partition("=")
        if not sep or not name.strip():
            self.fail(f"{value!r} is not NAME=VALUE (for example -o width=128)", param, ctx)
        return name.strip(), text.strip()


class OneOf(click.ParamType):
    """A value of ``kind`` that must be one of ``choices`` (typed values: ``8`` for an int, not ``"8"``)."""

    def __init__(self, kind: click.ParamType, choices):
        self.kind, self.choices = kind, tuple(choices)
        self.name = kind.name

    def convert(self, value, param, ctx):
        converted = self.kind.convert(value, param, ctx)
        if converted not in self.choices:
            self.fail(f"{value!r} is not one of {', '.join(map(str, self.choices))}", param, ctx)
        return converted


def value_type(kind: type, min=None, max=None, choices=()) -> click.ParamType:
    """The click type of a value of Python type ``kind`` (int, float, str or bool), inclusive bounds and/or a
    closed set: what an architecture's HParam declares."""
    base = {int: click.IntRange(min, max), float: FiniteFloatRange(min, max), str: click.STRING,
            bool: click.BOOL}[kind]
    return OneOf(base, choices) if choices else base


def parse(kind, value, what: str = "it"):
    """``value`` through the click type ``kind``: text as the command line gives it, or a TOML/JSON value (as the
    text a shell would hand over: ``128`` as "128", a list as comma-separated items, for list types only).
    A table, a list where one value is expected, or a boolean for a non-boolean type is refused as not valid
    for ``what`` (an option, a hyperparameter). ValueError with the reason, in click's words."""
    kind = click.types.convert_type(kind)
    listing = isinstance(kind, (DeviceList, Policies))
    if isinstance(value, dict) or (isinstance(value, (list, tuple)) and not listing) \
            or (isinstance(value, bool) and kind is not click.BOOL):
        raise ValueError(f"{value!r} is not valid for {what}")
    if isinstance(value, (list, tuple)):
        if not value:
            return ()
        value = ",".join(map(str, value))
    try:
        return kind.convert(value if isinstance(value, str) else str(value), None, None)
    except click.BadParameter as error:
        raise ValueError(error.message.rstrip(".")) from None


POSITIVE_INT = click.IntRange(min=1)
SEED = click.IntRange(min=0, max=2**32 - 1)  # what TensorFlow and numpy take as a seed
POSITIVE_FLOAT = FiniteFloatRange(min=0, min_open=True)
BETA = FiniteFloatRange(min=0, max=1, max_open=True)
