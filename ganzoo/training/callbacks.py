"""What a run writes while it trains, as Keras callbacks.

Order matters: :class:`Throughput` adds images/s to the logs that the
others read, and :class:`CheckpointWriter` runs last so that a kill between
writes never leaves a checkpoint ahead of the samples and metrics.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import time
from typing import Optional

import keras
import numpy as np
from PIL import Image
from ganzoo_runtime.atomic import atomic_path
from ganzoo_runtime.images import save_gif, save_grid, to_uint8
from ganzoo_runtime.metadata import GeneratorInfo
from ganzoo_runtime.sampling import balanced_images, labels_for

from ganzoo.plugins.generator_inputs import generator_inputs
from ganzoo.training.checkpoint import CheckpointInfo, save_checkpoint
from ganzoo.training.metrics_file import METRICS_COLUMNS, QUALITY_COLUMNS, append_row
from ganzoo.training.run_directory import RunDirectory

log = logging.getLogger(__name__)

EVAL_SAMPLES = 5000
EVAL_SEED = 0


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or infinite; the weights after that step are not kept."""


class GracefulStop(keras.callbacks.Callback):
    """Ctrl-C / SIGTERM as a request: training stops after the step in progress (TensorFlow is never
    interrupted mid-operation). A second signal raises KeyboardInterrupt at once.

    Installed as the signal handler by the trainer; sets ``model.mid_epoch_stop`` so that the
    epoch-end writers skip an epoch that did not complete.
    """

    def __init__(self, steps_per_epoch: int):
        super().__init__()
        self.steps_per_epoch = steps_per_epoch
        self.requested = False

    def request(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def on_train_batch_end(self, batch, logs=None):
        if self.requested:
            self.model.stop_training = True
            self.model.mid_epoch_stop = self.model.step % self.steps_per_epoch != 0


class EpochWriter(keras.callbacks.Callback):
    """A callback that writes something for each completed epoch (never for one cut short)."""

    def on_epoch_end(self, epoch, logs=None):
        if not getattr(self.model, "mid_epoch_stop", False):
            self.write_epoch(epoch, logs if logs is not None else {})

    def write_epoch(self, epoch: int, logs: dict) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class Throughput(keras.callbacks.Callback):
    """images/s in the progress bar (running, per epoch) and in the epoch's logs."""

    def __init__(self, batch_size: int):
        super().__init__()
        self.batch_size = batch_size

    def on_epoch_begin(self, epoch, logs=None):
        self.started = time.perf_counter()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1
        if logs is not None:
            logs["images_per_s"] = self._rate()

    def on_epoch_end(self, epoch, logs=None):
        logs["epoch_seconds"] = time.perf_counter() - self.started
        logs["images_per_s"] = self._rate()

    def _rate(self) -> float:
        return self.batches * self.batch_size / max(time.perf_counter() - self.started, 1e-9)


class ResumedEpoch(keras.callbacks.Callback):
    """An epoch cut short by Ctrl-C and resumed: its loss means and images/s go on from the sums saved with
    the checkpoint (:func:`partial_epoch`), so its metrics.csv row covers the whole epoch. Runs after
    :class:`Throughput`."""

    def __init__(self, partial: dict, throughput: Throughput):
        super().__init__()
        self.partial, self.throughput = partial, throughput

    def on_epoch_begin(self, epoch, logs=None):
        if not self.partial:
            return
        for tracker in self.model.metrics:
            total, count = self.partial["means"].get(tracker.name, (0.0, 0.0))
            tracker.total.assign(total)
            tracker.count.assign(count)
        self.throughput.started -= self.partial["seconds"]
        self.throughput.batches += self.partial["batches"]
        self.partial = None


def partial_epoch(model, throughput: Throughput) -> dict:
    """The running sums of the epoch in progress, for a checkpoint saved mid-epoch."""
    return {"means": {t.name: [float(t.total.numpy()), float(t.count.numpy())] for t in model.metrics},
            "seconds": time.perf_counter() - throughput.started, "batches": throughput.batches}


class StopOnNonFinite(keras.callbacks.Callback):
    """Raise :class:`NonFiniteLossError` as soon as a loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        for name in ("d_loss", "g_loss"):
            value = (logs or {}).get(name)
            if value is not None and not math.isfinite(float(value)):
                raise NonFiniteLossError(f"{name} became {float(value)} at step {self.model.step}")


class QualityMetrics(EpochWriter):
    """After epoch 1, every ``eval_every`` epochs and the last: FID, KID, … of the generator, into the logs."""

    def __init__(self, reference_images: np.ndarray, config, reference_labels: Optional[np.ndarray] = None):
        super().__init__()
        from ganzoo.metrics.evaluate import Evaluator
        self.evaluator = Evaluator(reference_images, config.dataset, EVAL_SEED, reference_labels=reference_labels)
        self.every, self.epochs = config.eval_every, config.epochs
        self.config = config

    def write_epoch(self, epoch, logs):
        done = epoch + 1
        if done != 1 and done % self.every and done != self.epochs:
            return
        generator = self.model.sampling_generator
        conditional = self.model.conditional

        def generate(z, labels):
            return _float32(generator(generator_inputs(generator, z, labels), training=False))

        spec = self.config.image_spec
        info = GeneratorInfo(latent_dim=self.config.latent_dim, image_shape=spec.shape,
                             num_classes=(spec.num_classes or 0) if conditional else 0)
        images = balanced_images(generate, info, EVAL_SAMPLES, EVAL_SEED, 500)
        # label agreement only where the classifier's digits are the dataset's labels
        labels = labels_for(None, EVAL_SAMPLES, info) if self.evaluator.knows_labels else None
        metrics = self.evaluator.score(images, labels)
        logs.update({k: getattr(metrics, k) for k in QUALITY_COLUMNS if getattr(metrics, k) is not None})
        def fmt(value, digits):
            return "undefined (too few reference images)" if value is None else f"{value:.{digits}f}"

        agreement = "" if metrics.label_agreement is None else f", label agreement {metrics.label_agreement:.3f}"
        log.info("epoch %d: FID %s, KID %s ± %s, classifier score %.2f, precision %s, recall %s%s", done,
                 fmt(metrics.fid, 2), fmt(metrics.kid, 4), fmt(metrics.kid_std, 4), metrics.classifier_score,
                 fmt(metrics.precision, 3), fmt(metrics.recall, 3), agreement)


class SampleGrid(EpochWriter):
    """After every epoch, a grid of images from the same fixed latents (a row per class if conditional)."""

    def __init__(self, run: RunDirectory, fixed_latents: np.ndarray, num_classes: int = 0):
        super().__init__()
        self.run = run
        self.z, self.labels, self.columns = fixed_latents, None, None
        if num_classes:
            self.columns = math.ceil(len(fixed_latents) / num_classes)
            self.labels = np.repeat(np.arange(num_classes), self.columns)
            self.z = np.resize(fixed_latents, (len(self.labels), fixed_latents.shape[1]))

    def write_epoch(self, epoch, logs):
        generator = self.model.sampling_generator
        images = generator(generator_inputs(generator, self.z, self.labels), training=False)
        save_grid(to_uint8(_float32(images)), self.run.sample_grid(epoch + 1), columns=self.columns, scale=2)


class ProgressGif(keras.callbacks.Callback):
    """When training stops, the epochs' sample grids as one animated GIF (samples/progress.gif)."""

    def __init__(self, run: RunDirectory):
        super().__init__()
        self.run = run

    def on_train_end(self, logs=None):
        frames = []
        for path in sorted(self.run.samples.glob("epoch-*.png")):
            with Image.open(path) as image:
                frames.append(image.convert("L" if image.mode == "L" else "RGB"))
        if frames:
            save_gif(frames, self.run.progress_gif)


class MetricsCSV(EpochWriter):
    """One row per completed epoch in metrics.csv (ganzoo.training.metrics_file)."""

    def __init__(self, run: RunDirectory):
        super().__init__()
        self.path = run.metrics

    def write_epoch(self, epoch, logs):
        row = {**logs, "epoch": epoch + 1, "step": self.model.step}
        append_row(self.path, [_format(row.get(column)) for column in METRICS_COLUMNS])


BEST, BEST_RECORD = "best.npz", "best.json"


class CheckpointWriter(EpochWriter):
    """A checkpoint after every epoch; a copy of it as best.npz when its FID is the best so far."""

    def __init__(self, run: RunDirectory):
        super().__init__()
        self.run = run

    def write_epoch(self, epoch, logs):
        path = save_checkpoint(self.run.checkpoints, self.model.checkpoint_variables(),
                               CheckpointInfo(step=self.model.step, epoch=epoch + 1))
        fid = (logs or {}).get("fid")
        if fid is not None and fid < best_fid(self.run):
            with atomic_path(self.run.checkpoints / BEST) as tmp:
                shutil.copyfile(path, tmp)
            with atomic_path(self.run.checkpoints / BEST_RECORD) as tmp:
                tmp.write_text(json.dumps({"fid": fid, "step": self.model.step, "epoch": epoch + 1}) + "\n")


def best_fid(run: RunDirectory) -> float:
    """The FID of ``checkpoints/best.npz``, or infinity when there is none yet."""
    record = run.checkpoints / BEST_RECORD
    return json.loads(record.read_text())["fid"] if record.exists() else math.inf


def _float32(images) -> np.ndarray:
    """A generator's output as float32 numpy (a mixed-precision generator emits float16 or bfloat16)."""
    return keras.ops.convert_to_numpy(images).astype(np.float32)


def _format(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)
