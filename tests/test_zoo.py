"""The shelf: every entry loads, matches its sha256, samples without TensorFlow and scores what its card says."""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import statistics
import subprocess
import sys

import pytest

from conftest import REPO, make_distribution, pythonpath_with, run_cli
from ganzoo.datasets import as_arrays, open_dataset
from ganzoo.metrics.evaluate import Evaluator
from ganzoo.metrics.measures import frechet_distance, label_agreement
from ganzoo.zoo import page
from ganzoo.zoo.build import QUICK_N, SEED, sample_file
from ganzoo.zoo.shelf import ShelfEntry, by_fid, shelf

ENTRIES = sorted(shelf())


def test_the_shelf_has_the_default_and_the_article_budget_entries():
    assert {"dcgan-mnist", "dcgan-mnist-article-budget"} <= set(ENTRIES)


# Issue 29: an entry whose samples cover too little of the data is not shipped
RECALL_FLOOR = 0.3


@pytest.mark.parametrize("name", ENTRIES)
def test_no_shelf_entry_has_recall_below_the_floor_on_any_seed(name):
    recalls = shelf()[name].over_seeds("recall")
    assert recalls, f"{name}: its card states no recall"
    assert min(recalls) >= RECALL_FLOOR, f"{name}: recall {recalls} by seed"


# Issue 29: each modern family's entry beats the 2015 DCGAN's on every seed, and covers the data
MODERN_FAMILIES = {"sngan", "sagan", "stylegan"}


# Issue 29 is open for StyleGAN: its unconditional entry draws too few 4s, its conditional entry's recall is 0.4
STYLEGAN_SHORT = pytest.mark.xfail(strict=True, reason="issue 29: no StyleGAN entry has both recall >= 0.5 and every "
                                                       "digit >= 5 % on every seed yet")


@pytest.mark.parametrize("family", [pytest.param(f, marks=STYLEGAN_SHORT) if f == "stylegan" else f
                                    for f in sorted(MODERN_FAMILIES)])
def test_each_modern_family_has_an_entry_that_beats_the_dcgan_on_every_seed(family):
    """Issue 29's bar: on each of at least 3 seeds, FID under the default DCGAN's median, recall 0.5 or more, and
    every digit in at least 5 % of the samples."""
    entries = [shelf()[n] for n in ENTRIES if shelf()[n].card["settings"]["generator"] == family]
    if not entries:
        pytest.skip(f"no {family} entry on the shelf: install its plugin (see .ci/run)")
    dcgan = statistics.median(shelf()["dcgan-mnist"].over_seeds("fid"))
    found = {e.name: (e.over_seeds("fid"), e.over_seeds("recall"), [min(c) for c in e.over_seeds("coverage")])
             for e in entries}
    passing = [name for name, (fids, recalls, rarest) in found.items()
               if len(fids) >= 3 and max(fids) < dcgan and min(recalls) >= 0.5 and min(rarest) >= 0.05]
    assert passing, f"no {family} entry beats the DCGAN's {dcgan:.1f} on every seed; by seed (FID, recall, rarest " \
                    f"digit's share): {found}"


def test_an_entry_called_best_is_the_best_on_the_shelf_by_fid():
    ranked = by_fid(shelf())
    for entry in ranked:
        if "best" in entry.name.split("-"):
            assert entry is ranked[0], f"{entry.name} is called best but {ranked[0].name} has a lower FID"


def test_ganzoo_zoo_lists_best_fid_first_with_the_training_budget():
    from conftest import run_cli
    result = run_cli("zoo")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == [e.name for e in by_fid(shelf())]
    listed = dict(zip([line.split()[0] for line in lines], lines))
    article = shelf()["dcgan-mnist-article-budget"]
    assert f"{article.card['training']['steps']:,} steps, {article.images_seen:,} images" in listed[article.name]


@pytest.mark.parametrize("name", ENTRIES)
def test_entry_matches_its_card(name, tmp_path):
    entry = shelf()[name]
    card = entry.card
    assert hashlib.sha256(entry.model.read_bytes()).hexdigest() == card["sha256"]
    assert card["recipe"].startswith(name + "@") and (entry.folder / card["grid"]).is_file()
    for key in ("fid", "kid", "kid_std", "classifier_score", "precision", "recall", "coverage", "floor", "n"):
        assert key in card["metrics"]
    reference = _reference(card["settings"]["dataset"])
    images, labels = sample_file(entry.model, QUICK_N)
    features, probabilities = reference.network(images)
    assert frechet_distance(reference.real_features, features) == pytest.approx(card["quick_eval"]["fid"], rel=1e-3,
                                                                                abs=0.05)
    # a conditional entry's label steers it as far as its card says; an unconditional one has no such figure
    if labels is None:
        assert card["quick_eval"]["label_agreement"] is None and card["metrics"]["label_agreement"] is None
    else:
        assert label_agreement(probabilities, labels) == pytest.approx(card["quick_eval"]["label_agreement"], abs=1e-3)


