"""Hostile inputs and faults, tried on every command as a hostile or unlucky user would.

    python benchmarks/hostile_inputs.py              # every case, two at a time (about 10 minutes on 2 cores)
    python benchmarks/hostile_inputs.py -k recipe    # the cases whose name matches a regular expression
    python benchmarks/hostile_inputs.py --list
    cd /tmp && VENV/bin/python CLONE/benchmarks/hostile_inputs.py   # a plain install's ganzoo, as users get it

Each case lays out files in a folder of its own, runs one real ``ganzoo`` or ``ganzoo-sample`` process
(or several, for kills and races) and checks what ganzoo promises:

- the exit code: 2 for a bad input or a full disk, 130 for Ctrl-C and only for it, 0 where ganzoo can
  carry on (a damaged newest checkpoint, an undecodable image in a folder);
- stderr: no traceback, and an error is one line that starts with ``error:``;
- nothing lost: every file the case laid out is byte for byte as it was, and a command that failed
  created nothing;
- no partial files: no temporary file or staging folder is left behind.

Disk-full cases mount a small tmpfs and need root (they are reported as skipped otherwise). The script
exits 1 when any case fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

REPO = Path(__file__).resolve().parent.parent
MNIST = REPO / "ganzoo" / "datasets" / "data" / "mnist_5k.npz"
ZOO = REPO / "ganzoo" / "zoo" / "entries" / "dcgan-mnist"
TINY = ["--batch-size", "32", "--latent-dim", "8"]
LEFTOVER = re.compile(r"^\..*(\.tmp|\.partial-|\.earlier-)")  # atomic_path's, staging_folder's and zoo site's
CASE_TIMEOUT_S = 300
ENV = {**os.environ, "GANZOO_OFFLINE": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "GANZOO_DISABLE_PLUGIN_AUTOLOAD": "1"}


@dataclass
class Case:
    """One hostile input: ``setup`` lays out files in the work folder ``w``; ``argv`` is the command line with
    ``{w}`` for that folder; ``run`` replaces the plain run for kills and races and returns (code, stderr)."""

    name: str
    argv: list[str] = field(default_factory=list)
    setup: Callable[[Path], None] | None = None
    expect: int = 2
    says: str = ""  # a fragment that stderr must hold
    program: str = "ganzoo"
    env: dict = field(default_factory=dict)
    run: Callable[[Path], tuple[int, str]] | None = None
    changes: bool = False  # the command may write (a resume, a new output): only leftovers are checked
    needs_root: bool = False


# --- shared, built once: a tiny trained run and its ONNX file ---------------------------------------------------

SHARED = Path(tempfile.mkdtemp(prefix="ganzoo-hostile-"))
ENV["GANZOO_CACHE_DIR"] = str(SHARED / "cache")  # the sampler's cache: never the user's


def build_shared() -> None:
    with np.load(MNIST) as data:
        np.savez(SHARED / "tiny.npz", x=data["x"][::78][:64], y=data["y"][::78][:64])
    for argv in (["train", "dcgan", "--dataset", f"npz:{SHARED / 'tiny.npz'}", "--epochs", "2", *TINY,
                  "--run-dir", str(SHARED / "run")],
                 ["export", str(SHARED / "run"), "--output", str(SHARED / "model.onnx")]):
        done = subprocess.run([sys.executable, "-m", "ganzoo", *argv], capture_output=True, text=True, env=ENV)
        if done.returncode:
            sys.exit(f"could not build the shared run: {done.stderr}")


def tiny(w: Path) -> None:
    shutil.copy(SHARED / "tiny.npz", w / "tiny.npz")


def a_run(w: Path) -> None:
    shutil.copytree(SHARED / "run", w / "run", ignore=shutil.ignore_patterns(".ganzoo.lock"))
    tiny(w)


def a_model(w: Path) -> None:
    shutil.copy(SHARED / "model.onnx", w / "model.onnx")


def damaged_cache_entry(w: Path) -> None:
    """Garbage where the model's cached CPU form would be."""
    from ganzoo_runtime.cpu.form import form_key
    entry = w / "cache" / "cpu-forms" / f"{form_key((w / 'model.onnx').read_bytes())}.onnx"
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"ganzoo-cpu-form 1\n{\"key\": 1}\n" + bytes(1000))


def folder_entry(w: Path) -> None:
    [entry] = (w / "cache" / "cpu-forms").glob("*.onnx")
    entry.unlink()
    entry.mkdir()


def writes(relative: str, content: bytes | str) -> Callable[[Path], None]:
    def setup(w: Path) -> None:
        path = w / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    return setup


def both(*setups) -> Callable[[Path], None]:
    def setup(w: Path) -> None:
        for s in setups:
            s(w)
    return setup


def npz(relative: str, **arrays) -> Callable[[Path], None]:
    def setup(w: Path) -> None:
        np.savez(w / relative, **arrays)
    return setup


def _npy_bytes(array: np.ndarray) -> bytes:
    import io
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def png(relative: str, size=(28, 28), mode="L") -> Callable[[Path], None]:
    def setup(w: Path) -> None:
        from PIL import Image
        (w / relative).parent.mkdir(parents=True, exist_ok=True)
        Image.new(mode, size).save(w / relative)
    return setup


def truncated_png(w: Path) -> None:
    png("full.png", (64, 64))(w)
    (w / "imgs").mkdir()
    (w / "imgs" / "a.png").write_bytes((w / "full.png").read_bytes()[:40])


def edit_config(**changes) -> Callable[[Path], None]:
    def setup(w: Path) -> None:
        config = json.loads((w / "run" / "config.json").read_text())
        config.update(changes)
        (w / "run" / "config.json").write_text(json.dumps(config))
    return setup


