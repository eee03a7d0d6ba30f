"""A champion recalibrated within groups (issue 18): the list ranks by the shifted probability,
the snapshot keeps each family's shift, and the explanation and the family page state it.
On SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from model.recalibration import GroupFit, GroupRecalibration
from service.auth.roles import UserRole
from service.lists.generate import compute_lists
from service.model_source import Champion, StaticModelSource
from service.storage.db import read_connection
from service.storage.events import load_events
from tests.service.conftest import Service, build_service
from tests.service.ui.signin import sign_in

COUNCIL = UserRole.council
#: log-odds for the families without a single parent: enough to reorder the top of the list
#: (the seeded registry's families differ in `single_parent` only)
SHIFT = 2.0


def _fit(shift: float) -> GroupFit:
    return GroupFit(shift, rows=1000, positives=50, mean_before=0.03, observed=0.05, fitted=True)


@pytest.fixture
def recalibrated(champion: Champion) -> Champion:
    model = copy.copy(champion.model)
    model.recalibration_ = GroupRecalibration(
        attribute="single_parent", groups={"false": _fit(SHIFT), "true": _fit(0.0)}
    )
    return Champion(model=model, version="8")


@pytest.fixture
def listed(tmp_path: Path, db_url: str, recalibrated: Champion) -> Iterator[Service]:
    """The service with June's lists ranked by the recalibrated champion."""
    for service in build_service(tmp_path, db_url, StaticModelSource(recalibrated)):
        _generate(service)
        yield service


def _plain(service: Service, champion: Champion) -> dict[str, dict[str, Any]]:
    """June's Almaly list of the same model without the recalibration, by family."""
    with read_connection(service.state.engine) as conn:
        events = load_events(conn)
    (almaly,) = compute_lists(events, champion, month="2025-06", districts=["Almaly"])
    return {f["family_id"]: f for f in almaly.families}


def _generate(service: Service) -> None:
    response = service.client.post(
        "/v1/lists", json={"month": "2025-06"}, headers=service.headers(UserRole.admin)
    )
    assert response.status_code == 201, response.text


def _entries(service: Service) -> list[dict[str, Any]]:
    response = service.client.get(
        "/v1/districts/Almaly/lists/2025-06", headers=service.headers(COUNCIL, "Almaly")
    )
    assert response.status_code == 200, response.text
    return list(response.json()["entries"])


def _single_parent(service: Service) -> dict[str, str]:
    """Each family's group as the model reads it (the column cast to a string)."""
    from sqlalchemy import select

    from service.storage.tables import Family

    with service.state.read_sessions() as session:
        rows = session.execute(select(Family.family_id, Family.single_parent)).all()
    return {family_id: str(group).lower() for family_id, group in rows}


def _explanation(service: Service, family_id: str) -> dict[str, Any]:
    response = service.client.get(
        f"/v1/families/{family_id}/explanation",
        params={"month": "2025-06", "lang": "en"},
        headers=service.headers(UserRole.auditor),
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_list_ranks_by_the_shifted_probability_and_says_so(
    listed: Service, champion: Champion
) -> None:
    group = _single_parent(listed)
    plain = _plain(listed, champion)
    entries = _entries(listed)
    shift = {f: SHIFT if group[f] == "false" else 0.0 for f in plain}
    expected = {f: _expit(_logit(row["probability"]) + shift[f]) for f, row in plain.items()}
    # the top of the list is the top of the shifted probabilities
    k = max(e["score_rank"] for e in entries if e["rank"] is not None and e["score_rank"] <= 2)
    # the model's own order: ties in the probability by the raw score
    order = sorted(expected, key=lambda f: (-expected[f], -plain[f]["raw_score"], f))
    assert {e["family_id"] for e in entries if e["score_rank"] <= k} == set(order[:k])
    assert order[:k] != sorted(plain, key=lambda f: (-plain[f]["probability"], f))[:k]
    for entry in entries:
        family = entry["family_id"]
        data = _explanation(listed, family)
        assert data["recalibrated_within"] == "single_parent"
        assert data["group_shift"] == shift[family]
        assert data["probability"] == pytest.approx(expected[family], abs=1e-9)
        # the explanation is the learner's, untouched by the shift
        assert data["raw_score"] == pytest.approx(plain[family]["raw_score"], abs=1e-9)
    assert any(shift[e["family_id"]] for e in entries), "families of the shifted group are listed"


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _expit(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_the_list_states_the_recalibration(listed: Service) -> None:
    response = listed.client.get(
        "/v1/districts/Almaly/lists/2025-06", headers=listed.headers(COUNCIL, "Almaly")
    )
    assert response.json()["recalibrated_within"] == "single_parent"
    sign_in(listed.client, listed.user(COUNCIL, "Almaly").username)
    for path in ("/ui/districts/Almaly/lists/2025-06", "/ui/districts/Almaly/lists/2025-06/print"):
        page = listed.client.get(path, params={"lang": "en"}).text
        assert "recalibrated within the groups of single parent" in page, path


def test_the_family_page_states_the_recalibration(listed: Service) -> None:
    group = _single_parent(listed)
    family = next(e["family_id"] for e in _entries(listed) if group[e["family_id"]] == "false")
    sign_in(listed.client, listed.user(COUNCIL, "Almaly").username)
    page = listed.client.get(f"/ui/families/{family}", params={"lang": "en"}).text
    assert "recalibrated within the groups of single parent" in page
    assert "+2.00 in log-odds for this family's group" in page
