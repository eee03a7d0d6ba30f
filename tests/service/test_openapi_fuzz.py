"""Schemathesis over every operation of the OpenAPI document, anonymous and as every role.

The service is a small seeded instance (two districts, 40 families each, a champion model, the
lists of 2025-05 and 2025-06) on SQLite. Every role fuzzes its own copy of the database file, so
one role's writes (an admin disabling users or resetting a password) never change what another
role sees. Schemathesis's engine (what `schemathesis run` uses) sends, per operation, the
document's examples, its coverage cases (boundary and just-out-of-range values of every
parameter and body field, missing required fields, wrong types) and `MAX_EXAMPLES` generated
requests, deterministically; then the examples and generated requests again with path values
that exist (a family, a district, a month with a list, a user), so answers with data are checked
too; last the operations that end the caller's session (`SESSION_ENDING`). Every response must
pass `CHECKS`: no 5xx (and no handler raising), and a status code, content type and body that
the document declares for the operation.

(Schemathesis's own pytest integration, `from_fixture(...).parametrize()`, fails on pytest 9:
it rewrites `request.node._nodeid`, which pytest 9 no longer has; hence the engine.)

Run alone: `.venv/bin/pytest -p no:randomly -s tests/service/test_openapi_fuzz.py` (prints the
number of requests and failures per role).
"""

from __future__ import annotations

import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from schemathesis.engine import events, from_schema

from service.auth.roles import UserRole
from service.main import create_app
from service.model_source import Champion, StaticModelSource
from tests.service.conftest import TOKEN_KEY, build_service, make_settings
from tests.service.factory import NO_DISTRICT_ROLES, Seeded, auth

#: Generated (fuzzing-phase) requests per operation and role, on top of examples and coverage.
MAX_EXAMPLES = int(os.environ.get("PATRONAGE_FUZZ_EXAMPLES", "3"))
#: Operations after whose success the caller's token stops working: fuzzed last.
SESSION_ENDING = ["/v1/logout", "/v1/me/password"]
PHASES = os.environ.get("PATRONAGE_FUZZ_PHASES", "examples,coverage,fuzzing").split(",")
#: The coverage phase (every boundary value of every field: most of the time) runs for anonymous
#: callers and the roles that reach the most operations; the other roles, refused nearly every
#: operation, get the examples and the generated requests of both passes, which keeps `make test`
#: bounded. `PATRONAGE_FUZZ_FULL=1` runs the coverage phase for every role.
FULL_COVERAGE_ROLES = {None, UserRole.council, UserRole.admin, UserRole.auditor, UserRole.clinic}
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
#: Anonymous, then one user of every role (district users of Almaly).
ROLES: list[UserRole | None] = [None, *UserRole]


@dataclass(frozen=True)
class Instance:
    home: Path
    seeded: Seeded


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory, champion: Champion) -> Instance:
    """A seeded database with the lists of two months, built once and copied per role."""
    home = tmp_path_factory.mktemp("fuzz-seed")
    url = f"sqlite:///{home / 'patronage.db'}"
    for service in build_service(home, url, StaticModelSource(champion)):
        headers = service.headers(UserRole.admin)
        for month in ("2025-05", "2025-06"):
            response = service.client.post("/v1/lists", json={"month": month}, headers=headers)
            assert response.status_code == 201, response.text
        seeded = service.seeded
    # The loop ran `build_service` to its end: the engine is disposed, the file complete.
    return Instance(home=home, seeded=seeded)


def _headers(role: UserRole | None, seeded: Seeded) -> dict[str, str]:
    if role is None:
        return {}
    district = None if role in NO_DISTRICT_ROLES else "Almaly"
    user = seeded.users.get((role, district))
    assert user is not None, f"the seeded users have no {role.value} user: extend seed_users"
    return auth(user, TOKEN_KEY)


@dataclass
class FuzzResult:
    requests: int
    #: (operation, check, failure title) -> occurrences
    failures: Counter[tuple[str, str, str]]
    #: one message (with the failing request as curl) per distinct failure
    samples: dict[tuple[str, str, str], str]
    server_errors: int
    statuses: Counter[int]

    def add(self, other: FuzzResult) -> None:
        self.requests += other.requests
        self.failures.update(other.failures)
        self.samples = {**other.samples, **self.samples}
        self.server_errors += other.server_errors
        self.statuses.update(other.statuses)


