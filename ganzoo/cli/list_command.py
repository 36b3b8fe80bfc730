"""``ganzoo list [--check] [-v ARCH]``: installed plugins by group, without importing them unless asked."""

from __future__ import annotations

import click

from ganzoo.plugins import discovery
from ganzoo.plugins.interfaces import CODE_GROUPS, GROUPS


@click.command("list")
@click.option("--check", is_flag=True,
              help="Import and build every plugin and report the broken ones (imports TensorFlow).")
@click.option("-v", "--verbose", "architecture", metavar="ARCH",
              help="Show one architecture in full: its description, defaults and hyperparameters (imports it).")
def list_command(check: bool, architecture: str | None) -> None:
    """List plugins by group with their distribution and version, and the shelf's providers."""
    if architecture:
        _describe(architecture)
        return
    excluded: set[str] = set()
    plugins = [p for p in discovery.discover_plugins(excluded=excluded) if p.group in CODE_GROUPS]  # the shelf: below
    if excluded:
        reason = (f"{discovery.DISABLE_AUTOLOAD_ENV} is set" if discovery.autoload_disabled()
                  else f"not in {discovery.ALLOW_ENV}")
        click.echo(f"not loaded ({reason}): {', '.join(sorted(excluded))}", err=True)
    problems = {}
    if check:
        from ganzoo.plugins.check import check_plugin
        from ganzoo.tf_support.imports import import_tensorflow
        import_tensorflow()  # plugins import Keras: do it quietly, once
        problems = {p: check_plugin(p) for p in plugins}
    for p in discovery.retired_plugins():  # known broken without importing anything
        problems[p] = discovery.retired_message(p)
    width = max((len(p.name) for p in plugins), default=0) + 2
    for group in CODE_GROUPS:
        click.echo(group)
        members = [p for p in plugins if p.group == group]
        if not members:
            click.echo("  (none)")
        for p in members:
            status = ""
            if check:
                status = "  ok" if problems[p] is None else f"  BROKEN: {problems[p]}"
            click.echo(f"  {p.name:<{width}}{p.distribution} {p.version}{status}")
    shelf_broken = _list_shelf()
    retired = [p for p in problems if p.group not in GROUPS]
    if retired:
        click.echo("retired groups (not loaded)")
        for p in retired:
            click.echo(f"  {p.name:<{width}}{p.distribution} {p.version}  BROKEN: {problems[p]}")
    broken = [p for p in problems if problems[p]]
    if broken or shelf_broken:
        click.echo(f"{len(broken) + shelf_broken} broken plugin(s) or shelf entries: "
                   + ", ".join(f"{p.distribution} [{p.group}:{p.name}]" for p in broken), err=True)
        if check:
            raise click.exceptions.Exit(1)


def _list_shelf() -> int:
    """The shelf's entries by provider, read from their folders (no import); returns the number broken."""
    from ganzoo.zoo.shelf import scan_shelf

    entries, broken = scan_shelf()
    click.echo("ganzoo.zoo")
    providers: dict[str, list[str]] = {}
    for entry in entries.values():
        providers.setdefault(entry.provider, []).append(entry.name)
    for provider, names in sorted(providers.items()):
        click.echo(f"  {provider}: {', '.join(sorted(names))}")
    for entry in broken:
        click.echo(f"  {entry.provider}: {entry.name}  BROKEN: {entry.reason}")
    if not entries and not broken:
        click.echo("  (none)")
    return len(broken)


def _describe(name: str) -> None:
    from ganzoo.plugins.run_plugins import load_architecture
    from ganzoo.tf_support.imports import import_tensorflow

    import_tensorflow(start_runtime=False)  # plugins import Keras: do it quietly

    loaded = load_architecture(name)
    record = loaded.record
    p = loaded.plugin
    click.echo(f"{p.name} ({p.distribution} {p.version}){': ' + record.description if record.description else ''}")
    conditional = {True: "yes (needs labels)", False: "no"}.get(record.conditional, "when the dataset has labels")
    click.echo(f"  conditional: {conditional}")
    defaults = record.defaults.as_dict()
    click.echo("  defaults: " + (", ".join(f"{k}={v}" for k, v in defaults.items()) or "(none: the core's)"))
    if not record.hparams:
        click.echo("  hyperparameters: none")
        return
    click.echo("  hyperparameters (ganzoo train ... -o NAME=VALUE):")
    width = max(len(h.name) for h in record.hparams) + 2
    for h in record.hparams:
        where = "" if h.model == "both" else f"; {h.model} only"
        click.echo(f"    {h.name:<{width}}{h.type.__name__} = {h.default!r}  ({h.describe_range()}{where})"
                   + (f"  {h.help}" if h.help else ""))
