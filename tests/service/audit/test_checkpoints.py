"""The access log against whoever can write its database: every tampering is detected.

The sixteen tampering cases of issue 15, on SQLite and PostgreSQL, each detected by
`verify` (and, where the chain's head changed, by the service, which then refuses to append):

 1. an edited row, for each hashed field (and the stored hash);
 2. a deleted middle row;
 3. a deleted first row;
 4. two rows swapped;
 5. a row inserted without recomputing hashes;
 6. the last row deleted;
 7. the last 10 rows deleted;
 8. every row deleted;
 9. a forged row appended with a correct hash;
10. an edit followed by recomputing every later hash (the recompute-after-edit case);
11. a truncation, then new appends reusing the deleted ids;
12. the checkpoint file edited;
13. the checkpoint file truncated;
14. a checkpoint signed with another key;
15. the database restored from an older backup (rollback);
16. the chain extended by a forger without the key while the service was stopped.

And beyond them: the database and the checkpoint file rolled back together (only the auditor's
own checkpoint can tell), a forged tail with as many entries as the real one, a crash between a
batch's commit and its committed checkpoint (not mistaken for tampering), two services on one
database and file, and the checkpoint key's settings.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import delete, func, insert, select, update

from service.audit import access_log
from service.auth.roles import UserRole
from service.auth.security import InsecureSettingsError
from service.main import create_app
from service.model_source import StaticModelSource
from service.settings import Settings
from service.storage.anchor import REFUSAL, Anchor
from service.storage.checkpoints import (
    CheckpointFile,
    Head,
    Signer,
    load_signing_key,
)
from service.storage.tables import AccessLogEntry
from tests.service.audit.reads import get_family, read_families
from tests.service.conftest import Service, make_settings

COUNCIL = UserRole.council
AUDITOR = UserRole.auditor


# -- helpers ------------------------------------------------------------------------------------


def assert_read_refused(service: Service) -> None:
    """A read of family data is refused because its log entry cannot be appended."""
    family = service.seeded.families["Almaly"][0]
    response = get_family(service, family, status=503)
    assert response.json()["detail"] == REFUSAL
    assert family not in response.text


def check(service: Service, checkpoint: dict[str, Any] | None = None) -> dict[str, Any]:
    """The verification, through the API (POST with the auditor's checkpoint when given)."""
    headers = service.headers(AUDITOR)
    if checkpoint is None:
        response = service.client.get("/v1/audit/access-log/verify", headers=headers)
    else:
        response = service.client.post(
            "/v1/audit/access-log/verify", json={"checkpoint": checkpoint}, headers=headers
        )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def codes(result: dict[str, Any]) -> set[str]:
    return {p["code"] for p in result["problems"]}


def latest_checkpoint(service: Service) -> dict[str, Any]:
    response = service.client.get(
        "/v1/audit/access-log/checkpoint", headers=service.headers(AUDITOR)
    )
    assert response.status_code == 200, response.text
    checkpoint: dict[str, Any] = response.json()["checkpoint"]
    return checkpoint


def rows(service: Service) -> list[dict[str, Any]]:
    with service.state.sessions() as session:
        entries = session.scalars(select(AccessLogEntry).order_by(AccessLogEntry.id)).all()
        return [{c: getattr(e, c) for c in (*access_log.HASHED_FIELDS, "hash")} for e in entries]


def write_rows(service: Service, new: list[dict[str, Any]], *, replace: bool = True) -> None:
    """Replace the whole log by `new` (or add `new` to it), as someone with database access."""
    with service.state.sessions() as session:
        if replace:
            session.execute(delete(AccessLogEntry))
        if new:
            session.execute(insert(AccessLogEntry), new)
        session.commit()


def forge(previous: dict[str, Any] | None, n: int, *, start_id: int) -> list[dict[str, Any]]:
    """`n` plausible entries chained correctly onto `previous` (the genesis when None)."""
    out: list[dict[str, Any]] = []
    previous_hash = previous["hash"] if previous else access_log.GENESIS
    for i in range(n):
        row: dict[str, Any] = {
            "id": start_id + i, "at": "2026-01-01T00:00:00.000000", "user_id": 1,
            "username": "forger", "role": "council", "action": "family.read",
            "family_id": f"F-forged-{i}", "district": "Almaly", "list_month": None,
        }  # fmt: skip
        row["hash"] = previous_hash = access_log.chain_hash(previous_hash, row)
        out.append(row)
    return out


def rehash(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`entries` with every hash recomputed, as a forger with database access can."""
    previous = access_log.GENESIS
    for row in entries:
        row["hash"] = previous = access_log.chain_hash(previous, row)
    return entries


def checkpoint_lines(service: Service) -> list[str]:
    return service.state.anchor.file.path.read_text().splitlines()


def restart(service: Service, tmp_path: Path) -> Iterator[Service]:
    """The same database and home served by a new app (a restart of the service)."""
    from fastapi.testclient import TestClient

    url = service.state.settings.sqlalchemy_url
    app = create_app(make_settings(service.state.settings.home, url), models=StaticModelSource())
    with TestClient(app) as client:
        yield Service(app=app, client=client, state=app.state.patronage, seeded=service.seeded)
    app.state.patronage.engine.dispose()


# -- an untouched log ---------------------------------------------------------------------------


def test_an_untouched_log_verifies_against_its_checkpoint(service: Service) -> None:
    read_families(service, 5)
    result = check(service)
    assert (result["ok"], result["entries"], result["first_bad"], result["problems"]) == (
        True, 5, None, [],
    )  # fmt: skip
    assert (result["checkpoint"]["count"], result["checkpoint"]["last_id"]) == (5, 5)
    assert result["checkpoint"]["head"] == rows(service)[-1]["hash"]
    # One pending line before each batch's commit and one committed line after it, after the
    # start-up line of the empty chain.
    states = [json.loads(line)["state"] for line in checkpoint_lines(service)]
    assert states == ["committed"] + ["pending", "committed"] * 5


def test_decisions_are_anchored_with_their_write(service: Service) -> None:
    family = service.seeded.families["Almaly"][0]
    response = service.client.post(
        f"/v1/families/{family}/decisions",
        json={"measures": ["psychologist"], "priority": "raise"},
        headers=service.headers(COUNCIL, "Almaly"),
    )
    assert response.status_code == 201, response.text
    read_families(service)
    result = check(service)
    assert result["ok"] is True
    assert result["checkpoint"]["count"] == 2


# -- the sixteen cases --------------------------------------------------------------------------

EDITS: dict[str, object] = {
    "id": 1000, "at": "2020-01-01T00:00:00.000000", "user_id": 999, "username": "someone.else",
    "role": "admin", "action": "family.export", "family_id": "F-other", "district": "Other",
    "list_month": "2020-01", "hash": "f" * 64,
}  # fmt: skip


def test_edits_cover_every_hashed_field() -> None:
    assert set(EDITS) == {*access_log.HASHED_FIELDS, "hash"}


@pytest.mark.parametrize("column", list(EDITS))
def test_1_an_edited_row_is_detected_for_each_field(service: Service, column: str) -> None:
    read_families(service, 4)
    with service.state.sessions() as session:
        session.execute(
            update(AccessLogEntry).where(AccessLogEntry.id == 2).values({column: EDITS[column]})
        )
        session.commit()
    result = check(service)
    assert result["ok"] is False
    assert "entry_mismatch" in codes(result)
    assert result["first_bad"] == (3 if column == "id" else 2)  # id 2 -> 1000: a gap at 2


def test_2_a_deleted_middle_row_is_detected(service: Service) -> None:
    read_families(service, 4)
    write_rows(service, [r for r in rows(service) if r["id"] != 2])
    result = check(service)
    assert (result["ok"], result["first_bad"]) == (False, 3)


def test_3_a_deleted_first_row_is_detected(service: Service) -> None:
    read_families(service, 4)
    write_rows(service, rows(service)[1:])
    result = check(service)
    assert (result["ok"], result["first_bad"]) == (False, 2)


def test_4_swapped_rows_are_detected(service: Service) -> None:
    read_families(service, 4)
    entries = rows(service)
    entries[1], entries[2] = {**entries[2], "id": 2}, {**entries[1], "id": 3}
    write_rows(service, entries)
    result = check(service)
    assert (result["ok"], result["first_bad"]) == (False, 2)


def test_5_a_row_inserted_without_recomputing_hashes_is_detected(service: Service) -> None:
    read_families(service, 4)
    entries = rows(service)
    inserted = {**forge(entries[1], 1, start_id=3)[0], "hash": secrets.token_hex(32)}
    shifted = [{**r, "id": r["id"] + 1} for r in entries[2:]]
    write_rows(service, [*entries[:2], inserted, *shifted])
    result = check(service)
    assert (result["ok"], result["first_bad"]) == (False, 3)


@pytest.mark.parametrize(
    ("case", "keep"), [("6_last_row", 11), ("7_last_10_rows", 2), ("8_all", 0)]
)
def test_6_7_8_deleted_newest_rows_are_detected_and_appends_refused(
    service: Service, case: str, keep: int
) -> None:
    read_families(service, 12)
    write_rows(service, rows(service)[:keep])
    result = check(service)
    assert result["ok"] is False
    assert codes(result) == {"checkpoint_not_contained"}
    assert result["entries"] == keep
    assert_read_refused(service)
    assert len(rows(service)) == keep  # nothing appended


def test_9_a_forged_row_with_a_correct_hash_is_detected_and_appends_refused(
    service: Service,
) -> None:
    read_families(service, 3)
    entries = rows(service)
    write_rows(service, forge(entries[-1], 1, start_id=4), replace=False)
    result = check(service)
    assert result["ok"] is False
    assert codes(result) == {"unanchored_entries"}
    assert_read_refused(service)


def test_10_an_edit_followed_by_recomputing_every_later_hash_is_detected(
    service: Service,
) -> None:
    read_families(service, 6)
    entries = rows(service)
    entries[2]["family_id"] = "F-hidden"
    write_rows(service, rehash(entries))
    with service.state.read_sessions() as session:
        assert access_log.verify(session).ok  # the chain alone is fooled
    result = check(service)
    assert result["ok"] is False
    assert "checkpoint_not_contained" in codes(result)
    assert result["first_bad"] is None
    assert_read_refused(service)


def test_11_a_truncation_then_appends_reusing_ids_is_detected(service: Service) -> None:
    read_families(service, 5)
    write_rows(service, [])
    # The service appends nothing to a truncated log, so it never gives a deleted id again ...
    assert_read_refused(service)
    assert rows(service) == []
    # ... and a forger who starts a new chain at id 1 is caught as well.
    write_rows(service, forge(None, 7, start_id=1))
    result = check(service)
    assert result["ok"] is False
    assert "checkpoint_not_contained" in codes(result)
    assert "unanchored_entries" in codes(result)
    assert_read_refused(service)


def test_12_an_edited_checkpoint_file_is_detected(service: Service, tmp_path: Path) -> None:
    read_families(service, 3)
    path = service.state.anchor.file.path
    lines = checkpoint_lines(service)
    last = json.loads(lines[-1])
    last["count"], last["last_id"] = 2, 2  # the signature no longer matches
    path.write_text("\n".join([*lines[:-1], json.dumps(last)]) + "\n")
    result = check(service)
    assert result["ok"] is False
    assert "checkpoint_file_invalid" in codes(result)
    # A restarted service reads the file again and refuses to append.
    for restarted in restart(service, tmp_path):
        assert restarted.state.anchor.problem is not None
        assert_read_refused(restarted)


def test_12_an_edited_older_line_of_the_checkpoint_file_is_detected(service: Service) -> None:
    """Only the last line's signature is checked; each line signs the hash of the one before,
    so an edit anywhere breaks a link."""
    read_families(service, 3)
    path = service.state.anchor.file.path
    lines = checkpoint_lines(service)
    second = json.loads(lines[1])
    second["at"] = "2020-01-01T00:00:00.000000Z"
    path.write_text("\n".join([lines[0], json.dumps(second), *lines[2:]]) + "\n")
    result = check(service)
    assert result["ok"] is False
    assert "line 3 of the checkpoint file does not follow the line before" in {
        p["detail"] for p in result["problems"]
    }


def test_13_a_truncated_checkpoint_file_is_detected(service: Service) -> None:
    read_families(service, 3)
    path = service.state.anchor.file.path
    path.write_text("\n".join(checkpoint_lines(service)[:-2]) + "\n")
    result = check(service)
    assert result["ok"] is False
    assert codes(result) == {"unanchored_entries"}
    assert_read_refused(service)  # the file is shorter than the service wrote it


def test_14_a_checkpoint_signed_with_another_key_is_detected(service: Service) -> None:
    read_families(service, 3)
    entries = rows(service)
    forged = forge(entries[-1], 2, start_id=4)
    write_rows(service, forged, replace=False)
    other = Signer(Ed25519PrivateKey.generate())
    head = Head(count=5, last_id=5, hash=forged[-1]["hash"])
    previous = hashlib.sha256(checkpoint_lines(service)[-1].encode()).hexdigest()  # linked right
    CheckpointFile(service.state.anchor.file.path).append(
        other.sign(head, pending=False, previous=previous), sync=True
    )
    result = check(service)
    assert result["ok"] is False
    assert "checkpoint_file_invalid" in codes(result)
    assert "unanchored_entries" in codes(result)
    assert_read_refused(service)
    # An auditor is not fooled by it either.
    forged_checkpoint = other.sign(head, pending=False).as_json()
    assert "auditor_checkpoint_invalid" in codes(check(service, forged_checkpoint))


def test_15_a_database_restored_from_an_older_backup_is_detected(service: Service) -> None:
    read_families(service, 4)
    backup = rows(service)
    read_families(service, 4)
    write_rows(service, backup)
    result = check(service)
    assert result["ok"] is False
    assert codes(result) == {"checkpoint_not_contained"}
    assert "has 4 entries, but a checkpoint signed 8" in result["problems"][0]["detail"]
    assert_read_refused(service)


def test_16_a_chain_extended_while_the_service_was_stopped_is_refused_at_start_up(
    service: Service, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    read_families(service, 3)
    write_rows(service, forge(rows(service)[-1], 5, start_id=4), replace=False)
    with caplog.at_level(logging.ERROR, logger="service.storage.anchor"):
        for restarted in restart(service, tmp_path):
            assert restarted.state.anchor.problem is not None
            assert "last id 8" in restarted.state.anchor.problem
            assert_read_refused(restarted)
            result = check(restarted)
            assert codes(result) == {"unanchored_entries"}
    assert any("access log refused" in r.getMessage() for r in caplog.records)
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "forger" not in logged
    assert "F-forged" not in logged  # no names, no family ids: ids and counts only


# -- beyond the sixteen -------------------------------------------------------------------------


def test_a_rollback_of_the_database_and_the_checkpoint_file_is_caught_by_the_auditors_copy(
    service: Service,
) -> None:
    read_families(service, 3)
    backup_rows, backup_file = rows(service), service.state.anchor.file.path.read_bytes()
    read_families(service, 3)
    kept = latest_checkpoint(service)  # the auditor's copy
    assert kept["count"] == 6
    ok = check(service, kept)
    assert ok["ok"] is True, ok["problems"]
    # Both stores rolled back together: consistent with each other ...
    write_rows(service, backup_rows)
    service.state.anchor.file.path.write_bytes(backup_file)
    assert codes(check(service)) == set()
    # ... but not with the checkpoint the auditor kept.
    result = check(service, kept)
    assert result["ok"] is False
    assert codes(result) == {"auditor_checkpoint_not_contained", "checkpoint_file_behind_auditor"}


def test_a_forged_tail_as_long_as_the_real_one_is_detected(service: Service) -> None:
    read_families(service, 6)
    entries = rows(service)
    write_rows(service, [*entries[:3], *forge(entries[2], 3, start_id=4)])
    result = check(service)
    assert codes(result) == {"checkpoint_not_contained", "unanchored_entries"}
    assert "entry number 6 is not the one the checkpoint signed" in result["problems"][0]["detail"]
    assert_read_refused(service)


def test_a_tampered_auditor_checkpoint_is_refused(service: Service) -> None:
    read_families(service, 2)
    kept = latest_checkpoint(service)
    result = check(service, {**kept, "count": 1, "last_id": 1})
    assert result["ok"] is False
    assert codes(result) == {"auditor_checkpoint_invalid"}
    response = service.client.post(
        "/v1/audit/access-log/verify",
        json={"checkpoint": {**kept, "count": "2"}},
        headers=service.headers(AUDITOR),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "checkpoint", "count"]


def test_a_checkpoint_whose_fields_do_not_fit_together_is_a_422(service: Service) -> None:
    """Found by the schemathesis run: each field valid, together impossible (a count of
    entries with no last id) used to escape as a 500."""
    read_families(service, 1)
    kept = latest_checkpoint(service)
    response = service.client.post(
        "/v1/audit/access-log/verify",
        json={"checkpoint": {**kept, "count": 1200, "last_id": 0}},
        headers=service.headers(AUDITOR),
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "checkpoint"]
    assert "both 0 or both positive" in error["msg"]


def test_a_crash_between_commit_and_committed_checkpoint_is_not_tampering(
    service: Service, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The committed line of the last batch is missing (the process died, or its write
    failed): the pending line signed that head, so the service confirms it and goes on."""
    read_families(service, 2)
    original = CheckpointFile.append

    def no_committed_line(self: CheckpointFile, checkpoint: Any, *, sync: bool) -> tuple[int, str]:
        if not checkpoint.pending:
            raise OSError("disk full")
        return original(self, checkpoint, sync=sync)

    monkeypatch.setattr(CheckpointFile, "append", no_committed_line)
    read_families(service)  # committed; only its pending line reached the file
    monkeypatch.undo()
    assert json.loads(checkpoint_lines(service)[-1])["state"] == "pending"
    for restarted in restart(service, tmp_path):
        assert restarted.state.anchor.problem is None
        assert json.loads(checkpoint_lines(restarted)[-1])["state"] == "committed"
        read_families(restarted)
        result = check(restarted)
        assert (result["ok"], result["entries"]) == (True, 4)


def test_a_failed_pending_checkpoint_fails_the_batch_and_nothing_is_committed(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    read_families(service, 2)

    def broken(self: CheckpointFile, checkpoint: Any, *, sync: bool) -> tuple[int, str]:
        raise OSError("disk full")

    monkeypatch.setattr(CheckpointFile, "append", broken)
    get_family(service, status=503)
    monkeypatch.undo()
    assert len(rows(service)) == 2  # never committed unsigned
    read_families(service)
    assert check(service)["ok"] is True


def test_two_services_on_one_database_and_file_keep_one_anchored_chain(
    service: Service, tmp_path: Path
) -> None:
    """Like two processes of `patronage serve --workers 2`: each reads what the other signed."""
    read_families(service, 2)
    for other in restart(service, tmp_path):
        for _ in range(3):
            read_families(other)
            read_families(service)
        result = check(other)
        assert (result["ok"], result["entries"]) == (True, 8), result["problems"]
    assert service.state.anchor.problem is None


def test_ids_continue_after_a_restart(service: Service, tmp_path: Path) -> None:
    read_families(service, 3)
    for restarted in restart(service, tmp_path):
        read_families(restarted, 2)
        assert [r["id"] for r in rows(restarted)] == [1, 2, 3, 4, 5]
        assert check(restarted)["ok"] is True


def test_an_existing_chain_without_a_checkpoint_file_is_anchored_once(
    service: Service, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The first start of a version with checkpoints (or after the file was moved away)."""
    read_families(service, 3)
    service.state.anchor.file.path.rename(tmp_path / "moved-away.jsonl")
    with caplog.at_level(logging.WARNING, logger="service.storage.anchor"):
        for restarted in restart(service, tmp_path):
            assert restarted.state.anchor.problem is None
            assert check(restarted)["checkpoint"]["count"] == 3
    assert any("anchored the existing chain of 3 entries" in r.getMessage() for r in caplog.records)


def test_the_checkpoint_route_gives_the_key_to_check_signatures(service: Service) -> None:
    import base64

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    read_families(service, 2)
    response = service.client.get(
        "/v1/audit/access-log/checkpoint", headers=service.headers(AUDITOR)
    )
    body = response.json()
    checkpoint = body["checkpoint"]
    statement = {k: v for k, v in checkpoint.items() if k != "signature"}
    message = (
        body["signed_message"].encode()
        + json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    )
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["public_key"]))
    public.verify(base64.b64decode(checkpoint["signature"]), message)  # raises when wrong
    assert (checkpoint["count"], checkpoint["state"]) == (2, "committed")


# -- the key ------------------------------------------------------------------------------------


def test_outside_demo_mode_the_service_refuses_to_start_without_a_checkpoint_key(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'p.db'}")
    settings = settings.model_copy(update={"checkpoint_key_file": None})
    with pytest.raises(InsecureSettingsError, match="PATRONAGE_CHECKPOINT_KEY_FILE"):
        create_app(settings, models=StaticModelSource())
    assert not (tmp_path / "p.db").exists()  # refused before anything was created


@pytest.mark.parametrize("content", [b"", b"not a key", b"RSA"])
def test_a_bad_checkpoint_key_file_is_refused_naming_the_setting(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "key.pem"
    if content == b"RSA":
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import (
            Encoding,
            NoEncryption,
            PrivateFormat,
        )

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        content = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.write_bytes(content)
    settings = Settings(home=tmp_path, checkpoint_key_file=path)
    with pytest.raises(InsecureSettingsError) as info:
        load_signing_key(settings)
    assert "PATRONAGE_CHECKPOINT_KEY_FILE: expected" in str(info.value)
    assert "Ed25519" in str(info.value) or "PEM" in str(info.value)


def test_demo_mode_generates_a_private_key_once(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, demo=True)
    first = load_signing_key(settings)
    path = tmp_path / "checkpoint-key.pem"
    assert path.stat().st_mode & 0o777 == 0o600
    again = load_signing_key(settings)
    assert Signer(first).key_id == Signer(again).key_id


def test_an_unreadable_checkpoint_line_is_refused_at_start_up(tmp_path: Path) -> None:
    """The start-up check, without a service around it."""
    from service.storage.db import make_engine
    from service.storage.migrate import upgrade

    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(engine)
    path = tmp_path / "c.jsonl"
    path.write_text("{not json\n")
    anchor = Anchor(Signer(Ed25519PrivateKey.generate()), CheckpointFile(path))
    anchor.open(engine)
    assert anchor.problem is not None
    assert "a line near the end of the checkpoint file: not JSON" in anchor.problem
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(AccessLogEntry)) == 0
    engine.dispose()


# -- the auditor's page -------------------------------------------------------------------------


def auditor_page(service: Service) -> Any:
    """The test client signed in to the pages as the auditor (the cookie holds the token)."""
    from service.auth.access import TOKEN_COOKIE

    token = service.headers(AUDITOR)["Authorization"].removeprefix("Bearer ")
    service.client.cookies.set(TOKEN_COOKIE, token)
    return service.client


def test_the_page_verifies_against_the_checkpoints_and_a_kept_one(sqlite_service: Service) -> None:
    import html
    import re

    read_families(sqlite_service, 3)
    client = auditor_page(sqlite_service)
    page = client.get("/ui/audit/access-log?verify=1", headers={"Accept-Language": "en"})
    assert "The chain is intact: 3 entries verified." in page.text
    assert "It matches the latest signed checkpoint (3 entries" in page.text
    shown = re.search(r'<pre id="latest-checkpoint">(.*?)</pre>', page.text, re.S)
    assert shown is not None
    kept = html.unescape(shown.group(1))
    assert json.loads(kept)["count"] == 3
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"csrf_token": token.group(1)}
    again = client.post(
        "/ui/audit/access-log/verify", data={**form, "checkpoint": kept},
        headers={"Accept-Language": "en"},
    )  # fmt: skip
    assert "The chain is intact: 3 entries verified." in again.text
    garbage = client.post(
        "/ui/audit/access-log/verify", data={**form, "checkpoint": "{not json"},
        headers={"Accept-Language": "en"},
    )  # fmt: skip
    assert garbage.status_code == 422
    assert "The checkpoint could not be read" in garbage.text
    # Delete the newest entry: the page says what failed, in the auditor's language.
    write_rows(sqlite_service, rows(sqlite_service)[:2])
    assert_read_refused(sqlite_service)
    for lang in ("en", "ru"):
        from service.ui import i18n

        _ = i18n.catalog(lang).gettext
        failed = client.get("/ui/audit/access-log?verify=1", headers={"Accept-Language": lang})
        assert html.escape(_("The access log fails verification:")) in failed.text
        assert html.escape(_(
            "The log no longer contains what the latest signed checkpoint recorded: entries were "
            "deleted or rewritten, or an older copy was restored."
        )) in failed.text  # fmt: skip
        assert 'id="refusing"' in failed.text
