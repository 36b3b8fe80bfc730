"""A full evaluation: generated images against a reference set, with the real-vs-real floor."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Optional

import numpy as np

from ganzoo.metrics import measures
from ganzoo.metrics.feature_network import FEATURE_SHAPE, FeatureNetwork

log = logging.getLogger(__name__)

MAX_REFERENCE = 10_000
#: Label agreement means something only where the classifier's classes are the dataset's labels (MNIST's
#: digits): where it agrees with fewer of the real images' labels than this, the report leaves it out.
LABELS_MATCH = 0.9


@dataclass(frozen=True)
class MetricSet:
    # None where a side has too few samples for it (smallest_set): FID, KID, precision and recall
    fid: Optional[float]
    kid: Optional[float]
    kid_std: Optional[float]
    classifier_score: float
    precision: Optional[float]
    recall: Optional[float]
    coverage: list[float]  # share of samples per predicted class
    n: int
    label_agreement: Optional[float] = None  # share classified as the label asked for; None without labels
    density: Optional[float] = None  # Naeem et al. 2020; None where a side is too small
    knn_coverage: Optional[float] = None  # Naeem et al.'s coverage: share of real samples with a fake nearby


@dataclass(frozen=True)
class EvaluationReport:
    metrics: MetricSet
    floor: MetricSet  # the same metrics between two disjoint halves of the reference set
    reference: str
    reference_count: int
    seed: int
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict:
        """One object: fid, kid, kid_std, classifier_score, precision, recall, coverage, label_agreement (null for
        an unconditional generator), floor, n, reference, seed."""
        ours = dataclasses.asdict(self.metrics)
        return {**{k: v for k, v in ours.items() if k != "n"},
                "floor": dataclasses.asdict(self.floor),
                "n": self.metrics.n,
                "reference": {"dataset": self.reference, "count": self.reference_count},
                "seed": self.seed}


def smallest_set(dims: int) -> dict[str, int]:
    """The fewest samples each metric needs on each side, generated and reference: FID a covariance of full
    rank (more samples than feature dimensions), KID an unbiased estimate over pairs, precision and recall a
    k-nearest-neighbour radius around each sample. Below, the metric is undefined (None, null in JSON)."""
    return {"FID": dims + 1, "KID": 2, "precision and recall": measures.NEIGHBOURS + 1,
            "density and coverage": measures.DC_NEIGHBOURS + 1}


def compare(real_features, real_probabilities, fake_features, fake_probabilities, rng,
            fake_labels: Optional[np.ndarray] = None) -> MetricSet:
    """All metrics for one fake set against one real set, from their features; label agreement where the fake
    set's labels are given."""
    n = len(fake_features)
    defined = {name: min(n, len(real_features)) >= need
               for name, need in smallest_set(fake_features.shape[1]).items()}
    fid = measures.frechet_distance(real_features, fake_features) if defined["FID"] else None
    kid, kid_std = measures.kernel_inception_distance(real_features, fake_features, rng) if defined["KID"] \
        else (None, None)
    # the real set's k-NN radii for both pairs of metrics, from one pass over its distances
    ks = [k for k, name in ((measures.NEIGHBOURS, "precision and recall"),
                            (measures.DC_NEIGHBOURS, "density and coverage")) if defined[name]]
    radii = measures.knn_radii(real_features, ks) if ks else {}
    precision, recall = measures.precision_recall(real_features, fake_features, real_radii=radii[
        measures.NEIGHBOURS]) if defined["precision and recall"] else (None, None)
    density, knn_coverage = measures.density_coverage(real_features, fake_features, real_radii=radii[
        measures.DC_NEIGHBOURS]) if defined["density and coverage"] else (None, None)
    return MetricSet(fid=fid, kid=kid, kid_std=kid_std, classifier_score=measures.classifier_score(fake_probabilities),
                     precision=precision, recall=recall, density=density, knn_coverage=knn_coverage,
                     coverage=measures.class_coverage(fake_probabilities), n=n,
                     label_agreement=None if fake_labels is None else measures.label_agreement(fake_probabilities,
                                                                                               fake_labels))


