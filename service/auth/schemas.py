"""API schemas of authentication."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from service.api_types import UtcDateTime, example_config


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: UtcDateTime
    password_change_required: bool = Field(
        default=False,
        description="Signed in with a one-time password: this token is good only for "
        "`POST /v1/me/password`, which returns a full token.",
    )


class PasswordChange(BaseModel):
    model_config = example_config(
        {"current_password": "the old passphrase", "new_password": "a new long passphrase"},
        forbid=True,
    )
    current_password: str | None = Field(
        default=None,
        max_length=256,
        description="Required, unless signed in with a one-time password.",
    )
    new_password: str = Field(min_length=12, max_length=256)
