"""``ganzoo eval (RUN | MODEL.onnx) --dataset NAME``: sample-quality metrics against real images."""

from __future__ import annotations

import json
from pathlib import Path

import click

from ganzoo.errors import UserError
from ganzoo_runtime.providers import DEVICES

from ganzoo.cli.weights_option import cache_option, ema_option

MAX_SAMPLES = 200_000


@click.command("eval")
@click.argument("source", type=click.Path(path_type=Path), metavar="(RUN | MODEL.onnx | zoo:NAME)")
@click.option("--dataset", "-d", default="mnist", show_default=True, metavar="NAME", help="The reference images.")
@click.option("-n", type=click.IntRange(min=2, max=MAX_SAMPLES), default=5000, show_default=True,
              help=f"Generated images to score (at most {MAX_SAMPLES:,}: they are held in memory).")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the latents, the reference subsets and KID's subsets.")
@click.option("--batch-size", type=click.IntRange(min=1), default=250, show_default=True,
              help="Images per run of the generator.")
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object on stdout instead of a table.")
@ema_option
@cache_option
def eval_command(source, dataset, n, seed, batch_size, device, as_json, ema, cache) -> None:
    """Score a generator: FID, KID, classifier score, precision/recall, class coverage, and the real-vs-real floor;
    for a conditional generator also label agreement, the share of images classified as the label they were made for.

    Features come from a small MNIST classifier shipped with ganzoo (docs/metrics.md), so the
    images must be 28x28x1. An .onnx file is evaluated without TensorFlow.
    """
    from ganzoo.datasets import as_arrays, open_dataset
    from ganzoo.cli.generator_source import open_generator
    from ganzoo.metrics.evaluate import Evaluator
    from ganzoo_runtime.sampling import balanced_images, labels_for

    generator = open_generator(source, device, ema, cache)
    reference = as_arrays(open_dataset(dataset))
    info = generator.info
    if tuple(info.image_shape) != reference.info.spec.shape:
        raise UserError(f"{source} makes {'x'.join(map(str, info.image_shape))} images but dataset {dataset} has "
                        f"{'x'.join(map(str, reference.info.spec.shape))}")
    try:  # the reference set is checked (and its features computed) before any image is generated
        evaluator = Evaluator(reference.images, dataset, seed, reference_labels=reference.labels)
    except ValueError as error:
        raise UserError(str(error)) from None
    click.echo(f"generating {n} images ({generator.description}) and scoring them against {dataset} …", err=True)
    images = balanced_images(generator.generate, info, n, seed, batch_size, generator.pixels)
    report = evaluator.report(images, labels_for(None, n, info))
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if as_json:
        click.echo(json.dumps(report.to_json()))
    else:
        click.echo(format_table(report))


def format_table(report) -> str:
    from ganzoo.metrics.measures import classes_covered

    def fmt(value, digits=3):
        return "undefined" if value is None else f"{value:.{digits}f}"

    def kid(metrics):
        return "undefined" if metrics.kid is None else f"{metrics.kid * 1000:.2f} ± {metrics.kid_std * 1000:.2f}"

    rows = [("FID", fmt(report.metrics.fid, 2), fmt(report.floor.fid, 2)),
            ("KID (x1000)", kid(report.metrics), kid(report.floor)),
            ("classifier score (max 10)", fmt(report.metrics.classifier_score, 2),
             fmt(report.floor.classifier_score, 2)),
            ("precision", fmt(report.metrics.precision), fmt(report.floor.precision)),
            ("recall", fmt(report.metrics.recall), fmt(report.floor.recall)),
            ("density", fmt(report.metrics.density), fmt(report.floor.density)),
            ("coverage (k-NN)", fmt(report.metrics.knn_coverage), fmt(report.floor.knn_coverage)),
            ("classes with >= 5% of samples", str(classes_covered(report.metrics.coverage)),
             str(classes_covered(report.floor.coverage)))]
    if report.metrics.label_agreement is not None:
        rows.append(("label agreement", fmt(report.metrics.label_agreement), fmt(report.floor.label_agreement)))
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"{'':{width}}{'generated':>16}{'real vs real':>16}"]
    lines += [f"{name:{width}}{ours:>16}{floor:>16}" for name, ours, floor in rows]
    lines.append("coverage per class: " + " ".join(f"{i}:{c:.0%}" for i, c in enumerate(report.metrics.coverage)))
    lines.append(f"{report.metrics.n} generated images vs {report.reference_count} images of {report.reference} "
                 f"(floor: two disjoint halves of them, {report.floor.n} each); seed {report.seed}")
    return "\n".join(lines)
