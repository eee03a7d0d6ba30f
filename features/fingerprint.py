"""Data fingerprints that stay the same across polars and numpy versions.

A fingerprint is a SHA-256 over a canonical byte form of polars frames, defined here byte for
byte instead of borrowed from a library (polars' `hash_rows` changes between versions, so an
auditor re-computing a fingerprint after an upgrade would see "changed" data that did not
change). `update_digest` feeds one named frame into any hashlib digest, so every caller hashes
its own frames the same way; `events_fingerprint` is the fingerprint of a training run's data.

The byte layout of `update_digest` is part of every format tag that uses it (here
`FINGERPRINT_FORMAT`): changing it means new tags, new pinned test values and a note in the docs.
"""

from __future__ import annotations

import hashlib
import json
from typing import Final, Protocol

import numpy as np
import polars as pl

from features.contracts import EVENT_TABLES, Events

#: Bumped whenever the byte layout below changes: old fingerprints then stop matching on purpose.
FINGERPRINT_FORMAT: Final = b"patronage-events-fingerprint/v1\n"

# Canonical dtype names for the header: our own strings, not polars' reprs (which have changed
# between versions, Utf8 -> String), so the header is as stable as the values.
_DTYPES: Final[dict[pl.DataType, str]] = {
    pl.Boolean(): "bool",
    pl.Int8(): "int8",
    pl.Int16(): "int16",
    pl.Int32(): "int32",
    pl.Int64(): "int64",
    pl.UInt8(): "uint8",
    pl.UInt16(): "uint16",
    pl.UInt32(): "uint32",
    pl.Float32(): "float32",
    pl.Float64(): "float64",
    pl.Date(): "date",
    pl.String(): "string",
    pl.List(pl.String()): "list[string]",
}
# UTF-8 never contains the bytes 0xFE and 0xFF, so as terminators they cannot collide with text.
_STRING_END: Final = 0xFF
_NULL_END: Final = 0xFE


class Digest(Protocol):
    """What `update_digest` needs of a hashlib object."""

    def update(self, data: bytes, /) -> None: ...


def update_digest(digest: Digest, frame: pl.DataFrame, *, name: str) -> None:
    """Feed `frame` under `name` into `digest` in the canonical byte form.

    Independent of row and column order, and of the polars version: first a header (its byte
    length as little-endian int64, then compact JSON with sorted keys: `columns` as
    `[name, dtype]` pairs sorted by name, `rows`, `table` = `name`), then every column in name
    order, its rows sorted by all columns into a total order (`_canonical_order`), in a fixed
    binary form (`_column_bytes`). Any changed, added or removed value changes the digest.
    Raises `ValueError` naming `name.column` for a dtype without a canonical form.
    """
    frame = frame.select(sorted(frame.columns))
    columns = [[c, _dtype_name(name, c, frame.schema[c])] for c in frame.columns]
    header = json.dumps(
        {"table": name, "rows": frame.height, "columns": columns},
        sort_keys=True,
        separators=(",", ":"),
    ).encode("ascii")
    digest.update(np.array([len(header)], dtype="<i8").tobytes())
    digest.update(header)
    for column in _canonical_order(frame).iter_columns():
        digest.update(_column_bytes(column))


def events_fingerprint(events: Events) -> str:
    """A version-stable hash of every event table's content (16 hex digits of a SHA-256).

    `FINGERPRINT_FORMAT`, then each table of `EVENT_TABLES` in that order through
    `update_digest`: independent of row and column order and of the polars version.
    """
    digest = hashlib.sha256(FINGERPRINT_FORMAT)
    for name in EVENT_TABLES:
        update_digest(digest, getattr(events, name), name=name)
    return digest.hexdigest()[:16]


def _dtype_name(table: str, column: str, dtype: pl.DataType) -> str:
    if dtype not in _DTYPES:
        raise ValueError(
            f"{table}.{column}: expected one of {sorted(set(_DTYPES.values()))} "
            f"for the data fingerprint, got {dtype}"
        )
    return _DTYPES[dtype]


def _canonical_order(frame: pl.DataFrame) -> pl.DataFrame:
    """`frame` (columns already sorted) with its rows in a total order that depends only on the
    values: ascending by every column in turn, nulls last, floats with -0.0 as 0.0 and one NaN,
    lists by an injective text key (`<byte length>:<text>` per element, `-` for a null one)."""
    if frame.width == 0:
        return frame
    canonical = frame.with_columns(
        pl.when(pl.col(c) == 0).then(0.0).otherwise(pl.col(c)).cast(dtype).alias(c)
        for c, dtype in frame.schema.items()
        if dtype.is_float()
    )
    keys = [
        pl.col(c)
        .list.eval(
            pl.when(pl.element().is_null())
            .then(pl.lit("-"))
            .otherwise(pl.element().str.len_bytes().cast(pl.String) + pl.lit(":") + pl.element())
        )
        .list.join("")
        if isinstance(dtype, pl.List)
        else pl.col(c)
        for c, dtype in canonical.schema.items()
    ]
    return canonical.sort(keys, nulls_last=True, maintain_order=False)


def _column_bytes(column: pl.Series) -> bytes:
    """One column's values in the fingerprint's fixed binary form.

    - bool, integers, floats, dates: one validity byte per row (1 = present), then the values:
      booleans as one byte 0/1, integers and dates (days since 1970-01-01) as little-endian
      int64, floats as little-endian float64 with every NaN as the one quiet NaN; nulls as 0;
    - strings: each value's UTF-8 bytes followed by 0xFF, a null as the single byte 0xFE;
    - lists of strings: each row's length as little-endian int64 (-1 for a null list), then
      every element of every row in row order, encoded as strings.
    """
    dtype = column.dtype
    if dtype == pl.String:
        return _string_bytes(column)
    if isinstance(dtype, pl.List):
        lengths = column.list.len().cast(pl.Int64).fill_null(-1).to_numpy()
        elements = column.explode(empty_as_null=False, keep_nulls=False)
        return lengths.astype("<i8").tobytes() + _string_bytes(elements)
    valid = column.is_not_null().to_numpy().astype(np.uint8).tobytes()
    if dtype == pl.Boolean:
        values = column.fill_null(False).cast(pl.UInt8).to_numpy().astype(np.uint8)
    elif dtype.is_float():
        values = column.cast(pl.Float64).fill_null(0.0).to_numpy().astype("<f8")
        values[np.isnan(values)] = np.nan
        values[values == 0.0] = 0.0
    else:  # integers and dates (a date's physical value is days since the epoch)
        values = column.cast(pl.Int64).fill_null(0).to_numpy().astype("<i8")
    return valid + values.tobytes()


def _string_bytes(column: pl.Series) -> bytes:
    lengths = column.str.len_bytes().fill_null(0).cast(pl.Int64).to_numpy()
    # Via Binary: the UTF-8 bytes as polars holds them, without a detour through a Python str.
    text = np.frombuffer(column.str.join("").cast(pl.Binary).item(), dtype=np.uint8)
    ends = np.cumsum(lengths + 1) - 1
    out = np.empty(text.size + lengths.size, dtype=np.uint8)
    is_end = np.zeros(out.size, dtype=bool)
    is_end[ends] = True
    out[~is_end] = text
    out[ends] = np.where(column.is_null().to_numpy(), _NULL_END, _STRING_END)
    return out.tobytes()
