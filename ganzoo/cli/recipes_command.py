"""``ganzoo recipes``: the reproducible training recipes."""

from __future__ import annotations

import click


@click.command("recipes")
def recipes_command() -> None:
    """List the training recipes (train one with `ganzoo train --recipe NAME`)."""
    from ganzoo.errors import UserError
    from ganzoo.recipes import load_recipe, recipe_names
    from ganzoo.settings import describe

    for name in recipe_names():
        try:
            recipe = load_recipe(name)
        except UserError as error:  # one broken recipe file does not hide the others
            click.echo(f"{name:<30} BROKEN: {error}")
            continue
        t = recipe.train
        click.echo(f"{recipe.label:<30} {recipe.description}")
        shown = [f"{t.get('generator')}/{t.get('discriminator')}", t.get("dataset") or "", describe(t)]
        shown += [f"{k}={v}" for k, v in sorted(recipe.hparams.items())]
        click.echo(f"{'':<31}" + ", ".join(part for part in shown if part))
