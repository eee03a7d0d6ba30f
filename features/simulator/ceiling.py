"""The records ceiling: P(recorded serious incident in the next months | the agencies' records).

The oracle (`p_incident_6m`) conditions on the hidden state, which no model can see. The
ceiling conditions only on what a model may legitimately know at `as_of`: every record with
`knowledge_date < as_of` and the static family data (`families`, `persons`), never the hidden
traits. Because the simulator is a hidden Markov model with known parameters, that posterior is
computable: a forward filter over the five latent states, run jointly with the hidden traits
(alcohol, stress, prior violence: enumerated; the unexplained propensity: quadrature nodes),
then the exact backward recursion of `dynamics.p_recorded_within` from the filtered state.

Month by month, given the state `s` and traits, the filter weighs what was recorded:
- outcomes (recorded serious incidents): Poisson(rate * p_record), their kinds carry nothing;
- lesser police signals: Poisson(unrecorded rate * p_report + false calls), each signal's kind
  (weapon more often in acute/crisis, alcohol with the alcohol trait) multiplies in;
- routine clinic screenings of women 15-49 (more likely in acute/crisis, so their absence
  counts too) and every screening's and school survey's answers (`features.simulator.answers`);
- which of the month's hidden events (any incident, help) drove the transition: an incident
  escalates, help calms, and the records above are evidence about both.
The last months before `as_of` are only partly known (recording lags): every Poisson source is
thinned by the exact probability that a record of that month is already known.

What the ceiling ignores, each a loss of information (the ceiling is then slightly lower than
the true one, never leaked): protective-order extensions and the absence of one (3% of expiring
orders while escalating), and a screening linked to a hospital injury whose outcome row is not
yet known is read as a routine visit (only in the last month). Orders, court requirements,
registrations, forms of violence, pregnancy, and which children were surveyed carry no
information about the state given the rest (they are drawn independently of it).

The tables become per-month inputs in `features.simulator.ceiling_records`; answer likelihoods
come from `features.simulator.answers`. See `docs/simulator.md`, "The records ceiling".
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from features.contracts import Events
from features.months import months_after
from features.simulator import dynamics as dyn
from features.simulator import instruments as ins
from features.simulator.ceiling_records import (
    Families,
    Observed,
    known_share,
    observed,
    outcome_lag,
    police_lag,
    read_families,
    read_records,
    uniform_lag,
)
from features.simulator.world import SimulationConfig

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

S: Final = dyn.N_STATES
_EPOCH: Final = dt.date(1970, 1, 1)
Z_LOW: Final = -6.0  # lowest propensity integrated: the prior mass below is 1e-9


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


# --- hypotheses: hidden traits -----------------------------------------------------------------


@dataclass(frozen=True)
class Hypotheses:
    """Hidden-trait values the filter integrates over, shape (H,)."""

    alcohol: B
    stress: B
    prior_violence: B
    z: F64  # propensity node
    z_weight: F64  # its quadrature weight (sums to 1 over a trait combination's nodes)

    @property
    def size(self) -> int:
        return len(self.z)


def make_hypotheses(z_nodes: int) -> Hypotheses:
    """Every (alcohol, stress, prior violence) combination times `z_nodes + 1` propensity values.

    The multiplier is capped (`MAX_MULTIPLIER`), so above a trait combination's cap point `z*`
    every propensity gives the same chain: one atom carries that prior mass exactly, and
    Gauss-Legendre nodes weighted by the normal density cover [Z_LOW, z*], where the integrand
    is smooth (analytic), so the rule converges fast even for peaked likelihoods.
    (Gauss-Hermite nodes over the whole line misplace the step at `z*`: errors up to 0.01 in p
    for the riskiest families.)
    """
    x, w = np.polynomial.legendre.leggauss(z_nodes)
    normal = NormalDist()
    grid: list[tuple[bool, bool, bool, float, float]] = []
    for a, s, v in itertools.product((False, True), repeat=3):
        offset = np.log(1.8) * a + np.log(1.3) * s + np.log(1.6) * v - 0.35
        z_cap = (np.log(dyn.MAX_MULTIPLIER) - offset) / dyn.PROPENSITY_SD
        u_cap = normal.cdf(z_cap)
        lo = min(Z_LOW, z_cap - 1.0)
        z = lo + (z_cap - lo) * (x + 1) / 2
        zw = w * np.exp(-0.5 * z**2)
        zw *= u_cap / zw.sum()  # the truncated mass exactly; below Z_LOW is negligible
        grid.extend((a, s, v, float(zi), float(wi)) for zi, wi in zip(z, zw, strict=True))
        grid.append((a, s, v, z_cap + 1.0, 1.0 - u_cap))
    cols = list(zip(*grid, strict=True))
    return Hypotheses(
        alcohol=np.array(cols[0], dtype=bool),
        stress=np.array(cols[1], dtype=bool),
        prior_violence=np.array(cols[2], dtype=bool),
        z=np.array(cols[3], dtype=np.float64),
        z_weight=np.array(cols[4], dtype=np.float64),
    )


def trait_prior(hyp: Hypotheses, income: I64, disability: B) -> F64:
    """(H, families) prior of each hypothesis; the rates of `population.make_households`."""
    p_alc = 0.10 + 0.05 * (income == 0)
    p_str = np.array([0.35, 0.15, 0.06])[income] + 0.05 * disability
    p_pv = 0.12 + 0.05 * hyp.alcohol
    a = np.where(hyp.alcohol[:, None], p_alc[None, :], 1.0 - p_alc[None, :])
    s = np.where(hyp.stress[:, None], p_str[None, :], 1.0 - p_str[None, :])
    v = np.where(hyp.prior_violence, p_pv, 1.0 - p_pv)
    out: F64 = a * s * (v * hyp.z_weight)[:, None]
    return out


def hypothesis_chains(hyp: Hypotheses, p_rec: F64) -> dyn.FamilyChains:
    """Chains of every (recording probability, hypothesis), row `i * H + h`; the formulas of
    `dynamics.family_chains` (a test checks them against it on simulated households)."""
    log_m = (
        dyn.PROPENSITY_SD * hyp.z
        + np.log(1.8) * hyp.alcohol
        + np.log(1.3) * hyp.stress
        + np.log(1.6) * hyp.prior_violence
        - 0.35
    )
    m = np.tile(np.minimum(np.exp(log_m), dyn.MAX_MULTIPLIER), len(p_rec))
    shock = np.tile(dyn.BASE_SHOCK * (1 + 1.5 * hyp.stress + 1.5 * hyp.alcohol), len(p_rec))
    pr = np.repeat(p_rec, hyp.size)
    return dyn.FamilyChains(
        multiplier=m,
        rate=dyn.INCIDENT_RATE[None, :] * m[:, None],
        p_record=dyn.SERIOUS_SHARE[None, :] * pr[:, None],
        up=dyn.BASE_UP[None, :] * (m[:, None] ** 0.6),
        down=dyn.BASE_DOWN[None, :] * (m[:, None] ** -0.3),
        shock=shock,
        help=np.broadcast_to(dyn.HELP_BY_STATE, (len(m), S)).copy(),
    )


def transition_stack(c: dyn.FamilyChains) -> F64:
    """(H, 15, 5): the next-state matrices after (a) a recorded serious incident (help 50%),
    (b) only unrecorded incidents, (c) no incident, each with help at its state's rate."""
    rows = slice(None)
    m = {(i, h): dyn._matrix(c, rows, i, h) for i in (True, False) for h in (True, False)}
    hp = c.help[:, :, None]
    h_rec = dyn.HELP_AFTER_RECORDED
    pa = h_rec * m[True, True] + (1 - h_rec) * m[True, False]
    pb = hp * m[True, True] + (1 - hp) * m[True, False]
    pc = hp * m[False, True] + (1 - hp) * m[False, False]
    out: F64 = np.concatenate([pa, pb, pc], axis=1)
    return out


