"""``ganzoo recipes``: the reproducible training recipes."""

from __future__ import annotations

import click


@click.command("recipes")
def recipes_command() -> None:
    """List the training recipes (train one with `ganzoo train --recipe NAME`)."""
    from ganzoo.errors import UserError
    from ganzoo.recipes import load_recipe, recipe_names

    for name in recipe_names():
        try:
            recipe = load_recipe(name)
        except UserError as error:  # one broken recipe file does not hide the others
            click.echo(f"{name:<30} BROKEN: {error}")
            continue
        t = recipe.train
        click.echo(f"{recipe.label:<30} {recipe.description}")
        shown = [f"{t.get('generator')}/{t.get('discriminator')}"]
        shown += [f"{label} {t[key]:g}" if isinstance(t[key], float) else f"{label} {t[key]}".strip()
                  for key, label in (("loss", "loss"), ("dataset", ""), ("epochs", "epochs"), ("batch_size", "batch"),
                                     ("lr", "lr"), ("beta_1", "beta_1"), ("seed", "seed"), ("ema", "EMA"),
                                     ("r1", "R1"), ("mode_seeking", "mode seeking")) if key in t]
        shown += [f"augment {','.join(t['augment'])}"] if t.get("augment") else []
        shown += [f"{k}={v}" for k, v in sorted(recipe.hparams.items())]
        click.echo(f"{'':<31}" + ", ".join(shown))
