"""Trajectory features on hand-built records with known answers, and their point-in-time rule."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from features.pipeline import build_features
from features.registry import FEATURES
from tests.features.pipeline.builders import D, EventsBuilder

# as-of 2024-07-01: last month from 06-01, last 3 months from 04-01, last 6 months from 01-01;
# the 12 months before the last month: 2023-06-01..2024-05-31, before the last 3: 2023-04-01..
# 2024-03-31; the 24 months of silence before the last 3: 2022-04-01..2024-03-31.
AS_OF = D(2024, 7, 1)
TRAJECTORY = (
    "police_signals_1m_trend",
    "police_signals_3m_trend",
    "signals_accelerating_12m",
    "signal_after_silence",
    "agencies_agree_30d_6m",
    "protection_expiring_signals_rising",
)
POSITIVE = (5, 5, 5, 5)  # HITS 20 > 10: a positive screening


def rows(b: EventsBuilder, as_of: dt.date = AS_OF) -> dict[str, dict[str, object]]:
    frame = build_features(b.build(), as_of=as_of)
    return {r["family_id"]: r for r in frame.iter_rows(named=True)}


def test_the_trajectory_features_are_in_the_registry() -> None:
    assert {n: FEATURES[n].unit for n in TRAJECTORY} == {
        "police_signals_1m_trend": "score",
        "police_signals_3m_trend": "score",
        "signals_accelerating_12m": "flag",
        "signal_after_silence": "flag",
        "agencies_agree_30d_6m": "flag",
        "protection_expiring_signals_rising": "flag",
    }


def test_recent_police_signals_against_the_familys_own_rate() -> None:
    b = EventsBuilder()
    for fid in ("F1", "F2", "F3", "F4", "F5", "F6", "F7"):
        b.family(fid)
    for day in (
        D(2024, 6, 15),  # last month, last 3 months
        D(2024, 5, 10),  # last 3 months; the 12 months before the last month
        D(2024, 3, 31),  # before both recent windows, inside both earlier ones
        D(2023, 6, 1),  # first day of the 12 months before the last month
        D(2023, 5, 31),  # only in the 12 months before the last 3
        D(2023, 3, 31),  # before every window (and on record before both earlier ones)
    ):
        b.police("F1", "domestic_call", day)
    b.school("F2", D(2023, 1, 10))  # on record for all of both earlier periods
    b.police("F2", "criminal_offense", D(2024, 1, 15))
    b.police("F2", "protective_order", D(2024, 2, 1), valid_until=D(2024, 3, 1))
    # F4 on record from 2023-12-01: 4 of the 12 months before the last 3 (122 of 366 days),
    # 6 of the 12 months before the last month (183 of 366 days)
    b.school("F4", D(2023, 12, 1))
    b.police("F4", "domestic_call", D(2024, 2, 10))
    b.police("F4", "domestic_call", D(2024, 3, 10))
    b.police("F4", "domestic_call", D(2024, 6, 10))
    b.police("F5", "domestic_call", D(2024, 6, 10))  # first on record in the last month
    b.school("F6", D(2024, 5, 2))  # 30 days on record before the last month
    b.school("F7", D(2024, 5, 3))  # 29 days
    r = rows(b)
    assert r["F1"]["police_signals_1m_trend"] == pytest.approx(1 - 3 / 12)
    assert r["F1"]["police_signals_3m_trend"] == pytest.approx(2 - 3 * 3 / 12)
    # quiet lately after two signals: below the family's own rate
    assert r["F2"]["police_signals_1m_trend"] == pytest.approx(-2 / 12)
    assert r["F2"]["police_signals_3m_trend"] == pytest.approx(-2 * 3 / 12)
    # the rate of the months on record, not diluted by months before the family's first record
    assert r["F4"]["police_signals_1m_trend"] == pytest.approx(1 - 2 / 6)
    assert r["F4"]["police_signals_3m_trend"] == pytest.approx(1 - 2 * 3 / 4)
    # no earlier period on record: nothing to compare with (missing, not 0)
    assert r["F5"]["police_signals_1m_trend"] is None
    assert r["F5"]["police_signals_3m_trend"] is None
    assert r["F3"]["police_signals_1m_trend"] is None
    assert r["F6"]["police_signals_1m_trend"] == 0.0
    assert r["F6"]["police_signals_3m_trend"] is None
    assert r["F7"]["police_signals_1m_trend"] is None


def test_signals_accelerating_within_police_and_across_agencies() -> None:
    b = EventsBuilder()
    for fid in ("F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9"):
        b.family(fid)
    for fid, days in (
        ("F1", (D(2024, 6, 20), D(2024, 6, 10), D(2024, 5, 1))),  # 10 days after 40: faster
        ("F2", (D(2024, 6, 20), D(2024, 5, 1), D(2024, 4, 21))),  # 50 after 10: slower
        ("F3", (D(2024, 6, 20), D(2024, 6, 10))),  # two dates only
        ("F5", (D(2024, 6, 21), D(2024, 6, 11), D(2024, 6, 1))),  # 10 after 10: not faster
        ("F6", (D(2024, 6, 20), D(2024, 6, 10), D(2023, 6, 30))),  # third before the 12 months
        ("F7", (D(2024, 6, 20), D(2024, 6, 10), D(2023, 7, 1))),  # third on their first day
        ("F9", (D(2024, 6, 20), D(2024, 6, 1), D(2024, 5, 25))),  # 19 after 7: slower
    ):
        for day in days:
            b.police(fid, "domestic_call", day)
    # across agencies, a date counted once: 06-20 (school and police), 06-15, 03-01
    b.school("F4", D(2024, 6, 20), afraid_of_adult=True)
    b.police("F4", "domestic_call", D(2024, 6, 20))
    b.clinic("F4", D(2024, 6, 15), hits=POSITIVE)
    b.police("F4", "domestic_call", D(2024, 3, 1))
    b.clinic("F9", D(2024, 6, 15))  # a negative screening is not a signal
    b.school("F9", D(2024, 6, 16))  # nor a survey without a worrying answer
    r = rows(b)
    flags = {fid: r[fid]["signals_accelerating_12m"] for fid in sorted(r)}
    assert flags == {
        **{"F1": 1, "F2": 0, "F3": 0, "F4": 1, "F5": 0},
        **{"F6": 0, "F7": 1, "F8": 0, "F9": 0},
    }


def test_a_signal_after_two_years_on_record_without_one() -> None:
    b = EventsBuilder()
    for fid in ("F1", "F2", "F3", "F4", "F5", "F6", "F7"):
        b.family(fid)
    b.school("F1", D(2022, 3, 15))  # on record before the silence began
    b.police("F1", "domestic_call", D(2024, 5, 1))
    b.school("F2", D(2022, 4, 2))  # on record only since inside the 24 months: too short
    b.police("F2", "domestic_call", D(2024, 5, 1))
    b.police("F3", "domestic_call", D(2022, 3, 1))  # an old signal before the silence
    b.police("F3", "domestic_call", D(2024, 5, 1))
    b.school("F4", D(2022, 3, 15))
    b.clinic("F4", D(2023, 1, 10), hits=POSITIVE)  # a signal inside the 24 months
    b.police("F4", "domestic_call", D(2024, 5, 1))
    b.school("F5", D(2022, 1, 15))  # on record, no recent signal
    b.clinic("F6", D(2022, 4, 1))  # on record from the first day of the silence
    b.school("F6", D(2024, 6, 1), hurt_by_adult=True)
    b.school("F7", D(2022, 3, 15), known=AS_OF)  # history not yet known at the as-of date
    b.police("F7", "domestic_call", D(2024, 5, 1))
    r = rows(b)
    flags = {fid: r[fid]["signal_after_silence"] for fid in sorted(r)}
    assert flags == {"F1": 1, "F2": 0, "F3": 1, "F4": 0, "F5": 0, "F6": 1, "F7": 0}


def test_two_agencies_within_thirty_days_in_the_last_six_months() -> None:
    b = EventsBuilder()
    for fid in ("F1", "F2", "F3", "F4", "F5", "F6"):
        b.family(fid)
    b.police("F1", "domestic_call", D(2024, 5, 1))
    b.clinic("F1", D(2024, 5, 31), hits=POSITIVE)  # 30 days apart
    b.police("F2", "domestic_call", D(2024, 5, 1))
    b.clinic("F2", D(2024, 6, 1), hits=POSITIVE)  # 31 days apart
    b.police("F3", "domestic_call", D(2024, 5, 1))
    b.police("F3", "domestic_call", D(2024, 5, 2))  # the same agency twice
    b.police("F4", "domestic_call", D(2023, 12, 31))  # before the 6 months
    b.school("F4", D(2024, 1, 1), seen_violence=True)
    b.school("F5", D(2024, 1, 1), seen_violence=True)
    b.clinic("F5", D(2024, 1, 20), hits=POSITIVE)
    b.school("F6", D(2024, 6, 1))  # no worrying answer: not a signal
    b.clinic("F6", D(2024, 6, 2), hits=POSITIVE)
    r = rows(b)
    flags = {fid: r[fid]["agencies_agree_30d_6m"] for fid in sorted(r)}
    assert flags == {"F1": 1, "F2": 0, "F3": 0, "F4": 0, "F5": 1, "F6": 0}


def test_a_protection_expiring_while_police_signals_rise() -> None:
    b = EventsBuilder()
    for fid in ("F1", "F2", "F3", "F4", "F5"):
        b.family(fid)
        b.school(fid, D(2023, 1, 10))  # on record for all of the earlier 12 months
        if fid != "F4":
            b.police(fid, "domestic_call", D(2024, 5, 15))
    for fid, until in (("F1", D(2024, 8, 31)), ("F2", D(2024, 9, 1)), ("F3", D(2024, 8, 31))):
        b.police(fid, "protective_order", D(2024, 6, 1), valid_until=until)
    for day in (D(2023, 10, 1), D(2023, 11, 1), D(2023, 12, 1), D(2024, 1, 1)):
        b.police("F3", "domestic_call", day)  # 1 recent against 4 / 4 per quarter: no rise
    b.police("F4", "protective_order", D(2024, 6, 1), valid_until=D(2024, 8, 1))  # order alone
    b.police("F5", "protective_order", D(2024, 6, 1), valid_until=D(2024, 8, 1))
    b.police("F5", "court_requirements", D(2024, 6, 1), valid_until=D(2024, 12, 31))
    r = rows(b)
    flags = {fid: r[fid]["protection_expiring_signals_rising"] for fid in sorted(r)}
    # F1: 61 days left (< 2 months), F2: 62 days (not before 09-01), F5: the latest runs on
    assert flags == {"F1": 1, "F2": 0, "F3": 0, "F4": 0, "F5": 0}
    assert r["F1"]["protection_days_to_expiry"] == 61


def test_records_known_on_or_after_the_as_of_date_change_nothing() -> None:
    def events(extra: bool) -> EventsBuilder:
        b = EventsBuilder().family("F1").family("F2")
        b.school("F1", D(2022, 1, 10))
        b.police("F1", "domestic_call", D(2024, 5, 1))
        # F2: an order expiring soon, police calls at their usual rate (1 a quarter)
        b.police("F2", "protective_order", D(2024, 5, 1), valid_until=D(2024, 8, 1))
        for day in (D(2023, 8, 1), D(2023, 9, 1), D(2023, 10, 1), D(2023, 11, 1), D(2024, 5, 1)):
            b.police("F2", "domestic_call", day)
        if extra:  # all dated before the as-of date, all known on it
            b.police("F1", "domestic_call", D(2024, 6, 20), known=AS_OF)
            b.police("F1", "domestic_call", D(2023, 1, 5), known=AS_OF)
            b.clinic("F1", D(2024, 5, 20), hits=POSITIVE, known=AS_OF)
            b.police("F2", "domestic_call", D(2024, 6, 20), known=AS_OF)
        return b

    before, after = rows(events(False)), rows(events(True))
    for fid in ("F1", "F2"):
        assert {n: before[fid][n] for n in TRAJECTORY} == {n: after[fid][n] for n in TRAJECTORY}
    assert before["F1"]["signal_after_silence"] == 1
    assert before["F2"]["protection_expiring_signals_rising"] == 0
    # one day later the same records are known, and every one of these values moves
    later = AS_OF + dt.timedelta(days=1)
    moved, unmoved = rows(events(True), later), rows(events(False), later)
    changed = {n for n in TRAJECTORY for fid in ("F1", "F2") if moved[fid][n] != unmoved[fid][n]}
    assert changed == set(TRAJECTORY)
    assert moved["F2"]["protection_expiring_signals_rising"] == 1


def test_trajectory_columns_have_the_registry_types() -> None:
    frame = build_features(EventsBuilder().family("F1").build(), as_of=AS_OF)
    kinds = {"score": pl.Float64, "days": pl.Int32, "flag": pl.Int8}
    assert {n: frame.schema[n] for n in TRAJECTORY} == {
        n: kinds[FEATURES[n].unit] for n in TRAJECTORY
    }
