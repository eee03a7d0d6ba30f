"""API schemas of authentication."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel


class TokenRead(BaseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_at: dt.datetime
