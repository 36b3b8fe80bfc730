"""Conformance checks for plugin authors: does a registered architecture or loss keep ganzoo's contract?

In a plugin's own tests::

    from ganzoo.testing import check_architecture, check_loss

    def test_mygan_conforms(tmp_path):
        check_architecture("mygan", tmp_path)

or with the ``ganzoo_conformance`` pytest fixture, which pytest loads
automatically wherever ganzoo is installed::

    def test_mygan_conforms(ganzoo_conformance):
        ganzoo_conformance.architecture("mygan")

``check_architecture`` builds the architecture registered under a name for a
grayscale and a colour spec (28x28x1 and 32x32x3, with 10 classes), with its
hyperparameters' defaults, and checks: output shapes and inputs as its record
says (conditional or not); pixels in [-1, 1] that reach below 0; a conditional
generator's images depend on the label; one training step changes both
networks' weights; a checkpoint restores them; and the generator exports to
ONNX with ganzoo's parity check. ``check_loss`` checks that a loss gives
scalars that depend on the logits and trains two tiny networks for one step.
Failures raise :class:`ConformanceError` naming the check. How strongly a
conditional pair's label steers is each plugin's own bar: :func:`label_influence`
measures it. The checks that
train nothing (:func:`check_outputs`, :func:`check_loss_values`) are what
``ganzoo list --check`` runs on every installed plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from ganzoo.plugins.generator_inputs import generator_inputs, takes_truncation
from ganzoo.plugins.interfaces import ImageSpec

SPECS = (ImageSpec(28, 28, 1, 10), ImageSpec(32, 32, 3, 10))
LATENT_DIM = 16
BATCH = 8


class ConformanceError(AssertionError):
    """A plugin does not keep ganzoo's contract; the message says which check failed."""


def check_architecture(name: str, workdir: Path, specs: Sequence[ImageSpec] = SPECS) -> None:
    """Run every conformance check on the generator and discriminator registered as ``name``."""
    for spec in specs:
        _check_architecture_on(name, Path(workdir) / f"{spec.height}x{spec.width}x{spec.channels}", spec)


def check_loss(name: str) -> None:
    """The loss ``name``: two scalar losses that depend on the logits, and one training step of two tiny
    networks with finite losses."""
    import keras

    spec = ImageSpec(8, 8, 1)
    loss = _load_loss(name)
    generator = keras.Sequential([keras.Input((LATENT_DIM,), name="z"), keras.layers.Dense(64, activation="tanh"),
                                  keras.layers.Reshape(spec.shape)])
    check_loss_values(name, loss)
    try:
        gan, logs = _one_step(generator, _probe_discriminator(spec), loss, spec)
    except Exception as error:  # noqa: BLE001 - the plugin's code, run by Keras
        raise ConformanceError(f"loss {name}: one training step failed: {type(error).__name__}: {error}") from None
    _expect(all(np.isfinite(v) for v in logs.values()), f"loss {name}: non-finite losses after one step: {logs}")


def _load_loss(name: str):
    from ganzoo.errors import UserError
    from ganzoo.plugins.run_plugins import load_loss
    try:
        return load_loss(name)[1]
    except UserError as error:
        raise ConformanceError(f"loss {name}: it does not load: {error}") from None


def _probe_discriminator(spec: ImageSpec):
    import keras
    return keras.Sequential([keras.Input(spec.shape), keras.layers.Flatten(), keras.layers.Dense(8),
                             keras.layers.LeakyReLU(), keras.layers.Dense(1)])


def check_loss_values(name: str, loss) -> None:
    """The fast check of a loss, without training (``ganzoo list --check`` runs it too): each of its two losses
    is a scalar, and its gradient with respect to the logits is not zero (a loss that ignores them, such as
    ``0 * mean(logits)``, trains nothing while reporting losses)."""
    import keras
    import tensorflow as tf

    from ganzoo.plugins.interfaces import LossContext
    spec = ImageSpec(8, 8, 1)
    discriminator = _probe_discriminator(spec)
    rng = np.random.default_rng(2)
    images = [tf.constant(rng.uniform(-1, 1, (BATCH, *spec.shape)), tf.float32) for _ in range(2)]
    logits = [tf.constant(rng.standard_normal((BATCH, 1)), tf.float32) for _ in range(2)]
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(logits)
        ctx = LossContext(*images, *logits, discriminator, seed_generator=keras.random.SeedGenerator(0))
        try:  # a plain number (``return 0.0``) is a constant: as a tensor, it shows no gradient
            values = {"discriminator": tf.convert_to_tensor(loss.discriminator_loss(ctx), tf.float32),
                      "generator": tf.convert_to_tensor(loss.generator_loss(ctx), tf.float32)}
        except Exception as error:  # noqa: BLE001 - the plugin's own code
            raise ConformanceError(f"loss {name}: computing it failed: {type(error).__name__}: {error}") from None
    for which, value in values.items():
        shape = tuple(keras.ops.shape(value))
        _expect(shape == (), f"loss {name}: the {which} loss has shape {shape}, not a scalar (reduce it with a "
                             "mean)")
        gradients = [g for g in tape.gradient(value, logits) if g is not None]
        _expect(any(float(tf.reduce_max(tf.abs(g))) > 0 for g in gradients),
                f"loss {name}: the {which} loss does not depend on the discriminator's logits (zero gradient)")


