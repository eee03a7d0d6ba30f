"""Uploaded files waiting between their preview and their commit (`/ui/uploads`).

A preview validates a file without storing anything; the commit must store exactly the file
that was previewed. So the file stays on the server between the two, under
`$PATRONAGE_HOME/ui-uploads/`, named after the SHA-256 of a random token (the form carries the
token, the disk only its hash), beside a small JSON file that binds it to the user who uploaded
it, its kind and the SHA-256 of its bytes. A preview is found again only by its token, only by
the same user, only while it is younger than `PREVIEW_TTL` and only while its bytes are
unchanged; a new preview of the same user replaces the older ones, and expired ones are removed
whenever a preview is made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from service.imports.kinds import ImportKind
from service.imports.readers import ImportTooLargeError

#: How long a preview waits for its commit.
PREVIEW_TTL: Final = dt.timedelta(minutes=30)
_CHUNK: Final = 1024 * 1024


@dataclass(frozen=True)
class Preview:
    """A previewed file: whose, what kind, and where its bytes are."""

    token: str
    user_id: int
    kind: ImportKind
    historical: bool
    filename: str
    path: Path
    created: dt.datetime


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:40]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class PreviewStore:
    """The previews of one service home (see the module)."""

    def __init__(self, directory: Path, *, ttl: dt.timedelta = PREVIEW_TTL) -> None:
        self.directory = directory
        self.ttl = ttl

    def _paths(self, token: str) -> tuple[Path, Path]:
        name = _digest(token)
        return self.directory / f"{name}.upload", self.directory / f"{name}.json"

    def save(
        self,
        stream: IO[bytes],
        *,
        user_id: int,
        kind: ImportKind,
        historical: bool,
        filename: str,
        limit: int,
        now: dt.datetime | None = None,
    ) -> Preview:
        """Keep the uploaded `stream` (at most `limit` bytes, else `ImportTooLargeError` and
        nothing kept) as a new preview of `user_id`; the user's older previews are removed."""
        now = now or dt.datetime.now(dt.UTC)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.sweep(now=now, user_id=user_id)
        token = secrets.token_urlsafe(32)
        data, meta = self._paths(token)
        size = 0
        try:
            with data.open("xb") as out:
                while chunk := stream.read(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise ImportTooLargeError(
                            f"file: expected at most {limit // (1024 * 1024)} MB, got more"
                        )
                    out.write(chunk)
            record = {
                "user_id": user_id, "kind": kind.value, "historical": historical,
                "filename": filename, "sha256": _sha256(data), "created": now.isoformat(),
            }  # fmt: skip
            meta.write_text(json.dumps(record))
        except BaseException:
            data.unlink(missing_ok=True)
            meta.unlink(missing_ok=True)
            raise
        return Preview(token, user_id, kind, historical, filename, data, now)

    def load(self, token: str, *, user_id: int, now: dt.datetime | None = None) -> Preview | None:
        """The preview of `token` if it is `user_id`'s, not expired and unchanged; else None."""
        now = now or dt.datetime.now(dt.UTC)
        if not token or len(token) > 100:
            return None
        data, meta = self._paths(token)
        try:
            record = json.loads(meta.read_text())
            created = dt.datetime.fromisoformat(record["created"])
            if record["user_id"] != user_id or now - created > self.ttl:
                return None
            if _sha256(data) != record["sha256"]:
                return None
            return Preview(
                token, user_id, ImportKind(record["kind"]), bool(record["historical"]),
                str(record["filename"]), data, created,
            )  # fmt: skip
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def discard(self, token: str) -> None:
        for path in self._paths(token):
            path.unlink(missing_ok=True)

    def sweep(self, *, now: dt.datetime, user_id: int | None = None) -> int:
        """Remove expired previews and, with `user_id`, every preview of that user; how many."""
        removed = 0
        if not self.directory.is_dir():
            return 0
        for meta in self.directory.glob("*.json"):
            try:
                record = json.loads(meta.read_text())
                created = dt.datetime.fromisoformat(record["created"])
                stale = now - created > self.ttl or record.get("user_id") == user_id
            except (OSError, ValueError, KeyError, TypeError):
                stale = True
            if stale:
                meta.with_suffix(".upload").unlink(missing_ok=True)
                meta.unlink(missing_ok=True)
                removed += 1
        return removed
