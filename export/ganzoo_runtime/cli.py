"""``ganzoo-sample MODEL.onnx``: images from an exported generator, without TensorFlow.

Takes the same options as ``ganzoo sample`` does for ``.onnx`` files.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from typing import Optional, Sequence

from ganzoo_runtime.errors import UserError
from ganzoo_runtime.providers import DEVICES

DEFAULT_OUTPUT = "samples.png"


def sample_onnx(model: str, output: str, *, n: int, seed: int, batch_size: int, device: str,
                label: Optional[int], cache: bool = True, truncation: Optional[float] = None) -> str:
    """Sample an ONNX generator into ``output``; returns a one-line report."""
    from ganzoo_runtime.model import OnnxGenerator
    from ganzoo_runtime.progress import ProgressLine
    from ganzoo_runtime.sampling import sample_to_path

    generator = OnnxGenerator(_shelf_file(model), device, cache)
    what = sample_to_path(generator.sampler(truncation), generator.info, output, n=n, seed=seed, batch_size=batch_size,
                          label=label, on_progress=ProgressLine(n), pixels=generator.pixel_sampler(truncation))
    psi = "" if truncation is None else f", truncation {truncation:g}"
    return f"wrote {what} to {output} ({generator.description}{psi})"


def show_notices() -> None:
    """The runtime's one-line notices (a rewrite that failed its check, a cache that cannot be written) on
    stderr."""
    logger = logging.getLogger("ganzoo_runtime")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def _shelf_file(model: str) -> str:
    """``zoo:NAME`` -> the shelf entry's file, where ganzoo itself is installed (the shelf ships with it)."""
    if not model.startswith("zoo:"):
        return model
    try:
        from ganzoo.zoo.shelf import resolve_source
    except ImportError:
        raise UserError(f"{model}: zoo: names need ganzoo itself (pip install ganzoo); this runtime alone reads "
                        ".onnx files") from None
    return str(resolve_source(model))


def _int_at_least(minimum: int):
    """An argparse type: an integer >= ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is not at least {minimum}")
        return value
    return parse


def _truncation(text: str) -> float:
    """An argparse type: the truncation psi, a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 <= value <= 1:  # NaN fails this too
        raise argparse.ArgumentTypeError(f"{text} is not in [0, 1]")
    return value


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, exit 2, like ganzoo's own CLI
        self.exit(2, f"error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="ganzoo-sample", description=__doc__.splitlines()[0])
    parser.add_argument("model", metavar="MODEL.onnx", help="an ONNX generator exported by `ganzoo export`")
    parser.add_argument("-n", type=_int_at_least(1), default=64, help="number of images (default 64)")
    parser.add_argument("--seed", type=_int_at_least(0), default=0, help="latent seed (default 0)")
    parser.add_argument("--batch-size", type=_int_at_least(1), default=64, help="images per run of the model (default 64)")
    parser.add_argument("--output", "-o", default=DEFAULT_OUTPUT,
                        help=".png grid, .npy array, .gif interpolation, or a folder of PNGs "
                             f"(default {DEFAULT_OUTPUT})")
    parser.add_argument("--device", choices=DEVICES, default="auto",
                        help="auto = TensorRT, then CUDA, then CPU, whichever really loads")
    parser.add_argument("--label", type=_int_at_least(0), help="class label, for conditional generators")
    parser.add_argument("--truncation", type=_truncation, metavar="PSI",
                        help="truncation trick, for generators that take it (stylegan): 1 = none, 0 = the "
                             "average image; 0.7 is a common choice")
    parser.add_argument("--no-cache", dest="cache", action="store_false",
                        help="do not read or write the cached CPU form of the file (GANZOO_CACHE_DIR)")
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    show_notices()
    try:
        report = sample_onnx(args.model, args.output, n=args.n, seed=args.seed, batch_size=args.batch_size,
                             device=args.device, label=args.label, cache=args.cache,
                             truncation=args.truncation)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("aborted", file=sys.stderr)
        return 130
    except OSError as error:  # a full disk or a denied write outside the sampler's own checks
        print(f"error: {error.strerror or error}" + (f" ({error.filename})" if error.filename else ""),
              file=sys.stderr)
        return 2
    print(report, file=sys.stderr)
    return 0


def run() -> None:
    """Console-script entry point."""
    code = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the work is done: a late Ctrl-C must not turn it into a failure
    sys.exit(code)


if __name__ == "__main__":
    run()
