"""ganzoo: a GAN model zoo for TensorFlow/Keras.

``import ganzoo`` stays light (no TensorFlow); the public API is re-exported
lazily (PEP 562).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "ImageSpec": "ganzoo.plugins.interfaces",
    "TrainingDefaults": "ganzoo.settings",
    "Loss": "ganzoo.plugins.interfaces",
    "LossContext": "ganzoo.plugins.interfaces",
    "Dataset": "ganzoo.plugins.interfaces",
    "DatasetInfo": "ganzoo.plugins.interfaces",
    "ArrayDataset": "ganzoo.plugins.interfaces",
    "CORE_DEFAULTS": "ganzoo.settings",
    "Architecture": "ganzoo.plugins.architecture",
    "HParam": "ganzoo.plugins.architecture",
    "WITH_LABELS": "ganzoo.plugins.architecture",
    "Plugin": "ganzoo.plugins.discovery",
    "PluginError": "ganzoo.plugins.discovery",
    "discover_plugins": "ganzoo.plugins.discovery",
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
