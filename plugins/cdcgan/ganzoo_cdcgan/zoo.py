"""The plugin's shelf entries (registered in the ``ganzoo.zoo`` entry-point group); no TensorFlow import."""

from pathlib import Path

ENTRIES = Path(__file__).parent / "zoo_entries"
