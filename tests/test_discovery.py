"""Discovery with fake distributions: listing never imports, broken plugins are contained."""

from __future__ import annotations

import sys

import pytest
from conftest import make_distribution, pythonpath_with, run_cli

from ganzoo.plugins import discovery
from ganzoo.plugins.discovery import BrokenPluginError, UnknownPluginError

GOOD = """
import keras
from ganzoo import Architecture
from ganzoo.plugins.interfaces import Loss, TrainingDefaults
from ganzoo_dcgan.models import build_discriminator

def generator(spec, *, latent_dim):
    return keras.Sequential([keras.Input((latent_dim,)), keras.layers.Dense(spec.height * spec.width * spec.channels,
                             activation="tanh"), keras.layers.Reshape(spec.shape)])
TINY = Architecture(generator, build_discriminator, TrainingDefaults(lr=0.123, batch_size=7))

class HalfLoss(Loss):
    defaults = TrainingDefaults(lr=0.5)
    def discriminator_loss(self, ctx): return 0.0
    def generator_loss(self, ctx): return 0.0
LOSS = HalfLoss()
"""

BROKEN = "raise RuntimeError('boom on import')\n"

WRONG = """
from ganzoo import Architecture
def generator(spec, *, latent_dim):
    return "not a model"
WRONG = Architecture(generator, generator)
"""

#: ganzoo 0.1's registration: two factories in the groups that are no longer read.
RETIRED = "def generator(spec, *, latent_dim):\n    raise AssertionError('never imported')\n"


@pytest.fixture
def plugins(fake_site, monkeypatch):
    # Only ganzoo and the fakes: whatever else is installed here must not change the answers.
    monkeypatch.setenv(discovery.ALLOW_ENV, "goodplug,brokenplug,wrongplug,otherplug,oldplug")
    make_distribution(fake_site, "goodplug", "1.2.3",
                      {"ganzoo.architectures": {"tiny": "goodplug_mod:TINY"},
                       "ganzoo.losses": {"half": "goodplug_mod:LOSS"}}, {"goodplug_mod": GOOD})
    make_distribution(fake_site, "brokenplug", "0.9", {"ganzoo.architectures": {"broken": "brokenplug_mod:BROKEN"}},
                      {"brokenplug_mod": BROKEN})
    make_distribution(fake_site, "wrongplug", "2.0", {"ganzoo.architectures": {"wrong": "wrongplug_mod:WRONG"}},
                      {"wrongplug_mod": WRONG})
    make_distribution(fake_site, "oldplug", "0.1", {"ganzoo.generators": {"old": "oldplug_mod:generator"},
                                                    "ganzoo.discriminators": {"old": "oldplug_mod:generator"}},
                      {"oldplug_mod": RETIRED})
    return fake_site


def test_discovery_lists_names_and_distributions_without_importing(plugins):
    found = {(p.group, p.name): p for p in discovery.discover_plugins()}
    assert found[("ganzoo.architectures", "tiny")].distribution == "goodplug"
    assert found[("ganzoo.architectures", "tiny")].version == "1.2.3"
    assert found[("ganzoo.architectures", "broken")].distribution == "brokenplug"
    assert found[("ganzoo.architectures", "dcgan")].distribution == "ganzoo"
    assert "brokenplug_mod" not in sys.modules and "goodplug_mod" not in sys.modules


def test_loading_a_broken_plugin_names_its_distribution(plugins):
    with pytest.raises(BrokenPluginError) as error:
        discovery.load("ganzoo.architectures", "broken")
    assert "brokenplug 0.9" in str(error.value) and "boom on import" in str(error.value)
    # ...and the other plugins still load.
    assert discovery.load("ganzoo.architectures", "tiny").defaults.lr == 0.123


def test_unknown_name_lists_the_valid_ones(plugins):
    with pytest.raises(UnknownPluginError, match=r"unknown architecture 'nope' \(valid: broken, dcgan, tiny, wrong\)"):
        discovery.find_plugin("ganzoo.architectures", "nope")


def test_two_distributions_registering_one_name_is_an_error(plugins):
    make_distribution(plugins, "otherplug", "1.0", {"ganzoo.architectures": {"tiny": "goodplug_mod:TINY"}}, {})
    with pytest.raises(discovery.PluginError, match="several distributions"):
        discovery.find_plugin("ganzoo.architectures", "tiny")


