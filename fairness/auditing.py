"""`audit`: one function from a scores frame to an `AuditReport`."""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from fairness import calibration as cal
from fairness.bootstrap import percentile_interval, resample_counts
from fairness.disparity import DEFAULT_BAND, attribute_disparities, largest_group
from fairness.explanations import attribute_explanations
from fairness.flagging import FlagRule
from fairness.flagging import flag as flag_rows
from fairness.inputs import (
    AuditInputError,
    contribution_values,
    encode,
    group_labels,
    label_values,
    require_columns,
    score_values,
)
from fairness.metrics import CELLS, METRICS, confusion_counts, group_metrics
from fairness.report import (
    AuditReport,
    AuditSettings,
    CalibrationBin,
    CalibrationGap,
    Disparity,
    GroupCalibration,
    GroupExplanation,
    GroupMetrics,
)

REFERENCE_CHOICES = ("largest", "best")


def intersection_name(columns: Sequence[str]) -> str:
    """Attribute name of an intersection, e.g. ``ethnicity x urban``."""
    return " x ".join(columns)


def audit(
    scores: pl.DataFrame,
    *,
    score_col: str,
    label_col: str,
    group_cols: Sequence[str],
    flag: FlagRule,
    within: str | None = None,
    reference: Mapping[str, str] | str = "largest",
    intersections: Sequence[tuple[str, str]] = (),
    min_group_size: int = 30,
    n_boot: int = 1000,
    seed: int = 0,
    contributions: pl.DataFrame | None = None,
    level: float = 0.95,
    n_bins: int = 10,
    band: tuple[float, float] = DEFAULT_BAND,
) -> AuditReport:
    """Audit whom a risk list over- or under-serves, per group of each sensitive attribute.

    ``scores`` has one row per family with a score, a binary label and the group columns.
    ``flag`` decides the list (`Threshold`, `TopK`, `TopPct`), optionally per value of
    ``within``. ``reference`` is "largest" (largest group of each attribute), "best" (best-off
    group on each metric) or a mapping attribute -> reference group (attributes it omits use
    the largest group). Groups under ``min_group_size`` rows are suppressed; intervals are
    seeded stratified bootstrap percentiles at ``level`` over ``n_boot`` resamples (0 = none).
    ``contributions``, aligned with ``scores`` rows, holds mean |SHAP| per data source.
    Raises `AuditInputError` naming the column and the number of bad rows.
    """
    attributes = _attribute_columns(group_cols, intersections)
    if min_group_size < 1:
        raise AuditInputError(f"min_group_size: expected >= 1, got {min_group_size}")
    if n_boot < 0:
        raise AuditInputError(f"n_boot: expected >= 0, got {n_boot}")
    if not band[0] < 1.0 < band[1]:
        raise AuditInputError(f"band: expected low < 1 < high, got {band}")
    needed = [score_col, label_col, *dict.fromkeys(c for cols in attributes.values() for c in cols)]
    require_columns(scores, [*needed, *([within] if within else [])], what="scores")
    if scores.height == 0:
        raise AuditInputError("scores: expected at least one row, got none")
    references = _references(reference, attributes)

    score = score_values(scores, score_col)
    label = label_values(scores, label_col)
    flagged = flag_rows(scores, score_col=score_col, rule=flag, within=within)
    sources, contrib = (
        contribution_values(contributions, scores.height)
        if contributions is not None
        else ([], np.empty((0, 0)))
    )
    probability = cal.is_probability(score)
    edges = cal.bin_edges(score, n_bins) if probability else np.empty(0)

    groups: list[GroupMetrics] = []
    disparities: list[Disparity] = []
    calibration: list[GroupCalibration] = []
    gaps: list[CalibrationGap] = []
    explanations: list[GroupExplanation] = []
    resolved: dict[str, str] = {}
    for attribute, columns in attributes.items():
        names, codes = encode(group_labels(scores, columns))
        g_count = len(names)
        counts = confusion_counts(flagged, label, codes, g_count)
        n = counts.sum(axis=1)
        suppressed = n < min_group_size
        point = group_metrics(counts)
        # One generator per attribute name: adding an attribute leaves the others' intervals alone.
        rng = np.random.default_rng([seed, zlib.crc32(attribute.encode())])
        boot = group_metrics(resample_counts(counts, n_boot=n_boot, rng=rng)) if n_boot else None
        intervals = {
            m: percentile_interval(boot[m], level=level) if boot else _nan_pair(g_count)
            for m in METRICS
        }
        groups.extend(_group_entries(attribute, names, counts, suppressed, point, intervals))

        ref_index, resolved[attribute] = _reference_index(
            attribute, names, n, suppressed, references[attribute]
        )
        disparities.extend(
            attribute_disparities(
                attribute,
                names,
                n=n,
                suppressed=suppressed,
                point=point,
                boot=boot,
                reference=ref_index,
                counts=counts,
                band=band,
                level=level,
            )
        )
        if probability:
            c_entries, c_gaps = _calibration(
                attribute,
                names,
                score=score,
                label=label,
                codes=codes,
                edges=edges,
                suppressed=suppressed,
                reference=ref_index,
                n_boot=n_boot,
                rng=rng,
                level=level,
            )
            calibration.extend(c_entries)
            gaps.extend(c_gaps)
        if sources:
            explanations.extend(
                attribute_explanations(
                    attribute,
                    names,
                    sources=sources,
                    values=contrib,
                    codes=codes,
                    flagged=flagged,
                    min_group_size=min_group_size,
                )
            )

    settings = AuditSettings(
        score_col=score_col,
        label_col=label_col,
        attributes=tuple(attributes),
        rule=flag.describe() + (f" within each {within}" if within else ""),
        within=within,
        references=resolved,
        min_group_size=min_group_size,
        n_boot=n_boot,
        seed=seed,
        level=level,
        band=band,
        n_rows=scores.height,
        n_flagged=int(flagged.sum()),
        n_labelled=int(label.sum()),
        calibration_note=None
        if probability
        else f"{score_col}: scores outside [0, 1] are not probabilities; calibration skipped",
    )
    return AuditReport(
        settings=settings,
        groups=tuple(groups),
        disparities=tuple(disparities),
        calibration=tuple(calibration),
        calibration_gaps=tuple(gaps),
        explanations=tuple(explanations),
    )


