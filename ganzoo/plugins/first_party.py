"""The plugin distributions kept in ganzoo's own repository (plugins/), for messages that say what to install.

They are not on PyPI: each installs from a clone.
"""

from __future__ import annotations

#: architecture -> (distribution, its folder in a clone)
DISTRIBUTIONS = {
    "cdcgan": ("ganzoo-cdcgan", "plugins/cdcgan"),
    "sngan": ("ganzoo-sngan", "plugins/sngan"),
    "sagan": ("ganzoo-sagan", "plugins/sagan"),
    "stylegan": ("ganzoo-stylegan", "plugins/stylegan"),
}


def install_hint(architecture: str, what: str = "it") -> str | None:
    """``ganzoo-sagan provides it: pip install ./plugins/sagan (from a clone of ganzoo)``, or None for an
    architecture that is not one of ganzoo's own plugins."""
    if architecture not in DISTRIBUTIONS:
        return None
    distribution, folder = DISTRIBUTIONS[architecture]
    return f"{distribution} provides {what}: pip install ./{folder} (from a clone of ganzoo)"
