"""One training run, start to finish: resolve settings, build, restore, fit, finish.

Nothing is lost: config.json is written before the first step, a checkpoint
after every epoch (atomically), one more on Ctrl-C or SIGTERM (which stop
after the step in progress, outside TensorFlow's code), and a resume
continues from the newest checkpoint with the same step count, optimizer
state and data order.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import logging
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ganzoo_runtime.atomic import atomic_path

from ganzoo import __version__, discovery, settings
from ganzoo.datasets import as_arrays, open_dataset
from ganzoo.errors import UserError
from ganzoo.interfaces import TrainingDefaults
from ganzoo.settings import TrainConfig
from ganzoo.training.checkpoint import latest_checkpoint, read_info, set_aside_damaged, usable_checkpoint
from ganzoo.training.metrics_file import read_metrics, truncate_metrics
from ganzoo.training.run_directory import RunDirectory, default_run_path
from ganzoo.training.run_lock import check_not_in_use, run_lock

log = logging.getLogger(__name__)

GRID_SIZE = 64
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
GRID_SEED_OFFSET = 1  # the sample grid's latents differ from the training noise


@dataclass
class TrainRequest:
    """What the user asked for; ``None`` means "not given"."""

    architecture: str | None
    dataset: str | None
    generator: str | None = None
    discriminator: str | None = None
    loss: str | None = None
    options: dict[str, Any] = field(default_factory=dict)  # latent_dim, batch_size, epochs, lr, beta_1, beta_2, seed
    eval_every: int | None = None
    r1: float | None = None
    recipe: str | None = None  # "name@version" of the recipe the settings came from
    image_size: int | None = None
    channels: int | None = None
    run_dir: Path | None = None
    resume: bool = False
    strategy: str | None = None
    devices: tuple[str, ...] | None = None
    precision: str | None = None
    jit: bool | None = None
    ema: float | None = None

    def scale_options(self) -> dict[str, Any]:
        """The options of docs/scaling.md that were given."""
        given = {"strategy": self.strategy, "devices": self.devices, "precision": self.precision, "jit": self.jit,
                 "ema": self.ema}
        return {k: v for k, v in given.items() if v is not None}


@dataclass(frozen=True)
class TrainResult:
    run: RunDirectory
    config: TrainConfig
    step: int
    epochs_done: int
    worker: int = 0  # this process's index in a multi-worker run; only worker 0 writes the run directory


class TrainingInterrupted(Exception):
    """Ctrl-C or SIGTERM: training stopped after the step in progress, and a checkpoint was saved
    (``saved``); a second signal stops at once, keeping the last checkpoint written before."""

    def __init__(self, result: TrainResult, saved: bool = True):
        super().__init__(f"interrupted at step {result.step}")
        self.result = result
        self.saved = saved


class TrainingDiverged(Exception):
    """A loss became non-finite; the last good checkpoint is kept."""


def prepare(request: TrainRequest) -> tuple[TrainConfig, RunDirectory, Any]:
    """Resolve the request into a config and run directory, and open the dataset; writes nothing."""
    if request.resume:
        return _prepare_resume(request)
    if not request.architecture:
        raise UserError("missing architecture: ganzoo train ARCH --dataset NAME (see `ganzoo list`)")
    if not request.dataset:
        raise UserError("missing --dataset (for example --dataset mnist)")
    run = RunDirectory(request.run_dir or default_run_path(request.architecture, request.dataset))
    check_not_in_use(run)  # first: a run being written also holds a config.json
    _check_fresh(run)
    config, dataset = _resolve(request)
    return config, run, dataset


def _prepare_resume(request: TrainRequest) -> tuple[TrainConfig, RunDirectory, Any]:
    if request.run_dir is None:
        raise UserError("--resume needs --run-dir, the run directory to continue")
    run = RunDirectory(request.run_dir)
    if not run.config.exists():
        raise UserError(f"nothing to resume: {run.path} has no config.json")
    check_not_in_use(run)
    stored = settings.load_config(run.config)
    read_metrics(run.metrics)  # a metrics.csv that is not ganzoo's is refused before anything is built
    requested = {"architecture": request.architecture, "generator": request.generator,
                 "discriminator": request.discriminator, "loss": request.loss, "dataset": request.dataset,
                 "image_size": request.image_size, "channels": request.channels, "r1": request.r1,
                 **request.options, **request.scale_options()}
    if request.architecture and not request.generator:
        requested["generator"] = request.architecture
    if request.architecture and not request.discriminator:
        requested["discriminator"] = request.architecture
    differences = settings.contradictions(stored, requested)
    if differences:
        raise UserError(f"cannot resume {run.path}: options contradict its config.json ("
                        + "; ".join(differences) + ")")
    epochs = request.options.get("epochs") or stored.epochs
    checkpoint = usable_checkpoint(run.checkpoints)
    completed = read_info(checkpoint).epoch if checkpoint is not None else 0
    if completed > epochs:
        raise UserError(f"cannot resume {run.path} with --epochs {epochs}: it has completed {completed} epochs")
    resumable = {k: v for k, v in request.scale_options().items() if k in settings.RESUMABLE_CHANGES}
    if "strategy" in resumable and "devices" not in resumable:
        resumable["devices"] = ()  # the stored devices belong to the stored strategy
    config = replace(stored, epochs=epochs, eval_every=request.eval_every or stored.eval_every, **resumable)
    dataset = open_dataset(config.dataset, size=config.image_size, channels=config.channels)
    _check_spec(config, dataset)
    return config, run, dataset


def _check_fresh(run: RunDirectory) -> None:
    """A new run goes into a new or empty directory: never into another run, nor into a user's own files."""
    if run.config.exists():
        raise UserError(f"{run.path} already holds a run: add --resume to continue it, or choose another --run-dir")
    if run.path.exists() and not run.path.is_dir():
        raise UserError(f"cannot write run directory {run.path}: it is a file")
    foreign = run.foreign_entries()
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        raise UserError(f"{run.path} is not empty and is not a ganzoo run (it holds {shown}): choose a new or empty "
                        "--run-dir")