def check_outputs(pair, spec: ImageSpec) -> tuple:
    """The fast checks, without training (``ganzoo list --check`` runs them too): the models of a loaded
    ``ModelPlugins`` pair build for ``spec`` as its record says, and the generator's images are in [-1, 1], reach
    below 0, depend on the label (conditional) and on psi (truncation). Returns (generator, discriminator,
    conditional, inputs, images) for the slower checks."""
    import keras

    from ganzoo.errors import UserError
    from ganzoo.plugins import models

    label = f"{pair.generator.name} at {spec.height}x{spec.width}x{spec.channels}"
    keras.utils.set_random_seed(0)
    try:
        conditional = pair.conditional(spec)
        generator, discriminator = models.build_models(pair, spec, LATENT_DIM, {})  # checks inputs and shapes
    except UserError as error:  # a broken plugin, or a factory that refuses this spec
        raise ConformanceError(f"{label}: the models do not build as the record says: {error}") from None
    except Exception as error:  # noqa: BLE001 - a plugin's own code, failing in any way
        raise ConformanceError(f"{label}: building the models failed: {type(error).__name__}: {error}") from None
    z = np.random.default_rng(0).standard_normal((BATCH, LATENT_DIM)).astype("float32") * 3
    labels = np.arange(BATCH) % spec.num_classes if conditional else None
    inputs = generator_inputs(generator, z, labels)
    images = np.asarray(generator(inputs, training=False))
    _expect(images.min() >= -1 and images.max() <= 1, f"{label}: generator output outside [-1, 1]: "
                                                       f"[{images.min():.3g}, {images.max():.3g}]")
    _expect(np.isfinite(images).all() and images.std() > 0, f"{label}: generator output is constant or non-finite")
    # A freshly initialised generator's pixels fall on both sides of 0; one that ends in a sigmoid or a ReLU
    # can never emit the dark half of ganzoo's [-1, 1] and would be exported as if it could.
    _expect(images.min() < 0, f"{label}: generator output is never negative ([{images.min():.3g}, "
                              f"{images.max():.3g}]): images are in [-1, 1], so end the generator with tanh, "
                              "not a sigmoid or a ReLU")
    if conditional:  # the same latents under other labels must give other images
        relabelled = np.asarray(generator(generator_inputs(generator, z, (labels + 1) % spec.num_classes),
                                          training=False))
        _expect(np.abs(relabelled - images).max() > 1e-6, f"{label}: the conditional generator ignores its "
                                                          "label (the same z gives the same images for every class)")
    if takes_truncation(generator):
        _check_truncation(generator, z, labels, images, label)
    return generator, discriminator, conditional, inputs, images


def _load_pair(name: str, label: str):
    from ganzoo.errors import UserError
    from ganzoo.plugins.run_plugins import ModelPlugins
    try:
        return ModelPlugins.load(name, name)
    except UserError as error:  # not installed, broken, or an invalid record (a bad HParam)
        raise ConformanceError(f"{label}: the architecture does not load: {error}") from None


def _check_architecture_on(name: str, workdir: Path, spec: ImageSpec) -> None:
    from ganzoo.plugins import models
    from ganzoo.training.checkpoint import CheckpointInfo, latest_checkpoint, load_checkpoint, save_checkpoint

    label = f"{name} at {spec.height}x{spec.width}x{spec.channels}"
    pair = _load_pair(name, label)
    generator, discriminator, conditional, inputs, images = check_outputs(pair, spec)
    loss = _nonsaturating()
    before = [v.numpy() for v in (*generator.trainable_variables, *discriminator.trainable_variables)]
    try:
        gan, logs = _one_step(generator, discriminator, loss, spec, conditional)
    except Exception as error:  # noqa: BLE001 - the plugin's layers, run by Keras: say which check it failed
        raise ConformanceError(f"{label}: one training step failed: {type(error).__name__}: "
                               f"{str(error).strip().splitlines()[0] if str(error).strip() else ''}") from None
    _expect(all(np.isfinite(v) for v in logs.values()), f"{label}: non-finite losses after one step: {logs}")
    after = [v.numpy() for v in (*generator.trainable_variables, *discriminator.trainable_variables)]
    moved = [not np.array_equal(a, b) for a, b in zip(before, after)]
    g_count = len(generator.trainable_variables)
    _expect(any(moved[:g_count]) and any(moved[g_count:]), f"{label}: one training step did not change "
                                                           "both networks' weights")

    workdir.mkdir(parents=True, exist_ok=True)
    save_checkpoint(workdir / "checkpoints", gan.checkpoint_variables(), CheckpointInfo(step=1, epoch=1))
    fresh_generator, fresh_discriminator = models.build_models(pair, spec, LATENT_DIM, {})
    fresh = _compiled_gan(fresh_generator, fresh_discriminator, loss, conditional)
    load_checkpoint(latest_checkpoint(workdir / "checkpoints"), fresh.checkpoint_variables())
    for part, trained, restored in (("generator", generator, fresh_generator),
                                    ("discriminator", discriminator, fresh_discriminator)):
        same = all(np.array_equal(a, b) for a, b in zip(trained.get_weights(), restored.get_weights()))
        _expect(same, f"{label}: a checkpoint does not restore the {part}'s weights")
    _expect(np.allclose(np.asarray(fresh_generator(inputs, training=False)), np.asarray(generator(inputs)),
                        atol=1e-6), f"{label}: a checkpoint does not restore the generator's output")

    _export_with_parity(pair, spec, generator, conditional, workdir, label)


