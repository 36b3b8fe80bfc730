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
    from ganzoo.zoo.shelf import scan_shelf
    entries, broken = scan_shelf()
    if not entries and not broken:
        click.echo("the shelf is empty")
    for name, entry in sorted(entries.items()):
        click.echo(f"{name:<24}{_summary(entry.card)}  [{entry.provider}]")
    for entry in broken:
        click.echo(f"{entry.name:<24}BROKEN: {entry.reason}  [{entry.provider}]")


def _summary(card: dict) -> str:
    """FID, its floor, classifier score and steps, as far as a (possibly third-party) card states them."""
    try:
        m = card["metrics"]
        text = (f"FID {float(m['fid']):6.1f} (floor {float(m['floor']['fid']):.1f})  classifier score "
                f"{float(m['classifier_score']):.2f}")
    except (KeyError, TypeError, ValueError):
        text = "no metrics on its card"
    steps = card.get("training", {}).get("steps") if isinstance(card.get("training"), dict) else None
    return text + (f"  {steps:,} steps" if isinstance(steps, int) else "")


@zoo_command.command("show")
@click.argument("name")
def show_command(name: str) -> None:
    """Print the model card of NAME."""
    from ganzoo.zoo.shelf import find_entry
    entry = find_entry(name)
    click.echo(json.dumps(entry.card, indent=2))
    click.echo(f"files: {entry.folder}")