def _claim(run: RunDirectory, config: TrainConfig) -> None:
    """Under the run's lock: check again what prepare() checked (another process may have written meanwhile),
    remove a killed writer's temporary files, set damaged checkpoints aside, and write config.json."""
    run.remove_leftovers()
    if run.config.exists():
        stored = settings.load_config(run.config)
        differing = [f.name for f in dataclasses.fields(config)
                     if f.name not in settings.RESUMABLE_CHANGES and getattr(stored, f.name) != getattr(config, f.name)]
        if differing:
            raise UserError(f"{run.path} already holds another run (its {', '.join(differing)} differ)")
        usable_checkpoint(run.checkpoints)  # refuses when every checkpoint is damaged
        for path in set_aside_damaged(run.checkpoints):
            log.info("set %s aside", path)
    else:
        _check_fresh(run)
    if not run.config.exists() or run.config.read_text() != config.to_json():
        _write_atomically(run.config, config.to_json())


def _resolve(request: TrainRequest) -> tuple[TrainConfig, Any]:
    generator = request.generator or request.architecture
    discriminator = request.discriminator or request.architecture
    g_plugin = discovery.find_plugin("ganzoo.generators", generator)
    d_plugin = discovery.find_plugin("ganzoo.discriminators", discriminator)
    arch_defaults = settings.architecture_defaults(discovery.load_plugin(g_plugin), discovery.load_plugin(d_plugin))
    loss_name = settings.resolve_loss_name(request.loss, arch_defaults)
    loss_plugin = discovery.find_plugin("ganzoo.losses", loss_name)
    loss = discovery.load_plugin(loss_plugin)
    dataset = open_dataset(request.dataset, size=request.image_size, channels=request.channels)
    resolved = settings.resolve_settings(request.options, getattr(loss, "defaults", None) or TrainingDefaults(),
                                         arch_defaults, images=dataset.info.size)
    if dataset.info.size < resolved["batch_size"]:
        raise UserError(f"batch size {resolved['batch_size']} is larger than the dataset "
                        f"({dataset.info.size} images): choose a smaller --batch-size")
    config = TrainConfig(
        architecture=request.architecture or generator, generator=generator, discriminator=discriminator,
        loss=loss_name, dataset=request.dataset, image_size=request.image_size, channels=request.channels,
        image_spec=dataset.info.spec, dataset_size=dataset.info.size, seed=request.options.get("seed") or 0,
        eval_every=request.eval_every, r1=request.r1 or 0.0, recipe=request.recipe, **request.scale_options(),
        plugins={f"{p.group}:{p.name}": f"{p.distribution} {p.version}" for p in (g_plugin, d_plugin, loss_plugin)},
        ganzoo_version=__version__, **{k: resolved[k] for k in
                                      ("latent_dim", "batch_size", "epochs", "lr", "beta_1", "beta_2")})
    return config, dataset


