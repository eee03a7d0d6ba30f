"""API schemas of the access log as the auditor reads and checks it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


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


class CheckpointRead(BaseModel):
    """A signed checkpoint of the access log: one line of the checkpoint file. Keep a copy
    outside the service and send it back to `POST /v1/audit/access-log/verify`: it proves the
    log held at least `count` entries ending with `head`."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "count": 1200,
                    "last_id": 1200,
                    "head": "9f" * 32,
                    "at": "2026-11-30T12:00:00.000000Z",
                    "state": "committed",
                    "key_id": "0123456789abcdef",
                    "previous": "3c" * 32,
                    "signature": "base64 of the 64-byte Ed25519 signature",
                }
            ]
        },
    )
    count: int = Field(ge=0, le=2**63 - 1, description="Entries in the log at this head.")
    last_id: int = Field(ge=0, le=2**63 - 1, description="Id of the last of them.")
    head: str = Field(pattern=r"^[0-9a-f]{64}$", description="Hash of the last entry.")
    at: str = Field(max_length=64, description="When it was signed (UTC).")
    state: Literal["pending", "committed"]
    key_id: str = Field(max_length=64, description="First 16 hex digits of SHA-256 of the key.")
    previous: str = Field(
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the checkpoint file's line before this one (64 zeros first).",
    )
    signature: str = Field(max_length=200, description="Ed25519 signature, base64.")


class LatestCheckpointRead(BaseModel):
    """The latest committed checkpoint and the public key that checks its signature."""

    checkpoint: CheckpointRead | None
    algorithm: Literal["Ed25519"] = "Ed25519"
    public_key: str = Field(description="The raw 32-byte public key, base64.")
    key_id: str
    signed_message: str = Field(
        description="What is signed: this prefix, then the checkpoint without `signature` as "
        "JSON with sorted keys and no spaces."
    )


class VerifyCreate(BaseModel):
    """An auditor's own copy of a checkpoint, to detect a rollback of the database together
    with the checkpoint file."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"checkpoint": CheckpointRead.model_json_schema()["examples"][0]}]
        },
    )
    checkpoint: CheckpointRead | None = None


class VerifyProblem(BaseModel):
    code: Literal[
        "entry_mismatch",
        "checkpoint_not_contained",
        "unanchored_entries",
        "checkpoint_file_invalid",
        "checkpoint_file_missing",
        "auditor_checkpoint_invalid",
        "auditor_checkpoint_not_contained",
        "checkpoint_file_behind_auditor",
    ]
    detail: str


class VerifyRead(BaseModel):
    ok: bool
    entries: int
    first_bad: int | None
    checkpoint: CheckpointRead | None = Field(
        default=None, description="The latest committed checkpoint the log was checked against."
    )
    problems: list[VerifyProblem] = Field(default_factory=list)
