"""Several server processes on one SQLite database (`patronage serve --workers 2`).

Reads and submissions from concurrent clients land on both workers: every acknowledged record is
stored once, every read has its entry in one unbroken hash chain, and failed logins count the
same whichever worker answers.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.auth.roles import UserRole
from service.storage.db import make_engine
from service.storage.tables import SchoolSurveyRow
from tests.service.conftest import IIN_KEY, TOKEN_KEY
from tests.service.factory import Seeded, seed_home, token_for
from tests.service.server import free_port, start_server
from tests.service.storage.test_crash import body

CLIENTS = 4
PER_CLIENT = 30


@pytest.fixture
def seeded(tmp_path: Path) -> Seeded:
    return seed_home(tmp_path, iin_key=IIN_KEY.encode())


@pytest.mark.slow
def test_two_workers_share_the_chain_the_records_and_the_throttle(
    tmp_path: Path, seeded: Seeded
) -> None:
    def auth(role: UserRole, district: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(seeded.users[(role, district)], TOKEN_KEY)}"}

    school, council = auth(UserRole.school, "Almaly"), auth(UserRole.council, "Almaly")
    iin = next(iter(seeded.iins.values()))
    families = seeded.families["Almaly"]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(tmp_path, port, token_key=TOKEN_KEY, iin_key=IIN_KEY, workers=2)
    acked: list[str] = []
    reads: list[int] = []
    lock = threading.Lock()

    def client(c: int) -> None:
        for n in range(PER_CLIENT):
            # A new connection per request, so the kernel spreads them over both workers.
            with httpx.Client(base_url=base, timeout=30) as http:
                if n % 2:
                    response = http.get(f"/v1/families/{families[n % len(families)]}",
                                        headers=council)  # fmt: skip
                    assert response.status_code == 200, response.text
                    with lock:
                        reads.append(n)
                else:
                    headers = {**school, "Idempotency-Key": f"w{c}-{n}"}
                    response = http.post("/v1/records/school-surveys", json=body(iin, n),
                                         headers=headers)  # fmt: skip
                    assert response.status_code == 201, response.text
                    with lock:
                        acked.append(response.json()["record_id"])

    try:
        threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with httpx.Client(base_url=base, timeout=30) as http:
            auditor = auth(UserRole.auditor)
            verified = http.get("/v1/audit/access-log/verify", headers=auditor).json()
            codes = []
            for _ in range(5):
                with httpx.Client(base_url=base, timeout=30) as fresh:
                    codes.append(fresh.post("/v1/token", data={
                        "username": "auditor.all", "password": "not the password"
                    }).status_code)  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert len(reads) + len(acked) == CLIENTS * PER_CLIENT
    engine = make_engine(f"sqlite:///{tmp_path / 'patronage.db'}")
    with Session(engine) as session:
        stored = set(
            session.scalars(
                select(SchoolSurveyRow.record_id).where(SchoolSurveyRow.submitted_by.is_not(None))
            )
        )
    engine.dispose()
    assert stored == set(acked)  # every acknowledged record, once, and nothing else
    assert len(set(acked)) == len(acked)
    chain = {key: verified[key] for key in ("ok", "entries", "first_bad", "problems")}
    assert chain == {"ok": True, "entries": len(reads), "first_bad": None, "problems": []}
    # Both processes signed their batches into one checkpoint file, the last covering all.
    assert verified["checkpoint"]["count"] == len(reads)
    assert codes == [401, 401, 401, 429, 429]
