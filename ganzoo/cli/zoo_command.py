"""``ganzoo zoo [show NAME]``: the shelf of pretrained generators and their model cards (no TensorFlow)."""

from __future__ import annotations

import json
from pathlib import Path

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


@zoo_command.command("site")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
def site_command(out: Path) -> None:
    """Write the shelf as a static web site to OUT: an index, and a page per entry that runs its generator in the
    browser (onnxruntime-web, from ganzoo-web). Host OUT anywhere, or preview it with `ganzoo zoo serve --site
    OUT`. Rerunning replaces a site this command wrote; any other non-empty folder is refused."""
    from ganzoo.web.site import build_site
    report = build_site(out, progress=lambda line: click.echo(line, err=True))
    _report(report)
    click.echo(f"site: {report.folder}/index.html ({len(report.entries)} entries)")


@zoo_command.command("serve")
@click.option("--site", "site", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Serve this folder (written by `ganzoo zoo site`) instead of building the site afresh.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; 0.0.0.0 opens the site to the whole network.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free one).")
def serve_command(site: Path | None, host: str, port: int) -> None:
    """Serve the zoo site on http://HOST:PORT until Ctrl-C: the shelf's pages, with the headers that let
    onnxruntime-web use several threads. Only the site's folder is served."""
    import tempfile

    from ganzoo.web.server import make_server, serve
    from ganzoo.web.site import build_site
    with tempfile.TemporaryDirectory(prefix="ganzoo-site-") as scratch:
        if site is None:
            report = build_site(Path(scratch) / "site", progress=lambda line: click.echo(line, err=True))
            _report(report)
            site = report.folder
        server = make_server(site, host, port)
        if host in ("0.0.0.0", "::", ""):
            click.echo(f"warning: --host {host or '(empty)'} serves the site to every network this machine is on",
                       err=True)
        bound_host, bound_port = server.server_address[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        click.echo(f"serving {site} on http://{shown}:{bound_port}/ (Ctrl-C stops)", err=True)
        serve(server)
        click.echo("stopped", err=True)


def _report(report) -> None:
    for broken in report.broken:
        click.echo(f"warning: left out {broken.name} [{broken.provider}]: {broken.reason}", err=True)