def damage_checkpoints(how: str, which: str = "newest") -> Callable[[Path], None]:
    def setup(w: Path) -> None:
        found = sorted((w / "run" / "checkpoints").glob("ckpt-*.npz"))
        for path in found if which == "all" else found[-1:]:
            data = path.read_bytes()
            path.write_bytes({"empty": b"", "half": data[:len(data) // 2], "garbage": os.urandom(len(data)),
                              "flip": data[:900] + bytes([data[900] ^ 0xFF]) + data[901:]}[how])
    return setup


def foreign_checkpoint(w: Path) -> None:
    newest = sorted((w / "run" / "checkpoints").glob("ckpt-*.npz"))[-1]
    np.savez(newest, v00000=np.zeros(3), info=np.frombuffer(b'{"step": 4, "epoch": 2}', np.uint8))


def metadata(**changes) -> Callable[[Path], None]:
    def setup(w: Path) -> None:
        import onnx
        model = onnx.load(str(SHARED / "model.onnx"))
        for prop in model.metadata_props:
            prop.value = changes.get(prop.key.removeprefix("ganzoo."), prop.value)
        onnx.save(model, str(w / "model.onnx"))
    return setup


def not_a_generator(w: Path) -> None:
    from onnx import TensorProto, helper
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    (w / "model.onnx").write_bytes(model.SerializeToString())


def recipe(text: str, name: str = "mine") -> Callable[[Path], None]:
    head = f'[recipe]\nname = "{name}"\nversion = 1\ndescription = "x"\n\n'
    return writes("mine.toml", head + text)


GOOD_TRAIN = '[train]\ngenerator = "dcgan"\ndiscriminator = "dcgan"\ndataset = "mnist-5k"\n'
DEEP = "[" * 5000 + "]" * 5000  # a value nested 5,000 lists deep


def symlink(relative: str, to: str) -> Callable[[Path], None]:
    def setup(w: Path) -> None:
        (w / relative).symlink_to(to)
    return setup


def fifo(relative: str) -> Callable[[Path], None]:
    def setup(w: Path) -> None:
        os.mkfifo(w / relative)
    return setup


def deep_config(w: Path) -> None:
    a_run(w)
    config = json.loads((w / "run" / "config.json").read_text())
    (w / "run" / "config.json").write_text(json.dumps(config)[:-1] + f', "hparams_x": {DEEP}}}')


def reference_npz(count: int) -> Callable[[Path], None]:
    def setup(w: Path) -> None:
        a_model(w)
        with np.load(MNIST) as data:
            np.savez(w / "small.npz", x=data["x"][:count])
    return setup


def forged_cache_entry(program: str) -> Callable[[Path], tuple[int, str]]:
    """Another graph's CPU form under this file's key, with a header that checks out (key, length, sha256): the
    sampler must rebuild it, and draw the images it draws with --no-cache."""
    def run(w: Path) -> tuple[int, str]:
        import onnx
        from onnx import numpy_helper

        from ganzoo_runtime.cpu.cache import FormCache
        from ganzoo_runtime.cpu.form import form_key
        a_model(w)
        env = {**ENV, "GANZOO_CACHE_DIR": str(w / "cache")}
        argv = command(Case("", ["{w}/model.onnx", "-n", "16", "-o", "{w}/cached.npy"] if program == "ganzoo-sample"
                            else ["sample", "{w}/model.onnx", "-n", "16", "-o", "{w}/cached.npy"],
                            program=program), w)
        subprocess.run(argv, capture_output=True, env=env)  # fills the cache
        cache = FormCache(w / "cache" / "cpu-forms")
        key = form_key((w / "model.onnx").read_bytes())
        forged = onnx.load_from_string(cache.read(key)[0])
        weights = max(forged.graph.initializer, key=lambda t: np.prod(t.dims))
        weights.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weights) * 1.5, weights.name))
        cache.write(key, forged.SerializeToString(), "winograd")
        done = subprocess.run(argv, capture_output=True, text=True, env=env)
        fresh = subprocess.run([a.replace("cached.npy", "fresh.npy") for a in argv] + ["--no-cache"],
                               capture_output=True, text=True, env=env)
        if done.returncode or fresh.returncode:
            return done.returncode or fresh.returncode, done.stderr + fresh.stderr
        difference = float(np.abs(np.load(w / "cached.npy") - np.load(w / "fresh.npy")).max())
        if difference > 1e-4 or "cached)" in done.stderr:
            return 1, f"error: the forged entry was used: its images differ from --no-cache by {difference:.3g}"
        return 0, done.stderr
    return run


def shelf_plugin(card: str | None = None, marker: bool = False, exits: bool = False) -> Callable[[Path], None]:
    """A distribution on PYTHONPATH (the case's env) that ships one shelf entry, "theirs"."""
    def setup(w: Path) -> None:
        site = w / "site"
        entry = site / "theirshelf_pkg" / "entries" / "theirs"
        shutil.copytree(ZOO, entry)
        if card is not None:
            (entry / "card.json").write_text(card)
        info = site / "theirshelf-1.0.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: theirshelf\nVersion: 1.0\n")
        (info / "entry_points.txt").write_text("[ganzoo.zoo]\ntheirs = theirshelf_pkg.entries\n")
        code = ""  # listing and sampling the shelf must never run it
        if marker:
            code = f"open({str(w / 'site' / 'IMPORTED')!r}, 'w').close()\n"
        if exits:
            code = "import sys\nsys.exit(0)\n"
        (site / "theirshelf_pkg" / "__init__.py").write_text(code)
    return setup


def plugin_site(code: str, groups=("ganzoo.architectures",), name="bad") -> Callable:
    def setup(w: Path) -> None:
        site = w / "site"
        info = site / "badplugin-0.1.dist-info"
        info.mkdir(parents=True)
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: badplugin\nVersion: 0.1\n")
        (info / "entry_points.txt").write_text("".join(f"[{g}]\n{name} = badplugin_mod:thing\n" for g in groups))
        (site / "badplugin_mod.py").write_text(code)
    return setup


def with_site(w: Path) -> dict:
    return {"PYTHONPATH": str(w / "site"), "GANZOO_DISABLE_PLUGIN_AUTOLOAD": ""}


# --- running and judging a case ---------------------------------------------------------------------------------


def command(case: Case, w: Path) -> list[str]:
    program = [sys.executable, "-m", "ganzoo"] if case.program == "ganzoo" else \
        [sys.executable, "-c", "from ganzoo_runtime.cli import run; run()"]
    return program + [a.replace("{w}", str(w)) for a in case.argv]


def case_env(case: Case, w: Path) -> dict:
    extra = {k: (v(w) if callable(v) else v) for k, v in case.env.items()}
    merged = dict(ENV)
    for k, v in extra.items():
        merged.update(v) if isinstance(v, dict) else merged.__setitem__(k, v)
    return merged


def snapshot(w: Path) -> dict:
    return {p.relative_to(w): (p.read_bytes() if p.is_file() else None) for p in w.rglob("*")
            if "__pycache__" not in p.parts and p.name != ".ganzoo.lock"}


def judge(case: Case, w: Path, before: dict, code: int, stderr: str) -> list[str]:
    problems = []
    if code != case.expect:
        problems.append(f"exit {code}, expected {case.expect}")
    if "Traceback" in stderr:
        problems.append("a traceback")
    errors = [line for line in stderr.splitlines() if "error:" in line]
    if case.expect == 2 and (len(errors) != 1 or not stderr.strip().splitlines()[-1].startswith("error:")):
        problems.append(f"{len(errors)} error lines, or the last line does not start with 'error:'")
    if case.expect == 130 and "aborted" not in stderr and "interrupted" not in stderr:
        problems.append("Ctrl-C did not say it stopped")
    if case.says and case.says not in stderr:
        problems.append(f"stderr does not say {case.says!r}")
    after = snapshot(w)
    if not case.changes:
        changed = [str(p) for p, data in before.items() if after.get(p, b"gone") != data]
        created = [str(p) for p in after if p not in before and not {"site", "disk"} & set(p.parts)]
        if changed:
            problems.append(f"changed or removed: {', '.join(changed[:3])}")
        if created and case.expect != 0:
            problems.append(f"created: {', '.join(created[:3])}")
    leftovers = [str(p) for p in after if LEFTOVER.match(p.name)]
    if leftovers:
        problems.append(f"left behind: {', '.join(leftovers[:3])}")
    return problems