def _blocks(kind: I64, size: int) -> list[slice]:
    """Contiguous runs of one family kind (`kind` sorted), cut to at most `size` families."""
    cuts = np.flatnonzero(np.diff(kind)) + 1
    out: list[slice] = []
    for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, len(kind)], strict=True):
        out += [slice(int(b), int(min(b + size, hi))) for b in range(int(lo), int(hi), size)]
    return out


# --- the filter --------------------------------------------------------------------------------


def case_weights(
    lam: F64, p_s: F64, p_rep: F64, calls: F64, r: F64, k: F64, q_out: F64, q_pol: float
) -> F64:
    """(H, n, 3, S) joint weight of a month's outcome and lesser-signal counts with (a) a
    recorded serious incident, (b) only unrecorded incidents, (c) no incident.

    Broadcast shapes: `lam` (H, 1, S), `p_s` (1, n, S), the rest (1, n, 1). Recorded,
    reported and unreported incidents and false calls are independent Poissons; a share
    `q_out` / `q_pol` of the month's records is already known (thinning keeps them Poisson).
    Factors common to all (state, hypothesis) pairs of a family are dropped.
    """
    lp = lam * p_s
    a = lam * (1.0 - p_s) * p_rep  # reported lesser incidents
    b = lam * (1.0 - p_s) * (1.0 - p_rep)  # never reported
    signals = (a + calls) ** k * np.exp(-a * q_pol)  # P(known lesser signals = k)
    seen = r > 0
    w_a = np.where(
        seen, lp**r * np.exp(-lp * q_out), np.exp(-lp * q_out) * -np.expm1(-lp * (1.0 - q_out))
    )
    w_c = np.where(seen, 0.0, np.exp(-lp - a - b) * calls**k)
    w_b = np.where(seen, 0.0, np.maximum(np.exp(-lp) * signals - w_c, 0.0))
    out: F64 = np.stack(np.broadcast_arrays(w_a * signals, w_b, w_c), axis=2)
    return out


