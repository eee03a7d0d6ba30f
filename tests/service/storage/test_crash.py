"""Every 201 means committed: kill the server with SIGKILL mid-load, restart, retry.

Several clients submit records with idempotency keys to a real server process. Midway the
server is killed without warning. After a restart every request that was not acknowledged is
retried with its key; then each key must have produced exactly one stored record, and every
acknowledged record id must be the one stored.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.auth.roles import UserRole
from service.storage.db import make_engine
from service.storage.tables import IdempotencyKey, SchoolSurveyRow
from tests.service.conftest import IIN_KEY, TOKEN_KEY
from tests.service.factory import seed_home, token_for
from tests.service.server import free_port, start_server

CLIENTS = 4
PER_CLIENT = 40
KILL_AFTER = 50  # acknowledged submissions before SIGKILL


@pytest.fixture
def home(tmp_path: Path) -> Path:
    seeded = seed_home(tmp_path, iin_key=IIN_KEY.encode())
    tmp_path.joinpath("token").write_text(
        token_for(seeded.users[(UserRole.school, "Almaly")], TOKEN_KEY)
    )
    tmp_path.joinpath("iin").write_text(next(iter(seeded.iins.values())))
    return tmp_path


def body(iin: str, n: int) -> dict[str, Any]:
    return {
        "subject_iin": iin, "event_date": "2025-05-01", "feels_safe": 1 + n % 5,
        "afraid_of_adult": n % 2 == 0, "seen_violence": False, "hurt_by_adult": False,
        "hunger_neglect": False, "wants_counsellor": n % 3 == 0, "unexplained_injury": False,
        "behaviour_change": False, "days_absent": n % 31,
    }  # fmt: skip


@pytest.mark.slow
def test_acknowledged_records_survive_sigkill_exactly_once(home: Path) -> None:
    token = (home / "token").read_text()
    iin = (home / "iin").read_text()
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1/records/school-surveys"
    acked: dict[str, str] = {}  # idempotency key -> record id
    lock = threading.Lock()
    killed = threading.Event()
    server = start_server(home, port, token_key=TOKEN_KEY, iin_key=IIN_KEY)

    def client(c: int) -> None:
        with httpx.Client(timeout=10) as http:
            for n in range(PER_CLIENT):
                key = f"client{c}-{n}"
                try:
                    response = http.post(
                        url, json=body(iin, n), headers={**headers, "Idempotency-Key": key}
                    )
                except httpx.HTTPError:
                    continue  # unacknowledged: retried after the restart
                if response.status_code == 201:
                    with lock:
                        acked[key] = response.json()["record_id"]
                        if len(acked) >= KILL_AFTER and not killed.is_set():
                            killed.set()
                            server.send_signal(signal.SIGKILL)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    server.wait(timeout=30)
    assert killed.is_set(), "the server was killed midway"
    all_keys = [f"client{c}-{n}" for c in range(CLIENTS) for n in range(PER_CLIENT)]
    unacked = [k for k in all_keys if k not in acked]
    assert unacked, "the kill left some requests unacknowledged"

    server = start_server(home, port, token_key=TOKEN_KEY, iin_key=IIN_KEY)
    try:
        with httpx.Client(timeout=10) as http:
            final: dict[str, str] = {}
            for key in all_keys:  # retry everything: acknowledged keys must replay the same id
                n = key.rsplit("-", 1)[1]
                response = http.post(
                    url, json=body(iin, int(n)), headers={**headers, "Idempotency-Key": key}
                )
                assert response.status_code == 201, response.text
                final[key] = response.json()["record_id"]
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    for key, record_id in acked.items():
        assert final[key] == record_id
    engine = make_engine(f"sqlite:///{home / 'patronage.db'}")
    with Session(engine) as session:
        stored = set(session.scalars(select(SchoolSurveyRow.record_id)))
        keys = int(session.scalar(select(func.count()).select_from(IdempotencyKey)) or 0)
    engine.dispose()
    seeded_surveys = {r for r in stored if r.startswith("ss-seed-")}
    assert stored - seeded_surveys == set(final.values())
    assert len(set(final.values())) == len(all_keys) == keys
