"""API schemas of administration: users, district capacity, linking records."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from service.api_types import StrictBody, example_config
from service.auth.roles import UserRole


class UserCreate(BaseModel):
    model_config = example_config(
        {
            "username": "council.almaly",
            "password": "a long passphrase of five words",
            "role": "council",
            "district": "Almaly",
            "institution_id": None,
        },
        forbid=True,
    )
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")
    password: str = Field(min_length=12, max_length=256)
    role: UserRole
    district: str | None = None
    institution_id: str | None = None
    region: str | None = Field(
        default=None,
        max_length=64,
        description="Regional users only: the region (of the registry) whose statistics they read.",
    )


class UserRead(BaseModel):
    id: int
    username: str
    role: str
    district: str | None
    institution_id: str | None
    region: str | None = None
    active: bool


class UnlinkedRead(BaseModel):
    record_type: str
    record_id: str
    institution_id: str
    knowledge_date: dt.date


class UnlinkedPage(BaseModel):
    total: int
    records: list[UnlinkedRead]


class RelinkRead(BaseModel):
    linked: int
    still_unlinked: int


class CapacityUpdate(StrictBody):
    model_config = example_config({"capacity": 0.05}, forbid=True)
    capacity: float = Field(gt=0, le=1, description="Share of the district's families listed.")


class CapacityRead(BaseModel):
    district: str
    capacity: float


class PasswordReset(BaseModel):
    """A new one-time password: shown in this answer only, stored as an argon2 hash."""

    user: UserRead
    one_time_password: str
