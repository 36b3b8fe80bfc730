"""Training recipes: small versioned TOML files that fix every setting of a run (``ganzoo train --recipe NAME``,
or ``--recipe PATH.toml`` for one of your own).

A recipe has a ``[recipe]`` table (``name``, ``version``, ``description``) and
a ``[train]`` table with the generator, discriminator, loss, dataset, every
hyperparameter and the seed. Command-line options override a recipe's values.
"""

from __future__ import annotations

import importlib.resources
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo.errors import UserError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

#: The [train] keys a recipe may set: each is checked exactly as its `ganzoo train` option is.
TRAIN_KEYS = ("generator", "discriminator", "loss", "dataset", "latent_dim", "batch_size", "epochs", "lr", "beta_1",
              "beta_2", "seed", "r1", "eval_every", "image_size", "channels")


@dataclass(frozen=True)
class Recipe:
    name: str
    version: int
    description: str
    train: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

#: Where the recipe files are: this package's folder.
RECIPES = importlib.resources.files(__name__)


def recipe_names() -> list[str]:
    return sorted(p.name[:-5] for p in RECIPES.iterdir() if p.name.endswith(".toml"))


def load_recipe(name: str) -> Recipe:
    """The recipe ``name`` (shipped), or in the file ``name`` when it ends in ``.toml`` (your own); a one-line
    error naming the valid ones if there is none, or saying what is wrong with it."""
    if name.endswith(".toml"):
        source, expected_name = Path(name), None
    elif name in recipe_names():
        source, expected_name = RECIPES.joinpath(f"{name}.toml"), name
    else:
        raise UserError(f"unknown recipe '{name}' (valid: {', '.join(recipe_names())}, or a .toml file)")
    try:
        data = tomllib.loads(source.read_text())
    except FileNotFoundError:
        raise UserError(f"recipe {name}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UserError(f"recipe {name} cannot be read: {getattr(error, 'strerror', None) or error}") from None
    head, train = data.get("recipe"), data.get("train")
    if not isinstance(head, dict) or not isinstance(train, dict):
        raise UserError(f"recipe {name} needs a [recipe] and a [train] table")
    label = head.get("name")
    if not isinstance(label, str) or not _NAME.match(label) or (expected_name and label != expected_name):
        raise UserError(f"recipe {name}: [recipe] name is {label!r}; it must be "
                        + (f"{expected_name!r}, its file name" if expected_name else "lowercase letters, digits and -"))
    version = head.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UserError(f"recipe {name}: version {version!r} is not a positive integer")
    return Recipe(label, version, str(head.get("description", "")), _checked(name, train))


def _checked(name: str, train: dict[str, Any]) -> dict[str, Any]:
    """The [train] values, each put through its command-line option's type and range (as its text, the way
    a shell would hand it over), so a recipe can set nothing the command line would refuse."""
    import click

    from ganzoo.cli.train_command import train_command

    unknown = sorted(set(train) - set(TRAIN_KEYS))
    if unknown:
        raise UserError(f"recipe {name}: unknown key(s) {', '.join(unknown)} in [train] (valid: "
                        f"{', '.join(TRAIN_KEYS)})")
    options = {p.name: p for p in train_command.params}
    checked = {}
    with click.Context(train_command) as ctx:
        for key, value in train.items():
            if isinstance(value, (dict, list)) or (isinstance(value, bool) and options[key].type is not click.BOOL):
                raise UserError(f"recipe {name}: {key} = {value!r} is not valid for --{key.replace('_', '-')}")
            try:
                checked[key] = options[key].type.convert(value if isinstance(value, str) else str(value),
                                                         options[key], ctx)
            except click.BadParameter as error:
                raise UserError(f"recipe {name}: {key} = {value!r}: {error.message.rstrip('.')}") from None
    return checked
