"""Finding shelf entries, checking their files, and resolving ``zoo:NAME`` (no TensorFlow, no plugin code).

A distribution ships entries by naming a folder in the ``ganzoo.zoo``
entry-point group, written like a module (``package.folder``). The folder is
found from the package's location, without importing it, so listing the shelf
runs no plugin code; discovery's allow-list decides which distributions count.
Each entry is a subfolder holding generator.onnx, card.json and grid.png.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import importlib.util
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ganzoo.plugins.discovery import Plugin, discover_plugins
from ganzoo.plugins.interfaces import ZOO_GROUP
from ganzoo.errors import UserError

PREFIX = "zoo:"
ENTRY_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")  # also a safe web address


@dataclass(frozen=True)
class ShelfEntry:
    name: str
    folder: Path
    provider: str  # the distribution that ships it
    card: dict  # card.json, checked to be an object with a sha256

    @property
    def model(self) -> Path:
        return self.folder / "generator.onnx"

    @property
    def fid(self) -> float | None:
        """The card's FID, or None when a (third-party) card does not state one."""
        try:
            return float(self.card["metrics"]["fid"])
        except (KeyError, TypeError, ValueError):
            return None

    def over_seeds(self, metric: str) -> list:
        """``metric`` for the shipped file, then for each of the card's ``seed_runs`` (the same recipe trained
        with other seeds): one value when the card has no seed runs, none when it lacks the metric."""
        seed_runs = self.card.get("seed_runs")
        runs = [self.card.get("metrics")] + [r.get("metrics") for r in seed_runs if isinstance(r, dict)] \
            if isinstance(seed_runs, list) else [self.card.get("metrics")]
        return [run[metric] for run in runs if isinstance(run, dict) and metric in run]

    @property
    def images_seen(self) -> int | None:
        """Training steps times batch size, as far as the card states them."""
        try:
            return int(self.card["training"]["steps"]) * int(self.card["settings"]["batch_size"])
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class BrokenEntry:
    """A shelf entry, or a whole plugin's shelf, that cannot be used; the others still can."""

    name: str
    provider: str
    reason: str


_FOLDER = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def entry_folder(plugin: Plugin) -> Path:
    """The folder a ``ganzoo.zoo`` entry point names, found without importing anything; ValueError saying
    why there is none."""
    if not _FOLDER.match(plugin.value):
        raise ValueError(f"its entry point {plugin.value!r} must name a folder inside a package, as package.folder "
                         "(no ':' attribute)")
    top, *rest = plugin.value.split(".")
    spec = importlib.util.find_spec(top)  # a top-level name: finders only, the package's code does not run
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"package {top} is not installed")
    folder = Path(list(spec.submodule_search_locations)[0]).joinpath(*rest)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder")
    return folder


def _entry_folders(broken: list[BrokenEntry]) -> list[tuple[Path, str]]:
    """ganzoo's own entries, then each admitted plugin's (through discovery: the allow-list holds here too)."""
    folders = [(Path(str(importlib.resources.files("ganzoo.zoo").joinpath("entries"))), "ganzoo")]
    for plugin in discover_plugins(ZOO_GROUP):
        try:
            folders.append((entry_folder(plugin), plugin.distribution))
        except ValueError as error:
            broken.append(BrokenEntry(f"{plugin.name} (all its entries)", plugin.distribution, str(error)))
    return folders


def _read_card(folder: Path) -> dict:
    """card.json as an object with a sha256; ValueError saying what is wrong."""
    try:
        card = json.loads((folder / "card.json").read_text())
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as error:  # RecursionError: nested too deep
        raise ValueError(f"card.json is unreadable: {error}") from None
    if not isinstance(card, dict) or not isinstance(card.get("sha256"), str):
        raise ValueError("card.json is not an object with a sha256")
    return card


def scan_shelf() -> tuple[dict[str, ShelfEntry], list[BrokenEntry]]:
    """Every usable entry on the shelf, by name, and the broken ones."""
    entries: dict[str, ShelfEntry] = {}
    broken: list[BrokenEntry] = []
    for root, provider in _entry_folders(broken):
        for folder in sorted(root.iterdir()) if root.is_dir() else []:
            if folder.name in entries or not (folder / "generator.onnx").is_file():
                continue
            try:
                entries[folder.name] = ShelfEntry(folder.name, folder, provider, _read_card(folder))
            except ValueError as error:
                broken.append(BrokenEntry(folder.name, provider, str(error)))
    return entries, broken


def shelf() -> dict[str, ShelfEntry]:
    """Every usable entry on the shelf, by name."""
    return scan_shelf()[0]


def by_fid(entries: dict[str, ShelfEntry]) -> list[ShelfEntry]:
    """The entries best first: by FID (lower is better), those without one last, then by name."""
    return sorted(entries.values(), key=lambda e: (e.fid is None, e.fid or 0.0, e.name))


def best_conditional(entries: dict[str, ShelfEntry]) -> ShelfEntry | None:
    """The entry whose card has the highest label agreement (the conditional entry whose digits the classifier reads
    best); None without a conditional entry."""
    scored = [e for e in entries.values() if isinstance(e.card.get("metrics", {}).get("label_agreement"), float)]
    return max(scored, key=lambda e: e.card["metrics"]["label_agreement"], default=None)


def find_entry(name: str) -> ShelfEntry:
    """The entry ``name``; one-line errors for unknown or path-like names."""
    if not ENTRY_NAME.match(name):
        raise UserError(f"invalid zoo name '{name}': names are lowercase letters, digits, '-' and '.' "
                        "(see `ganzoo zoo`)")
    entries, broken = scan_shelf()
    for entry in broken:
        if entry.name == name:
            raise UserError(f"zoo entry '{name}' from {entry.provider} is broken: {entry.reason}")
    if name not in entries:
        hint = _provider_hint(name)
        raise UserError(f"unknown zoo entry '{name}' (valid: {', '.join(sorted(entries)) or 'none installed'})"
                        + (f"; {hint}" if hint else ""))
    return entries[name]


def _provider_hint(name: str) -> str | None:
    """For an entry of one of ganzoo's own plugins that is not installed: which distribution ships it. Entries are
    named after the recipe that trains them, and the recipe names the architecture."""
    from ganzoo.plugins.first_party import install_hint
    from ganzoo.recipes import load_recipe, recipe_names

    if name not in recipe_names():
        return None
    architecture = load_recipe(name).train.get("generator")
    return install_hint(architecture, f"it (architecture {architecture})") if architecture else None


def verified_model(name: str) -> Path:
    """The entry's ONNX file, after checking it against the sha256 on its card."""
    entry = find_entry(name)
    expected = entry.card.get("sha256")
    actual = hashlib.sha256(entry.model.read_bytes()).hexdigest()
    if actual != expected:
        raise UserError(f"zoo entry '{name}' is damaged: {entry.model} has sha256 {actual[:16]}…, its card says "
                        f"{str(expected)[:16]}…; reinstall ganzoo")
    return entry.model


def resolve_source(source: str | Path) -> Path:
    """``zoo:NAME`` -> the entry's verified ONNX file; anything else unchanged, as a Path."""
    text = str(source)
    return verified_model(text[len(PREFIX):]) if text.startswith(PREFIX) else Path(text)
