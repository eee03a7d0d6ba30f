"""Large uploads run as jobs: 202, progress, the result; a job that dies stores nothing and is
reported failed."""

from __future__ import annotations

import socket
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from service.auth.roles import UserRole
from service.imports import jobs, routes, run
from service.imports.kinds import ImportKind
from service.storage.tables import ImportJob, SchoolSurveyRow
from tests.service.conftest import Service
from tests.service.imports.files import csv_bytes, persons_of, survey_rows, upload

R = UserRole


def _wait(service: Service, job_id: int, role: UserRole = R.school) -> dict[str, Any]:
    district = None if role is R.admin else "Almaly"
    for _ in range(200):
        body = service.client.get(f"/v1/imports/{job_id}", headers=service.headers(role, district))
        assert body.status_code == 200, body.text
        if body.json()["status"] in ("done", "failed"):
            return dict(body.json())
        time.sleep(0.05)
    raise AssertionError(f"the job did not end: {body.json()}")


def _count(service: Service) -> int:
    with service.state.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(SchoolSurveyRow)) or 0)


def test_a_large_file_runs_as_a_job(service: Service, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(routes, "JOB_THRESHOLD_BYTES", 0)
    monkeypatch.setattr(run, "BATCH", 3)
    before = _count(service)
    content = csv_bytes(survey_rows(persons_of(service, "Almaly")[:10]))
    response = upload(service, R.school, "Almaly", kind="school_survey", content=content)
    assert response.status_code == 202, response.text
    job_id = response.json()["id"]
    result = _wait(service, job_id)
    assert (result["status"], result["rows"], result["stored"]) == ("done", 10, 10)
    assert _count(service) == before + 10
    # Only its uploader and the admin see it.
    other = service.client.get(
        f"/v1/imports/{job_id}", headers=service.headers(R.school, "Bostandyk")
    )
    assert other.status_code == 404
    assert _wait(service, job_id, R.admin)["stored"] == 10
    assert list((service.state.settings.resolved_home / "imports").iterdir()) == []


def test_a_job_with_a_bad_row_fails_with_its_report(
    sqlite_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "JOB_THRESHOLD_BYTES", 0)
    rows = survey_rows(persons_of(sqlite_service, "Almaly")[:4])
    rows[2] = {**rows[2], "feels_safe": 0}
    response = upload(sqlite_service, R.school, "Almaly", kind="school_survey",
                      content=csv_bytes(rows))  # fmt: skip
    result = _wait(sqlite_service, response.json()["id"])
    assert result["status"] == "failed"
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(4, "feels_safe")]
    assert result["stored"] == 0


class CrashError(Exception):
    """Stands for the process dying in the middle of a job."""


def test_a_job_interrupted_midway_stores_nothing(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rows of the first batches were written when the job died: the one transaction rolls
    them back, and the job is reported failed."""
    monkeypatch.setattr(run, "BATCH", 2)
    before = _count(service)
    user = service.user(R.school, "Almaly")
    job_id = jobs.create_job(
        service.state, principal=user, kind=ImportKind.school_survey, historical=False, fmt="csv"
    )
    path = jobs.uploads_dir(service.state) / "job.upload"
    path.write_bytes(csv_bytes(survey_rows(persons_of(service, "Almaly")[:8])))
    seen = []

    def crash_after_two_batches(rows: int) -> None:
        seen.append(rows)
        if rows >= 4:
            raise CrashError

    monkeypatch.setattr(
        jobs, "import_rows",
        lambda *a, **k: run.import_rows(*a, **{**k, "progress": crash_after_two_batches}),
    )  # fmt: skip
    upload = jobs.JobUpload(user, ImportKind.school_survey, False, path, "job.csv")
    jobs.run_job(service.state, job_id, upload)
    assert seen == [2, 4]
    assert _count(service) == before
    result = _wait(service, job_id)
    assert (result["status"], result["stored"]) == ("failed", 0)
    assert "nothing was stored" in result["detail"]
    assert not path.exists()


def _dead_job(service: Service) -> int:
    user = service.user(R.school, "Almaly")
    with service.state.sessions() as session:
        job = ImportJob(
            user_id=user.id, kind="school_survey", file_format="csv", historical=False,
            status="running", rows=0, stored=0, already_stored=0,
            owner=f"{socket.gethostname()}:999999999",
        )  # fmt: skip
        session.add(job)
        session.commit()
        return job.id


def test_a_job_whose_process_died_is_reported_failed(service: Service) -> None:
    job_id = _dead_job(service)
    result = _wait(service, job_id)
    assert result["status"] == "failed"
    assert result["detail"] == jobs.INTERRUPTED
    # At start-up (`create_app`), every such job is marked at once.
    other = _dead_job(service)
    assert jobs.fail_interrupted(service.state) == 1
    with service.state.sessions() as session:
        job = session.get(ImportJob, other)
        assert job is not None
        assert (job.status, job.stored) == ("failed", 0)
