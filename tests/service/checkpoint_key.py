"""The checkpoint key of a test service: an Ed25519 key in a PEM file outside its database.

Outside demo mode the service refuses to start without `PATRONAGE_CHECKPOINT_KEY_FILE`, like a
production deployment; tests give it one key per home (generated once per test run).
"""

from __future__ import annotations

import functools
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

FILE_NAME = "checkpoint-key.pem"


@functools.cache
def _pem() -> bytes:
    key = Ed25519PrivateKey.generate()
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def checkpoint_key_file(home: Path) -> Path:
    """`home/checkpoint-key.pem`, written (mode 0600) if it is not there yet."""
    path = home / FILE_NAME
    if not path.exists():
        home.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        path.write_bytes(_pem())
    return path