def _check_spec(config: TrainConfig, dataset: Any) -> None:
    """The data of a resumed run must be the data it was trained on (same spec, same size)."""
    info = dataset.info
    if (config.image_spec and info.spec != config.image_spec) or (config.dataset_size and
                                                                  info.size != config.dataset_size):
        raise UserError(f"cannot resume: dataset {config.dataset} now has {info.size} images {info.spec}, the run was "
                        f"trained on {config.dataset_size} images {config.image_spec}")


def train(config: TrainConfig, run: RunDirectory, dataset: Any, verbose: int = 1,
          on_start: Callable[[], None] | None = None, extra_callbacks: Sequence[Any] = ()) -> TrainResult:
    """Train (or continue training) the run; raises TrainingInterrupted or TrainingDiverged.

    ``on_start`` is called once the models are built and the run directory is written;
    ``extra_callbacks`` (Keras callbacks) run after ganzoo's own, checkpoint included.
    """
    import keras

    from ganzoo.training import precision
    from ganzoo.training.distribution import make_strategy, worker_index

    strategy = make_strategy(config.strategy, config.devices)  # first: before TensorFlow's runtime starts
    worker = worker_index() if config.strategy == "multiworker" else 0
    if config.batch_size % strategy.num_replicas_in_sync:
        raise UserError(f"batch size {config.batch_size} does not split evenly over "
                        f"{strategy.num_replicas_in_sync} replicas: choose a multiple of "
                        f"{strategy.num_replicas_in_sync}")
    if config.jit and strategy.num_replicas_in_sync > 1:  # seen failing on CPU devices: no XLA collectives there
        raise UserError(f"--jit works with one replica only, not {strategy.num_replicas_in_sync}: leave out --jit "
                        "or train on one device")
    keras.utils.set_random_seed(config.seed)
    source, all_labels = _training_source(dataset)
    spec = config.image_spec or dataset.info.spec
    with strategy.scope(), precision.policy(config.precision):
        gan = _build_gan(config, spec, has_labels=all_labels is not None)
    gan.built = True  # its parts are built; fit() under a strategy would otherwise try to call the GAN itself
    # Only now that the models build and the data fits is anything written, under the run's lock; in a
    # multi-worker run only the chief (worker 0) writes the run directory.
    with run_lock(run) if worker == 0 else contextlib.nullcontext():
        if worker == 0:
            _claim(run, config)
        if on_start:
            on_start()
        data = _Data(source, all_labels if gan.conditional else None, dataset.info.size, spec)
        return _fit(gan, strategy, config, run, data, worker, verbose, extra_callbacks)


@dataclass(frozen=True)
class _Data:
    source: Any  # the images in memory, or StreamedImages
    labels: Any  # for a conditional GAN, else None
    size: int
    spec: Any  # ImageSpec


