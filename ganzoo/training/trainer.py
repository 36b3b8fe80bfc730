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

from ganzoo import __version__, settings
from ganzoo.datasets import as_arrays, open_dataset
from ganzoo.errors import UserError
from ganzoo.recipes import Recipe
from ganzoo.plugins.interfaces import ImageSpec
from ganzoo.plugins.run_plugins import ModelPlugins, RunPlugins, explain_mismatch
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
    """What the user asked for: the settings given on the command line (``None`` or absent: not given; see
    ganzoo.settings.SETTINGS), the recipe under them, and where to train."""

    architecture: str | None = None  # ARCH: the generator and discriminator unless those are given
    given: dict[str, Any] = field(default_factory=dict)
    recipe: Recipe | None = None
    run_dir: Path | None = None
    resume: bool = False

    def layers(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """(command line, recipe): the two top layers of the settings' precedence."""
        command_line = {k: v for k, v in self.given.items() if v is not None and v != {}}
        for part in ("generator", "discriminator"):
            if self.architecture and not command_line.get(part):
                command_line[part] = self.architecture
        recipe = dict(self.recipe.train) if self.recipe else {}
        if self.recipe and self.recipe.hparams:
            recipe["hparams"] = dict(self.recipe.hparams)
        return command_line, recipe

    def names(self) -> tuple[str, str]:
        """(generator, dataset) of a new run, from the command line or the recipe; a one-line UserError for
        either missing. Cheap: the command checks it before TensorFlow loads."""
        command_line, recipe = self.layers()
        generator = command_line.get("generator") or recipe.get("generator")
        if not generator:
            raise UserError("missing architecture: ganzoo train ARCH --dataset NAME (see `ganzoo list`)")
        dataset = command_line.get("dataset") or recipe.get("dataset")
        if not dataset:
            raise UserError("missing --dataset (for example --dataset mnist)")
        return generator, dataset


@dataclass(frozen=True)
class TrainPlan:
    """A run resolved and ready: its settings, its directory, its data and its plugins (loaded once)."""

    config: TrainConfig
    run: RunDirectory
    dataset: Any
    plugins: RunPlugins

    @property
    def conditional(self) -> bool:
        return self.plugins.models.conditional(self.config.image_spec or self.dataset.info.spec)


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


def prepare(request: TrainRequest) -> TrainPlan:
    """Resolve the request into a config, run directory, dataset and plugins; writes nothing."""
    if request.resume:
        return _prepare_resume(request)
    command_line, recipe = request.layers()
    generator, dataset_name = request.names()
    run = RunDirectory(request.run_dir or default_run_path(request.architecture or generator, dataset_name))
    check_not_in_use(run)  # first: a run being written also holds a config.json
    _check_fresh(run)
    discriminator = command_line.get("discriminator") or recipe.get("discriminator") or generator
    models = ModelPlugins.load(generator, discriminator)
    loss_name = settings.loss_name(command_line, recipe, models.defaults)
    plugins = RunPlugins.load(models, loss_name)
    layers = (command_line, recipe, plugins.loss_defaults, models.defaults)
    resolved = settings.resolve(*layers)
    dataset = open_dataset(dataset_name, size=resolved["image_size"], channels=resolved["channels"])
    values = settings.in_epochs(resolved, dataset.info.size)
    if values["ada_target"] and not values["augment"]:
        raise UserError("--ada-target adapts the probability of the --augment policies: give them too (e.g. "
                        "--augment translation,color,cutout)")
    if dataset.info.size < values["batch_size"]:
        raise UserError(f"batch size {values['batch_size']} is larger than the dataset "
                        f"({dataset.info.size} images): choose a smaller --batch-size")
    spec = training_spec(dataset.info.spec, values["unconditional"])
    try:
        models.conditional(spec)  # a conditional pair without labels: refused before anything is built
    except UserError:
        if not (values["unconditional"] and dataset.info.spec.num_classes):
            raise
        raise UserError(f"{generator} is conditional only: it cannot train --unconditional") from None
    config = TrainConfig(
        **{s.name: values[s.name] for s in settings.SETTINGS if s.name not in _DERIVED},
        architecture=request.architecture or generator, generator=generator, discriminator=discriminator,
        loss=loss_name, hparams=models.hparams(values["hparams"]), image_spec=spec,
        dataset_size=dataset.info.size, recipe=request.recipe.label if request.recipe else None,
        plugins=plugins.provenance(), ganzoo_version=__version__)
    return TrainPlan(config, run, dataset, plugins)


_DERIVED = ("generator", "discriminator", "loss", "hparams")  # settings that prepare() resolves itself


def training_spec(spec: ImageSpec, unconditional: bool) -> ImageSpec:
    """The dataset's spec as the run sees it: without its classes under --unconditional, so that every later
    step (the models, the export, evaluation) treats the run as trained on images alone."""
    return replace(spec, num_classes=None) if unconditional else spec


def _prepare_resume(request: TrainRequest) -> TrainPlan:
    if request.run_dir is None:
        raise UserError("--resume needs --run-dir, the run directory to continue")
    run = RunDirectory(request.run_dir)
    if not run.config.exists():
        raise UserError(f"nothing to resume: {run.path} has no config.json")
    check_not_in_use(run)
    stored = settings.load_config(run.config)
    read_metrics(run.metrics)  # a metrics.csv that is not ganzoo's is refused before anything is built
    plugins = RunPlugins.load(ModelPlugins.load(stored.generator, stored.discriminator), stored.loss)
    command_line, recipe = request.layers()
    requested = {**recipe, **command_line}
    if "hparams" in requested:  # compared parsed, against the stored values or the record's defaults
        everything = plugins.models.hparams({**stored.hparams, **requested["hparams"]})
        requested["hparams"] = {k: everything[k] for k in requested["hparams"]}
        stored = replace(stored, hparams=plugins.models.hparams(stored.hparams))
    differences = settings.contradictions(stored, requested)
    if differences:
        raise UserError(f"cannot resume {run.path}: options contradict its config.json ("
                        + "; ".join(differences) + ")")
    stored = settings.load_config(run.config)  # as written: _claim compares it field by field
    epochs = command_line.get("epochs") or stored.epochs
    checkpoint = usable_checkpoint(run.checkpoints)
    completed = read_info(checkpoint).epoch if checkpoint is not None else 0
    if completed > epochs:
        raise UserError(f"cannot resume {run.path} with --epochs {epochs}: it has completed {completed} epochs")
    resumable = {k: v for k, v in command_line.items() if k in settings.RESUMABLE_CHANGES}
    if "strategy" in resumable and "devices" not in resumable:
        resumable["devices"] = ()  # the stored devices belong to the stored strategy
    config = replace(stored, **{**resumable, "epochs": epochs})
    dataset = open_dataset(config.dataset, size=config.image_size, channels=config.channels)
    _check_spec(config, dataset)
    return TrainPlan(config, run, dataset, plugins)


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


def _check_spec(config: TrainConfig, dataset: Any) -> None:
    """The data of a resumed run must be the data it was trained on (same spec, same size)."""
    info = dataset.info
    seen = training_spec(info.spec, config.unconditional)
    if (config.image_spec and seen != config.image_spec) or (config.dataset_size and info.size != config.dataset_size):
        raise UserError(f"cannot resume: dataset {config.dataset} now has {info.size} images {info.spec}, the run was "
                        f"trained on {config.dataset_size} images {config.image_spec}")


def train(plan: TrainPlan, verbose: int = 1, on_start: Callable[[], None] | None = None,
          extra_callbacks: Sequence[Any] = ()) -> TrainResult:
    """Train (or continue training) the run: build, then under the run's lock claim its directory, restore
    and fit; raises TrainingInterrupted or TrainingDiverged.

    ``on_start`` is called once the models are built and the run directory is written;
    ``extra_callbacks`` (Keras callbacks) run after ganzoo's own, checkpoint included.
    """
    import keras

    config, run = plan.config, plan.run
    strategy, worker = _strategy(config)
    keras.utils.set_random_seed(config.seed)
    data = _data(plan)
    gan = _build_gan(plan, strategy)
    # Only now that the models build and the data fits is anything written, under the run's lock; in a
    # multi-worker run only the chief (worker 0) writes the run directory.
    with run_lock(run) if worker == 0 else contextlib.nullcontext():
        if worker == 0:
            _claim(run, config)
        if on_start:
            on_start()
        restored = _restore(gan, run, config)
        return _fit(gan, strategy, config, run, data, restored, worker, verbose, extra_callbacks)


def _strategy(config: TrainConfig):
    """The tf.distribute strategy and this process's worker index; one-line errors for what it cannot run."""
    from ganzoo.training.distribution import make_strategy, worker_index

    strategy = make_strategy(config.strategy, config.devices)  # first: before TensorFlow's runtime starts
    replicas = strategy.num_replicas_in_sync
    if config.batch_size % replicas:
        raise UserError(f"batch size {config.batch_size} does not split evenly over {replicas} replicas: choose a "
                        f"multiple of {replicas}")
    if config.jit and replicas > 1:  # seen failing on CPU devices: no XLA collectives there
        raise UserError(f"--jit works with one replica only, not {replicas}: leave out --jit or train on one device")
    return strategy, worker_index() if config.strategy == "multiworker" else 0


def _data(plan: TrainPlan) -> _Data:
    source, labels = _training_source(plan.dataset)
    spec = plan.config.image_spec or plan.dataset.info.spec
    return _Data(source, labels if plan.conditional else None, plan.dataset.info.size, spec, plan.conditional)


@dataclass(frozen=True)
class _Data:
    source: Any  # the images in memory, or StreamedImages
    labels: Any  # for a conditional GAN, else None
    size: int
    spec: Any  # ImageSpec
    conditional: bool


def _restore(gan, run: RunDirectory, config: TrainConfig):
    """Load the newest usable checkpoint into the GAN; its CheckpointInfo, or None for a fresh run."""
    from ganzoo.training.checkpoint import CheckpointMismatch, load_checkpoint

    checkpoint = latest_checkpoint(run.checkpoints)
    if checkpoint is None:
        return None
    try:
        info = load_checkpoint(checkpoint, gan.checkpoint_variables())
    except CheckpointMismatch as error:
        raise explain_mismatch(error, config.plugins) from None
    log.info("resuming %s from %s (step %d, epoch %d)", run.path, checkpoint.name, info.step, info.epoch)
    return info


def _fit(gan, strategy, config: TrainConfig, run: RunDirectory, data: _Data, info, worker: int, verbose: int,
         extra_callbacks: Sequence[Any]) -> TrainResult:
    """Train the epochs left after the restored checkpoint ``info``, and finish (or save on Ctrl-C)."""
    import tensorflow as tf

    from ganzoo.training import callbacks as cb
    from ganzoo.training.checkpoint import CheckpointInfo, save_checkpoint
    from ganzoo.training.pipeline import steps_per_epoch, training_batches
    from ganzoo.training.strategy_loop import fit_with_strategy

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
                         data.spec.num_classes if data.conditional else 0)
    # the dataset's labels (in memory with its images; a streamed set has none): a conditional run's label agreement
    quality = [cb.QualityMetrics(_reference_images(data.source), config, data.labels)] if config.eval_every else []
    return [*quality, grid, cb.MetricsCSV(run), keras.callbacks.TensorBoard(str(run.tensorboard), write_graph=False),
            cb.CheckpointWriter(run), cb.ProgressGif(run)]


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


