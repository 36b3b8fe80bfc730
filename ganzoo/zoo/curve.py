"""Quality against training time: the FID that `--eval-every` recorded during training, against the minutes of
training before it, as a shelf card keeps it (``curve``: [{"minutes": M, "fid": F}, ...]) and as a small SVG
(the zoo site's pages, docs/zoo.md)."""

from __future__ import annotations

import csv
from pathlib import Path


def training_curve(metrics_csv: Path) -> list[dict]:
    """FID after each evaluated epoch of a run's metrics.csv, against the minutes of training up to it (the sum of
    ``epoch_seconds``: training alone, not the evaluations, which a run without --eval-every does not pay)."""
    points, seconds = [], 0.0
    with open(metrics_csv, newline="") as file:
        for row in csv.DictReader(file):
            seconds += float(row["epoch_seconds"])
            if row.get("fid"):
                points.append({"minutes": round(seconds / 60, 2), "fid": round(float(row["fid"]), 2)})
    return points


def _usable(points) -> list[tuple[float, float]]:
    """The (minutes, FID) pairs of a card's curve that are numbers; a third party's card may hold anything."""
    if not isinstance(points, list):
        return []
    pairs = [(p.get("minutes"), p.get("fid")) for p in points if isinstance(p, dict)]
    return [(m, f) for m, f in pairs
            if all(isinstance(v, (int, float)) and not isinstance(v, bool) and v == v for v in (m, f))]


def curve_svg(points, width: int = 240, height: int = 120, standalone: bool = False) -> str:
    """The curve as SVG (FID down the side, minutes along the bottom): inline in HTML, or ``standalone`` as an .svg
    file; "" with fewer than 2 points."""
    pairs = _usable(points)
    if len(pairs) < 2:
        return ""
    pad = 24
    (m0, m1), (f0, f1) = [(min(v), max(v)) for v in zip(*pairs)]
    x = lambda m: pad + (m - m0) / ((m1 - m0) or 1) * (width - 2 * pad)  # noqa: E731
    y = lambda f: height - pad - (f - f0) / ((f1 - f0) or 1) * (height - 2 * pad)  # noqa: E731
    line = " ".join(f"{x(m):.1f},{y(f):.1f}" for m, f in pairs)
    namespace = ' xmlns="http://www.w3.org/2000/svg"' if standalone else ""
    return (f'<svg{namespace} class="curve" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="FID against minutes of training" font-family="sans-serif" font-size="10">'
            f'<polyline points="{line}" fill="none" stroke="#2a6" stroke-width="2"/>'
            f'<text x="{pad}" y="{height - 6}">{m0:.0f} min</text>'
            f'<text x="{width - pad}" y="{height - 6}" text-anchor="end">{m1:.0f} min</text>'
            f'<text x="2" y="{pad - 8}">FID {f1:.1f}</text><text x="2" y="{height - pad + 4}">{f0:.1f}</text></svg>')
