"""Signed checkpoints of the access log: its head, published where the database cannot reach.

The hash chain (`service.audit.access_log`) shows that no entry changed relative to the others,
but whoever can write the database can still delete the newest entries, recompute every hash
after an edit, or restore an older backup, and the chain alone stays consistent. So the service
signs the chain's head, in the style of an RFC 6962 signed tree head: {count, last id, head
hash, time} signed with an Ed25519 key the database does not hold, appended as one JSON line to
a file the database's writers cannot write. A chain that lost entries no longer contains the
signed head; a forged continuation has a head nobody signed; and a copy of any checkpoint kept
by an auditor keeps proving that the log had at least those entries.

Each committed batch of entries writes two lines (`service.storage.anchor`): a `pending` line
before the commit (flushed to disk), naming the head the commit will produce, and a `committed`
line after it. A crash between the two leaves the chain at either head, both signed, so a crash
is never mistaken for tampering; the `committed` line is what makes deleting the newest entries
detectable.

This module holds the pieces: the checkpoint and its signature, the key (from settings), and
the file.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import json
import os
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TypeVar

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from features.atomic import write_atomic
from service.auth.security import InsecureSettingsError
from service.settings import Settings

#: Generated in demo mode only, next to the other demo secrets.
DEMO_KEY_FILE: Final = "checkpoint-key.pem"
#: Domain separation: a signature over a checkpoint can never be replayed as anything else.
SIGNED_PREFIX: Final = b"patronage access-log checkpoint v1\n"
GENESIS_HASH: Final = "0" * 64
_STATES: Final = ("pending", "committed")
_T = TypeVar("_T")


@dataclass(frozen=True)
class Head:
    """A state of the chain: `count` entries, the last with id `last_id` and hash `hash`."""

    count: int
    last_id: int
    hash: str


#: The empty chain.
EMPTY: Final = Head(count=0, last_id=0, hash=GENESIS_HASH)


class CheckpointFormatError(ValueError):
    """A checkpoint (a line of the file, or one an auditor sent) is not well formed."""


@dataclass(frozen=True)
class Checkpoint:
    """A signed statement about the chain's head. `pending`: a commit to this head is about to
    be attempted (the chain is at this head or at the previous committed one); otherwise the
    chain reached this head."""

    head: Head
    at: str  # ISO 8601 UTC, when it was signed
    pending: bool
    key_id: str  # which key signed it (see `key_id`)
    signature: str  # base64 of the Ed25519 signature
    #: SHA-256 of the file's previous line (64 zeros for the first): the lines form a chain of
    #: their own, so checking the last line's signature vouches for every line before it.
    previous: str = GENESIS_HASH

    def statement(self) -> dict[str, object]:
        """The signed fields."""
        return {
            "count": self.head.count,
            "last_id": self.head.last_id,
            "head": self.head.hash,
            "at": self.at,
            "state": "pending" if self.pending else "committed",
            "key_id": self.key_id,
            "previous": self.previous,
        }

    def as_json(self) -> dict[str, object]:
        return {**self.statement(), "signature": self.signature}

    @classmethod
    def parse(cls, data: object) -> Checkpoint:
        """A checkpoint from its JSON object; `CheckpointFormatError` names the bad field."""
        if not isinstance(data, Mapping):
            raise CheckpointFormatError(
                f"checkpoint: expected a JSON object, got {type(data).__name__}"
            )
        count = _field(data, "count", int)
        last_id = _field(data, "last_id", int)
        head = _field(data, "head", str)
        state = _field(data, "state", str)
        if count < 0 or last_id < 0 or (count == 0) != (last_id == 0):
            raise CheckpointFormatError(
                f"count, last_id: expected both 0 or both positive, got {count}, {last_id}"
            )
        previous = _field(data, "previous", str)
        for name, value in (("head", head), ("previous", previous)):
            if len(value) != 64 or any(c not in "0123456789abcdef" for c in value):
                raise CheckpointFormatError(f"{name}: expected 64 lowercase hex digits")
        if state not in _STATES:
            raise CheckpointFormatError("state: expected pending or committed")
        return cls(
            head=Head(count=count, last_id=last_id, hash=head),
            at=_field(data, "at", str),
            pending=state == "pending",
            key_id=_field(data, "key_id", str),
            signature=_field(data, "signature", str),
            previous=previous,
        )


def _field(data: Mapping[str, object], name: str, kind: type[_T]) -> _T:
    value = data.get(name)
    # bool is an int in Python; a checkpoint's numbers are never booleans.
    if not isinstance(value, kind) or isinstance(value, bool):
        got = "nothing" if value is None else type(value).__name__
        raise CheckpointFormatError(f"{name}: expected {kind.__name__}, got {got}")
    return value


def _message(checkpoint: Checkpoint) -> bytes:
    canonical = json.dumps(checkpoint.statement(), sort_keys=True, separators=(",", ":"))
    return SIGNED_PREFIX + canonical.encode()


def key_id(public: Ed25519PublicKey) -> str:
    """A short name of a public key: the first 16 hex digits of SHA-256 of its raw bytes."""
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


class Signer:
    """Signs checkpoints with the private key and checks them with its public half."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public = private.public_key()
        self.key_id = key_id(self.public)

    def sign(self, head: Head, *, pending: bool, previous: str = GENESIS_HASH) -> Checkpoint:
        """A checkpoint of `head`, to follow the file line whose SHA-256 is `previous`."""
        at = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
        unsigned = Checkpoint(
            head=head, at=at, pending=pending, key_id=self.key_id, signature="", previous=previous
        )
        signature = base64.b64encode(self._private.sign(_message(unsigned))).decode()
        return dataclasses.replace(unsigned, signature=signature)

    def is_genuine(self, checkpoint: Checkpoint) -> bool:
        """True when `checkpoint` was signed by this key, unchanged."""
        if checkpoint.key_id != self.key_id:
            return False
        try:
            self.public.verify(base64.b64decode(checkpoint.signature, validate=True),
                               _message(checkpoint))  # fmt: skip
        except (InvalidSignature, ValueError):
            return False
        return True

    def public_key_b64(self) -> str:
        """The raw 32-byte public key, base64: what an auditor needs to check signatures."""
        return base64.b64encode(self.public.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def load_signing_key(settings: Settings) -> Ed25519PrivateKey:
    """The checkpoint key of `PATRONAGE_CHECKPOINT_KEY_FILE` (PEM, unencrypted Ed25519).

    Outside demo mode the setting is required (`InsecureSettingsError` otherwise, like the token
    key). In demo mode a missing setting means a key generated once under `$PATRONAGE_HOME`
    (mode 0600), like the other demo secrets."""
    setting = "PATRONAGE_CHECKPOINT_KEY_FILE"
    path = settings.checkpoint_key_file
    if path is None:
        if not settings.demo:
            raise InsecureSettingsError(
                f"refusing to start outside demo mode: {setting}: expected the path of an "
                "Ed25519 private key in PEM (`openssl genpkey -algorithm ed25519 -out FILE`), "
                "kept where the database's writers cannot read it; got nothing"
            )
        path = settings.resolved_home / DEMO_KEY_FILE
        if not path.exists():
            key = Ed25519PrivateKey.generate()
            pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            write_atomic(path, pem)  # 0600 from the first byte
            return key
    try:
        data = path.expanduser().read_bytes()
    except OSError as exc:
        raise InsecureSettingsError(
            f"{setting}: expected a readable key file, got {type(exc).__name__} for {path}"
        ) from None
    try:
        loaded = load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise InsecureSettingsError(
            f"{setting}: expected an unencrypted private key in PEM, got something else in {path}"
        ) from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise InsecureSettingsError(
            f"{setting}: expected an Ed25519 key, got {type(loaded).__name__} in {path}"
        )
    return loaded


@dataclass(frozen=True)
class Line:
    """One line of the checkpoint file: its number, the checkpoint or why it is not one, and
    the SHA-256 of its bytes (what the next line's `previous` must be)."""

    number: int | None  # None: read from the file's end, where lines are not counted
    checkpoint: Checkpoint | None
    digest: str
    problem: str | None = None

    @property
    def where(self) -> str:
        return "a line near the end" if self.number is None else f"line {self.number}"


class CheckpointFile:
    """The append-only JSON-lines file of checkpoints.

    Appends are single `write` calls on an `O_APPEND` descriptor kept open, so concurrent
    writers never interleave inside a line; readers ignore a last line without its newline (one
    being written). The caller serialises appends with the chain (`service.storage.anchor`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None
        self._guard = threading.Lock()

    def exists(self) -> bool:
        return self.path.exists()

    def size(self) -> int:
        """Bytes in the file; `FileNotFoundError` when it is gone."""
        return os.stat(self.path).st_size

    def append(self, checkpoint: Checkpoint, *, sync: bool) -> tuple[int, str]:
        """Append `checkpoint` as one line (flushed to disk when `sync`); the file's new size
        and the line's SHA-256."""
        line = json.dumps(checkpoint.as_json(), sort_keys=True, separators=(",", ":"))
        data = line.encode()
        with self._guard:
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                weakref.finalize(self, os.close, self._fd)
            written = os.write(self._fd, data + b"\n")
            if written != len(data) + 1:
                raise OSError(f"checkpoint file: wrote {written} of {len(data) + 1} bytes")
            if sync:
                os.fsync(self._fd)
            return os.fstat(self._fd).st_size, hashlib.sha256(data).hexdigest()

    def read(self, *, offset: int = 0, first_line: int | None = 1) -> tuple[list[Line], int]:
        """The complete lines from byte `offset` on (numbered from `first_line`; None: not
        numbered), parsed but not yet checked (`check_lines`), and the offset after the last
        complete line."""
        with open(self.path, "rb") as handle:
            handle.seek(offset)
            data = handle.read()
        end = data.rfind(b"\n") + 1  # a last line without its newline is still being written
        lines = [
            _parse_line(None if first_line is None else first_line + i, raw)
            for i, raw in enumerate(data[:end].split(b"\n")[:-1])
        ]
        return lines, offset + end

    def tail(self, *, window: int = 64 * 1024) -> tuple[list[Line], int, bool]:
        """The complete lines of the file's last `window` bytes (not numbered), its end, and
        whether they are the whole file (so the first follows no line)."""
        size = self.size()
        start = max(0, size - window)
        lines, end = self.read(offset=start, first_line=None)
        if start > 0 and lines:
            lines = lines[1:]  # the first line of the window may be cut
        return lines, end, start == 0


def _parse_line(number: int | None, raw: bytes) -> Line:
    digest = hashlib.sha256(raw).hexdigest()
    try:
        checkpoint = Checkpoint.parse(json.loads(raw))
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, CheckpointFormatError
        line = Line(number, None, digest)
        reason = str(exc) if isinstance(exc, CheckpointFormatError) else "not JSON"
        return dataclasses.replace(line, problem=f"{line.where} of the checkpoint file: {reason}")
    return Line(number, checkpoint, digest)


def check_lines(lines: list[Line], signer: Signer, *, previous: str | None) -> list[str]:
    """What is wrong with `lines` (consecutive lines of the file): unreadable lines, a line
    that does not follow the one before (`previous`: the digest of the line before the first,
    None when unknown), and a last line not signed by `signer`. Its signature vouches for every
    line before it through the `previous` links, so one signature check covers them all."""
    problems = [line.problem for line in lines if line.problem is not None]
    for line in lines:
        checkpoint = line.checkpoint
        if checkpoint is not None and previous is not None and checkpoint.previous != previous:
            problems.append(f"{line.where} of the checkpoint file does not follow the line before")
        previous = line.digest
    last = lines[-1].checkpoint if lines else None
    if last is not None and not signer.is_genuine(last):
        problems.append(f"{lines[-1].where} of the checkpoint file is not signed by this key")
    return problems
