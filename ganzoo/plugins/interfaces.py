"""The plugin contract: what a factory receives, what it returns, what a loss sees.

Entry-point groups (public API):

* ``ganzoo.architectures``: a :class:`ganzoo.Architecture` record (the two
  factories, training defaults, conditioning, hyperparameters; see
  ganzoo.plugins.architecture).
* ``ganzoo.losses``: a :class:`Loss` object.
* ``ganzoo.datasets``: ``factory(**options) -> Dataset``.
* ``ganzoo.zoo``: a folder of pretrained shelf entries (ganzoo.zoo.shelf).

An architecture's record and a loss carry a ``TrainingDefaults``, which
ganzoo.settings makes from its declarations of the settings (re-exported
here); settings resolve as ganzoo.settings documents.

This module imports neither TensorFlow nor Keras, so plugins can be listed
and datasets read without them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ganzoo.settings import TrainingDefaults

if TYPE_CHECKING:  # pragma: no cover
    import keras

#: The entry-point groups whose entries name code: an Architecture, a Loss, a dataset factory (imported on use).
CODE_GROUPS = ("ganzoo.architectures", "ganzoo.losses", "ganzoo.datasets")
#: The shelf's group: its entries name a folder of pretrained entries, found without importing anything.
ZOO_GROUP = "ganzoo.zoo"
#: Every group discovery reads, through the same allow-list.
GROUPS = (*CODE_GROUPS, ZOO_GROUP)
#: ganzoo 0.1's groups for the two factories, replaced by ``ganzoo.architectures``: found (to say so), never loaded.
RETIRED_GROUPS = ("ganzoo.generators", "ganzoo.discriminators")


@dataclass(frozen=True)
class ImageSpec:
    """The images a model pair works on; derived from the dataset."""

    height: int
    width: int
    channels: int
    num_classes: int | None = None

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, self.channels)


@dataclass
class LossContext:
    """What a loss sees for one training step (tensors are TensorFlow tensors).

    ``discriminator`` is the model itself, so that penalties which need
    gradients with respect to its inputs (WGAN-GP, R1) can call it again;
    ``seed_generator`` is the run's checkpointed ``keras.random.SeedGenerator``
    for any randomness a loss needs (pass it as ``seed=`` to ``keras.random``).
    """

    real_images: Any
    fake_images: Any
    real_logits: Any
    fake_logits: Any
    discriminator: keras.Model
    labels: Any = None
    seed_generator: Any = None


class Loss:
    """A GAN objective: a pair of scalar losses computed from a :class:`LossContext`.

    Subclass it (or any object with the same attributes) and register an
    instance in ``ganzoo.losses``. ``defaults`` override the architecture's.
    With ``discriminator_steps`` = 1 both networks are updated from one forward
    pass (as TensorFlow's DCGAN tutorial does); with k > 1 the loop makes k
    discriminator updates, each with fresh latents on the same real batch,
    then one generator update.
    """

    defaults: TrainingDefaults = TrainingDefaults()
    discriminator_steps: int = 1

    def discriminator_loss(self, ctx: LossContext) -> Any:  # pragma: no cover - interface
        raise NotImplementedError

    def generator_loss(self, ctx: LossContext) -> Any:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class DatasetInfo:
    """What a dataset holds: its image spec, size and where it came from."""

    name: str
    spec: ImageSpec
    size: int
    source: str = ""


@runtime_checkable
class Dataset(Protocol):
    """A dataset plugin's product: uint8 images, readable without TensorFlow."""

    info: DatasetInfo

    def batches(self, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        """Yield ``(images uint8 [n, H, W, C], labels int [n] or None)`` in storage order."""
        ...


class ArrayDataset:
    """A dataset held in memory as numpy arrays (the common case)."""

    def __init__(self, name: str, images: np.ndarray, labels: np.ndarray | None = None, *,
                 source: str = "", num_classes: int | None = None):
        if images.ndim == 3:
            images = images[..., None]
        if images.dtype != np.uint8 or images.ndim != 4:
            raise ValueError(f"images must be uint8 [N, H, W] or [N, H, W, C], got {images.dtype} {images.shape}")
        if labels is not None and len(labels) != len(images):
            raise ValueError(f"{len(labels)} labels for {len(images)} images")
        self.images = images
        self.labels = None if labels is None else np.asarray(labels).astype(np.int64)
        if num_classes is None and self.labels is not None and len(self.labels):
            num_classes = int(self.labels.max()) + 1
        n, h, w, c = images.shape
        self.info = DatasetInfo(name, ImageSpec(h, w, c, num_classes), n, source)

    def batches(self, batch_size: int) -> Iterator[tuple[np.ndarray, np.ndarray | None]]:
        for i in range(0, len(self.images), batch_size):
            labels = None if self.labels is None else self.labels[i:i + batch_size]
            yield self.images[i:i + batch_size], labels
