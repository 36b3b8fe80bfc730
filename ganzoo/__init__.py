"""ganzoo: a GAN model zoo for TensorFlow/Keras.

``import ganzoo`` stays light (no TensorFlow); the public API is re-exported
lazily (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "ImageSpec": "ganzoo.interfaces",
    "TrainingDefaults": "ganzoo.interfaces",
    "Loss": "ganzoo.interfaces",
    "LossContext": "ganzoo.interfaces",
    "Dataset": "ganzoo.interfaces",
    "DatasetInfo": "ganzoo.interfaces",
    "ArrayDataset": "ganzoo.interfaces",
    "CORE_DEFAULTS": "ganzoo.settings",
    "Architecture": "ganzoo.architecture",
    "HParam": "ganzoo.architecture",
    "WITH_LABELS": "ganzoo.architecture",
    "Plugin": "ganzoo.discovery",
    "PluginError": "ganzoo.discovery",
    "discover_plugins": "ganzoo.discovery",
    "open_dataset": "ganzoo.datasets",
    "DatasetError": "ganzoo.datasets",
    "TrainConfig": "ganzoo.settings",
    "RunDirectory": "ganzoo.training.run_directory",
    "UserError": "ganzoo.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")