@functools.cache
def _reference(dataset: str) -> Evaluator:
    """The dataset's features, once per worker: the card's quick FID is evaluate_file's, whose other metrics (KID
    above all) and floor would cost each entry seconds more."""
    return Evaluator(as_arrays(open_dataset(dataset)).images, dataset, SEED)


@pytest.mark.parametrize("name", ENTRIES)
def test_entry_samples_without_tensorflow(name, tmp_path):
    code = ("import sys; from ganzoo.cli.main import main; "
            f"assert main(['sample', 'zoo:{name}', '-n', '16', '--output', {str(tmp_path / 'g.png')!r}]) == 0; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g.png").exists()


def test_zoo_lists_and_shows_cards():
    listed = run_cli("zoo")
    assert listed.returncode == 0 and all(name in listed.stdout for name in ENTRIES)
    shown = run_cli("zoo", "show", "dcgan-mnist")
    assert shown.returncode == 0 and json.loads(shown.stdout.split("\nfiles:")[0])["name"] == "dcgan-mnist"


@pytest.mark.parametrize("name, message", [
    ("nope", "unknown zoo entry 'nope' (valid:"),
    ("../x", "invalid zoo name '../x'"),
    ("/etc/passwd", "invalid zoo name"),
])
def test_bad_zoo_names(name, message, tmp_path):
    for command in (["sample", f"zoo:{name}", "--output", str(tmp_path / "x.png")], ["eval", f"zoo:{name}"],
                    ["zoo", "show", name]):
        result = run_cli(*command)
        assert result.returncode == 2 and message in result.stderr, (command, result.stderr)
        assert len(result.stderr.strip().splitlines()) == 1


def test_a_tampered_entry_is_refused(tmp_path):
    site = make_distribution(tmp_path / "site", "fakeshelf", "1.0", {"ganzoo.zoo": {"fake": "fakeshelf_pkg.shelf"}},
                             {"fakeshelf_pkg/__init__": ""})
    shelf_dir = site / "fakeshelf_pkg" / "shelf"
    shutil.copytree(shelf()["dcgan-mnist"].folder, shelf_dir / "tampered-mnist")
    data = bytearray((shelf_dir / "tampered-mnist" / "generator.onnx").read_bytes())
    data[-100] ^= 0xFF
    (shelf_dir / "tampered-mnist" / "generator.onnx").write_bytes(bytes(data))
    result = run_cli("sample", "zoo:tampered-mnist", "--output", str(tmp_path / "x.png"), env=pythonpath_with(site))
    assert result.returncode == 2 and "zoo entry 'tampered-mnist' is damaged" in result.stderr
    assert not (tmp_path / "x.png").exists()


def _skip_without_plugin_entries():
    missing = [name for name in ("cdcgan-mnist-mode-seeking", "stylegan-mnist-small") if name not in shelf()]
    if missing:
        pytest.skip(f"the docs also list plugin entries {missing}: install the plugins (see .ci/run)")


def test_docs_zoo_page_is_generated_from_the_cards():
    _skip_without_plugin_entries()
    assert (REPO / "docs" / "zoo.md").read_text() == page.render(), \
        "docs/zoo.md is stale: python -m ganzoo.zoo.page > docs/zoo.md"


def test_docs_results_shelf_table_is_generated_from_the_cards():
    _skip_without_plugin_entries()
    assert page.results_section((REPO / "docs" / "results.md").read_text()) == page.render_results(), \
        "docs/results.md's shelf table is stale: python -m ganzoo.zoo.page --results"