def fuzz(schema: schemathesis.BaseSchema) -> FuzzResult:
    """Run the engine over every operation and collect every failed check."""
    result = FuzzResult(
        requests=0, failures=Counter(), samples={}, server_errors=0, statuses=Counter()
    )
    for event in from_schema(schema).execute():
        if isinstance(event, events.FatalError):
            raise AssertionError(f"schemathesis could not run: {event.exception!r}")
        if isinstance(event, events.NonFatalError):  # the app raised: a 500 in production
            key = (event.label, "unhandled exception", type(event.value).__name__)
            result.failures[key] += 1
            result.server_errors += 1
            result.samples.setdefault(key, repr(event.value)[:400])
            continue
        if not isinstance(event, events.ScenarioFinished):
            continue
        for interaction in event.recorder.interactions.values():
            result.requests += 1
            if interaction.response is not None:
                result.statuses[interaction.response.status_code] += 1
                result.server_errors += interaction.response.status_code >= 500
        for nodes in event.recorder.checks.values():
            for node in nodes:
                if node.failure_info is None:
                    continue
                failure = node.failure_info.failure
                key = (event.label or "?", node.name, failure.title)
                result.failures[key] += 1
                result.samples.setdefault(
                    key, f"{failure.message[:400]}\n{node.failure_info.code_sample}"
                )
    return result


def _schema(app: FastAPI, headers: dict[str, str], phases: list[str]) -> schemathesis.BaseSchema:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    schema.config.update(headers=headers, workers=1, continue_on_failure=True)
    schema.config.phases.update(phases=phases)
    schema.config.phases.coverage.unexpected_methods = set()  # 405s say nothing about us
    schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    schema.config.checks.update(included_check_names=CHECKS)
    return schema


def _known(seeded: Seeded) -> dict[str, Any]:
    """Path values that exist in the instance, so the second pass reaches the answers with data
    (a family's timeline and decisions, a list, alerts) and checks their bodies too."""
    return {
        "family_id": seeded.with_order["Almaly"],
        "district": "Almaly",
        "month": "2025-06",
        "user_id": seeded.users[(UserRole.school, "Bostandyk")].id,
    }


@pytest.mark.parametrize("role", ROLES, ids=lambda role: role.value if role else "anonymous")
def test_every_operation_conforms_without_server_errors(
    role: UserRole | None, instance: Instance, champion: Champion, tmp_path: Path
) -> None:
    shutil.copy(instance.home / "patronage.db", tmp_path / "patronage.db")
    settings = make_settings(tmp_path, f"sqlite:///{tmp_path / 'patronage.db'}")
    app = create_app(settings, models=StaticModelSource(champion))
    headers = _headers(role, instance.seeded)
    started = time.monotonic()
    # First pass: anything the document allows, and just beyond (unknown ids: 404s, 422s).
    phases = PHASES
    if role not in FULL_COVERAGE_ROLES and not os.environ.get("PATRONAGE_FUZZ_FULL"):
        phases = [p for p in PHASES if p != "coverage"]
    result = fuzz(_schema(app, headers, phases).exclude(path=SESSION_ENDING))
    # Second pass: the same operations on ids that exist.
    known = _schema(app, headers, ["examples", "fuzzing"]).exclude(path=SESSION_ENDING)
    known.config.update(parameters=_known(instance.seeded))
    result.add(fuzz(known))
    # Last, what ends the session (every later request would be a 401).
    result.add(fuzz(_schema(app, headers, phases).include(path=SESSION_ENDING)))
    app.state.patronage.engine.dispose()
    by_check: Counter[str] = Counter()
    for (_, check, _), n in result.failures.items():
        by_check[check] += n
    print(
        f"\n{role.value if role else 'anonymous'}: {result.requests} requests in "
        f"{time.monotonic() - started:.1f} s, {result.server_errors} 5xx, failed checks: "
        f"{dict(by_check)}; statuses {dict(sorted(result.statuses.items()))}"
    )
    assert result.requests > 0
    report = "\n\n".join(
        f"{op} {check} ({title}) x{n}:\n{result.samples[(op, check, title)]}"
        for (op, check, title), n in sorted(result.failures.items())
    )
    assert not result.failures, f"{len(result.failures)} distinct failures:\n{report}"