def _kind_log(kinds: npt.NDArray[np.int32]) -> F64:
    """(n, 2 alcohol, S) log-probability of the signals' kinds (administrative: constant)."""
    weapon = 0.01 + 0.04 * (np.arange(S) >= 3)
    alcohol = np.array([0.03, 0.22])
    domestic = 1.0 - weapon[None, :] - alcohol[:, None] - 0.22
    k = kinds.astype(np.float64)
    out: F64 = (
        k[:, 0, None, None] * np.log(weapon)[None, None, :]
        + k[:, 1, None, None] * np.log(alcohol)[None, :, None]
        + k[:, 3, None, None] * np.log(domestic)[None, :, :]
    )
    return out


@dataclass(frozen=True)
class _Month:
    """Everything one filter step needs beyond the families' rows."""

    t: int
    obs: Observed
    q_pol: float
    q_cli: float
    q_out: F64  # by family kind (children or not)


class _Filter:
    """Filtered (hypothesis, family, state) probabilities for one block of families.

    A block holds families of one kind (recording and reporting probabilities, children), so a
    month without police or outcome rows is one (H, 5, 5) kernel for the whole block; only
    families with records that month take the general path.
    """

    def __init__(self, fams: Families, hyp: Hypotheses, rows: slice, tables: _Tables,
                 start: dt.date) -> None:  # fmt: skip
        self.f, self.hyp, self.rows, self.tab, self.start = fams, hyp, rows, tables, start
        self.kind = int(fams.kind[rows.start])
        rk = int(fams.rec_kind[rows.start])
        prior = trait_prior(hyp, fams.income[rows], fams.disability[rows])
        self.alpha: F64 = prior[:, :, None] * tables.stationary[:, rk, None, :]
        self.alpha /= self.alpha.sum(axis=(0, 2))[None, :, None]
        self.v: F64 = tables.no_record[:, rk, None, :]
        self.a_idx = hyp.alcohol.astype(np.int64)
        visit = np.where(fams.urban[rows], ins.VISIT_RATE[1], ins.VISIT_RATE[0])
        self.visit: F64 = visit[:, None] * (1.0 + 0.6 * (np.arange(S) >= 3))[None, :]

    def step(self, alpha: F64, m: _Month, quiet: F64) -> F64:
        """One month: weigh its records, move to the next month's state, renormalise.

        `quiet` (H, 3, S): this kind's weights of a month without police or outcome rows.
        """
        rows, f, t, tab = self.rows, self.f, m.t, self.tab
        age = self.start.year + (self.start.month - 1 + t) // 12 - f.woman_birth_year[rows]
        eligible = (f.woman_birth_year[rows] >= 0) & (age >= 15) & (age <= 49)
        seen = m.obs.routine[t, rows]
        visit = self.visit * m.q_cli
        clinic = np.where(eligible[:, None], np.where(seen[:, None], visit, 1.0 - visit), 1.0)
        a = alpha * clinic[None]
        n_h = alpha.shape[0]
        kernel = (quiet[:, :, :, None] * tab.moves.reshape(n_h, 3, S, S)).sum(axis=1)
        nxt: F64 = np.matmul(a, kernel)

        r = m.obs.r[t, rows]
        kinds = m.obs.kinds[t, rows]
        act = (r > 0) | (kinds.sum(axis=1) > 0)
        fam = m.obs.factor_family.get(t, np.zeros(0, np.int64))
        lo, hi = np.searchsorted(fam, [rows.start, rows.stop])
        inst = fam[lo:hi] - rows.start
        special = np.union1d(np.flatnonzero(act), inst)
        if len(special) == 0:
            return self._normalise(nxt)
        y = a[:, special, None, :] * quiet[:, None, :, :]
        rec = np.flatnonzero(act[special])
        if len(rec):
            g = special[rec] + rows.start
            w = case_weights(
                tab.rate[:, None, :], (dyn.SERIOUS_SHARE[None, :] * f.p_rec[g, None])[None],
                f.p_rep[g][None, :, None], f.false_calls[g][None, :, None],
                r[special[rec]][None, :, None].astype(np.float64),
                kinds[special[rec]].sum(axis=1)[None, :, None].astype(np.float64),
                m.q_out[self.kind], m.q_pol,
            )  # fmt: skip
            kl = _kind_log(kinds[special[rec]])
            kl = np.exp(kl - kl.max(axis=(1, 2), keepdims=True))[:, self.a_idx, :]
            y[:, rec] = (a[:, special[rec], :] * kl.transpose(1, 0, 2))[:, :, None, :] * w
        if len(inst):
            pos = np.searchsorted(special, inst)
            lf = m.obs.factor[t][lo:hi]
            lf = np.exp(lf - lf.max(axis=(1, 2, 3), keepdims=True))[:, self.a_idx]
            lf = lf.transpose(1, 0, 2, 3)  # (H, n, incident, S)
            y[:, pos, 0:2, :] *= lf[:, :, 1, None, :]
            y[:, pos, 2, :] *= lf[:, :, 0, :]
        nxt[:, special] = np.matmul(y.reshape(n_h, len(special), 3 * S), tab.moves)
        return self._normalise(nxt)

    @staticmethod
    def _normalise(nxt: F64) -> F64:
        total = nxt.sum(axis=(0, 2))
        nxt /= np.maximum(total, 1e-300)[None, :, None]
        return nxt

    def predict(self, alpha: F64) -> F64:
        out: F64 = 1.0 - (alpha * self.v).sum(axis=(0, 2))
        return np.clip(out, 0.0, 1.0)


