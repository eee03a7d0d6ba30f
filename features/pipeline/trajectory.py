"""Trajectory: change against the family's own past, the rhythm of signals, agreement, expiry.

Escalation is what practitioners watch: a family whose signals come faster than its own usual
rate, a first signal after years on record without one, two agencies that see the same family
within a month. Every value uses only records known before the as-of date (`known`), like the
rest of the pipeline, and depends on the family's own records only.

A "signal" of an agency is a police record (any kind), a positive clinic screening or a school
survey with a worrying answer (as in `agencies_signalled_*`). Windows are calendar months ending
the day before the as-of date (`features.months.months_before`).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl

from features.contracts import PROTECTION_KINDS
from features.months import months_after, months_before
from features.pipeline.prepare import Prepared, known

#: The family's earlier rate is its monthly rate over this many months before a recent window,
RATE_MONTHS: Final = 12
#: ... over the part of them it is on record for, when that part is at least this many days.
RATE_MIN_DAYS: Final = 30
#: Signals accelerate when, of the distinct signal dates in this many months, the gap between
#: the last two is shorter than the gap between the two before. (Not the gap in days itself:
#: that number stays fixed for a family from one month to the next until its next signal, so a
#: booster used it to recognise families across the overlapping label windows of training and
#: validation, and lost 0.03 AUC out of time: `docs/model.md`, "Trajectory features".)
ACCELERATION_MONTHS: Final = 12
#: A signal after silence: a signal in the last `RECENT_MONTHS`, none in `SILENCE_MONTHS` before.
RECENT_MONTHS: Final = 3
SILENCE_MONTHS: Final = 24
#: Two agencies agree when they signalled at most this many days apart ...
AGREEMENT_DAYS: Final = 30
#: ... both within this many months before the as-of date.
AGREEMENT_MONTHS: Final = 6
#: A protection "expiring" expires before this many months after the as-of date.
EXPIRY_MONTHS: Final = 2

#: Police records other than protections: the rise that makes an expiring protection a concern.
RISE_3M: Final = "_police_other_3m_trend"

_PROTECTION_VALUES = [k.value for k in PROTECTION_KINDS]


def _counts(
    recent_months: int, as_of: dt.date, name: str, condition: pl.Expr | None
) -> list[pl.Expr]:
    """Records in the last `recent_months` (`_r_<name>`) and in the `RATE_MONTHS` months before
    them (`_e_<name>`)."""
    start = months_before(as_of, recent_months)
    earlier = months_before(start, RATE_MONTHS)
    date = pl.col("event_date")
    recent = date >= start
    before = (date >= earlier) & (date < start)
    if condition is not None:
        recent, before = recent & condition, before & condition
    return [
        recent.sum().cast(pl.Float64).alias(f"_r_{name}"),
        before.sum().cast(pl.Float64).alias(f"_e_{name}"),
    ]


def _trend(recent_months: int, as_of: dt.date, name: str) -> pl.Expr:
    """Recent records minus what the family's earlier monthly rate predicts for the recent
    window. The rate is taken over the part of the `RATE_MONTHS` months before the recent window
    that the family is on record for (from its first known record, `_first`): a family on
    record for 4 of those months has its rate from those 4 months, not diluted by 8 months
    nobody saw. Null when that part is shorter than `RATE_MIN_DAYS` (no earlier rate to compare
    with)."""
    start = months_before(as_of, recent_months)
    earlier = months_before(start, RATE_MONTHS)
    window_days = (start - earlier).days
    seen_from = pl.max_horizontal(pl.col("_first"), pl.lit(earlier))
    seen_days = (pl.lit(start) - seen_from).dt.total_days()
    seen_months = seen_days.cast(pl.Float64) * (RATE_MONTHS / window_days)
    expected = pl.col(f"_e_{name}") * recent_months / seen_months
    return pl.when(seen_days >= RATE_MIN_DAYS).then(pl.col(f"_r_{name}") - expected)


def _accelerating(date: pl.Expr, as_of: dt.date) -> pl.Expr:
    """1 when the last three distinct dates within `ACCELERATION_MONTHS` months have the later
    gap shorter than the earlier one, else 0 (also with fewer than three dates)."""
    recent = date.filter(date >= months_before(as_of, ACCELERATION_MONTHS))
    last = recent.max()
    previous = recent.filter(recent < last).max()
    before = recent.filter(recent < previous).max()
    return ((last - previous) < (previous - before)).fill_null(False).cast(pl.Int8)


def agency_signals(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """`family_id`, `s_date`, `agency` of every signal known before `as_of`."""
    police = known(prepared.police, as_of).select(
        "family_id", s_date="event_date", agency=pl.lit("police")
    )
    clinic = (
        known(prepared.clinic, as_of)
        .filter("positive")
        .select("family_id", s_date="event_date", agency=pl.lit("clinic"))
    )
    school = (
        known(prepared.school, as_of)
        .filter("concern")
        .select("family_id", s_date="event_date", agency=pl.lit("school"))
    )
    return pl.concat([police, clinic, school])


def trajectory(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """`police_signals_{1m,3m}_trend`, `signals_accelerating_12m`, `signal_after_silence`,
    `agencies_agree_30d_6m` and the private `RISE_3M` per family with a known record (the caller
    sets the flags of the rest to 0; their trends stay null: no earlier rate to compare with)."""
    other = ~pl.col("kind").is_in(_PROTECTION_VALUES)
    police_counts = (
        known(prepared.police, as_of)
        .group_by("family_id")
        .agg(
            *_counts(1, as_of, "1m", None),
            *_counts(3, as_of, "3m", None),
            *_counts(3, as_of, "3m_other", other),
        )
    )
    first = _first_records(prepared, as_of)
    raw = [c for n in ("1m", "3m", "3m_other") for c in (f"_r_{n}", f"_e_{n}")]
    police = (
        first.join(police_counts, on="family_id", how="left")
        .with_columns(pl.col(raw).fill_null(0.0))
        .with_columns(
            _trend(1, as_of, "1m").alias("police_signals_1m_trend"),
            _trend(3, as_of, "3m").alias("police_signals_3m_trend"),
            _trend(3, as_of, "3m_other").alias(RISE_3M),
        )
        .drop(*raw, "_first")
    )
    signals = agency_signals(prepared, as_of)
    recent = months_before(as_of, RECENT_MONTHS)
    silent_from = months_before(recent, SILENCE_MONTHS)
    date = pl.col("s_date")
    rhythm = signals.group_by("family_id").agg(
        _accelerating(date, as_of).alias("signals_accelerating_12m"),
        (date >= recent).any().alias("_recent"),
        ((date >= silent_from) & (date < recent)).any().alias("_in_silence"),
    )
    observed = first.filter(pl.col("_first") <= silent_from)
    after_silence = (
        rhythm.join(observed, on="family_id", how="left")
        .with_columns(
            (pl.col("_recent") & ~pl.col("_in_silence") & pl.col("_first").is_not_null())
            .cast(pl.Int8)
            .alias("signal_after_silence")
        )
        .drop("_recent", "_in_silence", "_first")
    )
    return (
        police.join(after_silence, on="family_id", how="full", coalesce=True)
        .join(_agreement(signals, as_of), on="family_id", how="left")
        .with_columns(pl.col("agencies_agree_30d_6m").fill_null(0))
    )


def _first_records(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """The date of each family's earliest known record of any table (`_first`)."""
    tables = (prepared.police, prepared.clinic, prepared.school, prepared.outcomes)
    return (
        pl.concat([known(t, as_of).select("family_id", "event_date") for t in tables])
        .group_by("family_id")
        .agg(pl.col("event_date").min().alias("_first"))
    )