def run_case(case: Case) -> tuple[str, list[str], str]:
    with tempfile.TemporaryDirectory(prefix="case-") as tmp:
        w = Path(tmp)
        if case.needs_root and os.geteuid() != 0:
            return "skipped", ["needs root"], ""
        if case.setup:
            case.setup(w)
        before = snapshot(w)
        if case.run:
            code, stderr = case.run(w)
        else:
            try:
                done = subprocess.run(command(case, w), capture_output=True, text=True, env=case_env(case, w),
                                      stdin=subprocess.DEVNULL, timeout=CASE_TIMEOUT_S)
                code, stderr = done.returncode, done.stderr
            except subprocess.TimeoutExpired:
                code, stderr = -1, f"(no answer in {CASE_TIMEOUT_S} s)"
        problems = judge(case, w, before, code, stderr)
        return ("ok" if not problems else "FAILED"), problems, stderr.strip().splitlines()[-1:] and \
            stderr.strip().splitlines()[-1]


# --- fault scenarios: several processes, signals, full disks ----------------------------------------------------


def _popen(w: Path, *argv: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ganzoo", *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV, stdin=subprocess.DEVNULL)


def _wait_for(condition, timeout=120) -> None:
    deadline = time.time() + timeout
    while not condition() and time.time() < deadline:
        time.sleep(0.05)


def ctrl_c_after(argv: list[str], condition: Callable[[Path], bool] | float, then: list[str] | None = None):
    """Start ``argv``, send SIGINT once ``condition`` holds (or after that many seconds); with ``then``, run
    that command afterwards and report its exit code instead (the recovery)."""
    def run(w: Path) -> tuple[int, str]:
        process = _popen(w, *[a.replace("{w}", str(w)) for a in argv])
        if callable(condition):
            _wait_for(lambda: condition(w) or process.poll() is not None)
        else:
            time.sleep(condition)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=300)
        if then is None:
            return process.returncode, stderr
        if process.returncode != 130:
            return process.returncode, stderr
        done = subprocess.run(command(Case("", then), w), capture_output=True, text=True, env=ENV)
        return done.returncode, done.stderr
    return run


def kill_after(argv: list[str], condition: Callable[[Path], bool] | float, then):
    """SIGKILL ``argv`` once ``condition`` holds (or after that many seconds), then run ``then`` (an argv, or a
    function of the work folder that gives one)."""
    def run(w: Path) -> tuple[int, str]:
        process = _popen(w, *[a.replace("{w}", str(w)) for a in argv])
        if callable(condition):
            _wait_for(lambda: condition(w) or process.poll() is not None)
        else:
            time.sleep(condition)
        process.kill()
        process.wait()
        done = subprocess.run(command(Case("", then(w) if callable(then) else then), w), capture_output=True,
                              text=True, env=ENV)
        return done.returncode, done.stderr
    return run


