"""The metadata a ganzoo ONNX file carries (``metadata_props``), and reading it back.

The keys and their meaning are the contract in ``export/SPEC.md``; a file
without them is still usable when its input and output shapes say enough.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence

# 1.1: the optional `truncation` input (a style-based generator's psi, default 1); 1.x readers ignore it
FORMAT_VERSION = "1.1"
FORMAT_MAJOR = FORMAT_VERSION.split(".")[0]
TRUNCATION = "truncation"  # the optional input's name
PIXEL_RANGES = ((-1, 1), (0, 255))  # float output in [-1, 1], or uint8 pixels

KEYS = ("ganzoo.version", "ganzoo.format_version", "ganzoo.generator", "ganzoo.dataset", "ganzoo.latent_dim",
        "ganzoo.image_shape", "ganzoo.layout", "ganzoo.pixel_range", "ganzoo.num_classes", "ganzoo.step",
        "ganzoo.config_sha256", "ganzoo.hparams")


@dataclass(frozen=True)
class GeneratorInfo:
    """What a sampler needs to know about an exported generator."""

    latent_dim: int
    image_shape: tuple[int, int, int]  # H, W, C
    layout: str = "nhwc"  # or "nchw"
    pixel_range: tuple[int, int] = (-1, 1)  # or (0, 255) for uint8 output
    num_classes: int = 0  # > 0: conditional, with a `label` input
    generator: str = ""
    dataset: str = ""
    step: Optional[int] = None
    ganzoo_version: str = ""
    format_version: str = FORMAT_VERSION
    config_sha256: str = ""
    hparams: Mapping[str, Any] = field(default_factory=dict)  # the architecture's hyperparameters
    from_metadata: bool = True

    @property
    def conditional(self) -> bool:
        return self.num_classes > 0

    def to_props(self) -> dict[str, str]:
        """``metadata_props`` for an ONNX file: exactly :data:`KEYS`."""
        return {
            "ganzoo.version": self.ganzoo_version,
            "ganzoo.format_version": self.format_version,
            "ganzoo.generator": self.generator,
            "ganzoo.dataset": self.dataset,
            "ganzoo.latent_dim": str(self.latent_dim),
            "ganzoo.image_shape": ",".join(map(str, self.image_shape)),
            "ganzoo.layout": self.layout,
            "ganzoo.pixel_range": ",".join(map(str, self.pixel_range)),
            "ganzoo.num_classes": str(self.num_classes),
            "ganzoo.step": "" if self.step is None else str(self.step),
            "ganzoo.config_sha256": self.config_sha256,
            "ganzoo.hparams": json.dumps(dict(self.hparams), sort_keys=True),
        }

    @classmethod
    def from_props(cls, props: Mapping[str, str]) -> "GeneratorInfo":
        """Parse ``metadata_props``; raises ValueError naming a missing or malformed key."""
        def get(key: str) -> str:
            if key not in props:
                raise ValueError(f"metadata key {key} is missing")
            return props[key]
        try:
            height, width, channels = (int(v) for v in get("ganzoo.image_shape").split(","))
            low, high = (int(float(v)) for v in get("ganzoo.pixel_range").split(","))
            step = get("ganzoo.step")
            info = cls(latent_dim=int(get("ganzoo.latent_dim")), image_shape=(height, width, channels),
                       layout=get("ganzoo.layout"), pixel_range=(low, high),
                       num_classes=int(get("ganzoo.num_classes") or 0), generator=get("ganzoo.generator"),
                       dataset=get("ganzoo.dataset"), step=int(step) if step else None,
                       ganzoo_version=get("ganzoo.version"), format_version=get("ganzoo.format_version"),
                       config_sha256=get("ganzoo.config_sha256"),
                       hparams=json.loads(props.get("ganzoo.hparams") or "{}"))
        except (ValueError, OverflowError, RecursionError) as error:  # RecursionError: JSON nested too deep
            raise ValueError(f"malformed ganzoo metadata: {error}") from None
        if not isinstance(info.hparams, dict):
            raise ValueError("malformed ganzoo metadata: hparams is not a JSON object")
        if info.layout not in ("nhwc", "nchw"):
            raise ValueError(f"malformed ganzoo metadata: layout {info.layout!r}")
        if info.pixel_range not in PIXEL_RANGES:
            raise ValueError(f"malformed ganzoo metadata: pixel_range {get('ganzoo.pixel_range')!r} (valid: "
                             + ", ".join(",".join(map(str, r)) for r in PIXEL_RANGES) + ")")
        for key, value in (("latent_dim", info.latent_dim), *zip(("image_shape",) * 3, info.image_shape)):
            if value < 1:
                raise ValueError(f"malformed ganzoo metadata: {key} {value} is not positive")
        if info.num_classes < 0:
            raise ValueError(f"malformed ganzoo metadata: num_classes {info.num_classes} is negative")
        if info.format_version.split(".")[0] != FORMAT_MAJOR:
            raise ValueError(f"format version {info.format_version} is not supported (this runtime reads "
                             f"{FORMAT_MAJOR}.x)")
        return info

    def check_graph(self, inputs: Sequence[tuple[str, Sequence, str]], output: tuple[Sequence, str]) -> None:
        """Raise ValueError naming the metadata key that the graph's inputs or output contradict.

        ``inputs``: (name, shape, element type) for each input; ``output``: (shape, element type). The latent
        size must be fixed; other dimensions that are not integers (dynamic) agree with anything.
        """
        def agree(got, expected) -> bool:
            return not isinstance(got, int) or got == expected

        wanted_inputs = 2 if self.conditional else 1
        if len(inputs) != wanted_inputs:
            raise ValueError(f"ganzoo.num_classes is {self.num_classes}, so the graph should take "
                             f"{wanted_inputs} input(s); it takes {len(inputs)}")
        z_shape = inputs[0][1]
        if len(z_shape) != 2 or z_shape[1] != self.latent_dim:
            raise ValueError(f"ganzoo.latent_dim is {self.latent_dim}, the graph's input {inputs[0][0]} has "
                             f"shape {list(z_shape)}")
        shape, out_type = output
        h, w, c = self.image_shape
        expected = (h, w, c) if self.layout == "nhwc" else (c, h, w)
        if len(shape) != 4 or not all(agree(d, e) for d, e in zip(shape[1:], expected)):
            raise ValueError(f"ganzoo.image_shape is {h},{w},{c} ({self.layout}), the graph's output has shape "
                             f"{list(shape)}")
        if ("uint8" in out_type) != (self.pixel_range == (0, 255)):
            raise ValueError(f"ganzoo.pixel_range is {','.join(map(str, self.pixel_range))}, the graph's output is "
                             f"{out_type}")

    @classmethod
    def from_shapes(cls, inputs: Sequence[tuple[str, Sequence, str]],
                    output: tuple[Sequence, str]) -> "GeneratorInfo":
        """Infer what a file without ganzoo metadata holds from its inputs and output.

        ``inputs``: (name, shape, element type) for each input; ``output``: (shape, element type).
        Raises ValueError when the shapes do not say enough.
        """
        if len(inputs) == 2:
            raise ValueError("it has two inputs (a conditional generator?) but no ganzoo metadata to say "
                             "how many classes its label takes")
        if len(inputs) != 1:
            raise ValueError(f"a generator has a latent input, this model has {len(inputs)} inputs")
        _, z_shape, z_type = inputs[0]
        if len(z_shape) != 2 or not isinstance(z_shape[1], int) or "float" not in z_type:
            raise ValueError(f"its first input is not a latent batch [N, latent_dim] of floats: {z_shape} {z_type}")
        shape, out_type = output
        if len(shape) != 4 or not all(isinstance(d, int) for d in shape[1:]):
            raise ValueError(f"its output is not an image batch with a fixed image shape: {shape}")
        nchw = shape[1] in (1, 3) and shape[3] not in (1, 3)
        image_shape = (shape[2], shape[3], shape[1]) if nchw else (shape[1], shape[2], shape[3])
        return cls(latent_dim=z_shape[1], image_shape=image_shape, layout="nchw" if nchw else "nhwc",
                   pixel_range=(0, 255) if "uint8" in out_type else (-1, 1), from_metadata=False)
