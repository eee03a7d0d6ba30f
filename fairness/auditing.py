"""`audit`: one function from a scores frame to an `AuditReport`."""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from fairness import calibration as cal
from fairness.attributes import attribute_columns, reference_index, resolve_references
from fairness.bootstrap import nan_pair, percentile_interval, resample_counts
from fairness.disparity import DEFAULT_BAND, attribute_disparities
from fairness.explanations import attribute_explanations
from fairness.flagging import FlagRule
from fairness.flagging import flag as flag_rows
from fairness.group_calibration import (
    attribute_calibration,
    calibrated_reference,
    with_calibrated_ratios,
)
from fairness.inputs import (
    AuditInputError,
    contribution_values,
    encode,
    group_labels,
    label_values,
    require_columns,
    score_values,
)
from fairness.intervals import wilson, z_of
from fairness.metrics import CELLS, METRICS, PROPORTIONS, confusion_counts, group_metrics
from fairness.report import (
    AuditReport,
    AuditSettings,
    CalibrationGap,
    Disparity,
    GroupCalibration,
    GroupExplanation,
    GroupMetrics,
)


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
    the largest group). Groups under ``min_group_size`` rows are suppressed, and a rate is
    compared between groups only when its own denominator (labelled families for FNR, families
    left off the list for FOR, ...) reaches ``min_group_size`` in both. Rates get Wilson
    intervals, their ratios MOVER-R intervals with p-values from the same interval
    (`fairness.intervals`); the share of the list and calibration get seeded stratified
    bootstrap percentiles at ``level`` over ``n_boot`` resamples (0 = none).
    ``contributions``, aligned with ``scores`` rows, holds mean |SHAP| per data source.
    Raises `AuditInputError` naming the column and the number of bad rows.
    """
    attributes = attribute_columns(group_cols, intersections)
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
    references = resolve_references(reference, attributes)

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
            m: percentile_interval(boot[m], level=level) if boot else nan_pair(g_count)
            for m in METRICS
            if m not in PROPORTIONS
        }
        # rates within a group: Wilson intervals from the counts, honest at 5 of 5
        for m, (num_cells, den_cells) in PROPORTIONS.items():
            intervals[m] = wilson(
                counts[:, list(num_cells)].sum(axis=1),
                counts[:, list(den_cells)].sum(axis=1),
                z_of(level),
            )
        groups.extend(_group_entries(attribute, names, counts, suppressed, point, intervals))

        ref_index, resolved[attribute] = reference_index(
            attribute, names, n, suppressed, references[attribute]
        )
        found = attribute_disparities(
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
            min_denominator=min_group_size,
        )
        if probability:
            reference_metrics = calibrated_reference(
                scores,
                score_col=score_col,
                label=label,
                codes=codes,
                usable=~suppressed,
                rule=flag,
                within=within,
                n_flagged=int(flagged.sum()),
            )
            found = with_calibrated_ratios(found, names, reference_metrics)
        disparities.extend(found)
        if probability:
            c_entries, c_gaps = attribute_calibration(
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
