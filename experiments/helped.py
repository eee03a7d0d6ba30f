"""The model judged separately on families that received help and on the others.

A measure the council arranged can prevent the very incident the label counts, so a helped
family's label is censored by the help: its recorded future looks calmer than its risk was
(`docs/model.md`, "What help does to the label"). Evaluation therefore reports the model's
figures for three groups at each as-of date:

- `with_delivered_measures`: a measure decided in the six months before the as-of date and
  delivered before the label window ends (help that acts on the label window: a delivered
  measure acts for three months in the simulator, and the calmer state it leaves lasts);
- `without_delivered_measures`: every other family;
- `planned_not_delivered` (part of the previous group): measures decided in those six months,
  none delivered before the window ends (declined, unreachable or still pending). In the
  simulator delivery is drawn at random once a plan is made, so this group is the fair
  comparison for the helped one.

Only measures **decided before the as-of date** count. A council reacts to recorded incidents,
so a measure decided inside the label window usually follows the very incident the label
counts: grouping by it would select families by their label (on the simulator such a group had
a base rate of 31% against 2.5%).

The measures come from the simulator's `assistance.parquet` or the service's case tables; they
are only ever read here, never by the feature pipeline (a case's measures must never lower a
family's score).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Final

import numpy as np
import polars as pl

from experiments.rankers import RankerScores
from features.months import months_after
from model.metrics import expected_calibration_error, list_metrics, top_k_size

#: Months before the as-of date whose delivered measures count as help acting on the label.
HELP_LOOKBACK_MONTHS: Final = 6
GROUPS: Final = ("with_delivered_measures", "without_delivered_measures", "planned_not_delivered")
#: Columns a measures frame needs (`features.contracts.ASSISTANCE_SCHEMA` has them).
MEASURE_COLUMNS: Final = ("family_id", "decided_on", "status", "delivered_on")


def help_groups(
    measures: pl.DataFrame, *, as_of: dt.date, horizon_months: int
) -> dict[str, frozenset[str]]:
    """Family ids with a measure decided in `[as_of - HELP_LOOKBACK_MONTHS, as_of)` and
    delivered before `as_of + horizon`, and with measures decided then but none delivered."""
    missing = [c for c in MEASURE_COLUMNS if c not in measures.columns]
    if missing:
        raise ValueError(f"measures: expected the columns {', '.join(missing)}, got none")
    lo = months_after(as_of, -HELP_LOOKBACK_MONTHS)
    hi = months_after(as_of, horizon_months)
    planned = measures.filter((pl.col("decided_on") >= lo) & (pl.col("decided_on") < as_of))
    delivered = planned.filter(pl.col("delivered_on").is_not_null() & (pl.col("delivered_on") < hi))
    helped = frozenset(delivered["family_id"].to_list())
    not_delivered = frozenset(planned["family_id"].to_list()) - helped
    return {"with_delivered_measures": helped, "planned_not_delivered": not_delivered}


def _flagged(scores: np.ndarray, keys: np.ndarray, pct: float) -> np.ndarray:
    """Whether each row is in its own list's top pct% (the council's capacity per district)."""
    flagged = np.zeros(len(scores), dtype=bool)
    order = np.lexsort((-scores, keys))
    sorted_keys = keys[order]
    bounds = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1], True])
    for lo, hi in itertools.pairwise(bounds.tolist()):
        flagged[order[lo : lo + top_k_size(hi - lo, pct)]] = True
    return flagged


def metrics_by_help(
    scored: RankerScores,
    measures: pl.DataFrame,
    *,
    as_of: dt.date,
    horizon_months: int,
    ranker: str = "model",
    pct: float = 5.0,
) -> dict[str, dict[str, float]]:
    """The ranker's figures in each help group (only its rows at `as_of`).

    Per group: `n`, `base_rate`, `auc`, `precision_at_5pct_expected` within the group, the
    calibration (`mean_probability`, `observed_to_predicted` = base rate / mean probability,
    `ece`), and from the council's real lists (each district's top 5% over all families)
    `flagged` (how many of the group are on them) and `flagged_precision` (the share of those
    with a recorded incident in the window).
    """
    rows = scored.rows
    at = (rows["as_of"] == as_of).to_numpy()
    family = rows["family_id"].to_numpy()
    y = rows["label"].to_numpy().astype(int)
    score = scored.ranking[ranker]
    probability = scored.probability.get(ranker)
    keys = rows["list_key"].to_numpy().astype(str)
    on_list = _flagged(score[at], keys[at], pct)
    groups = help_groups(measures, as_of=as_of, horizon_months=horizon_months)
    helped = np.isin(family[at], list(groups["with_delivered_measures"]))
    planned = np.isin(family[at], list(groups["planned_not_delivered"]))
    out: dict[str, dict[str, float]] = {}
    for name, mask in (
        ("with_delivered_measures", helped),
        ("without_delivered_measures", ~helped),
        ("planned_not_delivered", planned),
    ):
        yy, ss = y[at][mask], score[at][mask]
        if not mask.any():
            out[name] = {"n": 0.0}
            continue
        figures = list_metrics(yy, ss, pcts=(pct,)).as_dict()
        row: dict[str, float] = {
            "n": float(mask.sum()),
            "base_rate": figures["base_rate"],
            "auc": figures["auc"],
            f"precision_at_{pct:g}pct_expected": figures[f"precision_at_{pct:g}pct_expected"],
            "flagged": float(on_list[mask].sum()),
            "flagged_precision": float(yy[on_list[mask]].mean())
            if on_list[mask].any()
            else float("nan"),
        }
        if probability is not None:
            pp = probability[at][mask]
            mean_p = float(pp.mean())
            row["mean_probability"] = mean_p
            row["observed_to_predicted"] = row["base_rate"] / mean_p if mean_p > 0 else np.nan
            row["ece"] = expected_calibration_error(yy, pp)
        out[name] = row
    return out
