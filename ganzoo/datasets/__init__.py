"""Datasets: built-in dataset plugins and opening one by its command-line name.

A dataset argument is a registered name (``mnist``) or ``name:VALUE`` for
datasets that take a path (``folder:PATH``, ``npz:PATH``).
"""

from __future__ import annotations

import inspect
from typing import Any

from ganzoo.plugins import discovery
from ganzoo.errors import UserError
from ganzoo.plugins.interfaces import ArrayDataset, Dataset


class DatasetError(UserError):
    """A dataset cannot be read; the message names the dataset and the problem."""


def parse_dataset_argument(argument: str) -> tuple[str, dict[str, Any]]:
    """``folder:PATH`` -> ("folder", {"path": PATH}); ``mnist`` -> ("mnist", {})."""
    name, sep, value = argument.partition(":")
    if not name:
        raise UserError(f"bad dataset '{argument}': expected NAME or NAME:PATH")
    return name, ({"path": value} if sep else {})


def open_dataset(argument: str, **options: Any) -> Dataset:
    """Load the dataset plugin named by ``argument`` and build the dataset.

    Options that are ``None`` are left out, so a factory's own defaults apply.
    """
    name, options_from_name = parse_dataset_argument(argument)
    plugin = discovery.find_plugin("ganzoo.datasets", name)
    factory = discovery.load_plugin(plugin)
    options = {**{k: v for k, v in options.items() if v is not None}, **options_from_name}
    _check_options(name, factory, options)
    try:
        with discovery.plugin_code(plugin):
            dataset = factory(**options)
    except discovery.BrokenPluginError as broken:
        if isinstance(broken.error, (ValueError, OSError)):  # the factory's way of saying "cannot read that"
            raise DatasetError(f"dataset '{argument}': {broken.error}") from None
        raise
    if not isinstance(dataset, Dataset):
        raise DatasetError(f"dataset plugin '{name}' returned {type(dataset).__name__}, not a ganzoo Dataset")
    if dataset.info.size == 0:
        raise DatasetError(f"dataset '{argument}' holds no images")
    return dataset


def _check_options(name: str, factory: Any, options: dict[str, Any]) -> None:
    try:
        inspect.signature(factory).bind(**options)
    except TypeError:
        params = inspect.signature(factory).parameters
        accepted = [p for p in params if params[p].kind is not inspect.Parameter.VAR_KEYWORD]
        extra = sorted(set(options) - set(params))
        if "path" in extra:
            raise DatasetError(f"dataset '{name}' takes no path") from None
        if extra:
            named = ", ".join(_OPTIONS.get(e, e) for e in extra)
            raise DatasetError(f"dataset '{name}' does not take {named} (it takes: "
                               f"{', '.join(_OPTIONS.get(a, a) for a in accepted) or 'nothing'})") from None
        required = [p for p in accepted if params[p].default is inspect.Parameter.empty and p not in options]
        if required == ["path"]:
            raise DatasetError(f"dataset '{name}' needs a path: use {name}:PATH") from None
        raise DatasetError(f"dataset '{name}' needs {', '.join(required)}, which the command line cannot give: "
                           "its plugin must give them defaults") from None


#: A factory's keyword arguments as the command line sets them.
_OPTIONS = {"path": "a path (NAME:PATH)", "size": "--image-size", "channels": "--channels"}


def as_arrays(dataset: Dataset) -> ArrayDataset:
    """The whole dataset in memory (datasets that only stream are read once)."""
    if isinstance(dataset, ArrayDataset):
        return dataset
    import numpy as np
    images, labels = [], []
    for batch_images, batch_labels in dataset.batches(1024):
        images.append(batch_images)
        if batch_labels is not None:
            labels.append(batch_labels)
    return ArrayDataset(dataset.info.name, np.concatenate(images), np.concatenate(labels) if labels else None,
                        source=dataset.info.source, num_classes=dataset.info.spec.num_classes)