def port_in_use(w: Path) -> tuple[int, str]:
    """`ganzoo zoo serve` on a port that something else listens on: one line, exit 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = subprocess.run(command(Case("", ["zoo", "serve", "--site", "{w}", "--port",
                                                str(taken.getsockname()[1])]), w),
                              capture_output=True, text=True, env=ENV, timeout=CASE_TIMEOUT_S)
    return done.returncode, done.stderr


def two_trainers(w: Path) -> tuple[int, str]:
    """Two `ganzoo train` into one run directory at once: one trains, the other is refused naming it."""
    argv = ["train", "dcgan", "--dataset", f"npz:{w / 'tiny.npz'}", "--epochs", "30", *TINY, "--run-dir",
            str(w / "both")]
    first = _popen(w, *argv)
    _wait_for(lambda: (w / "both" / "config.json").exists())
    second = subprocess.run([sys.executable, "-m", "ganzoo", *argv], capture_output=True, text=True, env=ENV)
    first.communicate(timeout=600)
    rows = [line.split(",")[0] for line in (w / "both" / "metrics.csv").read_text().splitlines()[1:]]
    if first.returncode != 0 or rows != [str(e) for e in range(1, 31)]:
        return 1, f"error: the first trainer ended {first.returncode} with epochs {rows}"
    return second.returncode, second.stderr


def on_small_disk(size: str, argv: list[str], fill: int = 0):
    """Run ``argv`` with ``{d}`` a tmpfs of ``size`` (``fill`` bytes of it taken first); it must fail in one
    line and leave the disk as it found it."""
    def run(w: Path) -> tuple[int, str]:
        disk = w / "disk"
        disk.mkdir()
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(disk)],
                                 capture_output=True)
        if mounted.returncode:
            return 2, "error: (skipped: cannot mount a tmpfs)"
        try:
            if fill:
                (disk / "filler").write_bytes(b"\0" * fill)
            done = subprocess.run([sys.executable, "-m", *argv[:1], *[a.replace("{d}", str(disk))
                                                                       .replace("{w}", str(w)) for a in argv[1:]]],
                                  capture_output=True, text=True, env=ENV)
            left = sorted(p.name for p in disk.rglob("*") if p.name != "filler" and LEFTOVER.match(p.name))
            stderr = done.stderr + (f"\nerror: left on the disk: {left}" if left else "")
            return done.returncode, stderr
        finally:
            subprocess.run(["umount", str(disk)])
    return run


# --- the cases --------------------------------------------------------------------------------------------------


def cases() -> list[Case]:
    out: list[Case] = []

    def add(name, argv=(), setup=None, **kw):
        out.append(Case(name, list(argv), setup, **kw))

    train = ["train", "dcgan", "--dataset"]
    new_run = ["--run-dir", "{w}/new"]
    # train: options and datasets
    for opt, value in (("--epochs", "0"), ("--batch-size", "0"), ("--batch-size", "x"), ("--lr", "-1"),
                       ("--lr", "nan"), ("--beta-1", "1"), ("--beta-2", "-0.1"), ("--latent-dim", "0"),
                       ("--image-size", "0"), ("--channels", "2"), ("--seed", "-1"), ("--ema", "1.5"),
                       ("--r1", "-1"), ("--mode-seeking", "inf"), ("--precision", "float8"), ("--strategy", "tpu"),
                       ("--eval-every", "0"), ("--lr-d", "0"), ("--lr-g", "nan"), ("--lr-g", "-1e-4"),
                       ("--d-steps", "0"), ("--d-steps", "2.5"), ("--r1-every", "0"), ("--r1-every", "x"),
                       ("--ada-target", "1"), ("--ada-target", "0"), ("--ada-target", "nan")):
        add(f"train {opt} {value}", [*train, "mnist-5k", opt, value, *new_run])
    add("train lr inf", [*train, "mnist-5k", "--lr", "inf", *new_run], expect=2)
    add("train --ada-target without --augment", [*train, "mnist-5k", "--ada-target", "0.6", *new_run],
        says="--ada-target adapts the probability of the --augment policies")
    add("train unknown architecture", ["train", "nope", "--dataset", "mnist-5k", *new_run], says="unknown architecture")
    for value, says in (("width=0", "not in the range 4<=x<=1024"), ("width=1e9", "is not a valid integer"),
                        ("width=99999999999999999999", "not in the range 4<=x<=1024"),
                        ("dropout=nan", "is not a finite number"),
                        ("nope=1", "unknown hyperparameter nope"), ("=3", "is not NAME=VALUE"),
                        ("width", "is not NAME=VALUE"), ("width=", "is not a valid integer")):
        add(f"train -o {value!r}", ["train", "dcgan", "--dataset", "mnist-5k", "-o", value, *new_run], says=says)
    add("list -v an unknown architecture", ["list", "-v", "nope"], says="unknown architecture 'nope'")
    add("train unknown dataset", [*train, "imagenet", *new_run], says="unknown dataset")
    add("train unknown loss", [*train, "mnist-5k", "--loss", "l9", *new_run], says="unknown loss")
    add("train empty dataset name", [*train, "", *new_run])
    add("train dataset ':x'", [*train, ":x", *new_run], says="bad dataset")
    add("train mnist with a path", [*train, "mnist:/tmp", *new_run], says="takes no path")
    add("train npz without a path", [*train, "npz", *new_run], says="needs a path")
    add("train batch larger than data", [*train, "npz:{w}/tiny.npz", "--batch-size", "65", *new_run], tiny,
        says="larger than the dataset")
    add("train without dataset", ["train", "dcgan", *new_run], says="missing --dataset")
    add("train without architecture", ["train", "--dataset", "mnist-5k", *new_run], says="missing architecture")
    x = np.zeros((70, 28, 28), np.uint8)
    for name, setup, says in (
            ("missing npz", None, "no such file"),
            ("zero-byte npz", writes("d.npz", b""), "not a readable .npz"),
            ("truncated npz", lambda w: (npz("full.npz", x=x)(w), (w / "d.npz").write_bytes(
                (w / "full.npz").read_bytes()[:500])), "npz"),
            ("garbage npz", writes("d.npz", os.urandom(3000)), "not a readable .npz"),
            ("npy given as npz", lambda w: (w / "d.npz").write_bytes(_npy_bytes(x)), "holds a single array"),
            ("npz without x", npz("d.npz", images=x), "has no array 'x'"),
            ("npz float x", npz("d.npz", x=x.astype(np.float32)), "'x' must be uint8"),
            ("npz 5-D x", npz("d.npz", x=x[:, None, :, :, None]), "'x' must be uint8"),
            ("npz 2-channel x", npz("d.npz", x=np.zeros((70, 28, 28, 2), np.uint8)), "'x' must be uint8"),
            ("npz empty x", npz("d.npz", x=np.zeros((0, 28, 28), np.uint8)), "holds no images"),
            ("npz y too short", npz("d.npz", x=x, y=np.zeros(3, np.int64)), "'y' must be"),
            ("npz negative y", npz("d.npz", x=x, y=-np.ones(70, np.int64)), "'y' must be"),
            ("npz float y", npz("d.npz", x=x, y=np.zeros(70, np.float32)), "'y' must be"),
            ("npz object array", lambda w: np.savez(w / "d.npz", x=np.array([object()] * 3)), "npz"),
            ("npz 30x30 images", npz("d.npz", x=np.zeros((70, 30, 30), np.uint8)), "dcgan supports 28x28"),
            ("npz a folder", lambda w: (w / "d.npz").mkdir(), "npz")):
        path = "{w}/nowhere.npz" if setup is None else "{w}/d.npz"
        add(f"train {name}", [*train, f"npz:{path}", *new_run], setup, says=says)
    for name, setup, says in (
            ("missing folder", None, "no such folder"),
            ("empty folder", lambda w: (w / "imgs").mkdir(), "contains no readable"),
            ("folder of text named .png", writes("imgs/a.png", "not a picture"), "contains no readable"),
            ("folder of zero-byte jpegs", writes("imgs/a.jpg", b""), "contains no readable"),
            ("folder with only a decompression bomb", png("imgs/bomb.png", (20000, 20000), "1"),
             "contains no readable"),
            ("folder that is a file", writes("imgs", "x"), "no such folder"),
            ("folder of truncated pngs", truncated_png, "")):
        add(f"train {name}", [*train, "folder:{w}/imgs", "--image-size", "28", *new_run], setup, says=says,
            expect=2)
    add("train folder --image-size 30", [*train, "folder:{w}/imgs", "--image-size", "30", "--batch-size", "1",
                                         *new_run],
        png("imgs/a.png"), says="dcgan supports")
    add("train folder with a bomb among good images (skipped, named)",
        [*train, "folder:{w}/imgs", "--epochs", "1", "--batch-size", "2", "--latent-dim", "8", *new_run],
        both(png("imgs/a.png"), png("imgs/b.png"), png("imgs/bomb.png", (20000, 20000), "1")), expect=0,
        says="bomb.png")
    add("train --eval-every on 32x32 data", [*train, "npz:{w}/d.npz", "--eval-every", "1", *new_run],
        npz("d.npz", x=np.zeros((70, 32, 32, 3), np.uint8)), says="--eval-every needs 28x28x1")
    add("train multiworker without TF_CONFIG", [*train, "npz:{w}/tiny.npz", "--strategy", "multiworker", *TINY,
                                                *new_run], tiny)
    add("train mirrored on unknown devices", [*train, "npz:{w}/tiny.npz", "--strategy", "mirrored", "--devices",
                                              "tpu:7", *TINY, *new_run], tiny)
    add("train --jit on two replicas", [*train, "npz:{w}/tiny.npz", "--strategy", "mirrored", "--devices",
                                        "cpu:0,cpu:1", "--jit", *TINY, *new_run], tiny, says="--jit works with one")
    add("train odd batch on two replicas", [*train, "npz:{w}/tiny.npz", "--strategy", "mirrored", "--devices",
                                            "cpu:0,cpu:1", "--batch-size", "33", "--latent-dim", "8", *new_run], tiny,
        says="does not split evenly")
    # train: run directories
    for name, setup, says in (
            ("into a user's metrics.csv", writes("new/metrics.csv", "epoch,accuracy\n1,0.5\n"), "not a ganzoo run"),
            ("into a user's csv with another first column", writes("new/metrics.csv", "name,score\na,1\n"),
             "not a ganzoo run"),
            ("into a folder of the user's files", both(writes("new/notes.txt", "mine"), writes("new/data/x", "1")),
             "not a ganzoo run"),
            ("into a user's checkpoints folder", writes("new/checkpoints/model.h5", "mine"), "not a ganzoo run"),
            ("into a user's samples folder", writes("new/samples/a.png", "mine"), "not a ganzoo run"),
            ("into a hidden file", writes("new/.env", "SECRET=1"), "not a ganzoo run"),
            ("into an existing run", a_run, "already holds a run"),
            ("into a file", writes("new", "a file"), "is a file"),
            ("under a file", writes("blocker", "x"), "cannot write run directory")):
        target = "{w}/run" if setup is a_run else ("{w}/blocker/run" if "under" in name else "{w}/new")
        add(f"train {name}", [*train, "npz:{w}/tiny.npz", "--epochs", "1", *TINY, "--run-dir", target],
            both(tiny, setup), says=says)
    resume = ["train", "--resume", "--run-dir", "{w}/run"]
    add("resume without --run-dir", ["train", "--resume"], says="--resume needs --run-dir")
    add("resume an empty folder", ["train", "--resume", "--run-dir", "{w}"], says="nothing to resume")
    add("resume contradicting options", [*resume, "--lr", "0.5"], a_run, says="contradict its config.json")
    for option, value in (("--d-steps", "5"), ("--lr-d", "4e-4"), ("--r1-every", "16"), ("--ada-target", "0.6")):
        add(f"resume changing {option}", [*resume, option, value], a_run, says="contradict its config.json")
    add("resume shortening the run", [*resume, "--epochs", "1"], a_run, says="has completed 2 epochs")
    add("resume with a foreign metrics.csv", [*resume, "--epochs", "3"],
        both(a_run, writes("run/metrics.csv", "epoch,accuracy\n1,0.5\n")), says="is not ganzoo's")
    add("resume with a garbled metrics row", [*resume, "--epochs", "3"],
        both(a_run, writes("run/metrics.csv", "epoch,step,d_loss\nfirst,2,0.1\n")), says="not a number")
    add("resume when the dataset changed", [*resume, "--epochs", "3"],
        both(a_run, lambda w: edit_config(dataset=f"npz:{w / 'tiny.npz'}")(w),
             lambda w: np.savez(w / "tiny.npz", x=np.zeros((70, 28, 28), np.uint8))), says="cannot resume")
    for name, text, says in (("a JSON list", "[1, 2]", "not an object"), ("a JSON string", '"run"', "not an object"),
                             ("an empty object", "{}", "keys missing"), ("empty", "", "cannot read"),
                             ("invalid JSON", "{nope", "cannot read"), ("binary", "\x00\xff\xfe", "cannot read")):
        for cmd, argv in (("resume", [*resume, "--epochs", "3"]), ("sample", ["sample", "{w}/run", "-o", "{w}/g.png"]),
                          ("export", ["export", "{w}/run", "--output", "{w}/g.onnx"])):
            add(f"{cmd} a run whose config.json is {name}", argv, both(a_run, writes("run/config.json", text)),
                says=says)
    for name, changes, says in (("latent_dim a string", {"latent_dim": "eight"}, "latent_dim is 'eight'"),
                                ("epochs a float", {"epochs": 2.5}, "epochs is 2.5"),
                                ("image_spec a list", {"image_spec": [28, 28, 1]}, "image_spec"),
                                ("image_spec with wrong keys", {"image_spec": {"h": 1}}, "cannot read"),
                                ("seed true", {"seed": True}, "seed is True")):
        add(f"sample a run whose config.json has {name}", ["sample", "{w}/run", "-o", "{w}/g.png"],
            both(a_run, edit_config(**changes)), says=says)
    # checkpoints
    for how in ("empty", "half", "garbage", "flip"):
        add(f"sample a run whose newest checkpoint is {how} (falls back)", ["sample", "{w}/run", "-o", "{w}/g.png"],
            both(a_run, damage_checkpoints(how)), expect=0, says="using the one before it")
        add(f"export a run whose every checkpoint is {how}", ["export", "{w}/run", "--output", "{w}/g.onnx"],
            both(a_run, damage_checkpoints(how, "all")), says="no usable checkpoint")
    add("resume a run whose newest checkpoint is truncated (falls back)", [*resume, "--epochs", "3"],
        both(a_run, damage_checkpoints("half")), expect=0, changes=True, says="using the one before it")
    add("sample a run whose checkpoint holds other variables", ["sample", "{w}/run", "-o", "{w}/g.png"],
        both(a_run, foreign_checkpoint), says="cannot resume from")
    add("sample a run without checkpoints", ["sample", "{w}/run", "-o", "{w}/g.png"],
        both(a_run, lambda w: shutil.rmtree(w / "run" / "checkpoints")), says="has no checkpoint yet")
    # recipes (your own .toml files)
    for name, text, says in (
            ("a TOML syntax error", "[train\n", "cannot be read"),
            ("no [train] table", "", "needs a [recipe] and a [train] table"),
            ("an unknown key", GOOD_TRAIN + "wings = 2\n", "unknown key(s) wings"),
            ("batch_size = 0", GOOD_TRAIN + "batch_size = 0\n", "0 is not in the range x>=1"),
            ("epochs = -3", GOOD_TRAIN + "epochs = -3\n", "-3 is not in the range x>=1"),
            ("lr = 'fast'", GOOD_TRAIN + "lr = 'fast'\n", "is not a valid float"),
            ("lr = 0", GOOD_TRAIN + "lr = 0\n", "0.0 is not in the range x>0"),
            ("seed = 1.5", GOOD_TRAIN + "seed = 1.5\n", "is not a valid integer"),
            ("seed = true", GOOD_TRAIN + "seed = true\n", "is not valid for --seed"),
            ("beta_1 = 1", GOOD_TRAIN + "beta_1 = 1\n", "not in the range 0<=x<1"),
            ("channels = 2", GOOD_TRAIN + "channels = 2\n", "is not one of '1', '3'"),
            ("latent_dim = [1]", GOOD_TRAIN + "latent_dim = [1]\n", "is not valid for --latent-dim"),
            ("a table as a value", GOOD_TRAIN + "r1 = {a = 1}\n", "is not valid for --r1"),
            ("an unknown dataset", GOOD_TRAIN.replace("mnist-5k", "imagenet"), "unknown dataset"),
            ("d_steps = 0", GOOD_TRAIN + "d_steps = 0\n", "0 is not in the range x>=1"),
            ("lr_d = inf", GOOD_TRAIN + "lr_d = inf\n", "inf is not a finite number"),
            ("r1_every = [16]", GOOD_TRAIN + "r1_every = [16]\n", "is not valid for --r1-every")):
        add(f"train a recipe with {name}", ["train", "--recipe", "{w}/mine.toml", *new_run], recipe(text), says=says)
    add("train a recipe whose name is a path", ["train", "--recipe", "{w}/mine.toml", *new_run],
        recipe(GOOD_TRAIN, name="../etc"), says="[recipe] name")
    add("train a recipe with version 'one'", ["train", "--recipe", "{w}/mine.toml", *new_run],
        writes("mine.toml", '[recipe]\nname = "x"\nversion = "one"\n' + GOOD_TRAIN), says="version 'one'")
    add("train a recipe file that is not UTF-8", ["train", "--recipe", "{w}/mine.toml", *new_run],
        writes("mine.toml", b"\xff\xfe\x00"), says="cannot be read")
    add("train a missing recipe file", ["train", "--recipe", "{w}/gone.toml", *new_run], says="no such file")
    add("train an unknown recipe", ["train", "--recipe", "nope", *new_run], says="unknown recipe 'nope'")
    add("train a recipe nested 5,000 lists deep", ["train", "--recipe", "{w}/mine.toml", *new_run],
        recipe(GOOD_TRAIN + f"epochs = {DEEP}\n"), says="nested too deeply")
    add("train a recipe that is a symlink to /dev/zero", ["train", "--recipe", "{w}/mine.toml", *new_run],
        symlink("mine.toml", "/dev/zero"), says="is not a regular file")
    add("train a recipe that is a FIFO with no writer", ["train", "--recipe", "{w}/mine.toml", *new_run],
        fifo("mine.toml"), says="is not a regular file")
    add("train a recipe of 1 MiB", ["train", "--recipe", "{w}/mine.toml", *new_run],
        recipe(GOOD_TRAIN + "# padding\n" * 100_000), says="larger than 64 KiB")
    add("train --seed 4294967296", [*train, "mnist-5k", "--seed", "4294967296", *new_run], says="--seed")
    add("train a recipe with seed = 99999999999999999999999", ["train", "--recipe", "{w}/mine.toml", *new_run],
        recipe(GOOD_TRAIN + "seed = 99999999999999999999999\n"), says="0<=x<=4294967295")
    add("resume a run whose config.json is nested 5,000 lists deep", ["train", "--resume", "--run-dir", "{w}/run"],
        deep_config, says="cannot read")
    # sampling: both CLIs, ONNX files and options
    onnx_cases = (
        ("a missing file", None, "no such file"),
        ("an empty file", writes("model.onnx", b""), "not a loadable ONNX model"),
        ("garbage", writes("model.onnx", os.urandom(5000)), "not a loadable ONNX model"),
        ("a truncated file", lambda w: (w / "model.onnx").write_bytes((SHARED / "model.onnx").read_bytes()[:50000]),
         "not a loadable ONNX model"),
        ("latent_dim 64 against the graph's 8", metadata(latent_dim="64"), "ganzoo.latent_dim is 64"),
        ("a negative latent_dim", metadata(latent_dim="-3"), "latent_dim -3 is not positive"),
        ("latent_dim 'x'", metadata(latent_dim="x"), "malformed ganzoo metadata"),
        ("num_classes on an unconditional graph", metadata(num_classes="10"), "ganzoo.num_classes is 10"),
        ("a negative num_classes", metadata(num_classes="-1"), "num_classes -1 is negative"),
        ("pixel_range 1,1", metadata(pixel_range="1,1"), "pixel_range '1,1'"),
        ("pixel_range 0,inf", metadata(pixel_range="0,inf"), "malformed ganzoo metadata"),
        ("pixel_range 0,255 on a float output", metadata(pixel_range="0,255"), "ganzoo.pixel_range is 0,255"),
        ("image_shape 32,32,3", metadata(image_shape="32,32,3"), "ganzoo.image_shape is 32,32,3"),
        ("image_shape 0,28,1", metadata(image_shape="0,28,1"), "is not positive"),
        ("layout diagonal", metadata(layout="diagonal"), "layout 'diagonal'"),
        ("layout nchw on an nhwc graph", metadata(layout="nchw"), "(nchw)"),
        ("format_version 9", metadata(format_version="9"), "format version 9 is not supported"),
        ("a model that is no generator", not_a_generator, "not a ganzoo generator"),
        ("hparams nested 5,000 lists deep", metadata(hparams=DEEP), "malformed ganzoo metadata"),
    )
    for program, prefix in (("ganzoo", ["sample"]), ("ganzoo-sample", [])):
        for name, setup, says in onnx_cases:
            add(f"{program} {name}", [*prefix, "{w}/model.onnx", "-o", "{w}/g.png"], setup, says=says,
                program=program)
        for name, argv, says in (
                ("-n 0", ["-n", "0"], "-n"), ("-n -5", ["-n", "-5"], "-n"), ("-n x", ["-n", "x"], "-n"),
                ("--batch-size 0", ["--batch-size", "0"], "batch-size"), ("--seed -1", ["--seed", "-1"], "seed"),
                ("--label on an unconditional model", ["--label", "3"], "takes no --label"),
                ("--truncation on a model without the input", ["--truncation", "0.7"], "has no truncation input"),
                ("--truncation 2", ["--truncation", "2"], "--truncation"),
                ("--truncation nan", ["--truncation", "nan"], "--truncation"),
                ("--device tpu", ["--device", "tpu"], "device"),
                ("--device cuda without a GPU", ["--device", "cuda"], "cuda"),
                ("-n 1e9 into a grid", ["-n", "1000000000"], "too many for one .png"),
                ("-n 1e9 into a GIF", ["-n", "1000000000", "-o", "{w}/g.gif"], "too many for one .gif"),
                ("-n 1e9 into an .npy", ["-n", "1000000000", "-o", "{w}/g.npy"], "not enough disk space"),
                ("-n 1e10 into a folder", ["-n", "10000000000", "-o", "{w}/pngs"], "not enough disk space"),
                ("a .jpg output", ["-o", "{w}/g.jpg"], "unsupported output"),
                ("an output in a missing folder", ["-o", "{w}/no/such/g.npy"], "cannot write"),
                ("an output under a file", ["-o", "{w}/model.onnx/g.png"], "cannot write"),
                ("a folder output that holds files", ["-o", "{w}/full"], "is not an empty folder"),
                ("a folder output that is a file", ["-o", "{w}/afile"], "is not an empty folder"),
                ("zoo:nope", ["-o", "{w}/g.png"], "unknown zoo entry"),
                ("zoo:../x", ["-o", "{w}/g.png"], "invalid zoo name")):
            model = "zoo:nope" if "zoo:nope" in name else ("zoo:../x" if "zoo:../" in name else "{w}/model.onnx")
            argv = [*argv, "-o", "{w}/g.png"] if "-o" not in argv else argv
            add(f"{program} {name}", [*prefix, model, *argv], both(a_model, writes("full/mine.png", "mine"),
                                                                    writes("afile", "mine")),
                says=says, program=program)
        # the CPU form's cache: never trusted when damaged, never fatal when it cannot be written
        for name, setup, cache in (
                ("a cache folder that is a file", both(a_model, writes("afile", "mine")), "afile"),
                ("a corrupt cache entry", both(a_model, damaged_cache_entry), "cache"),
                ("a cache entry that is a folder", both(a_model, damaged_cache_entry, folder_entry), "cache")):
            add(f"{program} with {name}", [*prefix, "{w}/model.onnx", "-o", "{w}/g.png"], setup, expect=0,
                changes=True, program=program, env={"GANZOO_CACHE_DIR": lambda w, c=cache: str(w / c)})
        add(f"{program} with a forged cache entry (another graph, a valid header)", expect=0, changes=True,
            run=forged_cache_entry(program))
    # export and eval
    export = ["export", "{w}/run"]
    add("export over an existing file (a named output is replaced, like any -o)",
        [*export, "--output", "{w}/exists.onnx"], both(a_run, writes("exists.onnx", "mine")), expect=0, changes=True)
    add("export into a missing folder", [*export, "--output", "{w}/no/g.onnx"], a_run, says="cannot write")
    add("export --opset 99", [*export, "--opset", "99"], a_run, says="opset")
    add("export --format tflite", [*export, "--format", "tflite"], a_run, says="format")
    add("export --precision int4", [*export, "--precision", "int4"], a_run, says="precision")
    add("export savedmodel over an existing folder", [*export, "--format", "savedmodel", "--output", "{w}/sm"],
        both(a_run, writes("sm/x", "mine")), says="exists already")
    add("export a folder that is no run", ["export", "{w}", "--output", "{w}/g.onnx"], says="not a run directory")
    add("export without runs", ["export"], says="")
    add("eval an unknown dataset", ["eval", "{w}/model.onnx", "--dataset", "imagenet"], a_model,
        says="unknown dataset")
    add("eval -n 1", ["eval", "{w}/model.onnx", "-n", "1"], a_model, says="-n")
    add("eval -n 1e9", ["eval", "{w}/model.onnx", "-n", "1000000000"], a_model, says="-n")
    add("eval a 32x32x3 model against MNIST", ["eval", "{w}/model.onnx", "--dataset", "mnist-5k"],
        metadata(image_shape="32,32,3"), says="ganzoo.image_shape")
    add("eval a model with bad metadata", ["eval", "{w}/model.onnx", "-n", "100"], metadata(pixel_range="1,1"),
        says="pixel_range")
    for count, n, says in ((5, "2", "precision and recall undefined"), (5, "3", "only 3 generated images"),
                           (5, "100", "100 generated and 5 reference images"), (100, "500", "only 100 reference images")):
        add(f"eval -n {n} against a reference set of {count} images", ["eval", "{w}/model.onnx", "--dataset",
                                                                         "npz:{w}/small.npz", "-n", n, "--json"],
            reference_npz(count), expect=0, says=says)
    add("eval against a reference set of 1 image", ["eval", "{w}/model.onnx", "--dataset", "npz:{w}/small.npz"],
        reference_npz(1), says="need at least 2")
    # the shelf and plugins
    site_env = {"site": with_site}
    add("zoo with a corrupt card (listed as broken)", ["zoo"], shelf_plugin(card="{ nope"), env=site_env, expect=0)
    add("zoo with a card that is a list (listed as broken)", ["zoo"], shelf_plugin(card="[]"), env=site_env, expect=0)
    add("zoo with a card without metrics", ["zoo"], shelf_plugin(card=json.dumps({"sha256": "x"})), env=site_env,
        expect=0)
    add("sample an entry with a corrupt card", ["sample", "zoo:theirs", "-o", "{w}/g.png"],
        shelf_plugin(card="{ nope"), env=site_env, says="is broken: card.json")
    add("sample an entry whose file does not match its card", ["sample", "zoo:theirs", "-o", "{w}/g.png"],
        shelf_plugin(card=json.dumps({"sha256": "0" * 64})), env=site_env, says="is damaged")
    for env_name, env in (("not allow-listed", {"GANZOO_ALLOW_PLUGINS": "someone-else"}),
                          ("with autoload off", {"GANZOO_DISABLE_PLUGIN_AUTOLOAD": "1"})):
        for argv in (["zoo", "show", "theirs"], ["sample", "zoo:theirs", "-o", "{w}/g.png"]):
            add(f"{argv[0]} a shelf entry of a distribution {env_name}", argv, shelf_plugin(marker=True),
                env={"site": with_site, **env}, says="unknown zoo entry 'theirs'")
    add("zoo with a shelf plugin that exits at import", ["zoo"], shelf_plugin(exits=True), env=site_env, expect=0)
    for name, code in (("exits at import", "import sys\nsys.exit(0)\n"), ("raises at import", "1 / 0\n"),
                       ("interrupts nothing but raises BaseException", "raise BaseException('boom')\n"),
                       ("is not a factory", "thing = 42\n"),
                       ("returns no model", "from ganzoo import Architecture\ndef g(spec, latent_dim=None):\n"
                                            "    return None\nthing = Architecture(g, g)\n"),
                       ("exits in its factory", "import sys\nfrom ganzoo import Architecture\n"
                                                "def g(spec, latent_dim=None):\n    sys.exit(3)\nthing = Architecture(g, g)\n")):
        add(f"train with a plugin that {name}", ["train", "bad", "--dataset", "mnist-5k", *new_run],
            plugin_site(code), env={"site": with_site}, says="is broken")
    add("train an architecture registered in ganzoo 0.1's groups", ["train", "bad", "--dataset", "mnist-5k", *new_run],
        plugin_site("thing = 1\n", groups=("ganzoo.generators", "ganzoo.discriminators")), env={"site": with_site},
        says="no longer reads")
    add("list --check with a plugin that exits at import", ["list", "--check"],
        plugin_site("import sys\nsys.exit(0)\n"), env={"site": with_site}, expect=1, says="broken plugin")
    add("train with a dataset plugin that raises ValueError", [*train, "bad", *new_run],
        plugin_site("def thing():\n    raise ValueError('needs a key')\n", groups=("ganzoo.datasets",)),
        env={"site": with_site}, says="needs a key")
    add("train with a dataset plugin that exits", [*train, "bad", *new_run],
        plugin_site("import sys\ndef thing():\n    sys.exit(0)\n", groups=("ganzoo.datasets",)),
        env={"site": with_site}, says="is broken")
    # faults: full disks, races, kills and Ctrl-C
    add("train onto a full disk", setup=tiny, needs_root=True, says="no space left",
        run=on_small_disk("4M", ["ganzoo", "train", "dcgan", "--dataset", "npz:{w}/tiny.npz", "--epochs", "2", *TINY,
                                 "--run-dir", "{d}/run"]))
    for name, output, fill in (("an .npy", "{d}/g.npy", 0), ("a folder", "{d}/pngs", 0), ("a grid", "{d}/g.png", 1)):
        add(f"sample {name} onto a full disk", setup=a_model, needs_root=True, says="",
            run=on_small_disk("256k", ["ganzoo", "sample", "{w}/model.onnx", "-n", "5000", "-o", output],
                              fill=256 * 1024 - 4096 if fill else 0))
    add("export onnx onto a full disk", setup=a_run, needs_root=True, says="",
        run=on_small_disk("1M", ["ganzoo", "export", "{w}/run", "--output", "{d}/g.onnx"]))
    add("export a SavedModel onto a full disk", setup=a_run, needs_root=True, says="",
        run=on_small_disk("1M", ["ganzoo", "export", "{w}/run", "--format", "savedmodel", "--output", "{d}/sm"]))
    add("two trainers into one run directory", setup=tiny, run=two_trainers, says="is in use by another ganzoo train",
        changes=True)
    train_long = ["train", "dcgan", "--dataset", "npz:{w}/tiny.npz", "--epochs", "400", *TINY, "--run-dir", "{w}/r"]

    def checkpoints(w):
        return list((w / "r" / "checkpoints").glob("ckpt-*.npz")) if (w / "r" / "checkpoints").is_dir() else []
    def again(w):  # what a user does after a kill: resume the run if it got as far as its config, else start it
        if (w / "r" / "config.json").exists():
            return ["train", "--resume", "--run-dir", "{w}/r", "--epochs", "2"]
        return [*train_long[:5], "2", *train_long[6:]]
    for when, condition in (("at start-up", 1.0), ("while building", lambda w: (w / "r").exists()),
                            ("after its config", lambda w: (w / "r" / "config.json").exists()),
                            ("after the first checkpoint", lambda w: bool(checkpoints(w)))):
        add(f"Ctrl-C in train {when}", setup=tiny, run=ctrl_c_after(train_long, condition), expect=130,
            changes=True)
        add(f"SIGKILL in train {when}, then train again", setup=tiny, changes=True, expect=0,
            run=kill_after(train_long, condition, again))
    add("Ctrl-C in train, then resume", setup=tiny, changes=True, expect=0,
        run=ctrl_c_after(train_long, lambda w: bool(checkpoints(w)),
                         then=["train", "--resume", "--run-dir", "{w}/r", "--epochs", "3"]))
    add("Ctrl-C in an ONNX export", setup=a_run, expect=130,
        run=ctrl_c_after(["export", "{w}/run", "--output", "{w}/g.onnx"], 4.0))
    add("Ctrl-C in a SavedModel export", setup=a_run, expect=130,
        run=ctrl_c_after(["export", "{w}/run", "--format", "savedmodel", "--output", "{w}/sm"],
                         lambda w: any(p.name.startswith(".sm.partial-") for p in w.iterdir())))
    add("Ctrl-C at once in a SavedModel export", setup=a_run, expect=130,
        run=ctrl_c_after(["export", "{w}/run", "--format", "savedmodel", "--output", "{w}/sm"], 0.5))
    add("Ctrl-C while sampling a folder", setup=a_model, expect=130,
        run=ctrl_c_after(["sample", "{w}/model.onnx", "-n", "200000", "-o", "{w}/pngs"],
                         lambda w: any(p.name.startswith(".pngs.partial-") for p in w.iterdir())))
    add("SIGKILL in a SavedModel export, then export again", setup=a_run, expect=0, changes=True,
        run=kill_after(["export", "{w}/run", "--format", "savedmodel", "--output", "{w}/sm"],
                       lambda w: any(p.name.startswith(".sm.partial-") for p in w.iterdir()),
                       ["export", "{w}/run", "--format", "savedmodel", "--output", "{w}/sm"]))
    for output in ("g.npy", "g.gif"):
        add(f"SIGKILL while streaming {output}, then sample again", setup=a_model, expect=0, changes=True,
            run=kill_after(["sample", "{w}/model.onnx", "-n", "200000" if output.endswith("npy") else "2000",
                            "--no-cache", "-o", "{w}/" + output],
                           lambda w: any(p.name.startswith(".g.") and p.stat().st_size for p in w.iterdir()),
                           ["sample", "{w}/model.onnx", "-n", "4", "-o", "{w}/" + output]))
    add("SIGKILL while sampling a folder, then sample again", setup=a_model, expect=0, changes=True,
        run=kill_after(["sample", "{w}/model.onnx", "-n", "100000", "-o", "{w}/pngs"],
                       lambda w: any(p.name.startswith(".pngs.partial-") for p in w.iterdir()),
                       ["sample", "{w}/model.onnx", "-n", "10", "-o", "{w}/pngs"]))
    # the zoo site and its server (issue 31)
    add("zoo site into a file", ["zoo", "site", "{w}/f.txt"], writes("f.txt", "mine"))
    add("zoo site into a folder of your own", ["zoo", "site", "{w}/mine"], writes("mine/thesis.tex", "years"),
        says="not empty")
    add("zoo site into a symlink to a folder", ["zoo", "site", "{w}/link"],
        both(writes("real/keep.txt", "x"), symlink("link", "real")), says="not a folder")
    add("zoo site on a full disk", setup=None, needs_root=True,
        run=on_small_disk("20m", ["ganzoo", "zoo", "site", "{d}/site"]))
    add("SIGKILL in zoo site over an earlier site, then zoo site again", expect=0, changes=True,
        setup=lambda w: subprocess.run([sys.executable, "-m", "ganzoo", "zoo", "site", str(w / "site")], env=ENV,
                                       capture_output=True),
        run=kill_after(["zoo", "site", "{w}/site"], lambda w: any(p.name.startswith(".site.") for p in w.iterdir()),
                       ["zoo", "site", "{w}/site"]))
    for options, says in ((["--port", "70000"], "70000"), (["--port", "x"], "x"),
                          (["--site", "{w}", "--host", "nosuchhost.invalid", "--port", "0"],
                           "cannot serve on nosuchhost.invalid"),
                          (["--site", "{w}/missing"], "missing"), (["--site", "{w}/f.txt"], "f.txt")):
        add(f"zoo serve {' '.join(options)}", ["zoo", "serve", *options], writes("f.txt", "x"), says=says)
    add("zoo serve on a port in use", setup=writes("index.html", "<p>hi</p>"), run=port_in_use, says="is in use")
    add("Ctrl-C in zoo serve", setup=writes("index.html", "<p>hi</p>"), expect=0,
        run=ctrl_c_after(["zoo", "serve", "--site", "{w}", "--port", "0"], 3.0))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="only the cases whose name matches this regular expression")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true")
    args = parser.parse_args()
    selected = [c for c in cases() if re.search(args.k, c.name, re.IGNORECASE)]
    if args.list:
        print("\n".join(c.name for c in selected))
        return 0
    print(f"{len(selected)} cases; building the shared run…", flush=True)
    started = time.perf_counter()
    failed = skipped = 0
    try:
        build_shared()
        with ThreadPoolExecutor(args.jobs) as pool:
            for case, (verdict, problems, last) in zip(selected, pool.map(run_case, selected)):
                failed += verdict == "FAILED"
                skipped += verdict == "skipped"
                print(f"{verdict:8}{case.name}" + (f"\n        {'; '.join(problems)}\n        last line: {last}"
                                                     if verdict == "FAILED" else ""), flush=True)
    finally:
        shutil.rmtree(SHARED, ignore_errors=True)
    print(f"{len(selected) - failed - skipped} passed, {failed} failed, {skipped} skipped "
          f"in {time.perf_counter() - started:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
