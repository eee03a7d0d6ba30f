"""The hash-chained access log: every family-level read appends; tampering is caught."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Executable, delete, text, update

from service.auth.roles import Principal, UserRole
from service.storage.tables import AccessLogEntry
from tests.service.audit.reads import get_family, read_families
from tests.service.conftest import Service

COUNCIL = UserRole.council


def tamper(service: Service, statement: Executable) -> None:
    """Change the log behind the service's back, as someone with database access could."""
    with service.state.sessions() as session:
        session.execute(statement)
        session.commit()


def log(service: Service) -> list[dict[str, object]]:
    response = service.client.get(
        "/v1/audit/access-log", params={"limit": 1000}, headers=service.headers(UserRole.auditor)
    )
    assert response.status_code == 200
    entries: list[dict[str, object]] = response.json()["entries"]
    return entries


def verify(service: Service) -> dict[str, object]:
    response = service.client.get(
        "/v1/audit/access-log/verify", headers=service.headers(UserRole.auditor)
    )
    assert response.status_code == 200
    result: dict[str, object] = response.json()
    # The chain's own findings; the checkpoints' are tested in test_checkpoints.py.
    return {key: result[key] for key in ("ok", "entries", "first_bad")}


def test_reads_append_who_what_and_which_family(service: Service) -> None:
    families = read_families(service, 3)
    service.client.get(
        f"/v1/persons/P{families[0]}a/export", headers=service.headers(COUNCIL, "Almaly")
    )
    entries = log(service)
    assert [(e["action"], e["family_id"]) for e in entries] == [
        ("family.read", families[0]),
        ("family.read", families[1]),
        ("family.read", families[2]),
        ("person.export", families[0]),
    ]
    assert {e["username"] for e in entries} == {"council.almaly"}
    assert {e["role"] for e in entries} == {"council"}
    assert verify(service) == {"ok": True, "entries": 4, "first_bad": None}


def test_refused_reads_are_not_logged_as_reads(service: Service) -> None:
    other = service.seeded.families["Bostandyk"][0]
    response = service.client.get(
        f"/v1/families/{other}", headers=service.headers(COUNCIL, "Almaly")
    )
    assert response.status_code == 403
    assert log(service) == []


def test_changed_row_is_caught(service: Service) -> None:
    read_families(service, 4)
    tamper(
        service,
        update(AccessLogEntry).where(AccessLogEntry.id == 2).values(username="someone.else"),
    )
    assert verify(service) == {"ok": False, "entries": 4, "first_bad": 2}


def test_deleted_row_is_caught(service: Service) -> None:
    read_families(service, 4)
    tamper(service, delete(AccessLogEntry).where(AccessLogEntry.id == 3))
    assert verify(service) == {"ok": False, "entries": 3, "first_bad": 4}


def test_rehashed_forgery_is_caught_downstream(service: Service) -> None:
    """Rewriting one entry and its own hash still breaks the link to the next entry."""
    from service.audit.access_log import chain_hash

    read_families(service, 3)
    with service.state.sessions() as session:
        first = session.get(AccessLogEntry, 1)
        second = session.get(AccessLogEntry, 2)
        assert first is not None
        assert second is not None
        second.family_id = "F-forged"
        second.hash = chain_hash(first.hash, second)
        session.commit()
    assert verify(service) == {"ok": False, "entries": 3, "first_bad": 3}


def test_log_contains_no_names_or_tokens(service: Service) -> None:
    read_families(service)
    with service.state.sessions() as session:
        rows = session.execute(text("SELECT * FROM access_log")).all()
    dumped = repr(rows)
    assert "Name F" not in dumped
    assert "eyJ" not in dumped  # no JWT


def test_concurrent_appends_keep_one_chain(service: Service) -> None:
    """Appends from many threads at once never fork the chain (serialised per backend)."""
    import threading

    from service.audit import access_log

    user = service.user(UserRole.auditor)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                with service.state.sessions() as session:
                    access_log.append(session, user=user, action="test", family_id=f"F{n}-{i}")
                    session.commit()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert verify(service) == {"ok": True, "entries": 80, "first_bad": None}