def _check_truncation(generator, z, labels, images, label: str) -> None:
    """psi 0 pulls every latent to the average: one image for every z (per label); psi 1 changes nothing."""
    average = np.asarray(generator(generator_inputs(generator, z, labels, 0.0), training=False))
    groups = [average] if labels is None else [average[labels == c] for c in set(labels.tolist())]
    spread = max(float(np.abs(group - group[:1]).max()) for group in groups)
    _expect(np.abs(average - images).max() > 1e-6 and spread < 1e-4,
            f"{label}: truncation 0 does not give the average image (the same image for every z): the "
            f"truncation input is ignored or not a truncation")


def _nonsaturating():
    return _load_loss("nonsaturating")


def _compiled_gan(generator, discriminator, loss, conditional: bool = False):
    import keras

    from ganzoo.training.gan import GAN
    gan = GAN(generator, discriminator, loss, LATENT_DIM, seed=0, conditional=conditional)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3))
    gan.build_optimizers()
    return gan


def _one_step(generator, discriminator, loss, spec: ImageSpec, conditional: bool = False):
    """Fit the GAN for exactly one step on random data; returns (gan, its logs)."""
    gan = _compiled_gan(generator, discriminator, loss, conditional)
    images = np.random.default_rng(1).uniform(-1, 1, (BATCH, *spec.shape)).astype("float32")
    data = (images, np.arange(BATCH) % (spec.num_classes or 1)) if gan.conditional else images
    history = gan.fit(_as_dataset(data), epochs=1, steps_per_epoch=1, verbose=0, shuffle=False)
    return gan, {k: float(v[-1]) for k, v in history.history.items()}


def _as_dataset(data):
    import tensorflow as tf
    return tf.data.Dataset.from_tensors(data).repeat()


def _export_with_parity(pair, spec: ImageSpec, generator, conditional: bool, workdir: Path, label: str) -> None:
    from ganzoo.plugins import models
    from ganzoo.exporting import ExportVerificationError
    from ganzoo.exporting.onnx_export import export_onnx
    from ganzoo_runtime.metadata import GeneratorInfo

    info = GeneratorInfo(LATENT_DIM, spec.shape, num_classes=spec.num_classes if conditional else 0,
                         generator=pair.generator.name, dataset="conformance")
    try:
        export_onnx(generator, info, workdir / "generator.onnx",
                    rebuild=lambda: models.build_generator(pair.generator, spec, LATENT_DIM, {}, conditional))
    except ExportVerificationError as error:
        raise ConformanceError(f"{label}: ONNX export failed: {error}") from None


def label_influence(generator, discriminator, num_classes: int, images=None, n: int = 16,
                    seed: int = 0) -> tuple[float, float]:
    """How much a conditional pair's label steers it, for a plugin's own tests: (the mean change of the
    generator's images when each label is swapped for another, divided by their mean change when the latents
    are, for the same labels; the mean change of the discriminator's logits on ``images``, by default those
    images, when their labels are swapped). Seeded latents (``seed``), ``n`` images, labels 0, 1, 2, … and the
    labels half the classes away."""
    z = np.random.default_rng(seed).standard_normal((n, generator.inputs[0].shape[-1])).astype(np.float32)
    labels = np.arange(n) % num_classes
    others = (labels + num_classes // 2) % num_classes

    def generate(latents, classes):
        return np.asarray(generator(generator_inputs(generator, latents, classes), training=False))

    generated = generate(z, labels)
    by_label = np.abs(generated - generate(z, others)).mean()
    by_latents = np.abs(generated - generate(z[::-1].copy(), labels)).mean()
    judged = generated if images is None else images
    shift = np.abs(np.asarray(discriminator([judged, labels])) - np.asarray(discriminator([judged, others]))).mean()
    return float(by_label / by_latents), float(shift)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ConformanceError(message)


class _Conformance:
    def __init__(self, workdir: Path):
        self.workdir = workdir

    def architecture(self, name: str, specs: Sequence[ImageSpec] = SPECS) -> None:
        check_architecture(name, self.workdir / name, specs)

    def loss(self, name: str) -> None:
        check_loss(name)


try:  # the pytest fixture, registered through the `pytest11` entry point
    import pytest

    @pytest.fixture
    def ganzoo_conformance(tmp_path) -> _Conformance:
        """Conformance checks for ganzoo plugins: ``.architecture(name)``, ``.loss(name)``."""
        return _Conformance(tmp_path)
except ImportError:  # pragma: no cover - pytest is only needed to use the fixture
    pass
