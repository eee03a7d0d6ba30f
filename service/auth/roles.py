"""Roles and the authenticated principal: the vocabulary of every access decision."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class UserRole(StrEnum):
    school = "school"
    clinic = "clinic"
    police = "police"
    council = "council"
    auditor = "auditor"
    admin = "admin"
    guardianship = "guardianship"  # one guardianship authority per district
    regional = "regional"  # statistics of the districts of one region (`User.region`), no names
    ministry = "ministry"  # statistics of every region, no names


#: Roles that read aggregate statistics only and are bound to no district (issue 14).
STATISTICS_ONLY_ROLES = (UserRole.regional, UserRole.ministry)


#: Roles that submit agency records, and the record type each submits.
SUBMITTER_ROLES = (UserRole.school, UserRole.clinic, UserRole.police, UserRole.guardianship)


@dataclass(frozen=True)
class Principal:
    """The user behind a request, as the access checks see it (no password hash)."""

    id: int
    username: str
    role: UserRole
    district: str | None
    institution_id: str | None
    #: The region of a `regional` user (None for every other role).
    region: str | None = None

    @classmethod
    def of(cls, user: Any) -> Principal:
        """The principal of a `users` row (an ORM `User` or a selected row with its columns)."""
        return cls(
            id=user.id,
            username=user.username,
            role=UserRole(user.role),
            district=user.district,
            institution_id=user.institution_id,
            region=getattr(user, "region", None),
        )