def test_concurrent_reads_share_one_commit_and_keep_one_chain(service: Service) -> None:
    """Reads that arrive while a batch is being written are committed together, in one
    transaction, and interleave with synchronous appends without forking the chain."""
    import threading
    import time

    from sqlalchemy import event

    from service.audit import access_log

    engine = service.state.engine
    user = service.user(UserRole.auditor)
    writer = access_log._writer(engine)
    commits: list[int] = []

    def count(_conn: object) -> None:
        commits.append(1)

    event.listen(engine, "commit", count)

    def read(n: int) -> None:
        with service.state.sessions() as session:
            access_log.begin_read(session)
            access_log.log_read(session, user=user, action="test.read", family_id=f"R{n}")

    def wait_for(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 10
        while not condition():
            assert time.monotonic() < deadline, "readers did not queue"
            time.sleep(0.01)

    # A write in progress holds the chain (SQLite write lock, PostgreSQL advisory lock).
    with service.state.sessions() as blocker:
        access_log.append(blocker, user=user, action="test.write", family_id="W0")
        leader = threading.Thread(target=read, args=(0,))
        leader.start()
        wait_for(lambda: writer._writing)
        followers = [threading.Thread(target=read, args=(n,)) for n in range(1, 6)]
        for thread in followers:
            thread.start()
        wait_for(lambda: len(writer._queue) == 5)
        blocker.commit()
    for thread in (leader, *followers):
        thread.join()
    event.remove(engine, "commit", count)
    # blocker, the leader's batch of one, then one batch for the five that queued behind it
    assert len(commits) == 3
    entries = log(service)
    assert [e["family_id"] for e in entries][:2] == ["W0", "R0"]
    assert sorted(str(e["family_id"]) for e in entries[2:7]) == [f"R{n}" for n in range(1, 6)]
    assert verify(service)["ok"] is True


def test_a_read_whose_log_entry_fails_is_not_shown(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.audit import access_log

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(access_log, "_append_all", broken)
    family = service.seeded.families["Almaly"][0]
    response = get_family(service, family, status=503)
    assert "could not be logged" in response.json()["detail"]
    assert family not in response.text
    monkeypatch.undo()
    assert log(service) == []


def test_group_commit_writer_does_not_keep_its_engine_alive(tmp_path: Path) -> None:
    """Writers are cached per engine; a test suite or a CLI that makes many engines must not
    keep every one (and its pooled connections) alive through that cache."""
    import gc
    import weakref

    from sqlalchemy.orm import Session as OrmSession

    from service.audit import access_log
    from service.storage.db import make_engine
    from service.storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(engine)
    user = Principal(id=1, username="a", role=UserRole.auditor, district=None, institution_id=None)
    with OrmSession(engine) as session:
        access_log.begin_read(session)
        access_log.log_read(session, user=user, action="test.read")
    with OrmSession(engine) as session:
        assert access_log.verify(session).entries == 1
    engine.dispose()
    alive = weakref.ref(engine)
    del engine, session
    gc.collect()
    assert alive() is None


def _blocked_reads(
    service: Service, *, followers: int, timeout: float
) -> tuple[list[object], list[object], Callable[[], None]]:
    """Start a leader read and `followers` queued reads behind a write that holds the chain.

    Returns the leader's and the followers' outcomes (None or the exception), filled once the
    threads end, and a function that commits the blocking write and joins the threads."""
    import threading
    import time

    from service.audit import access_log

    engine = service.state.engine
    user = service.user(UserRole.auditor)
    writer = access_log._writer(engine)
    leader_out: list[object] = []
    follower_out: list[object] = []

    def read(n: int, out: list[object]) -> None:
        fields = access_log.EntryFields(
            user_id=user.id, username=user.username, role="auditor", action="t", family_id=f"R{n}"
        )
        try:
            writer.write(engine, fields, timeout=timeout)
            out.append(None)
        except Exception as exc:
            out.append(exc)

    blocker = service.state.sessions()
    access_log.append(blocker, user=user, action="test.write", family_id="W0")
    leader = threading.Thread(target=read, args=(0, leader_out))
    leader.start()
    deadline = time.monotonic() + 10
    while not writer._writing:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    threads = [
        threading.Thread(target=read, args=(n, follower_out)) for n in range(1, followers + 1)
    ]
    for thread in threads:
        thread.start()

    def release() -> None:
        blocker.commit()
        blocker.close()
        for thread in (leader, *threads):
            thread.join(timeout=60)

    return leader_out, follower_out, release


def test_a_queued_read_gives_up_after_its_timeout(service: Service) -> None:
    """A read whose entry waits too long behind a stuck batch answers 503 instead of waiting
    for ever, and its entry is not written later."""
    import time

    from service.errors import UnavailableError

    leader_out, follower_out, release = _blocked_reads(service, followers=3, timeout=0.3)
    time.sleep(1.0)  # the followers' 0.3 s pass while the chain is still held
    assert [type(o) for o in follower_out] == [UnavailableError] * 3
    release()
    assert leader_out == [None]
    assert [e["family_id"] for e in log(service)] == ["W0", "R0"]
    assert verify(service)["ok"] is True


def test_a_failed_batch_fails_every_read_in_it_and_frees_the_queue(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The leader's batch is held at a gate while four reads queue behind it; their batch then
    fails: all four answer 503, nothing of theirs is written, and the writer is free again."""
    import threading
    import time

    from service.audit import access_log
    from service.errors import UnavailableError

    original = access_log._append_all
    gate = threading.Event()
    batches: list[int] = []

    def gated(session: object, batch: list[access_log.EntryFields]) -> object:
        batches.append(len(batch))
        if len(batches) == 1:
            assert gate.wait(10)
            return original(session, batch)  # type: ignore[arg-type]
        raise RuntimeError("disk full")

    monkeypatch.setattr(access_log, "_append_all", gated)
    engine = service.state.engine
    user = service.user(UserRole.auditor)
    writer = access_log._writer(engine)
    outcomes: dict[int, object] = {}

    def read(n: int) -> None:
        with service.state.sessions() as session:
            access_log.begin_read(session)
            try:
                access_log.log_read(session, user=user, action="t", family_id=f"R{n}")
                outcomes[n] = None
            except UnavailableError as exc:
                outcomes[n] = exc

    threads = [threading.Thread(target=read, args=(n,)) for n in range(5)]
    threads[0].start()
    deadline = time.monotonic() + 10
    while not batches:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    for thread in threads[1:]:
        thread.start()
    while len(writer._queue) < 4:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    gate.set()
    for thread in threads:
        thread.join(timeout=30)
    assert batches == [1, 4]
    assert outcomes[0] is None
    assert all(isinstance(outcomes[n], UnavailableError) for n in range(1, 5))
    assert writer._writing is False
    assert writer._queue == []
    monkeypatch.undo()
    assert [e["family_id"] for e in log(service)] == ["R0"]
    assert verify(service)["ok"] is True
