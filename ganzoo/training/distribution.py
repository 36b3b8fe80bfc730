"""``--strategy``: which ``tf.distribute`` strategy a run trains under.

``default`` is one device. ``mirrored`` replicates the models on every local
GPU (or on the devices given); on a machine without a GPU it runs on the CPU,
with a notice. Naming several CPU devices (``--devices cpu:0,cpu:1``) splits
the CPU into as many logical devices, which is how mirrored training is tested
without a GPU. ``multiworker`` is ``MultiWorkerMirroredStrategy``, configured
by the ``TF_CONFIG`` environment variable of each worker.

Strategies must be created before TensorFlow's runtime starts (before any
model is built), so the trainer creates one first.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Sequence

from ganzoo.errors import UserError

log = logging.getLogger(__name__)

STRATEGIES = ("default", "mirrored", "multiworker")


def make_strategy(name: str, devices: Sequence[str] = ()):
    import tensorflow as tf

    from ganzoo.tf_support.imports import quiet, start_runtime

    if name not in STRATEGIES:
        raise UserError(f"unknown strategy '{name}': choose {', '.join(STRATEGIES)}")
    if devices and name != "mirrored":
        raise UserError("--devices needs --strategy mirrored (multiworker uses every local GPU of each worker)")
    if name == "multiworker":
        worker_index()  # a clear error before TensorFlow's own
        with quiet():  # it configures the runtime's collective ops, so it must be what starts the runtime
            return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "mirrored":
        _split_cpu(tf, devices)
    start_runtime()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy(_mirrored_devices(tf, devices))
    return tf.distribute.get_strategy()


def _device_names(devices: Sequence[str]) -> list[str]:
    return [d if d.startswith("/") else f"/{d}" for d in devices]


def _split_cpu(tf, devices: Sequence[str]) -> None:
    """Several CPU devices named: split the CPU into that many logical devices (before the runtime starts)."""
    indices = []
    for name in _device_names(devices):
        kind, _, index = name.lower().lstrip("/").partition(":")
        if kind == "cpu":
            if not index.isdigit():
                raise UserError(f"bad device '{name}': expected cpu:N or gpu:N")
            indices.append(int(index))
    if len(indices) > 1:
        try:
            tf.config.set_logical_device_configuration(tf.config.list_physical_devices("CPU")[0],
                                                       [tf.config.LogicalDeviceConfiguration()] * (max(indices) + 1))
        except RuntimeError as error:
            raise UserError(f"cannot split the CPU into {max(indices) + 1} devices: {error}") from None


def _mirrored_devices(tf, devices: Sequence[str]) -> list[str]:
    names = _device_names(devices)
    available = {d.name.lower().replace("/device:", "/").replace("/job:localhost/replica:0/task:0", "")
                 for d in tf.config.list_logical_devices()}
    if names:
        missing = [n for n in names if n.lower() not in available]
        if missing:
            raise UserError(f"no such device: {', '.join(missing)} (this machine has {', '.join(sorted(available))})")
        return names
    gpus = tf.config.list_logical_devices("GPU")
    if gpus:
        return [g.name for g in gpus]
    log.warning("notice: no GPU found; --strategy mirrored runs on the CPU (one replica)")
    return ["/cpu:0"]


def worker_index() -> int:
    """This process's index among the workers of TF_CONFIG (0: the chief); one line naming the problem when
    TF_CONFIG is missing or malformed."""
    text = os.environ.get("TF_CONFIG")
    if not text:
        raise UserError("--strategy multiworker needs TF_CONFIG in every worker's environment, for example "
                        "TF_CONFIG='{\"cluster\": {\"worker\": [\"host1:12345\", \"host2:12345\"]}, "
                        "\"task\": {\"type\": \"worker\", \"index\": 0}}' (see docs/scaling.md)")
    try:
        config = json.loads(text)
        workers = config["cluster"]["worker"]
        task = config["task"]
        if task["type"] != "worker" or not 0 <= int(task["index"]) < len(workers):
            raise ValueError(f"task {task} is not one of the {len(workers)} workers")
    except (ValueError, KeyError, TypeError, RecursionError) as error:
        raise UserError(f"TF_CONFIG is not a valid multi-worker configuration: {error}") from None
    return int(task["index"])
