"""Roles and the authenticated principal: the vocabulary of every access decision."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class UserRole(StrEnum):
    school = "school"
    clinic = "clinic"
    police = "police"
    council = "council"
    auditor = "auditor"
    admin = "admin"


#: Roles that submit agency records, and the record type each submits.
SUBMITTER_ROLES = (UserRole.school, UserRole.clinic, UserRole.police)


@dataclass(frozen=True)
class Principal:
    """The user behind a request, as the access checks see it (no password hash)."""

    id: int
    username: str
    role: UserRole
    district: str | None
    institution_id: str | None
