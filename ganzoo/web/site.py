"""``ganzoo zoo site OUT/``: the shelf as a static web site whose pages run each generator in the browser.

OUT/index.html lists every usable shelf entry (discovery and the allow-list decide, as for ``ganzoo zoo``), best
FID first, with its card's figures, its grid, its training curve where the card has one, and its licences.
OUT/entries/NAME/ holds the entry's page, its verified generator.onnx (to download), grid and card, and
browser.onnx, which the page runs: the sampler's CPU form of the file (ganzoo_runtime.cpu: float32 and Winograd,
verified against the file), since onnxruntime-web runs the same CPU kernels, compiled to WebAssembly, and runs
that form about 4x as fast as the file itself. OUT/try.html samples a file the visitor drops, as it is. The
pages' code is ganzoo/web/assets/; onnxruntime-web comes from the ganzoo-web distribution (OUT/ort/). Nothing
is fetched from elsewhere: the site works offline, from any static host.

The site is written in a hidden folder next to OUT and moved into place, so a failed build leaves OUT as it was
(an earlier site included); a folder that is neither empty nor an earlier site is refused rather than replaced.
"""

from __future__ import annotations

import html
import importlib.metadata
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ganzoo.errors import UserError
from ganzoo.metrics.measures import classes_covered
from ganzoo.zoo.curve import curve_svg
from ganzoo.zoo.page import spread
from ganzoo.zoo.shelf import ENTRY_NAME, BrokenEntry, ShelfEntry, by_fid, scan_shelf, verified_model
from ganzoo_runtime.atomic import process_alive, staging_folder

ASSETS = Path(__file__).resolve().parent / "assets"
MARKER = ".ganzoo-site"  # names a folder this command wrote, which it may replace
# The policy the pages declare (and `ganzoo zoo serve` sends): only the site's own files; WebAssembly may be
# compiled ('wasm-unsafe-eval'), nothing else evaluated.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self' blob:; "
                           "connect-src 'self' blob: data:; img-src 'self' blob: data:; style-src 'self'; "
                           "object-src 'none'; base-uri 'none'; form-action 'none'")


@dataclass(frozen=True)
class SiteReport:
    folder: Path
    entries: list[str]
    broken: list[BrokenEntry]


def build_site(out: str | os.PathLike, progress: Callable[[str], None] = lambda line: None) -> SiteReport:
    """Write the site to ``out``; UserError for a folder it must not replace or a missing ganzoo-web. ``progress``
    hears one line once those checks pass (making and checking each entry's browser form takes seconds)."""
    out = Path(out)
    _restore_abandoned(out)
    _check_replaceable(out)
    runtime = _onnxruntime_web()
    entries, broken = scan_shelf()
    progress(f"building the zoo site: {len(entries)} shelf entries, each with its browser form, checked …")
    earlier = None
    if out.is_dir() and (out / MARKER).is_file():  # an earlier site: moved aside, removed once the new one is in
        earlier = out.with_name(f".{out.name}.earlier-{os.getpid()}")
        out.rename(earlier)
    try:
        with staging_folder(out) as staging:
            shipped = _write_site(staging, by_fid(entries), broken, runtime)
    except BaseException:
        if earlier:
            earlier.rename(out)
        raise
    if earlier:
        shutil.rmtree(earlier)
    return SiteReport(out, [entry.name for entry in shipped], broken)


def _restore_abandoned(out: Path) -> None:
    """An earlier site that a killed build had moved aside goes back in place (or away, if a site is there)."""
    prefix = f".{out.name}.earlier-"
    for aside in out.parent.iterdir() if out.parent.is_dir() else []:
        pid = aside.name[len(prefix):]
        abandoned = pid.isdigit() and not process_alive(int(pid))
        if aside.name.startswith(prefix) and abandoned and (aside / MARKER).is_file():
            if out.exists() or out.is_symlink():
                shutil.rmtree(aside)
            else:
                aside.rename(out)


def _check_replaceable(out: Path) -> None:
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise UserError(f"{out} exists and is not a folder; name a new or empty folder for the site")
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).is_file():
        raise UserError(f"{out} is not empty and was not written by `ganzoo zoo site`; name a new or empty folder")


