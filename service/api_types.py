"""Field types the API's schemas share, so that a rule is written once and the OpenAPI document
states it: bounded database integers, UTC datetimes, strict request scalars, the IIN.

Why each exists:

- **Bounded integers.** A number larger than its column used to reach the database driver and
  fail there (`OverflowError` on SQLite beyond 2^63, `NumericValueOutOfRange` on PostgreSQL
  beyond 2^31: a 500 or a 503). Every id and offset the API accepts is declared with
  `le=MAX_DB_INT` (and `ge`), so such a number is a 422 naming the field, and the document tells
  clients the range.
- **UTC datetimes.** Timestamps are stored as naive UTC (`service.storage.tables.utcnow`). Sent
  as they are, `2025-06-01T10:00:00` is not a valid RFC 3339 `date-time` (the offset is
  mandatory) and a client cannot tell its zone. `UtcDateTime` makes every outgoing timestamp
  timezone-aware UTC (`...+00:00`).
- **Strict scalars.** Pydantic's lax mode turns `"3"` into 3 and `true` into 1 or 1.0. An agency
  system that sends a string where the contract says integer has a bug we want it to see, not a
  silently converted record. `StrictBody` makes every `int`, `float` and `bool` field of a request
  body strict (an `int` is still accepted for a `float`); dates and enums still come as strings.
- **The IIN.** `IinStr` carries the pattern and a description of the check-digit rule, so a
  client can validate before sending; the full check runs in `features.iin.validate_iin`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Final

from fastapi import Path
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict

#: The largest value every id column holds: the ids are `Integer` columns, 32-bit on PostgreSQL
#: (`INTEGER`, 2^31-1) and 64-bit on SQLite. A column made `BigInteger` may raise its own bound.
MAX_DB_INT: Final = 2**31 - 1


def as_utc(value: dt.datetime) -> dt.datetime:
    """`value` as a timezone-aware UTC datetime; a naive value is taken to be UTC already (that
    is how the service stores timestamps)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


#: A timestamp sent as RFC 3339 with its UTC offset (`2025-06-01T10:00:00+00:00`).
UtcDateTime = Annotated[
    dt.datetime,
    AfterValidator(as_utc),
    Field(description="UTC, RFC 3339 with offset."),
]
#: A database id in a request body (1 .. 2^31-1).
DbId = Annotated[int, Field(ge=1, le=MAX_DB_INT)]

IIN_PATTERN: Final = r"^[0-9]{12}$"
IIN_DESCRIPTION: Final = (
    "12-digit IIN (individual identification number): YYMMDD birth date (not in the future), "
    "a century-and-sex digit 1-6 (1/2: 1800s, 3/4: 1900s, 5/6: 2000s), a 4-digit serial and a "
    "check digit: the sum of the first 11 digits weighted 1..11, mod 11; when that is 10, the "
    "weights 3..11,1,2 are used instead, and a result of 10 again is never issued."
)
#: An IIN in a request body; `features.iin.validate_iin` checks the date and the check digit.
IinStr = Annotated[
    str, Field(min_length=12, max_length=12, pattern=IIN_PATTERN, description=IIN_DESCRIPTION)
]

#: Field annotations `StrictBody` makes strict.
SCALAR_TYPES: Final = (int, float, bool, int | None, float | None, bool | None)


class StrictBody(BaseModel):
    """Base of request bodies: `int`, `float` and `bool` fields accept only JSON numbers and
    booleans of their own kind (no `"3"`, no `true` for a number), whatever class declared them.

    Content models of `features.contracts` stay lax (their loaders read Parquet), so the
    strictness is added here, to the fields of each subclass, when the class is created. Text
    formats carry no types: the bulk import validates the same schemas with
    `model_validate(..., strict=False)`, which lifts it."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        changed = False
        for field in cls.model_fields.values():
            if field.annotation in SCALAR_TYPES and not any(
                isinstance(m, Strict) for m in field.metadata
            ):
                field.metadata.append(Strict())
                changed = True
        if changed:
            cls.model_rebuild(force=True)


def example_config(example: dict[str, Any], *, forbid: bool = False) -> ConfigDict:
    """A model's config carrying one valid `example` for the OpenAPI document (`forbid`: unknown
    fields are refused, for plain `BaseModel` bodies; `StrictBody` subclasses inherit theirs)."""
    if forbid:
        return ConfigDict(extra="forbid", json_schema_extra={"examples": [example]})
    return ConfigDict(json_schema_extra={"examples": [example]})


#: A database id in a path (1 .. 2^31-1).
IdPath = Annotated[int, Path(ge=1, le=MAX_DB_INT, description="A numeric id (1 .. 2^31-1).")]
