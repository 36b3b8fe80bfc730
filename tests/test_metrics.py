"""The metrics against known answers, the shipped feature network, and `ganzoo eval`."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from conftest import run_cli
from ganzoo.datasets import open_dataset
from ganzoo.metrics import measures
from ganzoo.metrics.evaluate import evaluate
from ganzoo.metrics.feature_network import FeatureNetwork, heldout_split


@pytest.fixture(scope="module")
def mnist():
    return open_dataset("mnist-5k")


def test_frechet_distance_of_a_set_with_itself_is_zero():
    x = np.random.default_rng(0).standard_normal((500, 8)) @ np.random.default_rng(1).standard_normal((8, 8))
    assert abs(measures.frechet_distance(x, x)) < 1e-8


def test_frechet_distance_of_two_gaussians_is_the_closed_form():
    rng = np.random.default_rng(0)
    mean_a, mean_b = np.array([0.0, 1.0, 2.0, 0.0]), np.array([1.0, 1.0, 0.0, -1.0])
    var_a, var_b = np.array([1.0, 2.0, 0.5, 1.0]), np.array([4.0, 1.0, 0.5, 0.25])
    a = mean_a + rng.standard_normal((200_000, 4)) * np.sqrt(var_a)
    b = mean_b + rng.standard_normal((200_000, 4)) * np.sqrt(var_b)
    closed_form = np.sum((mean_a - mean_b) ** 2) + np.sum(var_a + var_b - 2 * np.sqrt(var_a * var_b))
    assert measures.frechet_distance(a, b) == pytest.approx(closed_form, rel=0.02)


def test_kid_of_one_distribution_is_zero_within_its_error_and_positive_between_two():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2000, 16)), rng.standard_normal((2000, 16))
    kid, std = measures.kernel_inception_distance(a, b, np.random.default_rng(1), subsets=50, subset_size=500)
    assert abs(kid) < 2 * std
    shifted, std2 = measures.kernel_inception_distance(a, b + 0.5, np.random.default_rng(1), subsets=50,
                                                       subset_size=500)
    assert shifted > 10 * std2


def test_kid_read_off_the_whole_kernels_equals_kid_subset_by_subset():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((700, 16)), rng.standard_normal((400, 16)) + 0.2
    picks = [(rng.choice(700, 300, replace=False), rng.choice(400, 300, replace=False)) for _ in range(20)]
    subset_by_subset = measures._kid_by_subset(a, b, picks)
    np.testing.assert_allclose(measures._kid_from_whole_kernels(a, b, picks), subset_by_subset, rtol=1e-9,
                               atol=1e-12)
    assert np.ptp(subset_by_subset) > 0  # distinct subsets, each estimated on its own
    # the public function draws the same subsets whichever way it sums them
    kid, std = measures.kernel_inception_distance(a, b, np.random.default_rng(3), subsets=20, subset_size=300)
    rng = np.random.default_rng(3)
    again = [(rng.choice(700, 300, replace=False), rng.choice(400, 300, replace=False)) for _ in range(20)]
    assert kid == pytest.approx(measures._kid_by_subset(a, b, again).mean(), rel=1e-9)


def test_classifier_score_bounds():
    assert measures.classifier_score(np.eye(10)) == pytest.approx(10)
    assert measures.classifier_score(np.tile(np.eye(10)[3], (50, 1))) == pytest.approx(1)


def test_precision_recall_of_a_subset_and_a_shifted_set():
    rng = np.random.default_rng(0)
    real = rng.standard_normal((1000, 4))
    half = real[real[:, 0] < 0] + 1e-3  # generated images covering only half of the real manifold
    precision, recall = measures.precision_recall(real, half)
    assert precision == 1.0 and 0.4 < recall < 0.75
    precision, _ = measures.precision_recall(real, real + 10)
    assert precision == 0.0


def test_density_and_coverage_on_sets_whose_answer_is_known():
    """Naeem et al.'s density and coverage, k = 5: for the real set itself every ball is hit (coverage 1) and
    each point lies in its own ball and in those of the k points whose neighbour it is (density (k+1)/k); a set
    collapsed onto one real point covers only the balls around that point; a disjoint set enters no ball;
    two independent draws from one distribution give density about 1 and coverage near 1."""
    rng = np.random.default_rng(0)
    k = measures.DC_NEIGHBOURS
    real = rng.standard_normal((1000, 4))
    density, coverage = measures.density_coverage(real, real)
    assert coverage == 1.0 and density == pytest.approx((k + 1) / k)

    mode = np.repeat(real[:1], 500, axis=0)
    density, coverage = measures.density_coverage(real, mode)
    balls = int((np.linalg.norm(real - real[0], axis=1) <= measures._radii(real, k)).sum())  # the balls around it
    assert coverage == balls / len(real) < 0.02 and density == pytest.approx(balls / k)
    assert measures.precision_recall(real, mode)[0] == 1.0  # precision cannot tell a collapse

    assert measures.density_coverage(real, real + 100) == (0.0, 0.0)
    density, coverage = measures.density_coverage(real, rng.standard_normal((1000, 4)))
    assert 0.85 < density < 1.15 and coverage > 0.9


def test_the_shipped_feature_network_reaches_its_recorded_accuracy(mnist):
    network = FeatureNetwork()
    _, heldout = heldout_split(mnist.labels)
    features, probabilities = network(mnist.images[heldout])
    accuracy = float(np.mean(probabilities.argmax(axis=1) == mnist.labels[heldout]))
    assert len(heldout) == network.record["heldout_images"] == 1000
    assert accuracy == pytest.approx(network.record["heldout_accuracy"], abs=0.002)
    assert accuracy >= 0.97 and features.shape == (1000, network.record["features"])


def test_noise_scores_far_worse_than_real_images_on_every_metric(mnist):
    rng = np.random.default_rng(0)
    real, reference = mnist.images[::2], mnist.images[1::2]
    noise = rng.integers(0, 256, real.shape, dtype=np.uint8)
    good, bad = evaluate(real, reference, "mnist-5k", 0).metrics, evaluate(noise, reference, "mnist-5k", 0).metrics
    assert bad.fid > 10 * good.fid and bad.kid > 10 * max(good.kid, good.kid_std)
    assert bad.classifier_score < good.classifier_score - 3
    assert bad.precision < good.precision / 2 and bad.recall < good.recall / 2
    assert max(bad.coverage) > 0.5 > max(good.coverage)


def test_label_agreement_is_the_share_classified_as_the_label_asked_for(mnist):
    real, reference = mnist.images[:1000:2], mnist.images[1:1000:2]  # small sets: KID and the floor come too
    labels, reference_labels = mnist.labels[:1000:2], mnist.labels[1:1000:2]
    right = evaluate(real, reference, "mnist-5k", 0, labels, reference_labels)
    wrong = evaluate(real, reference, "mnist-5k", 0, (labels + 1) % 10, reference_labels)
    assert right.metrics.label_agreement > 0.97 and right.floor.label_agreement > 0.97
    assert wrong.metrics.label_agreement < 0.05 and not wrong.notes
    assert evaluate(real, reference, "mnist-5k", 0).metrics.label_agreement is None  # no labels, no figure


def test_label_agreement_is_left_out_where_the_classifier_does_not_know_the_labels(mnist):
    # a labelled dataset of 28x28x1 images whose classes are not MNIST's digits (Fashion-MNIST, say)
    real, reference, labels = mnist.images[:1000:2], mnist.images[1:1000:2], mnist.labels[:1000:2]
    foreign = (mnist.labels[1:1000:2] * 3 + 1) % 10
    report = evaluate(real, reference, "foreign", 0, labels, foreign)
    assert report.metrics.label_agreement is None and report.floor.label_agreement < 0.2
    assert report.notes == ("label agreement is left out: the classifier's classes are not foreign's labels (it "
                            f"agrees with {_classifier_agreement(reference, foreign):.0%} of them)",)
    assert "it has none" not in report.notes[0]
    unlabelled = evaluate(real, reference, "unlabelled", 0, labels)
    assert unlabelled.metrics.label_agreement is None and unlabelled.notes[0].endswith("unlabelled's labels")


def _classifier_agreement(images, labels) -> float:
    return measures.label_agreement(FeatureNetwork()(images)[1], labels)


def test_eval_of_an_onnx_file_without_tensorflow(trained_onnx):
    code = ("import sys, json; from ganzoo.cli.main import main; "
            f"code = main(['eval', {str(trained_onnx)!r}, '--dataset', 'mnist-5k', '-n', '300', "
            "'--json']); assert code == 0, code; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) == {"fid", "kid", "kid_std", "classifier_score", "precision", "recall", "density",
                           "knn_coverage", "coverage", "label_agreement", "floor", "n", "reference", "seed"}
    assert report["label_agreement"] is None and report["floor"]["label_agreement"] > 0.97  # unconditional
    assert report["n"] == 300 and report["reference"] == {"dataset": "mnist-5k", "count": 5000} and report["seed"] == 0
    assert report["fid"] > 5 * report["floor"]["fid"]  # a 4-step generator is far from real digits
    assert len(report["coverage"]) == 10 and abs(sum(report["coverage"]) - 1) < 1e-9


@pytest.mark.slow  # the same images by both paths are tested in test_sample; this adds 30 s of TensorFlow
def test_eval_of_a_run_matches_its_onnx_export(trained_run, trained_onnx):
    onnx_report = run_cli("eval", str(trained_onnx), "-d", "mnist-5k", "-n", "200", "--json")
    keras_report = run_cli("eval", str(trained_run), "-d", "mnist-5k", "-n", "200", "--json")
    assert onnx_report.returncode == keras_report.returncode == 0, keras_report.stderr
    a, b = json.loads(onnx_report.stdout), json.loads(keras_report.stdout)
    assert a["fid"] == pytest.approx(b["fid"], rel=1e-3) and a["precision"] == pytest.approx(b["precision"], abs=0.01)


def test_eval_table_of_a_conditional_file():
    pytest.importorskip("ganzoo_cdcgan", reason="the shelf's conditional entries need ganzoo-cdcgan (plugins/cdcgan)")
    result = run_cli("eval", "zoo:cdcgan-mnist-mode-seeking", "-d", "mnist-5k", "-n", "50")
    assert result.returncode == 0, result.stderr
    assert "FID undefined: needs at least 129 images on each side (more than the feature dimension, 128); there " \
           "are only 50 generated images" in result.stderr
    assert "undefined" in result.stdout and "KID" in result.stdout and "real vs real" in result.stdout
    row = next(line for line in result.stdout.splitlines() if line.startswith("label agreement"))
    generated, floor = map(float, row.split()[-2:])
    assert generated > 0.8 and floor > 0.97  # the shelf's best conditional entry draws the digit asked for


def test_eval_json_of_small_n(trained_onnx, cli):
    code, out, _ = cli("eval", trained_onnx, "-d", "mnist-5k", "-n", "50", "--json")
    report = json.loads(out)
    assert report["fid"] is None and report["kid"] is not None and report["precision"] is not None
    assert report["label_agreement"] is None  # an unconditional generator has no label to agree with


def test_metrics_a_side_is_too_small_for_are_undefined_naming_that_side(mnist):
    images = mnist.images
    two, five, hundred = images[:2], images[100:105], images[200:300]
    tiny = evaluate(two, five, "x", 0)
    assert (tiny.metrics.fid, tiny.metrics.precision, tiny.metrics.recall, tiny.metrics.density,
            tiny.metrics.knn_coverage) == (None,) * 5
    assert tiny.metrics.kid is not None and tiny.floor.kid is not None  # halves of 3 and 2 images
    assert [n.split(":")[0] for n in tiny.notes] == ["FID undefined", "precision and recall undefined",
                                                     "density and coverage undefined"]
    assert "there are only 2 generated and 5 reference images" in tiny.notes[0]
    assert "needs at least 4 images on each side; there are only 2 generated images" in tiny.notes[1]
    one = evaluate(images[:1], images[:2], "x", 0)  # every metric that compares sets is undefined, none fails
    assert (one.metrics.kid, one.metrics.kid_std, one.floor.kid) == (None, None, None)
    with pytest.raises(ValueError, match="the reference set x has 1 image"):
        evaluate(images[:1], images[:1], "x", 0)
    many = evaluate(images[:500], hundred, "x", 0)  # 500 generated: it is the 100 reference images that fall short
    assert many.metrics.fid is None and many.metrics.precision is not None
    assert [n for n in many.notes if "only 100 reference images" in n and "generated" not in n]


def test_eval_on_a_reference_set_of_five_images_is_json_with_nulls(trained_onnx, tmp_path, cli):
    np.savez(tmp_path / "small.npz", x=open_dataset("mnist-5k").images[:5, ..., 0])
    for n in ("2", "3", "100"):
        code, out, err = cli("eval", trained_onnx, "-d", f"npz:{tmp_path / 'small.npz'}", "-n", n, "--json")
        assert code == 0, err
        report = json.loads(out)
        assert report["fid"] is None and report["floor"]["precision"] is None and report["classifier_score"] > 0
        assert (report["precision"] is None) == (n != "100")  # k + 1 = 4 images a side: 5 reference ones are enough
        assert "reference images" in err and "kth" not in err


def test_eval_bad_inputs(trained_onnx, tmp_path, cli):
    np.savez(tmp_path / "big.npz", x=np.zeros((10, 32, 32), np.uint8))
    for args, message in (
            (["-d", "imagenet"], "unknown dataset 'imagenet'"),
            (["-d", f"npz:{tmp_path / 'big.npz'}"], "makes 28x28x1 images but dataset"),
            (["-n", "0"], "Invalid value for '-n'")):
        code, _, err = cli("eval", trained_onnx, *args)
        assert code == 2 and message in err, err
        assert len(err.strip().splitlines()) == 1


def test_knn_radii_at_two_k_from_one_pass_are_each_points_kth_neighbour_distance():
    points = np.random.default_rng(4).standard_normal((30, 3))
    distances = np.sort(np.linalg.norm(points[:, None] - points[None], axis=2), axis=1)  # column 0: the point itself
    radii = measures.knn_radii(points, (5, 3), block=7)  # blocks that do not divide the set
    assert sorted(radii) == [3, 5]
    np.testing.assert_allclose(radii[3], distances[:, 3], atol=1e-9)
    np.testing.assert_allclose(radii[5], distances[:, 5], atol=1e-9)