@dataclass(frozen=True)
class _Tables:
    """Per-hypothesis quantities shared by every family."""

    rate: F64  # (H, S)
    moves: F64  # (H, 15, S)
    stationary: F64  # (H, rec kinds, S)
    no_record: F64  # (H, rec kinds, S): P(no outcome row in the horizon | state)
    quiet: F64  # (H, family kinds, 3, S): a fully known month without police or outcome rows


def _tables(fams: Families, hyp: Hypotheses, horizon: int) -> _Tables:
    chains = hypothesis_chains(hyp, fams.rec_values)
    n_rec, n_h = len(fams.rec_values), hyp.size
    stat = dyn.stationary(chains).reshape(n_rec, n_h, S).transpose(1, 0, 2)
    v = 1.0 - dyn.p_recorded_within(chains, months=horizon)
    base = hypothesis_chains(hyp, np.zeros(1))
    return _Tables(
        rate=base.rate, moves=transition_stack(base), stationary=stat,
        no_record=v.reshape(n_rec, n_h, S).transpose(1, 0, 2),
        quiet=_quiet(base.rate, fams.kinds, np.ones(len(fams.kinds)), 1.0),
    )  # fmt: skip


def _quiet(rate: F64, kinds: F64, q_out: F64, q_pol: float) -> F64:
    """(H, family kinds, 3, S) weights of a month with no known outcome or lesser signal."""
    zero = np.zeros((1, len(kinds), 1))
    return case_weights(
        rate[:, None, :], dyn.SERIOUS_SHARE[None, None, :] * kinds[None, :, 0:1],
        kinds[None, :, 1:2], zero, zero, zero, q_out[None, :, None], q_pol,
    )  # fmt: skip


