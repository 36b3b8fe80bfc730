"""Finding shelf entries, checking their files, and resolving ``zoo:NAME`` (no TensorFlow)."""

from __future__ import annotations

import hashlib
import importlib.metadata as metadata
import importlib.resources
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ganzoo.errors import UserError

PREFIX = "zoo:"
GROUP = "ganzoo.zoo"
_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]*$")


@dataclass(frozen=True)
class ShelfEntry:
    name: str
    folder: Path
    provider: str  # the distribution that ships it

    @property
    def model(self) -> Path:
        return self.folder / "generator.onnx"

    @property
    def card(self) -> dict:
        return json.loads((self.folder / "card.json").read_text())


def _entry_folders() -> list[tuple[Path, str]]:
    folders = [(Path(str(importlib.resources.files("ganzoo.zoo").joinpath("entries"))), "ganzoo")]
    for ep in metadata.entry_points(group=GROUP):
        try:
            folders.append((Path(ep.load()), ep.dist.name if ep.dist else "?"))
        except Exception:  # noqa: BLE001 - a broken plugin must not break the shelf
            continue
    return folders


def shelf() -> dict[str, ShelfEntry]:
    """Every entry on the shelf, by name."""
    entries = {}
    for root, provider in _entry_folders():
        if root.is_dir():
            for folder in sorted(root.iterdir()):
                if (folder / "card.json").is_file() and (folder / "generator.onnx").is_file():
                    entries.setdefault(folder.name, ShelfEntry(folder.name, folder, provider))
    return entries


def find_entry(name: str) -> ShelfEntry:
    """The entry ``name``; one-line errors for unknown or path-like names."""
    if not _NAME.match(name):
        raise UserError(f"invalid zoo name '{name}': names are lowercase letters, digits, '-' and '.' "
                        "(see `ganzoo zoo`)")
    entries = shelf()
    if name not in entries:
        raise UserError(f"unknown zoo entry '{name}' (valid: {', '.join(sorted(entries)) or 'none installed'})")
    return entries[name]


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
