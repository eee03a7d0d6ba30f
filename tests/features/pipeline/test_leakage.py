"""Leakage guarantee, property-based: what became known on or after the as-of date is invisible."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import fields
from typing import Any

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.contracts import Events, Form, OutcomeKind, PoliceKind
from features.pipeline import build_features
from tests.features.pipeline.builders import D, EventsBuilder

FAMILIES = ("F1", "F2", "F3")
START, END = D(2022, 1, 1), D(2025, 12, 31)

dates = st.dates(min_value=START, max_value=END)
forms = st.lists(st.sampled_from([f.value for f in Form]), max_size=2, unique=True)


@st.composite
def record(draw: st.DrawFn, *, known_from: dt.date | None = None) -> tuple[str, dict[str, Any]]:
    """One record of any table; with `known_from`, its knowledge date is on or after it."""
    if known_from is None:
        event = draw(dates)
        known = event + dt.timedelta(days=draw(st.integers(0, 120)))
    else:
        known = known_from + dt.timedelta(days=draw(st.integers(0, 400)))
        event = known - dt.timedelta(days=draw(st.integers(0, 400)))  # often before the as-of
    family = draw(st.sampled_from(FAMILIES))
    table = draw(st.sampled_from(["police", "clinic", "school", "outcome"]))
    args: dict[str, Any] = {"family_id": family, "event_date": event, "known": known}
    if table == "police":
        kind = draw(st.sampled_from([k.value for k in PoliceKind]))
        args["kind"] = kind
        args["forms"] = tuple(draw(forms))
        if kind in ("protective_order", "court_requirements"):
            args["valid_until"] = event + dt.timedelta(days=draw(st.integers(0, 365)))
    elif table == "clinic":
        args["hits"] = tuple(draw(st.integers(1, 5)) for _ in range(4))
        args["wast"] = (
            draw(st.sampled_from(["none", "some", "a_lot"])),
            draw(st.sampled_from(["none", "some", "great"])),
        )
        args["phq2"] = draw(st.integers(0, 6))
        args["injury_inconsistent"] = draw(st.booleans())
        args["forms"] = tuple(draw(forms))
    elif table == "school":
        args["person"] = draw(st.sampled_from(["C1", "C2"]))
        args["feels_safe"] = draw(st.integers(1, 5))
        args["afraid_of_adult"] = draw(st.booleans())
        args["hurt_by_adult"] = draw(st.booleans())
    else:
        args["kind"] = draw(st.sampled_from([k.value for k in OutcomeKind]))
    return table, args


def apply(b: EventsBuilder, records: list[tuple[str, dict[str, Any]]]) -> EventsBuilder:
    for table, args in records:
        args = dict(args)
        family, event = args.pop("family_id"), args.pop("event_date")
        if table == "police":
            b.police(family, args.pop("kind"), event, **args)
        elif table == "clinic":
            b.clinic(family, event, **args)
        elif table == "school":
            b.school(family, event, **args)
        else:
            b.outcome(family, event, **args)
    return b


def base() -> EventsBuilder:
    b = EventsBuilder()
    for i, family in enumerate(FAMILIES):
        b.family(family, n_children=i)
        for _ in range(i):
            b.person(family, birth_year=2012 + i)
    return b


def ipc_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.rechunk().write_ipc(buffer, compression="uncompressed")
    return buffer.getvalue()


FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(
    past=st.lists(record(), max_size=25),
    as_of=st.dates(min_value=D(2023, 1, 1), max_value=D(2025, 6, 30)),
    data=st.data(),
)
def test_records_known_on_or_after_as_of_change_nothing(
    past: list[tuple[str, dict[str, Any]]], as_of: dt.date, data: st.DataObject
) -> None:
    future = data.draw(st.lists(record(known_from=as_of), min_size=1, max_size=15))
    before = build_features(apply(base(), past).build(), as_of=as_of)
    after = build_features(apply(apply(base(), past), future).build(), as_of=as_of)
    assert ipc_bytes(before) == ipc_bytes(after)


@FAST
@given(
    records=st.lists(record(), min_size=1, max_size=25),
    as_of=st.dates(min_value=D(2023, 1, 1), max_value=D(2025, 6, 30)),
    seed=st.integers(0, 2**32 - 1),
)
def test_row_order_does_not_matter(
    records: list[tuple[str, dict[str, Any]]], as_of: dt.date, seed: int
) -> None:
    events = apply(base(), records).build()
    shuffled = Events(
        **{
            f.name: getattr(events, f.name).sample(fraction=1.0, shuffle=True, seed=seed)
            for f in fields(events)
        }
    )
    assert ipc_bytes(build_features(events, as_of=as_of)) == ipc_bytes(
        build_features(shuffled, as_of=as_of)
    )


def test_record_that_happened_before_but_became_known_after_is_ignored() -> None:
    as_of = D(2024, 6, 1)
    quiet = build_features(base().build(), as_of=as_of)
    late = base().police("F1", "criminal_offense", D(2024, 5, 1), known=as_of)
    late.outcome("F1", D(2024, 5, 2), known=D(2024, 6, 2))
    assert ipc_bytes(build_features(late.build(), as_of=as_of)) == ipc_bytes(quiet)
    # ... and it counts from the next day on: the property above is not vacuous.
    seen = build_features(late.build(), as_of=as_of + dt.timedelta(days=1))
    assert seen.filter(pl.col("family_id") == "F1")["police_criminal_offense_3m"].item() == 1


@settings(max_examples=30, deadline=None)
@given(records=st.lists(record(), min_size=1, max_size=20))
def test_features_are_not_a_constant_function_of_the_date(
    records: list[tuple[str, dict[str, Any]]],
) -> None:
    events = apply(base(), records).build()
    latest_known = max(
        d
        for t in ("police_signals", "medical_screenings", "school_surveys", "outcomes")
        for d in getattr(events, t)["knowledge_date"].to_list()
    )
    first_known = min(
        d
        for t in ("police_signals", "medical_screenings", "school_surveys", "outcomes")
        for d in getattr(events, t)["knowledge_date"].to_list()
    )
    # Before anything is known versus after everything is known: some count must differ.
    empty = build_features(events, as_of=first_known)
    full = build_features(events, as_of=latest_known + dt.timedelta(days=1))
    assert not empty.equals(full)
