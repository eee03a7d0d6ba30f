"""The records ceiling beside the oracle, on simulated data only, and never a gate.

The oracle (`p_incident_6m`) sees the simulator's hidden state; the records ceiling
(`features.simulator.records_ceiling`) is the probability of a recorded incident given only
the records known before the as-of date, the best any model can do from what the agencies
hold. Both exist only for a simulator directory (`config.json` and `truth.parquet`): data
from the service's database has neither, and the figures are simply absent.

Every ranker gets its **share of the lift** at the council's capacity (5%) against each
reference: ``(P@5 ranker - base rate) / (P@5 reference - base rate)``, with precision at its
expected value under random tie-breaking (`model.metrics`). The share of the oracle's lift
says how far a ranker is from the truth; the share of the *knowable* lift (the ceiling's) how
much of what the records allow it captures.

**Leakage alarm** (`above_ceiling`): given the records, each family's label is a Bernoulli
draw with the ceiling's probability, so no ranker that reads only records can expect more than
the ceiling's own ordering achieves (it maximises the expected number of positives in any top
k and of correctly ordered pairs). The check redraws the labels from the ceiling's
probabilities (the rankings held fixed, the rows of one family coupled through one uniform: the
most positive dependence the months of one family can have, so the spread is not understated
when a held-out period pools several months) and asks whether the ranker's realised AUC and
expected P@5% lie above the ceiling's *expected* figures by more than `LEAKAGE_Z` of the
ranker's own standard deviations. Comparing with the ceiling's expectation rather than its
realised figure on the same labels keeps the check robust to the ceiling's small
approximations (it ignores a little information, `docs/simulator.md`): on the default 20,000
families a tuned logistic regression realises P@5% 0.196 against the ceiling's 0.187 (and its
expected 0.194), within sampling error, and must not raise the alarm.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from features.contracts import Events
from features.simulator import SimulationConfig, records_ceiling
from model.metrics import top_k_size

log = logging.getLogger(__name__)

CEILING = "ceiling"
ORACLE = "oracle"
REFERENCES = (ORACLE, CEILING)
#: Standard deviations above the null expectation that raise the alarm (one-sided p ~ 0.0013
#: per figure under the normal approximation).
LEAKAGE_Z = 3.0
N_DRAWS = 400

F64 = npt.NDArray[np.float64]


def simulation_config(data: Path | None) -> SimulationConfig | None:
    """The simulation's configuration when `data` is a simulator directory, else None.

    A simulator directory has `config.json` and `truth.parquet` (`patronage simulate`); a
    `patronage export` directory and the database have neither, and get no ceiling.
    """
    if data is None:
        return None
    config, truth = data / "config.json", data / "truth.parquet"
    if not (config.is_file() and truth.is_file()):
        return None
    try:
        return SimulationConfig.model_validate_json(config.read_text("utf-8"))
    except ValueError as exc:
        raise ValueError(
            f"{config}: expected the simulation's configuration (patronage simulate), "
            f"got unreadable JSON or fields: {str(exc).splitlines()[0]}"
        ) from None


def ceiling_frame(
    events: Events,
    config: SimulationConfig,
    *,
    as_of_dates: Sequence[dt.date],
    horizon_months: int,
) -> pl.DataFrame:
    """`family_id`, `as_of`, `p`: the records ceiling at each as-of date (records known before
    it; `events` may hold later records, the filter never reads them)."""
    return records_ceiling(
        events, config, as_of_dates=sorted(set(as_of_dates)), horizon_months=horizon_months
    )


def ceiling_scores(ceiling: pl.DataFrame, rows: pl.DataFrame) -> F64:
    """The ceiling's `p` of each (as_of, family_id) row of `rows` (NaN where absent)."""
    joined = rows.select("as_of", "family_id").join(
        ceiling.select("as_of", "family_id", "p"),
        on=["as_of", "family_id"],
        how="left",
        maintain_order="left",
    )
    out: F64 = joined["p"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    return out


def lift_share(value: float, reference: float, base: float) -> float:
    """``(value - base) / (reference - base)``: the share of a reference's lift over the base
    rate that a ranker captures (NaN when the reference has no lift)."""
    gap = reference - base
    return (value - base) / gap if gap > 0 else float("nan")


def lift_shares(metrics: Mapping[str, Mapping[str, float]]) -> dict[str, dict[str, float]]:
    """Ranker -> {`<ref>_lift_share_at_5pct`, `<ref>_lift_share_at_5pct_district`} for each
    reference (oracle, ceiling) present, at the expected precision (ties broken at random)."""
    out: dict[str, dict[str, float]] = {}
    for ranker, values in metrics.items():
        shares: dict[str, float] = {}
        for ref in REFERENCES:
            if ref not in metrics or ref == ranker:
                continue
            for suffix in ("", "_district"):
                key = f"precision_at_5pct{suffix}_expected"
                shares[f"{ref}_lift_share_at_5pct{suffix}"] = lift_share(
                    values[key], metrics[ref][key], values["base_rate"]
                )
        if shares:
            out[ranker] = shares
    return out


@dataclass(frozen=True)
class CeilingCheck:
    """One ranker against the records ceiling on the same rows (see the module docstring).

    ``*_excess``: the ranker's realised figure minus the ceiling's expected one (AUC; expected
    P@5%, ties broken at random); ``*_z``: that excess in standard deviations of the ranker's
    own figure when the labels are drawn from the ceiling.
    """

    ranker: str
    auc_excess: float
    auc_z: float
    precision_excess: float
    precision_z: float
    alarm: bool

    def to_dict(self) -> dict[str, float | bool | str]:
        return asdict(self)

    def describe(self) -> str:
        return (
            f"{self.ranker} is above the records ceiling beyond sampling error "
            f"(against the ceiling's expected figures: AUC {self.auc_excess:+.4f}, "
            f"z = {self.auc_z:.1f}; P@5% {self.precision_excess:+.4f}, "
            f"z = {self.precision_z:.1f}): it has seen records the agencies did not hold yet; "
            "treat this as a leakage bug"
        )


def _auc_parts(score: F64) -> F64:
    """Mid-ranks of `score` (ties share their mean rank), for AUC = (sum of positives' ranks -
    n1 (n1 + 1) / 2) / (n1 n0): linear in the labels, so redraws cost one product."""
    order = np.argsort(score, kind="stable")
    ordered = score[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    ends = np.r_[starts[1:], len(score)]
    mid = (starts + ends + 1) / 2.0  # mean of the 1-based ranks starts+1 .. ends
    out: F64 = np.empty(len(score))
    out[order] = np.repeat(mid, ends - starts)
    return out


def _topk_weights(score: F64, pct: float) -> tuple[F64, int]:
    """Weights whose product with the labels is the expected positives in the top pct% under
    random tie-breaking (1 above the cut-off, take / tied in the tied block), and k."""
    n = len(score)
    k = top_k_size(n, pct)
    w = np.zeros(n)
    if k >= n:
        return w + 1.0, k
    threshold = np.partition(score, n - k)[n - k]
    above, tied = score > threshold, score == threshold
    w[above] = 1.0
    w[tied] = (k - int(above.sum())) / int(tied.sum())
    return w, k


def above_ceiling(
    ranker: str,
    y: npt.ArrayLike,
    score: npt.ArrayLike,
    ceiling: npt.ArrayLike,
    *,
    clusters: npt.ArrayLike | None = None,
    pct: float = 5.0,
    n_draws: int = N_DRAWS,
    z_limit: float = LEAKAGE_Z,
    seed: int = 0,
) -> CeilingCheck:
    """Is `score` above the records ceiling `ceiling` beyond sampling error on labels `y`?

    `clusters` (one id per row, e.g. the family) couples the redrawn labels of one family's
    rows; None treats every row as its own family.
    """
    yv = np.asarray(y, dtype=np.float64)
    s = np.asarray(score, dtype=np.float64)
    c = np.clip(np.asarray(ceiling, dtype=np.float64), 0.0, 1.0)
    if not (yv.shape == s.shape == c.shape) or yv.ndim != 1:
        raise ValueError(
            f"y, score, ceiling: expected three equal 1-d shapes, got {yv.shape}, {s.shape}, "
            f"{c.shape}"
        )
    if np.isnan(c).any() or np.isnan(s).any():
        raise ValueError("score, ceiling: expected a figure for every row, got NaN")
    ranks_s, ranks_c = _auc_parts(s), _auc_parts(c)
    w_s, k = _topk_weights(s, pct)
    w_c, _ = _topk_weights(c, pct)

    def figures(labels: F64, ranks: F64, weights: F64) -> tuple[F64, F64]:
        """(AUC, expected P@k) of one ranking for each row of `labels` (draws, n)."""
        n1 = labels.sum(axis=1)
        n0 = labels.shape[1] - n1
        pairs = np.where((n1 > 0) & (n0 > 0), n1 * n0, np.nan)
        auc = (labels @ ranks - n1 * (n1 + 1) / 2) / pairs
        return auc, labels @ weights / k

    observed_auc, observed_p = (float(v[0]) for v in figures(yv[None, :], ranks_s, w_s))
    rng = np.random.default_rng(seed)
    if clusters is None:
        codes = np.arange(len(yv))
    else:
        _, codes = np.unique(np.asarray(clusters), return_inverse=True)
    n_clusters = int(codes.max()) + 1 if len(codes) else 0
    own: list[tuple[F64, F64]] = []
    best: list[tuple[F64, F64]] = []
    for start in range(0, n_draws, 50):  # bounded memory: 50 x n labels at a time
        u = rng.random((min(50, n_draws - start), n_clusters))[:, codes]
        labels = (u < c).astype(np.float64)
        own.append(figures(labels, ranks_s, w_s))
        best.append(figures(labels, ranks_c, w_c))
    auc_own, p_own = (np.concatenate([o[i] for o in own]) for i in (0, 1))
    auc_best = np.concatenate([b[0] for b in best])
    auc_excess = observed_auc - float(np.nanmean(auc_best))
    p_excess = observed_p - float(w_c @ c / k)  # the ceiling's expected precision, exactly
    auc_z = _z(auc_excess, auc_own)
    p_z = _z(p_excess, p_own)
    alarm = auc_z > z_limit or p_z > z_limit
    return CeilingCheck(ranker, auc_excess, auc_z, p_excess, p_z, bool(alarm))


def _z(excess: float, null: F64) -> float:
    """`excess` in standard deviations of the ranker's own figure under the null."""
    ok = null[np.isfinite(null)]
    if len(ok) < 2 or not math.isfinite(excess):
        return float("nan")
    sd = float(ok.std(ddof=1))
    if sd == 0:
        return 0.0 if excess <= 0 else float("inf")
    return excess / sd


def check_rankers(
    y: npt.ArrayLike,
    ranking: Mapping[str, npt.ArrayLike],
    *,
    clusters: npt.ArrayLike | None = None,
    seed: int = 0,
) -> list[CeilingCheck]:
    """`above_ceiling` for every ranker but the references (the oracle is above the ceiling
    by construction); each alarm is logged as an error. Empty without a ceiling."""
    if CEILING not in ranking:
        return []
    checks = [
        above_ceiling(name, y, score, ranking[CEILING], clusters=clusters, seed=seed)
        for name, score in ranking.items()
        if name not in REFERENCES
    ]
    for check in checks:
        if check.alarm:
            log.error("%s", check.describe())
    return checks