def test_autoload_off_keeps_only_ganzoos_own_plugins(plugins, monkeypatch):
    monkeypatch.setenv(discovery.DISABLE_AUTOLOAD_ENV, "1")
    names = {p.name for p in discovery.discover_plugins("ganzoo.architectures")}
    assert names == {"dcgan"}


def test_list_is_fast_and_check_reports_broken_plugins(plugins):
    env = pythonpath_with(plugins)
    listed = run_cli("list", env=env)
    assert listed.returncode == 0, listed.stderr
    assert "tiny" in listed.stdout and "goodplug 1.2.3" in listed.stdout
    assert [line.split()[0] for line in listed.stdout.splitlines() if "BROKEN" in line] == ["old"]  # no import needed

    checked = run_cli("list", "--check", env=env)
    assert checked.returncode == 1
    lines = {line.split()[0]: line for line in checked.stdout.splitlines() if line.startswith("  ")}
    assert "BROKEN" in lines["broken"] and "brokenplug 0.9" in lines["broken"] and "boom on import" in lines["broken"]
    assert "BROKEN" in lines["wrong"] and "not a keras.Model" in lines["wrong"]
    assert lines["tiny"].endswith("ok") and lines["dcgan"].endswith("ok")
    # the kit's fast checks: a loss that returns 0.0 trains nothing
    assert "BROKEN: loss half: the discriminator loss does not depend on the discriminator's logits" in lines["half"]
    assert "Traceback" not in checked.stderr


def test_using_a_broken_plugin_is_one_clear_line(plugins, tiny_npz, tmp_path):
    result = run_cli("train", "broken", "--discriminator", "dcgan", "--dataset", f"npz:{tiny_npz}",
                     "--run-dir", str(tmp_path / "run"), env=pythonpath_with(plugins))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: architecture 'broken' from brokenplug 0.9 is "
                                                             "broken")
    assert "Traceback" not in result.stderr


def test_list_and_help_never_import_tensorflow(plugins):
    code = ("import sys; from ganzoo.cli.main import main; main(['list']); main(['--help']); "
            "main(['train', '--help']); assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, "
            "'imported TF'")
    import subprocess
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**__import__("os").environ, **pythonpath_with(plugins)})
    assert result.returncode == 0, result.stderr


def test_the_allow_list_admits_only_named_distributions(plugins, monkeypatch):
    monkeypatch.setenv(discovery.ALLOW_ENV, "GoodPlug")  # names compare case- and separator-insensitively
    excluded = set()
    names = {p.name for p in discovery.discover_plugins("ganzoo.architectures", excluded=excluded)}
    assert names == {"dcgan", "tiny"} and {"brokenplug", "wrongplug"} <= excluded
    listed = run_cli("list", env={**pythonpath_with(plugins), discovery.ALLOW_ENV: "goodplug"})
    assert listed.returncode == 0 and "not loaded (not in GANZOO_ALLOW_PLUGINS): brokenplug" in listed.stderr
    assert "wrongplug" in listed.stderr
    monkeypatch.setenv(discovery.ALLOW_ENV, "")
    assert {p.distribution for p in discovery.discover_plugins()} == {"ganzoo"}


def test_an_architecture_in_ganzoo_01s_groups_is_named_with_the_way_out_and_never_imported(plugins, tiny_npz,
                                                                                        tmp_path):
    env = pythonpath_with(plugins)
    listed = run_cli("list", env=env)
    assert listed.returncode == 0 and "retired groups" in listed.stdout
    assert "oldplug 0.1  BROKEN" in listed.stdout and "ganzoo.architectures" in listed.stdout
    result = run_cli("train", "old", "--dataset", f"npz:{tiny_npz}", "--run-dir", str(tmp_path / "run"), env=env)
    assert result.returncode == 2 and "never imported" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: old from oldplug 0.1 is registered in ganzoo.generators, which ganzoo no longer reads: its "
        "distribution must register a ganzoo.Architecture in ganzoo.architectures (docs/plugins.md, \"Migrating "
        "from ganzoo 0.1\")")