def _fit(gan, strategy, config: TrainConfig, run: RunDirectory, data: _Data, worker: int, verbose: int,
         extra_callbacks: Sequence[Any]) -> TrainResult:
    """Restore the newest checkpoint, train the epochs left, and finish (or save on Ctrl-C)."""
    import tensorflow as tf

    from ganzoo.training import callbacks as cb
    from ganzoo.training.checkpoint import CheckpointInfo, load_checkpoint, save_checkpoint
    from ganzoo.training.pipeline import steps_per_epoch, training_batches
    from ganzoo.training.strategy_loop import fit_with_strategy

    checkpoint, info = latest_checkpoint(run.checkpoints), None
    if checkpoint is not None:
        info = load_checkpoint(checkpoint, gan.checkpoint_variables())
        log.info("resuming %s from %s (step %d, epoch %d)", run.path, checkpoint.name, info.step, info.epoch)
    spe = steps_per_epoch(data.size, config.batch_size)
    start_step = gan.step
    if start_step >= config.epochs * spe:
        log.info("nothing to train: the run has completed its %d epochs (pass --epochs to extend it)", config.epochs)
        return _finish(gan, run, config, spe, worker)

    stop, throughput = cb.GracefulStop(spe), cb.Throughput(config.batch_size)
    callbacks = [stop, throughput, cb.StopOnNonFinite()]
    if info is not None and info.partial and start_step % spe:
        callbacks.append(cb.ResumedEpoch(info.partial, throughput))
    if worker == 0:
        truncate_metrics(run.metrics, start_step // spe)
        callbacks += [*_writers(gan, config, run, data), *extra_callbacks]

    def fit(batches, **kwargs):
        if config.strategy == "multiworker":
            fit_with_strategy(gan, strategy, batches, callbacks=callbacks, verbose=verbose, **kwargs)
        else:
            gan.fit(batches, callbacks=callbacks, verbose=verbose, shuffle=False, **kwargs)

    try:
        with _signals_to(stop):
            first_epoch, skip = divmod(start_step, spe)
            if skip:  # resumed mid-epoch: finish that epoch first, without the batches already trained on
                fit(training_batches(data.source, config.batch_size, config.seed, first_epoch, skip, data.labels),
                    epochs=first_epoch + 1, initial_epoch=first_epoch, steps_per_epoch=spe - skip)
                first_epoch += 1
            if first_epoch < config.epochs and not stop.requested:
                fit(training_batches(data.source, config.batch_size, config.seed, first_epoch, labels=data.labels),
                    epochs=config.epochs, initial_epoch=first_epoch, steps_per_epoch=spe)
    except KeyboardInterrupt:  # a second Ctrl-C: stopped at once, mid-step; the last checkpoint stays
        last = latest_checkpoint(run.checkpoints)
        step = read_info(last).step if last else 0
        raise TrainingInterrupted(TrainResult(run, config, step, step // spe), saved=False) from None
    except cb.NonFiniteLossError as error:
        raise TrainingDiverged(f"{error}; training stopped, {_kept(run)}") from None
    except tf.errors.OpError:
        failure = getattr(data.source, "failure", None)  # a streamed image that could not be read
        if failure is None:
            raise
        raise UserError(f"{failure}; training stopped, {_kept(run)}") from None
    except SystemExit as error:  # from plugin code that the training step called (a loss, a model)
        raise UserError(f"training stopped: code it called exited (sys.exit({error.code!r})); the loss "
                        f"{config.loss} or the models {config.generator}/{config.discriminator} may be broken: "
                        f"see `ganzoo list --check`; {_kept(run)}") from None
    except OSError as error:
        if error.errno not in DISK_FULL:
            raise
        raise UserError(f"no space left on the device to write {error.filename or run.path}; training stopped, "
                        f"{_kept(run)}: free some space, then resume") from None
    if stop.requested:  # Ctrl-C or SIGTERM: the step in progress finished; keep it
        if worker == 0:
            partial = cb.partial_epoch(gan, throughput) if gan.step % spe else None
            save_checkpoint(run.checkpoints, gan.checkpoint_variables(),
                            CheckpointInfo(gan.step, gan.step // spe, partial))
        raise TrainingInterrupted(TrainResult(run, config, gan.step, gan.step // spe))
    return _finish(gan, run, config, spe, worker)


def _writers(gan, config: TrainConfig, run: RunDirectory, data: _Data) -> list:
    """The callbacks that write the run directory, in the order callbacks.py explains."""
    import keras
    from ganzoo_runtime.latents import latent_vectors

    from ganzoo.training import callbacks as cb

    grid = cb.SampleGrid(run, latent_vectors(config.seed + GRID_SEED_OFFSET, GRID_SIZE, config.latent_dim),
                         data.spec.num_classes if gan.conditional else 0)
    quality = [cb.QualityMetrics(_reference_images(data.source), config)] if config.eval_every else []
    return [*quality, grid, cb.MetricsCSV(run), keras.callbacks.TensorBoard(str(run.tensorboard), write_graph=False),
            cb.CheckpointWriter(run)]


@contextlib.contextmanager
def _signals_to(stop):
    """Ctrl-C and SIGTERM become requests to ``stop`` (a GracefulStop) while training runs."""
    previous = {sig: signal.signal(sig, stop.request) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _kept(run: RunDirectory) -> str:
    last = latest_checkpoint(run.checkpoints)
    return f"the last good checkpoint is {last}" if last else "no checkpoint had been written yet"


def _training_source(dataset: Any) -> tuple[Any, Any]:
    """(images, labels): the dataset decoded into memory, or (StreamedImages, None) to stream it from disk."""
    from ganzoo.training.pipeline import StreamedImages, should_stream

    if should_stream(dataset):
        log.info("streaming %d images from disk in each epoch: decoded they would take %.0f MiB, over the memory "
                 "budget (GANZOO_MEMORY_BUDGET)", dataset.info.size, dataset.decoded_bytes / 2**20)
        return StreamedImages(dataset), None
    arrays = as_arrays(dataset)
    return arrays.images, arrays.labels


def _build_gan(config: TrainConfig, spec: Any, has_labels: bool):
    """The models, their EMA copy and optimizers, compiled; call it in the strategy's scope and dtype policy."""
    import keras

    from ganzoo import models
    from ganzoo.metrics.feature_network import FEATURE_SHAPE
    from ganzoo.training import precision
    from ganzoo.training.ema import GeneratorEMA
    from ganzoo.training.gan import GAN

    loss_plugin = discovery.find_plugin("ganzoo.losses", config.loss)
    loss = models.check_loss(loss_plugin, discovery.load_plugin(loss_plugin))
    generator, discriminator = models.load_models(config.generator, config.discriminator, spec, config.latent_dim)
    if len(generator.inputs) == 2 and not has_labels:
        raise UserError(f"{config.generator} is a conditional generator: it needs a dataset with labels")
    if config.eval_every and spec.shape != FEATURE_SHAPE:
        raise UserError(f"--eval-every needs {'x'.join(map(str, FEATURE_SHAPE))} images (the metrics' MNIST "
                        f"feature network); {config.dataset} has {'x'.join(map(str, spec.shape))}")
    ema = None
    if config.ema:
        ema = GeneratorEMA(models.load_generator(config.generator, spec, config.latent_dim), generator, config.ema)
    gan = GAN(generator, discriminator, loss, config.latent_dim, config.seed, r1_gamma=config.r1, ema=ema)
    adam = [keras.optimizers.Adam(config.lr, beta_1=config.beta_1, beta_2=config.beta_2) for _ in range(2)]
    gan.compile(d_optimizer=precision.optimizer_for(config.precision, adam[0]),
                g_optimizer=precision.optimizer_for(config.precision, adam[1]), jit_compile=config.jit)
    gan.build_optimizers()
    return gan


def _reference_images(source: Any):
    """The real images that --eval-every compares with: all of them in memory, or as many as the evaluator
    keeps (MAX_REFERENCE) when streamed."""
    import numpy as np

    from ganzoo.metrics.evaluate import MAX_REFERENCE
    if isinstance(source, np.ndarray):
        return source
    return np.stack([source.read(i) for i in range(min(MAX_REFERENCE, source.info.size))])


def _finish(gan, run: RunDirectory, config: TrainConfig, spe: int, worker: int) -> TrainResult:
    """Write the final generator (the EMA one, if any) and the progress GIF (the chief, worker 0, only)."""
    from ganzoo_runtime.images import save_gif
    from PIL import Image

    if worker:
        return TrainResult(run, config, gan.step, gan.step // spe, worker)
    with atomic_path(run.generator) as tmp:
        gan.sampling_generator.save(tmp)
    grids = sorted(run.samples.glob("epoch-*.png"))
    if grids:
        frames = []
        for path in grids:
            with Image.open(path) as image:
                frames.append(image.convert("L" if image.mode == "L" else "RGB"))
        save_gif(frames, run.progress_gif)
    return TrainResult(run, config, gan.step, gan.step // spe)


def _write_atomically(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
