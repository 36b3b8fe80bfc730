"""The shelf: every entry loads, matches its sha256, samples without TensorFlow and scores what its card says."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, make_distribution, pythonpath_with, run_cli
from ganzoo.zoo import page
from ganzoo.zoo.build import QUICK_N, evaluate_file
from ganzoo.zoo.shelf import by_fid, shelf

ENTRIES = sorted(shelf())


def test_the_shelf_has_the_default_the_article_and_the_article_budget_entries():
    assert {"dcgan-mnist", "dcgan-mnist-article", "dcgan-mnist-article-budget"} <= set(ENTRIES)


def test_the_article_budget_recipe_beats_the_articles_at_no_larger_budget():
    ours, article = shelf()["dcgan-mnist-article-budget"], shelf()["dcgan-mnist-article"]
    assert ours.images_seen <= article.images_seen
    assert ours.fid < article.fid and ours.card["metrics"]["kid"] < article.card["metrics"]["kid"]


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
    article = shelf()["dcgan-mnist-article"]
    assert f"{article.card['training']['steps']:,} steps, {article.images_seen:,} images" in listed[article.name]


@pytest.mark.parametrize("name", ENTRIES)
def test_entry_matches_its_card(name, tmp_path):
    entry = shelf()[name]
    card = entry.card
    assert hashlib.sha256(entry.model.read_bytes()).hexdigest() == card["sha256"]
    assert card["recipe"].startswith(name + "@") and (entry.folder / card["grid"]).is_file()
    for key in ("fid", "kid", "kid_std", "classifier_score", "precision", "recall", "coverage", "floor", "n"):
        assert key in card["metrics"]
    quick = evaluate_file(entry.model, card["settings"]["dataset"], QUICK_N)
    assert quick["fid"] == pytest.approx(card["quick_eval"]["fid"], rel=1e-3, abs=0.05)


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


def test_docs_zoo_page_is_generated_from_the_cards():
    if "cdcgan-mnist" not in shelf():
        pytest.skip("docs/zoo.md also lists the cdcgan plugin's entry: pip install -e plugins/cdcgan")
    assert (REPO / "docs" / "zoo.md").read_text() == page.render(), \
        "docs/zoo.md is stale: python -m ganzoo.zoo.page > docs/zoo.md"