def _attribute_columns(
    group_cols: Sequence[str], intersections: Sequence[Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    if isinstance(group_cols, str):
        raise AuditInputError(
            f"group_cols: expected a list of column names, got the string {group_cols!r}"
        )
    if not group_cols:
        raise AuditInputError("group_cols: expected at least one group column, got none")
    out: dict[str, tuple[str, ...]] = {}
    for column in group_cols:
        if column in out:
            raise AuditInputError(f"group_cols: column {column!r} is listed twice")
        out[column] = (column,)
    for combo in intersections:
        cols = tuple(combo)
        if len(cols) < 2 or len(set(cols)) != len(cols):
            raise AuditInputError(
                f"intersections: expected two or more distinct columns, got {cols!r}"
            )
        out[intersection_name(cols)] = cols
    return out


def _references(
    reference: Mapping[str, str] | str, attributes: Mapping[str, object]
) -> dict[str, tuple[str, str]]:
    """Attribute -> ("largest" | "best" | "group", group name)."""
    if isinstance(reference, str):
        if reference not in REFERENCE_CHOICES:
            raise AuditInputError(
                "reference: expected 'largest', 'best' or a mapping attribute -> group, "
                f"got {reference!r}"
            )
        return {a: (reference, "") for a in attributes}
    unknown = [a for a in reference if a not in attributes]
    if unknown:
        raise AuditInputError(
            f"reference: attribute(s) {', '.join(unknown)} are not audited; "
            f"audited: {', '.join(attributes)}"
        )
    return {a: ("group", reference[a]) if a in reference else ("largest", "") for a in attributes}


def _reference_index(
    attribute: str,
    names: list[str],
    n: np.ndarray,
    suppressed: np.ndarray,
    choice: tuple[str, str],
) -> tuple[int | None, str]:
    kind, wanted = choice
    if kind == "best":
        return None, "best-off group per metric"
    if kind == "largest":
        index = largest_group(n, suppressed)
        return index, ("none (every group suppressed)" if index is None else names[index])
    if wanted not in names:
        raise AuditInputError(
            f"reference: group {wanted!r} of attribute {attribute!r} not found; "
            f"groups: {', '.join(names)}"
        )
    index = names.index(wanted)
    if suppressed[index]:
        raise AuditInputError(
            f"reference: group {wanted!r} of attribute {attribute!r} is suppressed "
            "(fewer rows than min_group_size) and cannot be a reference"
        )
    return index, wanted


def _binomial_variance(score: np.ndarray, codes: np.ndarray, g_count: int) -> np.ndarray:
    n = np.bincount(codes, minlength=g_count).astype(np.float64)
    spread = np.bincount(codes, weights=score * (1.0 - score), minlength=g_count)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(spread / n**2, dtype=np.float64)


def _gap_p_values(diff: np.ndarray, var: np.ndarray) -> np.ndarray:
    se = np.sqrt(var)
    with np.errstate(invalid="ignore", divide="ignore"):
        z = np.where(se > 0, np.abs(diff) / se, np.where(diff == 0, 0.0, np.inf))
    return np.asarray(
        [math.erfc(x / math.sqrt(2.0)) if np.isfinite(x) or x == np.inf else math.nan for x in z]
    )


def _nan_pair(size: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full(size, np.nan), np.full(size, np.nan)


def _group_entries(
    attribute: str,
    names: list[str],
    counts: np.ndarray,
    suppressed: np.ndarray,
    point: Mapping[str, np.ndarray],
    intervals: Mapping[str, tuple[np.ndarray, np.ndarray]],
) -> list[GroupMetrics]:
    out: list[GroupMetrics] = []
    for g, name in enumerate(names):
        if suppressed[g]:
            # Suppressed means no figure at all, counts included: small cells identify families.
            out.append(GroupMetrics(attribute, name, True, None, None, None, None, None))
            continue
        cells = dict(zip(CELLS, (int(x) for x in counts[g]), strict=True))
        out.append(
            GroupMetrics(
                attribute=attribute,
                group=name,
                suppressed=False,
                n=int(counts[g].sum()),
                tp=cells["tp"],
                fp=cells["fp"],
                tn=cells["tn"],
                fn=cells["fn"],
                metrics={m: float(point[m][g]) for m in METRICS},
                ci={m: (float(intervals[m][0][g]), float(intervals[m][1][g])) for m in METRICS},
            )
        )
    return out


def _calibration(
    attribute: str,
    names: list[str],
    *,
    score: np.ndarray,
    label: np.ndarray,
    codes: np.ndarray,
    edges: np.ndarray,
    suppressed: np.ndarray,
    reference: int | None,
    n_boot: int,
    rng: np.random.Generator,
    level: float,
) -> tuple[list[GroupCalibration], list[CalibrationGap]]:
    g_count = len(names)
    counts, sums = cal.calibration_cells(score, label, codes, g_count, edges)
    stats = cal.calibration_stats(counts, sums)
    if n_boot:
        flat = counts.reshape(g_count, -1)
        boot_counts = resample_counts(flat, n_boot=n_boot, rng=rng).reshape(n_boot, *counts.shape)
        boot = cal.calibration_stats(boot_counts, cal.resampled_sums(boot_counts, counts, sums))
        ece_ci = percentile_interval(boot["ece"], level=level)
        err_ci = percentile_interval(boot["error"], level=level)
    else:
        boot = None
        ece_ci = err_ci = _nan_pair(g_count)

    entries: list[GroupCalibration] = []
    for g, name in enumerate(names):
        if suppressed[g]:
            entries.append(
                GroupCalibration(attribute, name, True, None, None, None, None, None, None, None)
            )
            continue
        bins = tuple(
            CalibrationBin(
                low=float(edges[b]),
                high=float(edges[b + 1]),
                n=int(stats["bin_n"][g, b]),
                mean_score=float(stats["bin_mean_score"][g, b]),
                observed_rate=float(stats["bin_observed_rate"][g, b]),
            )
            for b in range(edges.size - 1)
        )
        entries.append(
            GroupCalibration(
                attribute=attribute,
                group=name,
                suppressed=False,
                n=int(stats["bin_n"][g].sum()),
                ece=float(stats["ece"][g]),
                ece_ci=(float(ece_ci[0][g]), float(ece_ci[1][g])),
                error=float(stats["error"][g]),
                error_ci=(float(err_ci[0][g]), float(err_ci[1][g])),
                mean_score=float(stats["mean_score"][g]),
                observed_rate=float(stats["observed_rate"][g]),
                bins=bins,
            )
        )

    # With reference="best" the reference is the best calibrated group (smallest |error|).
    error = stats["error"]
    ref = reference
    if ref is None:
        usable = ~suppressed & np.isfinite(error)
        ref = int(np.argmin(np.where(usable, np.abs(error), np.inf))) if usable.any() else None
    gaps: list[CalibrationGap] = []
    if ref is None:
        return entries, gaps
    if boot is not None:
        boot_diff = boot["error"] - boot["error"][:, ref : ref + 1]
        diff_low, diff_high = percentile_interval(boot_diff, level=level)
        # Model-based variance (Spiegelhalter): under "the scores are the true probabilities"
        # the observed rate has variance sum s(1-s) / n^2. Unlike the bootstrap it does not
        # collapse when a group has no labelled row at all.
        var = _binomial_variance(score, codes, g_count)
        p_values = _gap_p_values(error - error[ref], var + var[ref])
    else:
        diff_low, diff_high = _nan_pair(g_count)
        p_values = np.full(g_count, np.nan)
    for g, name in enumerate(names):
        if g == ref or suppressed[g]:
            continue
        ci = (float(diff_low[g]), float(diff_high[g]))
        gaps.append(
            CalibrationGap(
                attribute=attribute,
                group=name,
                reference=names[ref],
                difference=float(error[g] - error[ref]),
                ci=ci,
                significant=bool(p_values[g] < 1.0 - level) if np.isfinite(p_values[g]) else None,
                p_value=float(p_values[g]),
            )
        )
    return entries, gaps
