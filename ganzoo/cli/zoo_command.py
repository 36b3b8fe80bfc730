"""``ganzoo zoo [show NAME]``: the shelf of pretrained generators and their model cards (no TensorFlow)."""

from __future__ import annotations

import json

import click


@click.group("zoo", invoke_without_command=True)
@click.pass_context
def zoo_command(ctx) -> None:
    """List the pretrained generators, best FID first; sample one with `ganzoo sample zoo:NAME`."""
    if ctx.invoked_subcommand:
        return
    from ganzoo.zoo.shelf import by_fid, scan_shelf
    entries, broken = scan_shelf()
    if not entries and not broken:
        click.echo("the shelf is empty")
    for entry in by_fid(entries):
        click.echo(f"{entry.name:<28} {_summary(entry)}  [{entry.provider}]")
    for entry in broken:
        click.echo(f"{entry.name:<28} BROKEN: {entry.reason}  [{entry.provider}]")


def _summary(entry) -> str:
    """FID, its floor, its spread over seeds, classifier score and the training budget (steps, images seen, wall
    time), as far as a (possibly third-party) card states them."""
    from ganzoo.zoo.page import spread
    card = entry.card
    try:
        m = card["metrics"]
        text = f"FID {float(m['fid']):6.1f} (floor {float(m['floor']['fid']):.1f})"
        fids = [f for f in entry.over_seeds("fid") if isinstance(f, (int, float)) and not isinstance(f, bool)]
        if len(fids) > 1:
            text += f", over {len(fids)} seeds {spread(fids, 1)}"
        text += f"  classifier score {float(m['classifier_score']):.2f}"
    except (KeyError, TypeError, ValueError):
        text = "no metrics on its card"
    training = card.get("training") if isinstance(card.get("training"), dict) else {}
    budget = []
    if isinstance(training.get("steps"), int):
        budget.append(f"{training['steps']:,} steps")
    if entry.images_seen is not None:
        budget.append(f"{entry.images_seen:,} images")
    if isinstance(training.get("wall_time_s"), (int, float)):
        budget.append(f"{training['wall_time_s'] / 60:.1f} min on {training.get('hardware', '?')}")
    return text + ("  " + ", ".join(budget) if budget else "")


@zoo_command.command("show")
@click.argument("name")
def show_command(name: str) -> None:
    """Print the model card of NAME."""
    from ganzoo.zoo.shelf import find_entry
    entry = find_entry(name)
    click.echo(json.dumps(entry.card, indent=2))
    click.echo(f"files: {entry.folder}")