class Evaluator:
    """Scores generated images against one reference set, whose features are computed once. With the reference
    set's labels, the floor includes the classifier's agreement with them: the most a label can steer."""

    def __init__(self, reference_images: np.ndarray, reference: str, seed: int,
                 network: Optional[FeatureNetwork] = None, reference_labels: Optional[np.ndarray] = None):
        _check_shape("reference", reference_images)
        self.reference, self.seed = reference, seed
        self.network = network or FeatureNetwork()
        rng = np.random.default_rng(seed)
        if len(reference_images) > MAX_REFERENCE:
            keep = rng.choice(len(reference_images), MAX_REFERENCE, replace=False)
            reference_images = reference_images[keep]
            reference_labels = None if reference_labels is None else reference_labels[keep]
        self.reference_labels = reference_labels
        self.reference_count = len(reference_images)
        if self.reference_count < 2:
            raise ValueError(f"the reference set {reference} has {self.reference_count} image(s); the metrics need at "
                             "least 2 (the floor compares two halves of it)")
        self.real_features, self.real_probabilities = self.network(reference_images)
        #: the classifier's agreement with the reference set's own labels (None without labels), and whether its
        #: classes are those labels, so that a generator's label agreement means something
        self.reference_agreement = None if reference_labels is None else measures.label_agreement(
            self.real_probabilities, reference_labels)
        self.knows_labels = self.reference_agreement is not None and self.reference_agreement >= LABELS_MATCH
        self._halves = np.array_split(rng.permutation(self.reference_count), 2)

    def score(self, fake_images: np.ndarray, labels: Optional[np.ndarray] = None) -> MetricSet:
        """The metrics of ``fake_images``; with the ``labels`` they were made for, label agreement too."""
        _check_shape("generated", fake_images)
        fake_features, fake_probabilities = self.network(fake_images)
        return compare(self.real_features, self.real_probabilities, fake_features, fake_probabilities,
                       np.random.default_rng(self.seed), labels)

    def floor(self) -> MetricSet:
        """The metrics between two disjoint halves of the reference set."""
        a, b = self._halves
        return compare(self.real_features[a], self.real_probabilities[a], self.real_features[b],
                       self.real_probabilities[b], np.random.default_rng(self.seed),
                       None if self.reference_labels is None else self.reference_labels[b])

    def report(self, fake_images: np.ndarray, labels: Optional[np.ndarray] = None) -> EvaluationReport:
        metrics, floor = self.score(fake_images, labels), self.floor()
        notes = []
        if metrics.label_agreement is not None and not self.knows_labels:
            agreement = self.reference_agreement
            agrees = "" if agreement is None else f" (it agrees with {agreement:.0%} of them)"
            notes.append(f"label agreement is left out: the classifier's classes are not {self.reference}'s "
                         f"labels{agrees}")
            metrics = dataclasses.replace(metrics, label_agreement=None)
        notes += undefined_notes(metrics.n, self.reference_count, self.real_features.shape[1])
        return EvaluationReport(metrics, floor, self.reference, self.reference_count, self.seed, tuple(notes))


def undefined_notes(generated: int, reference: int, dims: int) -> list[str]:
    """A line for each metric that a side is too small for, naming the side (or both) that falls short."""
    notes = []
    for name, need in smallest_set(dims).items():
        short = [f"{count} {side}" for count, side in ((generated, "generated"), (reference, "reference"))
                 if count < need]
        if short:
            why = f" (more than the feature dimension, {dims})" if name == "FID" else ""
            notes.append(f"{name} undefined: needs at least {need} images on each side{why}; there are only "
                         f"{' and '.join(short)} images; the other metrics are reported")
    return notes


def evaluate(fake_images: np.ndarray, reference_images: np.ndarray, reference: str, seed: int,
             labels: Optional[np.ndarray] = None, reference_labels: Optional[np.ndarray] = None) -> EvaluationReport:
    """Metrics of uint8 ``fake_images`` [N, 28, 28, 1] against ``reference_images``, plus the floor; label
    agreement where the ``labels`` the images were made for are given (and in the floor, the reference's)."""
    return Evaluator(reference_images, reference, seed, reference_labels=reference_labels).report(fake_images, labels)


def _check_shape(name: str, images: np.ndarray) -> None:
    if images.shape[1:] != FEATURE_SHAPE:
        raise ValueError(f"the metrics need {'x'.join(map(str, FEATURE_SHAPE))} images (the shipped MNIST "
                         f"feature network); the {name} images are {'x'.join(map(str, images.shape[1:]))}")