def test_a_card_with_seed_runs_reports_median_and_range(tmp_path):
    card = {"sha256": "0" * 64, "settings": {"seed": 3},
            "metrics": {"fid": 30.0, "coverage": [0.1] * 10},
            "seed_runs": [{"seed": 4, "metrics": {"fid": 20.0, "coverage": [0.5, 0.5] + [0.0] * 8}},
                          {"seed": 5, "metrics": {"fid": 26.0}},  # a run without coverage counts for FID only
                          "not a run"]}
    entry = ShelfEntry("strange", tmp_path, "test", card)
    assert entry.over_seeds("fid") == [30.0, 20.0, 26.0]
    assert page.spread(entry.over_seeds("fid"), 1) == "26.0 (20.0–30.0)"
    assert page.spread(entry.over_seeds("kid"), 2) == "–"
    assert page.spread(ShelfEntry("one", tmp_path, "test", {"metrics": {"fid": 27.36}}).over_seeds("fid"), 1) \
        == "27.4"
    assert page.spread([10, 2], 0) == "6 (2–10)"


def test_build_writes_an_entry_and_its_seed_runs_and_resumes_them(tmp_path, tiny_npz, capsys):
    """A recipe unlike the shelf's (seed 5, width 8, 64 images, so FID is undefined), built with two seeds, then
    spread to three: the first seed run is kept as it was, not redone."""
    recipe = tmp_path / "odd.toml"
    recipe.write_text(f'[recipe]\nname = "odd"\nversion = 1\ndescription = "test"\n\n[train]\ngenerator = "dcgan"\n'
                      f'discriminator = "dcgan"\ndataset = "npz:{tiny_npz}"\nlatent_dim = 8\nbatch_size = 32\n'
                      f'epochs = 1\nseed = 5\n\n[architecture]\nwidth = 8\n')
    from ganzoo.zoo import build  # in this process, where TensorFlow is already imported
    build.main([str(recipe), "--output", str(tmp_path / "shelf"), "--seeds", "2"])
    first = capsys.readouterr()
    entry = tmp_path / "shelf" / "odd"
    card = json.loads((entry / "card.json").read_text())
    assert card["sha256"] == hashlib.sha256((entry / "generator.onnx").read_bytes()).hexdigest()
    assert card["settings"]["seed"] == 5 and card["metrics"]["fid"] is None
    assert [r["seed"] for r in card["seed_runs"]] == [6] and card["seed_runs"][0]["steps"] == 2
    metrics = card["seed_runs"][0]["metrics"]
    assert set(metrics) == {"fid", "kid", "classifier_score", "precision", "recall", "density", "knn_coverage",
                            "coverage", "label_agreement"}
    assert metrics["label_agreement"] is None  # an unconditional generator has no label to agree with
    assert "wrote" in first.out and "5: undefined, 6: undefined" in first.out
    build.main([str(recipe), "--output", str(tmp_path / "shelf"), "--seeds", "3", "--spread-only"])
    spread = capsys.readouterr()
    again = json.loads((entry / "card.json").read_text())
    assert [r["seed"] for r in again["seed_runs"]] == [6, 7] and again["seed_runs"][0] == card["seed_runs"][0]
    assert again["sha256"] == card["sha256"] and "seed 6:" not in spread.out and "seed 7:" in spread.out
    assert not list(entry.glob("*.partial"))


def test_a_training_curve_is_read_from_metrics_csv_and_drawn(tmp_path):
    from ganzoo.training.metrics_file import METRICS_COLUMNS
    from ganzoo.zoo.curve import curve_svg, training_curve
    rows = [dict.fromkeys(METRICS_COLUMNS, "") | {"epoch": e, "step": 10 * e, "epoch_seconds": 30, "fid": fid}
            for e, fid in ((1, "200.5"), (2, ""), (3, "80.25"), (4, "41.0"))]
    lines = [",".join(METRICS_COLUMNS)] + [",".join(str(r[c]) for c in METRICS_COLUMNS) for r in rows]
    (tmp_path / "metrics.csv").write_text("\n".join(lines) + "\n")
    curve = training_curve(tmp_path / "metrics.csv")
    assert curve == [{"minutes": 0.5, "fid": 200.5}, {"minutes": 1.5, "fid": 80.25}, {"minutes": 2.0, "fid": 41.0}]
    svg = curve_svg(curve, standalone=True)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and svg.count(",") == 3  # three points
    assert "FID 200.5" in svg and "2 min" in svg
    assert curve_svg(curve[:1]) == "" and curve_svg([{"minutes": True, "fid": 1}, "x", None]) == ""
    assert curve_svg([{"minutes": 0, "fid": float("nan")}, {"minutes": 1, "fid": 3}]) == ""  # NaN is not a point
