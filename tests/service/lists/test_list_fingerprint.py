"""The data fingerprint stored with every monthly list snapshot.

`EXPECTED` is hard-coded on purpose: an auditor re-generating a past month after a polars or
numpy upgrade must get the fingerprint the snapshot holds, so an upgrade that changes it fails
here first.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import polars as pl
import pytest

from features.fingerprint import update_digest
from service.lists.generate import LIST_FINGERPRINT_FORMAT, fingerprint

AS_OF = dt.date(2025, 6, 1)
EXPECTED = "4c2c8ebc15bdfdcfa9e6d69b8a2cddace5d113f4981c81f0f596fccd50d58a14"


def tiny_features() -> pl.DataFrame:
    """Four families with the dtypes `build_features` produces (nulls in every kind)."""
    return pl.DataFrame(
        {
            "family_id": ["f1", "f2", "f3", "f4"],
            "police_signals_12m": [3, 0, 0, 1],
            "days_since_police_signal": [12, None, None, 200],
            "protection_active": [1, 0, 0, None],
            "hits_latest": [14.0, None, 4.0, 4.0],
            "school_concern_share": [0.25, 0.0, None, 1.0],
        },
        schema={
            "family_id": pl.String,
            "police_signals_12m": pl.Int32,
            "days_since_police_signal": pl.Int32,
            "protection_active": pl.Int8,
            "hits_latest": pl.Float64,
            "school_concern_share": pl.Float64,
        },
    )


def test_fingerprint_of_tiny_features_is_pinned() -> None:
    assert fingerprint(tiny_features(), as_of=AS_OF) == EXPECTED


def test_format_is_sha256_over_tag_date_and_canonical_frame() -> None:
    digest = hashlib.sha256(b"patronage-list-fingerprint/v1\n2025-06-01")
    update_digest(digest, tiny_features(), name="features")
    assert LIST_FINGERPRINT_FORMAT == b"patronage-list-fingerprint/v1\n"
    assert fingerprint(tiny_features(), as_of=AS_OF) == digest.hexdigest()


@pytest.mark.parametrize("order", [[3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1]])
def test_row_and_column_order_do_not_matter(order: list[int]) -> None:
    features = tiny_features()
    moved = features[order].select(reversed(features.columns))
    assert moved.rows() != features.rows()
    assert fingerprint(moved, as_of=AS_OF) == fingerprint(features, as_of=AS_OF)


def test_as_of_date_is_part_of_the_fingerprint() -> None:
    features = tiny_features()
    later = fingerprint(features, as_of=dt.date(2025, 7, 1))
    assert later != fingerprint(features, as_of=AS_OF)


@pytest.mark.parametrize(
    ("column", "row", "value"),
    [
        ("family_id", 3, "f5"),
        ("police_signals_12m", 1, 1),
        ("days_since_police_signal", 1, 0),  # a known 0 is not a missing value
        ("protection_active", 3, 0),
        ("hits_latest", 2, 4.5),
        ("school_concern_share", 1, None),  # nor is a missing share 0
    ],
)
def test_any_changed_value_changes_the_fingerprint(column: str, row: int, value: object) -> None:
    features = tiny_features()
    values = features[column].to_list()
    values[row] = value
    edited = features.with_columns(pl.Series(column, values, dtype=features.schema[column]))
    assert fingerprint(edited, as_of=AS_OF) != fingerprint(features, as_of=AS_OF)


def test_moving_a_value_to_another_family_changes_the_fingerprint() -> None:
    features = tiny_features()
    swapped = features.with_columns(pl.col("police_signals_12m").reverse())
    assert fingerprint(swapped, as_of=AS_OF) != fingerprint(features, as_of=AS_OF)


def test_unsupported_dtype_names_the_column() -> None:
    features = tiny_features().with_columns(pl.col("hits_latest").cast(pl.Decimal(5, 1)))
    with pytest.raises(ValueError, match=r"features\.hits_latest: expected one of .*got Decimal"):
        fingerprint(features, as_of=AS_OF)
