"""Exact likelihoods of clinic-screening and school-survey answers given the latent state.

The records ceiling (`features.simulator.ceiling`) needs P(answers | state, traits, incident)
for every screening and survey. `features.simulator.instruments` draws a latent severity per
respondent (disclosed with some probability, else answered as if calm; clinics add a few false
positives), then each item independently from that severity plus noise. So the likelihood is a
one-dimensional integral over severity of a product of item probabilities: computed here on a
fine severity grid (bin masses from the exact severity CDF, items at bin midpoints; the grid
error is far below the item noise), once per distinct answer pattern, not per record.

Every constant mirrors `instruments.py`; `tests/features/simulator/test_ceiling.py` checks the
likelihoods against simulated answer frequencies so that a change there cannot drift silently.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt

from features.simulator.dynamics import N_STATES
from features.simulator.instruments import DISCLOSE_CLINIC, DISCLOSE_SCHOOL

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: Severity bin edges: the conveyed severity lies in about [-0.6, 1.6]; tails go to the end bins.
EDGES: Final = np.linspace(-0.9, 1.9, 561)
MID: Final = 0.5 * (EDGES[1:] + EDGES[:-1])
CLINIC_FALSE_POSITIVE: Final = 0.03  # instruments.clinic_screenings: "a bad day"
HITS_WEIGHTS: Final = (0.85, 1.05, 0.95, 1.15)  # hurt, insult, threaten, scream
_erf = np.vectorize(math.erf, otypes=[np.float64])


def phi(x: F64) -> F64:
    """Standard normal CDF (numpy only: scipy is not a declared dependency)."""
    out: F64 = 0.5 * (1.0 + _erf(np.asarray(x, dtype=np.float64) / math.sqrt(2.0)))
    return out


def sigmoid(x: F64) -> F64:
    out: F64 = 1.0 / (1.0 + np.exp(-x))
    return out


def severity_mass(disclose: float, false_positive: float = 0.0) -> F64:
    """(states, bins) probability that the conveyed severity falls in each bin.

    Mirrors `instruments._severity`: with probability `disclose` N(s/4, 0.15), else |N(0, 0.1)|;
    a false positive (clinics) raises it to max(severity, U(0.5, 0.9)).
    """
    s = np.arange(N_STATES)[:, None] / (N_STATES - 1)
    x = EDGES[None, :]
    hidden = np.maximum(2.0 * phi(x / 0.1) - 1.0, 0.0)
    cdf = disclose * phi((x - s) / 0.15) + (1.0 - disclose) * hidden
    u = np.clip((x - 0.5) / 0.4, 0.0, 1.0)
    cdf = (1.0 - false_positive) * cdf + false_positive * cdf * u
    cdf[:, 0], cdf[:, -1] = 0.0, 1.0  # the end bins take the tails
    out: F64 = np.diff(cdf, axis=1)
    return out


def rounded_normal(values: I64, level: F64, sd: float, lo: int, hi: int) -> F64:
    """P(clip(rint(level + N(0, sd)), lo, hi) == value), shape (len(values), len(level))."""
    # the table over every possible value, then one row per requested value (few erf calls)
    edges = np.r_[-np.inf, np.arange(lo, hi) + 0.5, np.inf][:, None]
    cdf = phi((edges - level[None, :]) / sd)
    out: F64 = (cdf[1:] - cdf[:-1])[values - lo]
    return out


def _digitized(values: I64, level: F64, sd: float) -> F64:
    """P(digitize(level + N(0, sd), [0.8, 1.8]) == value)."""
    edges = np.array([-np.inf, 0.8, 1.8, np.inf])[:, None]
    cdf = phi((edges - level[None, :]) / sd)
    out: F64 = (cdf[1:] - cdf[:-1])[values]
    return out


def _bernoulli(flag: npt.NDArray[np.bool_], p: F64) -> F64:
    out: F64 = np.where(flag[:, None], p, 1.0 - p)
    return out


def _by_pattern(answers: I64, per_pattern: F64) -> F64:
    """Expand per-pattern values back to records (`answers` rows are the patterns' keys)."""
    _, inverse = np.unique(answers, axis=0, return_inverse=True)
    out: F64 = per_pattern[inverse.reshape(-1)]
    return out


def clinic_answers(answers: I64) -> F64:
    """log P(answers | state), shape (records, states), for the severity-driven items.

    `answers` columns: wast_tension (0-2), wast_arguments (0-2), hits x4 (1-5), phq2 (0-6).
    Injury inconsistency, alcohol concern, pregnancy and forms are handled by the caller
    (they do not depend on severity; forms only repeat what the HITS total says).
    """
    if len(answers) == 0:
        return np.zeros((0, N_STATES))
    patterns = np.unique(answers, axis=0)
    mass = severity_mass(DISCLOSE_CLINIC, CLINIC_FALSE_POSITIVE)
    lik = _digitized(patterns[:, 0], 2.5 * MID, 0.5) * _digitized(patterns[:, 1], 2.3 * MID, 0.6)
    for j, w in enumerate(HITS_WEIGHTS):
        lik *= rounded_normal(patterns[:, 2 + j], 1.0 + w * 4.0 * MID, 0.6, 1, 5)
    lik *= rounded_normal(patterns[:, 6], 0.5 + 2.8 * MID, 1.0, 0, 6)
    per_pattern = np.log(np.maximum(lik @ mass.T, 1e-300))
    return _by_pattern(answers, per_pattern)


def school_answers(answers: I64) -> F64:
    """log P(answers | state, incident), shape (records, 2, states) (incident = 0 / 1).

    `answers` columns: feels_safe (1-5); afraid, seen_violence, hurt, hunger_neglect,
    wants_counsellor, low_income of the family (0/1); then the teacher's unexplained_injury,
    behaviour_change (0/1) and days_absent, which depend on the true state, not on disclosure.
    """
    n = len(answers)
    if n == 0:
        return np.zeros((0, 2, N_STATES))
    child = answers[:, :7]
    patterns = np.unique(child, axis=0)
    mass = severity_mass(DISCLOSE_SCHOOL)
    base = rounded_normal(patterns[:, 0], 4.7 - 3.2 * MID, 0.7, 1, 5)
    base *= _bernoulli(patterns[:, 1] == 1, sigmoid(-3.2 + 5.0 * MID))
    base *= _bernoulli(patterns[:, 3] == 1, sigmoid(-4.2 + 4.5 * MID))
    base *= _bernoulli(patterns[:, 5] == 1, sigmoid(-3.0 + 2.5 * MID))
    low = patterns[:, 6] == 1
    hunger = sigmoid(-3.8 + 1.5 * MID[None, :] + 0.9 * low[:, None])
    base *= np.where(patterns[:, 4:5] == 1, hunger, 1.0 - hunger)
    per_pattern = np.empty((len(patterns), 2, N_STATES))
    for inc in (0, 1):
        seen = _bernoulli(patterns[:, 2] == 1, sigmoid(-3.0 + 4.5 * MID + 0.8 * inc))
        per_pattern[:, inc, :] = np.log(np.maximum((base * seen) @ mass.T, 1e-300))
    out = _by_pattern(child, per_pattern.reshape(len(patterns), -1)).reshape(n, 2, N_STATES)

    sn = np.arange(N_STATES) / (N_STATES - 1)
    behaviour = _bernoulli(answers[:, 8] == 1, sigmoid(-3.5 + 3.0 * sn))
    lam = 1.2 + 3.0 * sn
    days = answers[:, 9].astype(np.float64)[:, None]
    log_factorial = np.array([math.lgamma(d + 1.0) for d in range(32)])
    log_pmf = days * np.log(lam) - lam - log_factorial[answers[:, 9], None]
    # days_absent is capped at 31: the cap's tail mass is below 1e-12 for these rates.
    out += (np.log(behaviour) + log_pmf)[:, None, :]
    for inc in (0, 1):
        injury = _bernoulli(answers[:, 7] == 1, sigmoid(-5.0 + 3.5 * sn + 0.8 * inc))
        out[:, inc, :] += np.log(injury)
    return out
