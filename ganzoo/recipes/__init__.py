"""Training recipes: small versioned TOML files that fix every setting of a run (``ganzoo train --recipe NAME``).

A recipe has a ``[recipe]`` table (``name``, ``version``, ``description``) and
a ``[train]`` table with the generator, discriminator, loss, dataset, every
hyperparameter and the seed. Command-line options override a recipe's values.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import dataclass, field
from typing import Any

from ganzoo.errors import UserError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

#: The [train] keys a recipe may set, and their types.
TRAIN_KEYS = {"generator": str, "discriminator": str, "loss": str, "dataset": str, "latent_dim": int,
              "batch_size": int, "epochs": int, "lr": float, "beta_1": float, "beta_2": float, "seed": int,
              "r1": float, "eval_every": int, "image_size": int, "channels": int}


@dataclass(frozen=True)
class Recipe:
    name: str
    version: int
    description: str
    train: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


def recipe_names() -> list[str]:
    return sorted(p.name[:-5] for p in importlib.resources.files(__name__).iterdir() if p.name.endswith(".toml"))


def load_recipe(name: str) -> Recipe:
    """The recipe ``name``; a one-line error naming the valid ones if there is none."""
    if name not in recipe_names():
        raise UserError(f"unknown recipe '{name}' (valid: {', '.join(recipe_names())})")
    data = tomllib.loads(importlib.resources.files(__name__).joinpath(f"{name}.toml").read_text())
    head, train = data.get("recipe", {}), data.get("train", {})
    unknown = sorted(set(train) - set(TRAIN_KEYS))
    wrong = [k for k, v in train.items() if k in TRAIN_KEYS and not isinstance(v, TRAIN_KEYS[k])
             and not (TRAIN_KEYS[k] is float and isinstance(v, int))]
    if unknown or wrong or head.get("name") != name:
        raise ValueError(f"recipe {name} is malformed: unknown keys {unknown}, wrong types {wrong}")
    return Recipe(name, int(head.get("version", 1)), head.get("description", ""),
                  {k: float(v) if TRAIN_KEYS[k] is float else v for k, v in train.items()})
