"""API schemas of bulk uploads (responses; the request is a multipart form)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RowErrorRead(BaseModel):
    """One problem of one row: never the IIN or a name, only what was expected and the shape
    of what came."""

    row: int = Field(description="Row number as a spreadsheet shows it (the header is row 1).")
    column: str | None
    expected: str
    got: str | None


class ImportRead(BaseModel):
    """An upload and its result. With `errors`, nothing was stored."""

    id: int | None = Field(description="Upload id (GET /v1/imports/{id}).")
    kind: str
    status: Literal["queued", "running", "done", "failed"]
    historical: bool
    file_format: str
    rows: int = Field(description="Data rows read so far.")
    stored: int = 0
    already_stored: int = Field(
        default=0, description="Rows an earlier upload stored already (not stored twice)."
    )
    updated: int = Field(default=0, description="Register rows that changed.")
    police_outcomes: int = Field(
        default=0,
        description="Outcome rows of a police kind: the police signal is the outcome, so they "
        "are not stored again.",
    )
    errors: list[RowErrorRead] = Field(default_factory=list)
    more_errors: int = Field(default=0, description="Errors beyond those listed.")
    encoding: str | None = None
    detail: str | None = Field(default=None, description="What happened, in one sentence.")
