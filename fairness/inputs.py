"""Checks on a scores frame before auditing: every error names the column and the bad rows."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

#: Label for a missing value of a group column, so those rows stay visible in the audit.
MISSING_GROUP = "missing"


class AuditInputError(ValueError):
    """The scores (or contributions) frame cannot be audited; the message says why."""


def require_columns(frame: pl.DataFrame, columns: Sequence[str], *, what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AuditInputError(
            f"{what}: expected column(s) {', '.join(missing)}, not found; "
            f"available: {', '.join(frame.columns) or 'none'}"
        )


def score_values(frame: pl.DataFrame, column: str) -> np.ndarray:
    """The score column as float64; an error counts rows that are null, NaN or not numbers."""
    series = frame.get_column(column)
    if not (series.dtype.is_numeric() or series.dtype == pl.Boolean):
        converted = series.cast(pl.Float64, strict=False)
        bad = int((converted.is_null() & series.is_not_null()).sum()) + series.null_count()
        raise AuditInputError(
            f"{column}: expected a numeric score on every row, got {series.dtype} "
            f"with {bad} row(s) that are not numbers"
        )
    values = series.cast(pl.Float64).to_numpy()
    bad = int((~np.isfinite(values)).sum())
    if bad:
        raise AuditInputError(
            f"{column}: expected a finite score on every row, "
            f"{bad} row(s) are missing, NaN or infinite"
        )
    return np.asarray(values, dtype=np.float64)


def label_values(frame: pl.DataFrame, column: str) -> np.ndarray:
    """The label column as bool; an error counts rows that are not 0/1 (or true/false)."""
    series = frame.get_column(column)
    if series.dtype == pl.Boolean:
        ok = series.is_not_null()
        values = series.fill_null(False)
    elif series.dtype.is_numeric():
        as_float = series.cast(pl.Float64)
        ok = as_float.is_in([0.0, 1.0]).fill_null(False)
        values = (as_float == 1.0).fill_null(False)
    else:
        text = series.cast(pl.String).str.strip_chars().str.to_lowercase()
        ok = text.is_in(["0", "1", "true", "false"]).fill_null(False)
        values = text.is_in(["1", "true"]).fill_null(False)
    bad = int((~ok).sum())
    if bad:
        raise AuditInputError(
            f"{column}: expected a binary label (0/1 or true/false) on every row, "
            f"{bad} row(s) are missing or other values"
        )
    return np.asarray(values.to_numpy(), dtype=bool)


def group_labels(frame: pl.DataFrame, columns: Sequence[str]) -> pl.Series:
    """Group label of each row: the value as text ("missing" when null), joined by " & "."""
    parts = [pl.col(c).cast(pl.String).fill_null(MISSING_GROUP) for c in columns]
    expr = parts[0] if len(parts) == 1 else pl.concat_str(parts, separator=" & ")
    return frame.select(expr.alias("group")).get_column("group")


def encode(labels: pl.Series) -> tuple[list[str], np.ndarray]:
    """Sorted distinct labels and each row's index into them."""
    names = labels.unique().sort().to_list()
    codes = labels.rank(method="dense").cast(pl.Int64).to_numpy() - 1
    return [str(n) for n in names], np.asarray(codes, dtype=np.int64)


def contribution_values(contributions: pl.DataFrame, n_rows: int) -> tuple[list[str], np.ndarray]:
    """Source names and a float ``(rows, sources)`` array of mean absolute contributions."""
    if contributions.height != n_rows:
        raise AuditInputError(
            f"contributions: expected {n_rows} rows aligned with the scores, "
            f"got {contributions.height}"
        )
    if contributions.width == 0:
        raise AuditInputError("contributions: expected one column per data source, got none")
    columns: list[np.ndarray] = []
    for name in contributions.columns:
        series = contributions.get_column(name)
        if not series.dtype.is_numeric():
            raise AuditInputError(f"{name}: expected numeric contributions, got {series.dtype}")
        values = series.cast(pl.Float64).to_numpy()
        bad = int((~np.isfinite(values) | (values < 0)).sum())
        if bad:
            raise AuditInputError(
                f"{name}: expected a mean absolute contribution (finite, >= 0) on every row, "
                f"{bad} row(s) are not"
            )
        columns.append(values)
    return list(contributions.columns), np.column_stack(columns)
