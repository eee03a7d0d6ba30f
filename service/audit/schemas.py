"""API schemas of the access log as the auditor reads and checks it."""

from __future__ import annotations

from pydantic import BaseModel


class AccessLogRead(BaseModel):
    id: int
    at: str
    username: str
    role: str
    action: str
    family_id: str | None
    district: str | None
    list_month: str | None
    hash: str


class AccessLogPage(BaseModel):
    entries: list[AccessLogRead]
    next_after: int | None


class VerifyRead(BaseModel):
    ok: bool
    entries: int
    first_bad: int | None
