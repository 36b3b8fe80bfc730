"""The plugin distributions kept in ganzoo's own repository (plugins/), for messages that say what to install.

They are not on PyPI: each installs from a clone, where ganzoo-sagan needs ganzoo-sngan beside it.
"""

from __future__ import annotations

#: architecture -> (distribution, the folders of a clone to pip install, in order)
DISTRIBUTIONS = {
    "cdcgan": ("ganzoo-cdcgan", ("plugins/cdcgan",)),
    "sngan": ("ganzoo-sngan", ("plugins/sngan",)),
    "sagan": ("ganzoo-sagan", ("plugins/sngan", "plugins/sagan")),
    "stylegan": ("ganzoo-stylegan", ("plugins/stylegan",)),
}


def install_hint(architecture: str, what: str = "it") -> str | None:
    """``ganzoo-sagan provides it: pip install ./plugins/sngan ./plugins/sagan (from a clone of ganzoo)``, or
    None for an architecture that is not one of ganzoo's own plugins."""
    if architecture not in DISTRIBUTIONS:
        return None
    distribution, folders = DISTRIBUTIONS[architecture]
    return f"{distribution} provides {what}: pip install {' '.join('./' + f for f in folders)} (from a clone of ganzoo)"
