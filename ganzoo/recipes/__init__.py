"""Training recipes: small versioned TOML files that fix every setting of a run (``ganzoo train --recipe NAME``,
or ``--recipe PATH.toml`` for one of your own).

A recipe has a ``[recipe]`` table (``name``, ``version``, ``description``), a
``[train]`` table with the generator, discriminator, loss, dataset, every
training setting and the seed (:data:`ganzoo.settings.RECIPE_KEYS`), and an
optional ``[architecture]`` table of the architecture's hyperparameters.
Command-line options override a recipe's values (ganzoo.settings).
"""

from __future__ import annotations

import importlib.resources
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Any

from ganzoo.errors import UserError
from ganzoo.settings import BY_NAME, RECIPE_KEYS

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class Recipe:
    name: str
    version: int
    description: str
    train: dict[str, Any] = field(default_factory=dict)
    hparams: dict[str, Any] = field(default_factory=dict)  # [architecture]: checked against the architecture

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")

#: A recipe is a few dozen lines; a file larger than this is refused before it is parsed.
MAX_RECIPE_BYTES = 64 * 1024

#: Where the recipe files are: this package's folder.
RECIPES = importlib.resources.files(__name__)


def recipe_names() -> list[str]:
    return sorted(p.name[:-5] for p in RECIPES.iterdir() if p.name.endswith(".toml"))


def load_recipe(name: str) -> Recipe:
    """The recipe ``name`` (shipped), or in the file ``name`` when it ends in ``.toml`` (your own); a one-line
    error naming the valid ones if there is none, or saying what is wrong with it."""
    if name.endswith(".toml"):
        text, expected_name = _read_recipe_file(name), None
    elif name in recipe_names():
        text, expected_name = RECIPES.joinpath(f"{name}.toml").read_text(), name
    else:
        raise UserError(f"unknown recipe '{name}' (valid: {', '.join(recipe_names())}, or a .toml file)")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"recipe {name} cannot be read: {error}") from None
    except RecursionError:
        raise UserError(f"recipe {name} cannot be read: its values are nested too deeply") from None
    head, train, hparams = data.get("recipe"), data.get("train"), data.get("architecture", {})
    if not isinstance(head, dict) or not isinstance(train, dict):
        raise UserError(f"recipe {name} needs a [recipe] and a [train] table")
    unknown = sorted(set(data) - {"recipe", "train", "architecture"})
    if unknown or not isinstance(hparams, dict):
        raise UserError(f"recipe {name}: unknown table(s) {', '.join(unknown) or 'architecture'} (valid: [recipe], "
                        "[train], [architecture])")
    nested = sorted(k for k, v in hparams.items() if isinstance(v, (dict, list)))
    if nested:
        raise UserError(f"recipe {name}: [architecture] {', '.join(nested)} must be a single value")
    label = head.get("name")
    if not isinstance(label, str) or not _NAME.match(label) or (expected_name and label != expected_name):
        raise UserError(f"recipe {name}: [recipe] name is {label!r}; it must be "
                        + (f"{expected_name!r}, its file name" if expected_name else "lowercase letters, digits and -"))
    version = head.get("version", 1)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise UserError(f"recipe {name}: version {version!r} is not a positive integer")
    return Recipe(label, version, str(head.get("description", "")), _checked(name, train), dict(hparams))


def _read_recipe_file(name: str) -> str:
    """The text of the recipe file ``name``, refused before it is read when it is not a small regular file: a
    FIFO, a device such as /dev/zero (through a symlink too) or a huge file would hang or fill memory."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer would wait forever; it does not change a regular file's reads
        fd = os.open(name, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise UserError(f"recipe {name}: no such file") from None
    except OSError as error:
        raise UserError(f"recipe {name} cannot be read: {error.strerror or error}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UserError(f"recipe {name} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as f:
            data = f.read(MAX_RECIPE_BYTES + 1)
    except OSError as error:
        raise UserError(f"recipe {name} cannot be read: {error.strerror or error}") from None
    finally:
        os.close(fd)
    if len(data) > MAX_RECIPE_BYTES:
        raise UserError(f"recipe {name} is larger than {MAX_RECIPE_BYTES // 1024} KiB: a recipe is a short text file")
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise UserError(f"recipe {name} cannot be read: it is not UTF-8 text") from None


def _checked(name: str, train: dict[str, Any]) -> dict[str, Any]:
    """The [train] values, each put through its setting's type (ganzoo.settings.types.parse), so a recipe can
    set nothing the command line would refuse."""
    unknown = sorted(set(train) - set(RECIPE_KEYS))
    if unknown:
        raise UserError(f"recipe {name}: unknown key(s) {', '.join(unknown)} in [train] (valid: "
                        f"{', '.join(RECIPE_KEYS)})")
    checked = {}
    for key, value in train.items():
        try:
            checked[key] = BY_NAME[key].parse(value)
        except ValueError as error:
            raise UserError(f"recipe {name}: {key} = {value!r}: {error}") from None
    return checked
