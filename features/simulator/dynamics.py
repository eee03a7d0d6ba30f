"""The latent chain: each family's monthly state, its true incidents, and the exact oracle.

A family is in one of five states (calm, tense, escalating, acute, crisis). In a month in state
`s`, true incidents arrive as Poisson(rate[f, s]); each is, independently, a *recorded serious
incident* (an outcome row) with probability `p_record[f, s]` (the serious share of the state
times the family's recording probability), so recorded and unrecorded counts are independent
Poissons. The next state depends on the current one, on whether any incident happened
(escalation) and on help that month (calming): help arrives with a small state-dependent
probability, and with `HELP_AFTER_RECORDED` after a recorded serious incident (the system acted).

Nothing here depends on the agencies' recording of lesser signals, so the bias knobs (police
recording multipliers, survey coverage) never change the truth: at equal seed the latent path
is identical whatever the knobs say.

Because every family's chain is time-homogeneous, the probability of no recorded serious
incident in the six months starting with state `s` is the backward recursion
``v_k(s) = P(R=0 | s) * sum_s' P(s' | s, R=0) v_{k+1}(s')`` with ``v_6 = 1``, and
``p_incident_6m = 1 - v_0(s)``: exact, computed once per family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from features.simulator.geography import REGIONS
from features.simulator.population import Households

STATES: Final = ("calm", "tense", "escalating", "acute", "crisis")
N_STATES: Final = len(STATES)
#: True incidents per month in each state for a family of risk multiplier 1 (plausible values).
INCIDENT_RATE: Final = np.array([0.01, 0.10, 0.35, 0.8, 1.5])
#: Share of incidents that are serious (injury, criminal harm, a child at risk).
SERIOUS_SHARE: Final = np.array([0.08, 0.09, 0.10, 0.12, 0.15])
#: Monthly probability of moving one state up / down at multiplier 1.
BASE_UP: Final = np.array([0.005, 0.04, 0.06, 0.06, 0.0])
BASE_DOWN: Final = np.array([0.0, 0.45, 0.55, 0.60, 0.65])
#: A shock (job loss, drinking bout, separation) jumps SHOCK_JUMP states; damped near the top.
SHOCK_BY_STATE: Final = np.array([1.0, 1.0, 1.0, 0.5, 0.0])
SHOCK_JUMP: Final = 3
BASE_SHOCK: Final = 0.02
#: Monthly probability of help (relatives, social services, a psychologist) by state.
HELP_BY_STATE: Final = np.array([0.0, 0.02, 0.04, 0.06, 0.08])
HELP_AFTER_RECORDED: Final = 0.5
ESCALATION: Final = 1.8  # up-moves after an incident
HELP_DOWN: Final = 0.30  # extra down-move probability after help
MAX_MOVE: Final = 0.95
#: Probability that a serious incident is recorded (police, hospital, guardianship), before
#: regional norms; serious harm is recorded far more often than violence at large (8%).
BASE_RECORDING: Final = 0.20
#: Spread (log scale) of the family's unexplained risk multiplier.
PROPENSITY_SD: Final = 0.5
MAX_MULTIPLIER: Final = 6.0

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class FamilyChains:
    """Per-family chain parameters, shape (families, states) unless noted."""

    multiplier: F64  # (families,) the family's risk multiplier
    rate: F64
    p_record: F64
    up: F64
    down: F64
    shock: F64  # (families,)
    help: F64

    def take(self, rows: I64) -> FamilyChains:
        """The chains of the families `rows` (repeats allowed: Monte Carlo replicates)."""
        return FamilyChains(*(getattr(self, f)[rows] for f in self.__dataclass_fields__))


def reporting_factor(h: Households) -> F64:
    """Regional norms: where more women accept violence, less of it is reported (MICS 2024)."""
    acceptance = np.array([r.acceptance for r in REGIONS])[h.region]
    return np.exp(-0.06 * (acceptance - 4.0)) * np.where(h.urban, 1.1, 0.9)


def family_chains(h: Households) -> FamilyChains:
    """Chain parameters from each family's hidden traits (deterministic)."""
    log_m = (
        PROPENSITY_SD * h.propensity
        + np.log(1.8) * h.alcohol
        + np.log(1.3) * h.stress
        + np.log(1.6) * h.prior_violence
        - 0.35
    )
    # Capped: even the most violent homes are not one incident a day on average.
    m = np.minimum(np.exp(log_m), MAX_MULTIPLIER)
    p_rec = np.clip(BASE_RECORDING * reporting_factor(h), 0.0, 0.9)
    return FamilyChains(
        multiplier=m,
        rate=INCIDENT_RATE[None, :] * m[:, None],
        p_record=SERIOUS_SHARE[None, :] * p_rec[:, None],
        up=BASE_UP[None, :] * (m[:, None] ** 0.6),
        down=BASE_DOWN[None, :] * (m[:, None] ** -0.3),
        shock=BASE_SHOCK * (1 + 1.5 * h.stress + 1.5 * h.alcohol),
        help=np.broadcast_to(HELP_BY_STATE, (len(m), N_STATES)).copy(),
    )


def moves(
    up: F64, down: F64, shock: F64, state: I64, incident: B | bool, helped: B | bool
) -> tuple[F64, F64, F64]:
    """Probabilities of moving down one, up one and up two states (all broadcastable)."""
    u = up * np.where(incident, ESCALATION, 1.0) * np.where(helped, 0.5, 1.0)
    sh = shock * SHOCK_BY_STATE[state] * np.where(helped, 0.5, 1.0)
    d = down * np.where(incident, 0.5, 1.0) + np.where(
        np.asarray(helped) & (state > 0), HELP_DOWN, 0
    )
    total = u + sh + d
    scale = np.minimum(1.0, MAX_MOVE / np.maximum(total, 1e-12))
    return d * scale, u * scale, sh * scale


