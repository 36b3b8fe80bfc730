"""``ganzoo zoo [show NAME]``: the shelf of pretrained generators and their model cards (no TensorFlow)."""

from __future__ import annotations

import json

import click


@click.group("zoo", invoke_without_command=True)
@click.pass_context
def zoo_command(ctx) -> None:
    """List the pretrained generators; sample one with `ganzoo sample zoo:NAME`."""
    if ctx.invoked_subcommand:
        return
    from ganzoo.zoo.shelf import shelf
    entries = shelf()
    if not entries:
        click.echo("the shelf is empty")
    for name, entry in sorted(entries.items()):
        card, m = entry.card, entry.card["metrics"]
        click.echo(f"{name:<24}FID {m['fid']:6.1f} (floor {m['floor']['fid']:.1f})  classifier score "
                   f"{m['classifier_score']:.2f}  {card['training']['steps']:,} steps  [{entry.provider}]")


@zoo_command.command("show")
@click.argument("name")
def show_command(name: str) -> None:
    """Print the model card of NAME."""
    from ganzoo.zoo.shelf import find_entry
    entry = find_entry(name)
    click.echo(json.dumps(entry.card, indent=2))
    click.echo(f"files: {entry.folder}")
