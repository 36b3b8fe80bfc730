"""The command-line types of training settings (click), which check a recipe's values exactly as the command
line's: finite numbers, device lists, channel counts, DiffAugment policies, NAME=VALUE hyperparameters."""

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


POSITIVE_INT = click.IntRange(min=1)
SEED = click.IntRange(min=0, max=2**32 - 1)  # what TensorFlow and numpy take as a seed
POSITIVE_FLOAT = FiniteFloatRange(min=0, min_open=True)
BETA = FiniteFloatRange(min=0, max=1, max_open=True)