def _matrix(c: FamilyChains, rows: slice, incident: bool, helped: bool) -> F64:
    """Transition matrices (families, s, s') for one (incident, help) combination."""
    n = c.up[rows].shape[0]
    s = np.arange(N_STATES)[None, :]
    d, u, sh = moves(c.up[rows], c.down[rows], c.shock[rows][:, None], s, incident, helped)
    q = np.zeros((n, N_STATES, N_STATES))
    idx = np.arange(N_STATES)
    q[:, idx, np.maximum(idx - 1, 0)] += d
    q[:, idx, np.minimum(idx + 1, N_STATES - 1)] += u
    q[:, idx, np.minimum(idx + SHOCK_JUMP, N_STATES - 1)] += sh
    q[:, idx, idx] += 1.0 - d - u - sh
    return q


def _q_no_record(c: FamilyChains, rows: slice) -> tuple[F64, F64]:
    """P(R=0 | s) and P(s' | s, R=0) for a block of families."""
    rate, pr, hp = c.rate[rows], c.p_record[rows], c.help[rows]
    p_r0 = np.exp(-rate * pr)
    p_inc = 1.0 - np.exp(-rate * (1.0 - pr))  # incidents that were not recorded
    q = np.zeros((rate.shape[0], N_STATES, N_STATES))
    for inc, p_i in ((True, p_inc), (False, 1.0 - p_inc)):
        for hlp, p_h in ((True, hp), (False, 1.0 - hp)):
            q += (p_i * p_h)[:, :, None] * _matrix(c, rows, inc, hlp)
    return p_r0, q


def p_recorded_within(c: FamilyChains, months: int = 6, block: int = 100_000) -> F64:
    """Exact P(at least one recorded serious incident in `months` months | state at start)."""
    n = c.rate.shape[0]
    out = np.empty((n, N_STATES))
    for lo in range(0, n, block):
        rows = slice(lo, min(n, lo + block))
        p_r0, q = _q_no_record(c, rows)
        v = np.ones_like(p_r0)
        for _ in range(months):
            v = p_r0 * np.einsum("fst,ft->fs", q, v)
        out[rows] = 1.0 - v
    return out


def stationary(c: FamilyChains, block: int = 100_000) -> F64:
    """Each family's long-run state distribution (the chain's marginal over everything)."""
    n = c.rate.shape[0]
    out = np.empty((n, N_STATES))
    for lo in range(0, n, block):
        rows = slice(lo, min(n, lo + block))
        p_r0, q0 = _q_no_record(c, rows)
        h = HELP_AFTER_RECORDED
        q_rec = h * _matrix(c, rows, True, True) + (1 - h) * _matrix(c, rows, True, False)
        q = p_r0[:, :, None] * q0 + (1.0 - p_r0)[:, :, None] * q_rec
        for _ in range(8):  # q^(2^8): mixing takes a few dozen months at most
            q = q @ q
        out[rows] = q[:, 0, :]
    return out


@dataclass(frozen=True)
class Paths:
    """Simulated monthly paths, shape (months, families)."""

    state: npt.NDArray[np.int8]
    n_recorded: npt.NDArray[np.int16]  # recorded serious incidents (= outcome rows)
    n_unrecorded: npt.NDArray[np.int16]  # all other true incidents


def simulate_paths(
    c: FamilyChains,
    months: int,
    rng: np.random.Generator,
    *,
    progress: Callable[[int], None] | None = None,
    initial: I64 | None = None,
    assist: Callable[[int, npt.NDArray[np.int16]], B] | None = None,
) -> Paths:
    """Run every family's chain for `months` months from its stationary distribution (or from
    the states `initial`, used to check the exact oracle by Monte Carlo).

    `assist(t, recorded)`, when given (the simulated council, `assistance.Council.help`), gets
    the recorded serious incidents of months 0..t-1 and returns the families that delivered
    measures help in month t: that help acts like informal help. It draws from its own random
    stream, so without it the paths are exactly those of a world without a council."""
    n = c.rate.shape[0]
    if initial is None:
        pi = stationary(c)
        u0 = rng.random((n,))
        state = np.minimum((np.cumsum(pi, axis=1) < u0[:, None]).sum(axis=1), N_STATES - 1)
    else:
        state = np.asarray(initial, dtype=np.int64)
    out_s = np.empty((months, n), dtype=np.int8)
    out_r = np.empty((months, n), dtype=np.int16)
    out_u = np.empty((months, n), dtype=np.int16)
    fam = np.arange(n)
    for t in range(months):
        out_s[t] = state
        lam = c.rate[fam, state]
        pr = c.p_record[fam, state]
        n_rec = rng.poisson(lam * pr)
        n_unrec = rng.poisson(lam * (1.0 - pr))
        incident = (n_rec + n_unrec) > 0
        p_help = np.where(n_rec > 0, HELP_AFTER_RECORDED, c.help[fam, state])
        helped = rng.random(n) < p_help
        if assist is not None:
            helped = helped | assist(t, out_r[:t])
        d, u, sh = moves(c.up[fam, state], c.down[fam, state], c.shock, state, incident, helped)
        x = rng.random(n)
        step = np.where(x < d, -1, np.where(x < d + u, 1, np.where(x < d + u + sh, SHOCK_JUMP, 0)))
        state = np.clip(state + step, 0, N_STATES - 1)
        out_r[t] = np.minimum(n_rec, np.iinfo(np.int16).max)
        out_u[t] = np.minimum(n_unrec, np.iinfo(np.int16).max)
        if progress is not None:
            progress(1)
    return Paths(out_s, out_r, out_u)
