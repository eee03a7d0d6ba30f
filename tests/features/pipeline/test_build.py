"""build_features on hand-built records with known answers, one test per feature family."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from features.contracts import GEOGRAPHY_COLUMNS, PROTECTED_ATTRIBUTES, PoliceKind
from features.pipeline import build_features
from features.registry import FEATURES
from tests.features.pipeline.builders import D, EventsBuilder

AS_OF = D(2024, 7, 1)


def row(b: EventsBuilder, family_id: str = "F1", as_of: dt.date = AS_OF) -> dict[str, object]:
    frame = build_features(b.build(), as_of=as_of)
    return frame.filter(pl.col("family_id") == family_id).row(0, named=True)


def test_columns_types_order_and_cohort() -> None:
    b = EventsBuilder().family("F2").family("F1").family("F3")
    b.police("F9", "domestic_call", D(2024, 1, 1))  # not in the cohort: no row
    frame = build_features(b.build(), as_of=AS_OF)
    assert frame.columns == ["family_id", *FEATURES]
    assert frame["family_id"].to_list() == ["F1", "F2", "F3"]
    units = {"count": pl.Int32, "days": pl.Int32, "flag": pl.Int8, "score": pl.Float64}
    for name, spec in FEATURES.items():
        if spec.unit in units:
            assert frame.schema[name] == units[spec.unit], name


def test_protected_attributes_and_geography_are_never_features() -> None:
    b = EventsBuilder()
    b.family("F1", ethnicity="a", language="kk", income_group="low", urban=True, region="R1")
    b.family(
        "F2",
        ethnicity="b",
        language="ru",
        income_group="high",
        urban=False,
        region="R2",
        district="D9",
        disability_in_household=True,
        single_parent=True,
    )
    for fid in ("F1", "F2"):
        b.police(fid, "domestic_call", D(2024, 5, 1))
        b.clinic(fid, D(2024, 4, 1), hits=(3, 3, 3, 3))
    frame = build_features(b.build(), as_of=AS_OF)
    forbidden = set(PROTECTED_ATTRIBUTES) | set(GEOGRAPHY_COLUMNS)
    assert not forbidden & set(frame.columns)
    # Same records, different protected attributes and geography: identical features.
    assert frame.row(0)[1:] == frame.row(1)[1:]


def test_police_counts_per_kind_and_window() -> None:
    b = EventsBuilder().family("F1")
    # as-of 2024-07-01: 1m from 06-01, 3m from 04-01, 6m from 01-01, 12m from 2023-07-01
    for day in (
        D(2024, 6, 30),
        D(2024, 6, 1),
        D(2024, 5, 31),
        D(2024, 3, 31),
        D(2023, 7, 1),
        D(2023, 6, 30),
    ):
        b.police("F1", "domestic_call", day)
    b.police("F1", "weapon_present", D(2024, 6, 10))
    r = row(b)
    assert [r[f"police_domestic_call_{w}"] for w in ("1m", "3m", "6m", "12m", "all")] == [
        2,
        3,
        4,
        5,
        6,
    ]
    assert r["police_weapon_present_1m"] == 1
    assert r["police_signals_1m"] == 3
    assert r["police_signals_all"] == 7
    assert r["police_criminal_offense_all"] == 0
    assert r["days_since_police_domestic_call"] == 1
    assert r["days_since_police_weapon_present"] == 21
    assert r["days_since_police_signal"] == 1
    assert r["days_since_police_criminal_offense"] is None


def test_month_end_windows_clamp() -> None:
    b = EventsBuilder().family("F1")
    b.police("F1", "domestic_call", D(2024, 2, 29)).police("F1", "domestic_call", D(2024, 2, 28))
    r = row(b, as_of=D(2024, 3, 31))  # 1m window starts 2024-02-29 (clamped)
    assert r["police_domestic_call_1m"] == 1


def test_school_clinic_and_incident_counts() -> None:
    b = EventsBuilder().family("F1", n_children=2)
    b.school("F1", D(2024, 6, 15), person="C1")  # no concern
    b.school("F1", D(2024, 2, 1), person="C2", feels_safe=2)  # concern via feels_safe
    b.school("F1", D(2023, 2, 1), person="C1", hurt_by_adult=True)
    b.clinic("F1", D(2024, 6, 20))  # negative
    b.clinic("F1", D(2024, 5, 1), injury_inconsistent=True)  # positive
    b.clinic("F1", D(2023, 1, 1), wast=("a_lot", "great"))  # positive (WAST pattern)
    b.outcome("F1", D(2024, 3, 1), kind="hospital_injury")
    r = row(b)
    assert (r["school_surveys_1m"], r["school_surveys_6m"], r["school_surveys_all"]) == (1, 2, 3)
    assert (r["school_concerns_1m"], r["school_concerns_6m"], r["school_concerns_all"]) == (0, 1, 2)
    assert (r["clinic_screenings_1m"], r["clinic_screenings_all"]) == (1, 3)
    assert (r["clinic_positive_1m"], r["clinic_positive_3m"], r["clinic_positive_all"]) == (0, 1, 2)
    assert (r["serious_incidents_3m"], r["serious_incidents_6m"]) == (0, 1)
    assert r["days_since_school_survey"] == 16
    assert r["days_since_school_concern"] == (AS_OF - D(2024, 2, 1)).days
    assert r["days_since_clinic_positive"] == (AS_OF - D(2024, 5, 1)).days
    assert r["days_since_serious_incident"] == (AS_OF - D(2024, 3, 1)).days
    assert r["clinic_positive_share"] == pytest.approx(2 / 3)
    assert r["school_concern_share"] == pytest.approx(2 / 3)
    assert r["school_children_surveyed_share_12m"] == pytest.approx(1.0)


def test_forms_count_police_and_clinic_records() -> None:
    b = EventsBuilder().family("F1")
    b.police("F1", "domestic_call", D(2024, 6, 1), forms=("physical", "psychological"))
    b.clinic("F1", D(2024, 5, 1), forms=("physical",))
    b.police("F1", "criminal_offense", D(2022, 5, 1), forms=("economic",))
    r = row(b)
    assert (r["form_physical_12m"], r["form_physical_all"]) == (2, 2)
    assert (r["form_psychological_12m"], r["form_economic_12m"], r["form_economic_all"]) == (
        1,
        0,
        1,
    )
    assert r["form_sexual_all"] == 0
    assert r["form_spiritual_all"] == 0


def test_instrument_latest_worst_trend() -> None:
    b = EventsBuilder().family("F1")
    b.clinic("F1", D(2024, 1, 10), hits=(4, 4, 4, 4), phq2=5, wast=("a_lot", "some"))
    b.clinic("F1", D(2024, 3, 10), hits=(2, 2, 2, 2), phq2=1)
    # two screenings on the latest date: the worst of the day stands
    b.clinic("F1", D(2024, 6, 10), hits=(1, 1, 1, 1), phq2=2, wast=("some", "none"))
    b.clinic("F1", D(2024, 6, 10), hits=(3, 3, 3, 3), phq2=0)
    b.school("F1", D(2024, 2, 1), person="C1", feels_safe=4, afraid_of_adult=True)
    b.school("F1", D(2024, 5, 1), person="C1", feels_safe=3)
    b.school("F1", D(2024, 5, 1), person="C2", feels_safe=1, seen_violence=True, hurt_by_adult=True)
    r = row(b)
    assert (r["hits_latest"], r["hits_max"], r["hits_trend"]) == (12.0, 16.0, 4.0)
    assert (r["phq2_latest"], r["phq2_max"], r["phq2_trend"]) == (2.0, 5.0, 1.0)
    assert (r["wast_latest"], r["wast_max"], r["wast_trend"]) == (1.0, 3.0, 1.0)
    assert r["school_feels_safe_latest"] == 1.0
    assert r["school_feels_safe_min"] == 1.0
    assert r["school_feels_safe_trend"] == -3.0
    assert (r["school_concern_items_latest"], r["school_concern_items_trend"]) == (2.0, 1.0)


def test_never_screened_is_missing_not_zero() -> None:
    b = EventsBuilder().family("F1").family("F2")
    b.clinic("F2", D(2024, 1, 1))  # screened negative
    b.school("F2", D(2024, 1, 1))
    never, negative = row(b, "F1"), row(b, "F2")
    assert never["clinic_never_screened"] == 1
    assert negative["clinic_never_screened"] == 0
    assert never["school_never_surveyed"] == 1
    assert negative["school_never_surveyed"] == 0
    for name in ("hits_latest", "phq2_max", "clinic_positive_share", "school_feels_safe_latest"):
        assert never[name] is None, name
        assert negative[name] is not None, name
    assert negative["clinic_positive_share"] == 0.0
    assert negative["hits_trend"] is None  # one screening: no trend


def test_multi_agency_convergence() -> None:
    b = EventsBuilder().family("F1").family("F2")
    b.police("F1", "domestic_call", D(2024, 6, 1))
    b.clinic("F1", D(2024, 5, 1), hits=(3, 3, 3, 3))  # positive
    b.school("F1", D(2023, 12, 1), afraid_of_adult=True)  # in 12m, not 3m
    b.clinic("F2", D(2024, 6, 1))  # negative screening is not a signal
    f1, f2 = row(b, "F1"), row(b, "F2")
    assert (f1["agencies_signalled_3m"], f1["agencies_signalled_12m"]) == (2, 3)
    assert (f2["agencies_signalled_3m"], f2["agencies_signalled_12m"]) == (0, 0)


def test_protection_active_expiry_and_violations() -> None:
    b = EventsBuilder().family("F1").family("F2")
    b.police("F1", "protective_order", D(2024, 6, 1), valid_until=D(2024, 7, 15))
    b.police("F1", "court_requirements", D(2024, 6, 5), valid_until=D(2024, 12, 5))
    b.police("F1", "order_violation", D(2024, 6, 10))  # while active
    b.police("F1", "order_violation", D(2024, 3, 1))  # before any order
    b.police("F2", "protective_order", D(2024, 1, 1), valid_until=D(2024, 1, 30))
    f1, f2 = row(b, "F1"), row(b, "F2")
    assert f1["protection_active"] == 1
    assert f1["protection_days_to_expiry"] == (D(2024, 12, 5) - AS_OF).days
    assert f1["protection_violations_while_active"] == 1
    assert f2["protection_active"] == 0
    assert f2["protection_days_to_expiry"] is None


def test_expired_orders_without_extension_while_signals_continue() -> None:
    b = EventsBuilder().family("F1").family("F2").family("F3")
    for fid in ("F1", "F2", "F3"):
        b.police(fid, "protective_order", D(2024, 1, 1), valid_until=D(2024, 1, 30))
        b.police(fid, "domestic_call", D(2024, 3, 1))  # signal within 90 days of expiry
    b.police("F2", "protective_order", D(2024, 2, 5), valid_until=D(2024, 3, 5))  # extension
    b.police("F2", "protective_order", D(2024, 2, 5), valid_until=D(2024, 3, 5))  # duplicate row
    frame = build_features(b.build(), as_of=AS_OF).select(
        "family_id", "protection_expired_unextended"
    )
    got = dict(frame.iter_rows())
    # F2's first order was extended; its second expired unextended but no signal followed it.
    assert got == {"F1": 1, "F2": 0, "F3": 1}


def test_household_children() -> None:
    b = EventsBuilder().family("F1", n_children=3).family("F2")
    b.person("F1", birth_year=2010)
    b.person("F1", birth_year=2020)
    b.person("F1", birth_year=2025)  # born after the as-of year: not counted in ages
    b.person("F1", role="adult", birth_year=1980)
    f1, f2 = row(b, "F1"), row(b, "F2")
    assert (f1["n_children"], f1["youngest_child_age"], f1["oldest_child_age"]) == (3, 4, 14)
    assert (
        f2["n_children"],
        f2["youngest_child_age"],
        f2["school_children_surveyed_share_12m"],
    ) == (
        0,
        None,
        None,
    )


@pytest.mark.parametrize("kind", list(PoliceKind))
def test_every_police_kind_has_its_own_columns(kind: PoliceKind) -> None:
    b = EventsBuilder().family("F1")
    valid = D(2024, 12, 1) if kind.value in ("protective_order", "court_requirements") else None
    b.police("F1", kind.value, D(2024, 6, 20), valid_until=valid)
    r = row(b)
    assert r[f"police_{kind}_1m"] == 1
    assert r[f"days_since_police_{kind}"] == 11
    others = [k for k in PoliceKind if k != kind]
    assert all(r[f"police_{k}_all"] == 0 for k in others)


def test_features_change_over_time() -> None:
    b = EventsBuilder().family("F1")
    b.police("F1", "domestic_call", D(2024, 3, 1), known=D(2024, 3, 20))
    early = row(b, as_of=D(2024, 3, 15))
    late = row(b, as_of=D(2024, 4, 1))
    later = row(b, as_of=D(2024, 9, 1))
    assert early["police_domestic_call_all"] == 0  # happened, not yet known
    assert late["police_domestic_call_1m"] == 1
    assert later["police_domestic_call_1m"] == 0
    assert later["police_domestic_call_all"] == 1
    assert late["days_since_police_domestic_call"] == 31
    assert later["days_since_police_domestic_call"] == (D(2024, 9, 1) - D(2024, 3, 1)).days


def test_empty_tables_build() -> None:
    frame = build_features(EventsBuilder().family("F1").build(), as_of=AS_OF)
    assert frame.height == 1
    assert frame["police_signals_all"].to_list() == [0]


def test_as_of_must_be_a_date() -> None:
    with pytest.raises(TypeError, match="as_of"):
        build_features(EventsBuilder().family("F1").build(), as_of="2024-01-01")  # type: ignore[arg-type]