def _onnxruntime_web() -> list[Path]:
    try:
        import ganzoo_web
    except ImportError:
        raise UserError("the zoo site needs onnxruntime-web, which ships in ganzoo-web: pip install ./web "
                        "(from a clone of ganzoo)") from None
    try:
        return ganzoo_web.runtime_files()
    except (OSError, ValueError, KeyError) as error:
        raise UserError(f"ganzoo-web is damaged: {error}") from None


def _write_site(site: Path, entries: list[ShelfEntry], broken: list[BrokenEntry], runtime: list[Path]
                ) -> list[ShelfEntry]:
    for asset in sorted(ASSETS.iterdir()):
        if asset.suffix in (".js", ".css"):
            shutil.copyfile(asset, site / asset.name)
    (site / "ort").mkdir()
    for file in runtime:
        shutil.copyfile(file, site / "ort" / file.name)
    shipped = []
    for entry in entries:
        try:
            if not ENTRY_NAME.match(entry.name):
                raise UserError(f"its name {entry.name!r} cannot be a web address")
            model = verified_model(entry.name)
        except UserError as error:
            broken.append(BrokenEntry(entry.name, entry.provider, str(error)))
            continue
        folder = site / "entries" / entry.name
        folder.mkdir(parents=True)
        shutil.copyfile(model, folder / "generator.onnx")
        form = _browser_form(model)
        (folder / "browser.onnx").write_bytes(form.model)
        grid = _grid(entry)
        if grid:
            shutil.copyfile(entry.folder / grid, folder / "grid.png")
        (folder / "card.json").write_text(json.dumps(entry.card, indent=2) + "\n")
        (folder / "index.html").write_text(_entry_page(entry, form.description))
        shipped.append(entry)
    (site / "index.html").write_text(_index_page(shipped, broken))
    (site / "try.html").write_text(_page("Try your own generator", "", _try_body()))
    (site / MARKER).write_text("written by `ganzoo zoo site`; the command replaces this folder when rerun\n")
    return shipped


def _browser_form(model: Path):
    """The CPU form of the file, with the Winograd graph for every batch (the pages draw 16 images at a time)."""
    import onnx

    from ganzoo_runtime.cpu.form import cpu_form
    from ganzoo_runtime.metadata import GeneratorInfo
    data = model.read_bytes()
    info = GeneratorInfo.from_props({p.key: p.value for p in onnx.load_from_string(data).metadata_props})
    return cpu_form(data, info, dispatch=False)


def _grid(entry: ShelfEntry) -> str | None:
    """The card's grid picture, when it is a PNG inside the entry's folder."""
    name = entry.card.get("grid")
    if isinstance(name, str) and ENTRY_NAME.match(name.lower()) and name.lower().endswith(".png"):
        return name if (entry.folder / name).is_file() else None
    return None


def _numbers(values: list) -> list:
    return [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]


def _figures(entry: ShelfEntry) -> list[tuple[str, str]]:
    """(label, value) pairs from the card, each metric as median (range) over the card's seeds."""
    card, e = entry.card, html.escape
    training = card.get("training") if isinstance(card.get("training"), dict) else {}
    coverage = [c for c in entry.over_seeds("coverage") if isinstance(c, list) and _numbers(c) == c]
    figures = [("FID ↓", spread(_numbers(entry.over_seeds("fid")), 1)),
               ("seeds", str(len(_numbers(entry.over_seeds("fid"))))),
               ("precision", spread(_numbers(entry.over_seeds("precision")), 2)),
               ("recall", spread(_numbers(entry.over_seeds("recall")), 2))]
    if coverage:
        figures.append(("classes ≥ 5 %", spread([classes_covered(c) for c in coverage], 0)))
    minutes = training.get("wall_time_s")
    if _numbers([minutes]):
        figures.append(("training", f"{minutes / 60:.1f} min on {e(str(training.get('hardware', '?')))}"))
    return [(label, e(value)) for label, value in figures]


def _licences(entry: ShelfEntry) -> str:
    """The data's licence (from the card) and the weights' (the licence of the distribution that ships them)."""
    data = entry.card.get("data")
    try:
        meta = importlib.metadata.metadata(entry.provider)
        weights = meta.get("License-Expression") or meta.get("License") or "not stated"
    except importlib.metadata.PackageNotFoundError:
        weights = "not stated"
    return (f"<p class=licence>Data: {html.escape(str(data)) if data else 'not stated'}. "
            f"Weights: {html.escape(weights)} ({html.escape(entry.provider)}).</p>")


