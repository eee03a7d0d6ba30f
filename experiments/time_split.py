"""Which records and which as-of months a training run may use: the time split.

Time rules (triage's buffer rule):
- only records with `knowledge_date < until` are read (`known_before`);
- no label window of any as-of date reaches past `until` (`as_of + horizon <= until`);
- the held-out (validation) period is the last `valid_months` as-of dates before that buffer;
  it serves early stopping, calibration and the run's metrics;
- training as-of dates end before the first held-out date; with `inner_buffer` they end where
  their label windows end by the first held-out date, so no training label overlaps the
  held-out period (costs `horizon` months of the most recent training data).
Never a random split of rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

import polars as pl

from features.contracts import EVENT_TABLES, Events, empty_table
from features.months import first_of_month, monthly_dates, months_after, months_before

AGENCIES = ("police", "school", "clinic")
_AGENCY_TABLES = {
    "police": "police_signals",
    "school": "school_surveys",
    "clinic": "medical_screenings",
}


@dataclass(frozen=True)
class TimeSplit:
    """Monthly as-of dates of the training and held-out periods."""

    train_as_of: list[dt.date]
    valid_as_of: list[dt.date]
    until: dt.date
    horizon_months: int

    def label_window_ends(self) -> dict[dt.date, dt.date]:
        """As-of date -> first day after its label window."""
        return {
            d: months_after(d, self.horizon_months) for d in [*self.train_as_of, *self.valid_as_of]
        }


def time_split(
    data_start: dt.date,
    *,
    until: dt.date,
    horizon_months: int = 6,
    valid_months: int = 3,
    history_months: int = 6,
    max_train_months: int | None = None,
    inner_buffer: bool = False,
) -> TimeSplit:
    """The as-of dates of a run trained until `until` (see the module docstring)."""
    if valid_months < 1:
        raise ValueError(f"valid_months: expected at least 1, got {valid_months}")
    last = first_of_month(until)
    while months_after(last, horizon_months) > until:
        last = months_before(last, 1)
    valid = [months_before(last, k) for k in range(valid_months - 1, -1, -1)]
    train_last = months_before(valid[0], 1)
    while inner_buffer and months_after(train_last, horizon_months) > valid[0]:
        train_last = months_before(train_last, 1)
    first = months_after(first_of_month(data_start), history_months)
    train = monthly_dates(first, train_last) if first <= train_last else []
    if max_train_months is not None:
        train = train[-max_train_months:]
    if not train:
        needed = months_after(first, 2 * horizon_months + valid_months)
        raise ValueError(
            f"--until {until.isoformat()}: expected at least {history_months} months of history, "
            f"a {horizon_months}-month label buffer before the held-out period and "
            f"{valid_months} held-out months; data starts {data_start.isoformat()}, so --until "
            f"must be on or after about {needed.isoformat()}"
        )
    return TimeSplit(train, valid, until, horizon_months)


#: Columns a training run never sees (the scoring path is pseudonymous): the database loader
#: never loads them, so a run on a simulator directory drops them too and both runs see, and
#: fingerprint, the same data.
IDENTIFYING_COLUMNS = {"persons": ("full_name", "iin")}


def known_before(events: Events, until: dt.date) -> Events:
    """Only the records the system knew before `until` (families unchanged; persons without
    names and IINs, `IDENTIFYING_COLUMNS`)."""
    parts: dict[str, pl.DataFrame] = {}
    for name in EVENT_TABLES:
        frame: pl.DataFrame = getattr(events, name)
        if "knowledge_date" in frame.columns:
            frame = frame.filter(pl.col("knowledge_date") < until)
        hidden = IDENTIFYING_COLUMNS.get(name, ())
        if hidden:
            frame = frame.with_columns(pl.lit(None, dtype=frame.schema[c]).alias(c) for c in hidden)
        parts[name] = frame
    return Events(**parts)


def drop_agency(events: Events, agency: str) -> Events:
    """Events without one agency's records (leave-one-source-out)."""
    if agency not in _AGENCY_TABLES:
        raise ValueError(f"agency: expected one of {AGENCIES}, got {agency!r}")
    table = _AGENCY_TABLES[agency]
    return replace(events, **{table: empty_table(table)})


def data_start(events: Events) -> dt.date:
    """Earliest event date of any agency record or outcome."""
    starts = [
        getattr(events, t)["event_date"].min()
        for t in ("school_surveys", "medical_screenings", "police_signals", "outcomes")
        if getattr(events, t).height
    ]
    if not starts:
        raise ValueError("events: expected at least one agency record, got none")
    return min(starts)  # type: ignore[no-any-return]
