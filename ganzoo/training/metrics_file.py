"""metrics.csv: one row per completed epoch, rewritten whole and renamed into place at each write, so a
crash or a full disk leaves the previous version, never half a row."""

from __future__ import annotations

import csv
from pathlib import Path

from ganzoo_runtime.atomic import atomic_path

from ganzoo.errors import UserError

QUALITY_COLUMNS = ("fid", "kid", "kid_std", "classifier_score", "precision", "recall")
METRICS_COLUMNS = ("epoch", "step", "d_loss", "g_loss", "images_per_s", "epoch_seconds", *QUALITY_COLUMNS,
                   "ada_p",  # adaptive augmentation's probability at the epoch's end (empty when off)
                   "ramp")  # the factor of the models' first ganzoo.layers.Ramp at the epoch's end (empty: none)


def read_metrics(path: Path) -> list[list[str]]:
    """The data rows ([] when there is no file); a file that is not ganzoo's is a one-line error."""
    if not path.exists():
        return []
    try:
        with path.open(newline="") as f:
            header, *rows = list(csv.reader(f)) or [[]]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UserError(f"cannot read {path}: {error}") from None
    # Older runs may have fewer (leading) columns.
    if len(header) < 2 or tuple(header) != METRICS_COLUMNS[:len(header)]:
        raise UserError(f"{path} is not ganzoo's (its columns are {','.join(header) or 'none'}): move it away to "
                        "continue the run")
    rows = [row for row in rows if row]
    if not all(row[0].isdigit() for row in rows):
        raise UserError(f"{path} has a row whose epoch is not a number: move it away to continue the run")
    return rows


def append_row(path: Path, row: list[str]) -> None:
    _write(path, read_metrics(path) + [row])


def truncate_metrics(path: Path, completed_epochs: int) -> None:
    """Drop rows of epochs after ``completed_epochs`` (written before a kill, redone on resume)."""
    rows = read_metrics(path)
    kept = [row for row in rows if int(row[0]) <= completed_epochs]
    if len(kept) != len(rows):
        _write(path, kept)


def _write(path: Path, rows: list[list[str]]) -> None:
    with atomic_path(path) as tmp, tmp.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(METRICS_COLUMNS)
        writer.writerows(rows)
