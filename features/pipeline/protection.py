"""Protection: orders and court requirements in force, expiry, violations, lapses.

A protection is a police record of kind `protective_order` or `court_requirements`, in force
from its `event_date` to its `valid_until` (inclusive). Everything here uses only records known
before the as-of date, so an extension issued but not yet recorded is not seen (as in reality).
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import polars as pl

from features.contracts import PROTECTION_KINDS, PoliceKind
from features.pipeline.prepare import Prepared, days_since, known

#: A new protection issued within this many days after expiry counts as an extension.
EXTENSION_GRACE_DAYS: Final = 14
#: Signals within this many days after expiry count as "signals continued".
CONTINUED_SIGNAL_DAYS: Final = 90

_PROTECTION_VALUES = [k.value for k in PROTECTION_KINDS]


def protection(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """`protection_active`, `protection_days_to_expiry`, `protection_violations_while_active`,
    `protection_expired_unextended` per family that ever had a protection."""
    police = known(prepared.police, as_of)
    orders = (
        police.filter(
            pl.col("kind").is_in(_PROTECTION_VALUES) & pl.col("valid_until").is_not_null()
        )
        .select("family_id", start="event_date", end="valid_until")
        .unique()
        .with_row_index("order_id")
    )
    active = (
        orders.filter(pl.col("end") >= as_of)
        .group_by("family_id")
        .agg(
            pl.lit(1, dtype=pl.Int8).alias("protection_active"),
            (-days_since(pl.col("end").max(), as_of)).alias("protection_days_to_expiry"),
        )
    )
    violations = (
        police.filter(pl.col("kind") == PoliceKind.order_violation.value)
        .select("family_id", v_date="event_date")
        .with_row_index("violation_id")
        .join(orders, on="family_id")
        .filter(pl.col("v_date").is_between(pl.col("start"), pl.col("end")))
        .group_by("family_id")
        .agg(
            pl.col("violation_id")
            .n_unique()
            .cast(pl.Int32)
            .alias("protection_violations_while_active")
        )
    )
    expired = orders.filter(pl.col("end") < as_of)
    extended = (
        expired.join(orders, on="family_id", suffix="_next")
        .filter(
            (pl.col("end_next") > pl.col("end"))
            & (pl.col("start_next") <= pl.col("end") + dt.timedelta(days=EXTENSION_GRACE_DAYS))
        )
        .select("order_id")
        .unique()
    )
    lapsed = (
        expired.join(extended, on="order_id", how="anti")
        .join(_signals(prepared, as_of), on="family_id")
        .filter(
            (pl.col("s_date") > pl.col("end"))
            & (pl.col("s_date") <= pl.col("end") + dt.timedelta(days=CONTINUED_SIGNAL_DAYS))
        )
        .group_by("family_id")
        .agg(pl.col("order_id").n_unique().cast(pl.Int32).alias("protection_expired_unextended"))
    )
    families = orders.select("family_id").unique()
    return (
        families.join(active, on="family_id", how="left")
        .join(violations, on="family_id", how="left")
        .join(lapsed, on="family_id", how="left")
    )


def _signals(prepared: Prepared, as_of: dt.date) -> pl.LazyFrame:
    """Dates of signals other than protections: police records, positive screenings, worrying
    school surveys."""
    police = (
        known(prepared.police, as_of)
        .filter(~pl.col("kind").is_in(_PROTECTION_VALUES))
        .select("family_id", s_date="event_date")
    )
    clinic = (
        known(prepared.clinic, as_of).filter("positive").select("family_id", s_date="event_date")
    )
    school = (
        known(prepared.school, as_of).filter("concern").select("family_id", s_date="event_date")
    )
    return pl.concat([police, clinic, school]).unique()