def records_ceiling(
    events: Events,
    config: SimulationConfig,
    *,
    as_of_dates: Sequence[dt.date],
    horizon_months: int = 6,
    z_nodes: int = 12,
    block: int = 4096,
) -> pl.DataFrame:
    """P(an outcome row with event_date in [as_of, as_of + horizon) | records known before as_of).

    Returns `family_id`, `as_of` (Date), `p` for every family and as-of date. `config` is the
    simulation's (its bias multipliers change what police record, so the filter must know
    them). `z_nodes` quadrature nodes (plus the capped atom) integrate the unexplained
    propensity: 16 leave errors below 1e-4 in p (24: below 1e-5; measured against 48 nodes on
    20,000 families); `block` families are filtered at a time (memory).
    """
    start, months = config.start, config.months
    if horizon_months < 1:
        raise ValueError(f"horizon_months: expected at least 1, got {horizon_months}")
    index: list[int] = []
    for d in as_of_dates:
        t = (d.year - start.year) * 12 + d.month - start.month
        if d.day != 1 or not 0 <= t <= months:
            raise ValueError(
                f"as_of_dates: expected first days of months from {start} to "
                f"{months_after(start, months)}, got {d}"
            )
        index.append(t)
    wanted = sorted(set(index))
    fams = read_families(events, config)
    fams = fams.take(np.argsort(fams.kind, kind="stable"))  # blocks of one kind
    hyp = make_hypotheses(z_nodes)
    tab = _tables(fams, hyp, horizon_months)
    rec = read_records(events, fams, start)
    n = len(fams.ids)
    main = observed(rec, n, months, None, set(range(months)))
    first = [_day(months_after(start, k)) for k in range(months + 1)]

    branches: dict[int, list[tuple[_Month, F64]]] = {}
    for a in wanted:
        cut = first[a]
        obs = observed(rec, n, months, cut, set(range(max(a - 2, 0), a)))
        steps = []
        for t in range(max(a - 2, 0), a):
            m0, m1 = first[t], first[t + 1]
            q_out = np.array(
                [known_share(outcome_lag(bool(c)), m0, m1, cut) for c in fams.kinds[:, 2]]
            )
            month = _Month(
                t, obs, known_share(police_lag(), m0, m1, cut),
                known_share(uniform_lag(14), m0, m1, cut), q_out,
            )  # fmt: skip
            steps.append((month, _quiet(tab.rate, fams.kinds, q_out, month.q_pol)))
        branches[a] = steps

    p = np.empty((len(wanted), n))
    ones = np.ones(len(fams.kinds))
    for rows in _blocks(fams.kind, block):
        flt = _Filter(fams, hyp, rows, tab, start)
        alpha, t = flt.alpha, 0
        for j, a in enumerate(wanted):
            while t < a - 2:
                alpha = flt.step(alpha, _Month(t, main, 1.0, 1.0, ones), tab.quiet[:, flt.kind])
                t += 1
            beta = alpha
            for month, quiet in branches[a]:
                beta = flt.step(beta, month, quiet[:, flt.kind])
            p[j, rows] = flt.predict(beta)

    as_of = [months_after(start, a) for a in wanted]
    return pl.DataFrame(
        {
            "family_id": pl.concat([fams.ids] * len(wanted)),
            "as_of": pl.Series(as_of, dtype=pl.Date).gather(np.repeat(np.arange(len(as_of)), n)),
            "p": p.reshape(-1),
        }
    ).sort("as_of", "family_id")