def _agreement(signals: pl.LazyFrame, as_of: dt.date) -> pl.LazyFrame:
    """`agencies_agree_30d_6m` = 1 for families where two different agencies signalled at most
    `AGREEMENT_DAYS` apart, both within the last `AGREEMENT_MONTHS` months."""
    recent = (
        signals.filter(pl.col("s_date") >= months_before(as_of, AGREEMENT_MONTHS))
        .select("family_id", "agency", "s_date")
        .unique()
    )
    pairs = recent.join(recent, on="family_id", suffix="_other").filter(
        (pl.col("agency") < pl.col("agency_other"))
        & ((pl.col("s_date") - pl.col("s_date_other")).dt.total_days().abs() <= AGREEMENT_DAYS)
    )
    return (
        pairs.select("family_id")
        .unique()
        .with_columns(pl.lit(1, dtype=pl.Int8).alias("agencies_agree_30d_6m"))
    )


def expiring_while_rising(as_of: dt.date) -> pl.Expr:
    """`protection_expiring_signals_rising` from the joined frame: the latest protection in
    force expires before `EXPIRY_MONTHS` months after `as_of`, and `RISE_3M` > 0."""
    horizon = (months_after(as_of, EXPIRY_MONTHS) - as_of).days
    return (
        ((pl.col("protection_days_to_expiry") < horizon) & (pl.col(RISE_3M) > 0))
        .fill_null(False)
        .cast(pl.Int8)
    )
