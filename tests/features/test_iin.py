"""Kazakh IIN: check digits, birth dates, century/sex digit, and messages without the IIN."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from features.iin import check_digit, iin_is_male, make_iin, make_iins, validate_iin


def _reference_check(prefix: str) -> int:
    """Straight transcription of the published rule, for comparison."""
    d = [int(c) for c in prefix]
    c = sum(w * x for w, x in zip(range(1, 12), d, strict=True)) % 11
    if c == 10:
        c = sum(w * x for w, x in zip([3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], d, strict=True)) % 11
    return c


def test_known_layout() -> None:
    iin = make_iin(dt.date(1985, 7, 14), male=False, serial=123)
    assert iin is not None
    assert iin[:6] == "850714"
    assert iin[6] == "4"  # 1900s, female
    assert iin[7:11] == "0123"
    assert validate_iin(iin) == dt.date(1985, 7, 14)
    assert not iin_is_male(iin)
    boy = make_iin(dt.date(2011, 2, 3), male=True, serial=4567)
    assert boy is not None
    assert boy[6] == "5"
    assert iin_is_male(boy)


@given(
    born=st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)),
    male=st.booleans(),
    serial=st.integers(0, 9999),
)
def test_make_then_validate_roundtrip(born: dt.date, male: bool, serial: int) -> None:
    iin = make_iin(born, male=male, serial=serial)
    prefix = f"{born:%y%m%d}{(3 if born.year < 2000 else 5) + (0 if male else 1)}{serial:04d}"
    if _reference_check(prefix) == 10:
        assert iin is None  # never issued
    else:
        assert iin == prefix + str(_reference_check(prefix))
        assert validate_iin(iin, today=dt.date(2099, 12, 31)) == born


def test_some_prefixes_are_unusable() -> None:
    results = [make_iin(dt.date(1990, 1, 1), male=True, serial=s) for s in range(200)]
    assert any(r is None for r in results)
    assert sum(r is not None for r in results) > 150


def test_vectorised_matches_scalar() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    year = rng.integers(1930, 2025, n)
    month = rng.integers(1, 13, n)
    day = rng.integers(1, 29, n)
    male = rng.random(n) < 0.5
    serial = rng.integers(0, 10000, n)
    iins = make_iins(year, month, day, male, serial)
    for i in range(n):
        text = f"{iins[i]:012d}"
        assert validate_iin(text) == dt.date(int(year[i]), int(month[i]), int(day[i]))
        assert iin_is_male(text) == bool(male[i])
        scalar = make_iin(
            dt.date(int(year[i]), int(month[i]), int(day[i])), male=bool(male[i]),
            serial=int(serial[i]),
        )  # fmt: skip
        if scalar is not None:  # usable serials are kept as they are
            assert text == scalar
    assert int(check_digit([0] * 11)) == 0


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("12345", "12 digits"),
        ("85071440012x", "12 digits"),
        ("850714700123", "7th digit"),
        ("851314400123", "birth date"),
        ("850230400123", "birth date"),
    ],
)
def test_invalid_iins_are_refused_without_echoing_them(value: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as err:
        validate_iin(value)
    assert value not in str(err.value)


def test_wrong_check_digit_is_refused() -> None:
    iin = make_iin(dt.date(1985, 7, 14), male=False, serial=123)
    assert iin is not None
    wrong = iin[:11] + str((int(iin[11]) + 1) % 10)
    with pytest.raises(ValueError, match="check digit") as err:
        validate_iin(wrong)
    assert wrong not in str(err.value)


@pytest.mark.parametrize(
    ("born", "today"),
    [
        (dt.date(2099, 1, 1), None),  # the example of issue 15: accepted before
        (dt.date(2025, 6, 16), dt.date(2025, 6, 15)),  # one day after `today`
    ],
)
def test_birth_date_in_the_future_is_refused(born: dt.date, today: dt.date | None) -> None:
    iin = next(v for s in range(100) if (v := make_iin(born, male=True, serial=s)) is not None)
    with pytest.raises(ValueError, match="future") as err:
        validate_iin(iin, today=today)
    assert iin not in str(err.value)
    assert validate_iin(iin, today=born) == born  # born today is fine