def _build_gan(plan: TrainPlan, strategy):
    """The models, their EMA copy and optimizers, compiled, in the strategy's scope and dtype policy."""
    import keras

    from ganzoo.plugins import models
    from ganzoo.metrics.feature_network import FEATURE_SHAPE
    from ganzoo.training import precision
    from ganzoo.training.ema import GeneratorEMA
    from ganzoo.training.gan import GAN

    config, pair = plan.config, plan.plugins.models
    spec = config.image_spec
    if config.eval_every and spec.shape != FEATURE_SHAPE:
        raise UserError(f"--eval-every needs {'x'.join(map(str, FEATURE_SHAPE))} images (the metrics' MNIST "
                        f"feature network); {config.dataset} has {'x'.join(map(str, spec.shape))}")
    with strategy.scope(), precision.policy(config.precision):
        generator, discriminator = models.build_models(pair, spec, config.latent_dim, config.hparams)
        ema = None
        if config.ema:
            copy = models.build_generator(pair.generator, spec, config.latent_dim, config.hparams, plan.conditional)
            ema = GeneratorEMA(copy, generator, config.ema)
        gan = GAN(generator, discriminator, plan.plugins.loss, config.latent_dim, config.seed, r1_gamma=config.r1,
                  ema=ema, conditional=plan.conditional, augment=config.augment,
                  mode_seeking=config.mode_seeking, discriminator_steps=config.d_steps, r1_every=config.r1_every,
                  ada_target=config.ada_target)
        adam = [keras.optimizers.Adam(lr or config.lr, beta_1=config.beta_1, beta_2=config.beta_2)
                for lr in (config.lr_d, config.lr_g)]
        gan.compile(d_optimizer=precision.optimizer_for(config.precision, adam[0]),
                    g_optimizer=precision.optimizer_for(config.precision, adam[1]), jit_compile=config.jit)
        gan.build_optimizers()
    gan.built = True  # its parts are built; fit() under a strategy would otherwise try to call the GAN itself
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
    """Write the final generator, the EMA one if any (the chief, worker 0, only)."""
    if worker:
        return TrainResult(run, config, gan.step, gan.step // spe, worker)
    with atomic_path(run.generator) as tmp:
        gan.sampling_generator.save(tmp)
    return TrainResult(run, config, gan.step, gan.step // spe)


def _write_atomically(path: Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