def _curve(entry: ShelfEntry) -> str:
    """The card's FID against minutes of training, where it has one (ganzoo.zoo.curve)."""
    return curve_svg(entry.card.get("curve"))


def _figure_list(entry: ShelfEntry) -> str:
    return "<dl>" + "".join(f"<dt>{label}</dt><dd>{value}</dd>" for label, value in _figures(entry)) + "</dl>"


def _index_page(entries: list[ShelfEntry], broken: list[BrokenEntry]) -> str:
    cards = []
    for entry in entries:
        e, name = html.escape, html.escape(entry.name)
        grid = f'<img src="entries/{name}/grid.png" alt="samples of {name}">' if _grid(entry) else ""
        cards.append(f'<article class=entry><h2><a href="entries/{name}/">{name}</a></h2>'
                     f'<p>{e(str(entry.card.get("description", "")))}</p>{grid}{_figure_list(entry)}'
                     f'{_curve(entry)}{_licences(entry)}</article>')
    unusable = "".join(f"<li>{html.escape(b.name)} ({html.escape(b.provider)}): {html.escape(b.reason)}</li>"
                       for b in broken)
    body = ("<p>Every generator on this machine's shelf, best FID first (median and range over the seeds on "
            "its card). Open one to draw from it live, in this browser: nothing is sent anywhere. "
            '<a href="try.html">Try your own file</a> from <code>ganzoo export</code>.</p>'
            + "".join(cards) + (f"<h2>Not shown</h2><ul>{unusable}</ul>" if unusable else ""))
    return _page("The ganzoo zoo", "", body)


def _entry_page(entry: ShelfEntry, form: str) -> str:
    about = html.escape(str(entry.card.get("description", "")))
    body = (f'<p id=about>{about}</p>{_figure_list(entry)}'
            + _sampler(model="browser.onnx", form=form) + _curve(entry) + _licences(entry)
            + '<p><a href="card.json">Model card</a> · <a href="generator.onnx" download>generator.onnx</a></p>')
    return _page(entry.name, "../../", body)


def _try_body() -> str:
    return ("<p id=about>Sample a generator of your own: any file that <code>ganzoo export</code> wrote, of any "
            "architecture, size or channels. The file is read by this page only; nothing is uploaded.</p>"
            + _sampler(model=None))


def _sampler(model: str | None, form: str | None = None) -> str:
    """The controls, canvas and drop zone that page.js drives; ``form``: what was done to the file to make
    ``model``, which the page reports."""
    waiting = "Loading the generator…" if model else "Drop a generator to start."
    entry = json.dumps({"model": model, "form": form}).replace("<", "\\u003c")
    return (f'<script type="application/json" id=entry>{entry}</script>'
            '<p id=error class=error role=alert hidden></p><p id=note class=note hidden></p>'
            '<fieldset id=controls disabled><legend>Sample</legend>'
            '<label>seed <input id=seed type=number min=0 max=4294967295 value=0></label> '
            '<button id=new-batch type=button>New batch</button> '
            '<label id=label-control hidden>digit <select id=label></select></label> '
            '<label id=psi-control hidden>ψ <input id=psi type=range min=0 max=1 step=0.05 value=1> '
            '<output id=psi-value>1.00</output></label> '
            '<label>to seed <input id=seed-b type=number min=0 max=4294967295 value=1></label> '
            '<button id=interpolate type=button>Interpolate</button></fieldset>'
            '<canvas id=images width=0 height=0></canvas>'
            f'<p class=status><span id=backend>{waiting}</span> <span id=speed></span></p>'
            '<p class=note>Seeds are this page\'s own: <code>ganzoo-sample --seed N</code> draws other latent '
            'vectors for the same N.</p>'
            '<div id=drop class=drop>Drop an <code>.onnx</code> file made by <code>ganzoo export</code> here, or '
            '<label>choose one <input id=file type=file accept=".onnx"></label>. It stays in this browser.</div>')


def _page(title: str, root: str, body: str) -> str:
    script = f'<script type=module src="{root}page.js"></script>' if "id=entry" in body else ""
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">'
            f"<title>{html.escape(title)} · ganzoo zoo</title><link rel=icon href=\"data:,\">"
            f'<link rel=stylesheet href="{root}style.css">{script}</head>'
            f'<body><nav><a href="{root}index.html">ganzoo zoo</a> · <a href="{root}try.html">your own file</a></nav>'
            f"<main><h1 id=title>{html.escape(title)}</h1>{body}</main></body></html>\n")
