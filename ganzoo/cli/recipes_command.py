"""``ganzoo recipes``: the reproducible training recipes."""

from __future__ import annotations

import click


@click.command("recipes")
def recipes_command() -> None:
    """List the training recipes (train one with `ganzoo train --recipe NAME`)."""
    from ganzoo.recipes import load_recipe, recipe_names

    for name in recipe_names():
        recipe = load_recipe(name)
        t = recipe.train
        click.echo(f"{recipe.label:<24}{recipe.description}")
        click.echo(f"{'':<24}{t.get('generator')}/{t.get('discriminator')}, loss {t.get('loss')}, {t.get('dataset')}, "
                   f"{t.get('epochs')} epochs, batch {t.get('batch_size')}, lr {t.get('lr'):g}, "
                   f"beta_1 {t.get('beta_1'):g}, seed {t.get('seed')}")
