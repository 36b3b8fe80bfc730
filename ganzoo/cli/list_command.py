"""``ganzoo list [--check]``: installed plugins by group, without importing them unless asked."""

from __future__ import annotations

import click

from ganzoo import discovery
from ganzoo.interfaces import GROUPS


@click.command("list")
@click.option("--check", is_flag=True,
              help="Import and build every plugin and report the broken ones (imports TensorFlow).")
def list_command(check: bool) -> None:
    """List plugins by group with their distribution and version."""
    excluded: set[str] = set()
    plugins = discovery.discover_plugins(excluded=excluded)
    if excluded:
        reason = (f"{discovery.DISABLE_AUTOLOAD_ENV} is set" if discovery.autoload_disabled()
                  else f"not in {discovery.ALLOW_ENV}")
        click.echo(f"not loaded ({reason}): {', '.join(sorted(excluded))}", err=True)
    problems = {}
    if check:
        from ganzoo.plugin_check import check_plugin
        from ganzoo.tf_import import import_tensorflow
        import_tensorflow()  # plugins import Keras: do it quietly, once
        problems = {p: check_plugin(p) for p in plugins}
    width = max((len(p.name) for p in plugins), default=0) + 2
    for group in GROUPS:
        click.echo(group)
        members = [p for p in plugins if p.group == group]
        if not members:
            click.echo("  (none)")
        for p in members:
            status = ""
            if check:
                status = "  ok" if problems[p] is None else f"  BROKEN: {problems[p]}"
            click.echo(f"  {p.name:<{width}}{p.distribution} {p.version}{status}")
    broken = [p for p in plugins if problems.get(p)]
    if broken:
        click.echo(f"{len(broken)} broken plugin(s): "
                   + ", ".join(f"{p.distribution} [{p.group}:{p.name}]" for p in broken), err=True)
        raise click.exceptions.Exit(1)
