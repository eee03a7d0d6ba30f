"""Monthly lists and explanations: generation, content, access rules, reproducibility."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import select

from service.auth.roles import UserRole
from service.lists.generate import compute_lists
from service.lists.schemas import ExplanationRead
from service.model_source import Champion
from service.storage.db import read_connection
from service.storage.events import load_events
from service.storage.tables import ListSnapshot
from tests.service.conftest import Service

COUNCIL = UserRole.council


def get_list(service: Service, role: UserRole, district: str | None, month: str, **params: str):
    return service.client.get(
        f"/v1/districts/Almaly/lists/{month}",
        params=params,
        headers=service.headers(role, district),
    )


def test_list_has_top_k_plus_open_orders_with_names_for_council(listed_service: Service) -> None:
    response = get_list(listed_service, COUNCIL, "Almaly", "2025-06", lang="ru")
    assert response.status_code == 200, response.text
    data = response.json()
    entries = data["entries"]
    assert data["k"] == 2  # ceil(5% of 40)
    top = [e for e in entries if e["score_rank"] <= data["k"]]
    assert len(top) == data["k"]
    assert [e["rank"] for e in entries] == list(range(1, len(entries) + 1))
    probabilities = [e["probability"] for e in entries]
    assert probabilities == sorted(probabilities, reverse=True)
    # The family with an order in force is listed whatever its score, with days to expiry.
    order_family = listed_service.seeded.with_order["Almaly"]
    listed = {e["family_id"]: e for e in entries}
    assert order_family in listed
    order = listed[order_family]["open_orders"][0]
    assert order["days_to_expiry"] == (dt.date(2025, 7, 5) - dt.date(2025, 6, 1)).days
    for entry in entries:
        assert entry["names"], "council sees names of its own district"
        assert entry["change"] in ("new", "up", "down", "same")
        assert entry["band"] in ("very_low", "low", "medium", "high", "very_high")
        for reason in entry["reasons"]:
            assert reason["text"]
            assert "потому что" not in reason["text"]
    assert entries[0]["reasons"], "the top entry has reasons"


def test_auditor_gets_the_list_without_names(listed_service: Service) -> None:
    council = get_list(listed_service, COUNCIL, "Almaly", "2025-06").json()
    auditor = get_list(listed_service, UserRole.auditor, None, "2025-06").json()
    assert [e["family_id"] for e in auditor["entries"]] == [
        e["family_id"] for e in council["entries"]
    ]
    assert all(e["names"] is None for e in auditor["entries"])
    assert "Name F" not in str(auditor)


def test_language_from_query_or_accept_language(listed_service: Service) -> None:
    texts = {}
    for lang in ("kk", "ru", "en"):
        data = get_list(listed_service, COUNCIL, "Almaly", "2025-06", lang=lang).json()
        assert data["lang"] == lang
        texts[lang] = data["entries"][0]["reasons"][0]["text"]
    assert len(set(texts.values())) == 3
    response = listed_service.client.get(
        "/v1/districts/Almaly/lists/2025-06",
        headers={
            **listed_service.headers(COUNCIL, "Almaly"),
            "Accept-Language": "de;q=1, kk;q=0.8, en;q=0.5",
        },
    )
    assert response.json()["lang"] == "kk"


def test_second_month_reports_change(listed_service: Service) -> None:
    may = {
        e["family_id"]
        for e in get_list(listed_service, COUNCIL, "Almaly", "2025-05").json()["entries"]
    }
    june = get_list(listed_service, COUNCIL, "Almaly", "2025-06").json()["entries"]
    for entry in june:
        assert (entry["change"] == "new") == (entry["family_id"] not in may)


def test_months_and_immutability(listed_service: Service) -> None:
    months = listed_service.client.get(
        "/v1/districts/Almaly/lists", headers=listed_service.headers(COUNCIL, "Almaly")
    ).json()
    assert months["months"] == ["2025-06", "2025-05"]
    again = listed_service.client.post(
        "/v1/lists",
        json={"month": "2025-06", "districts": ["Almaly"]},
        headers=listed_service.headers(UserRole.admin),
    )
    assert again.status_code == 201
    assert again.json()["snapshots"][0]["created"] is False


def test_explanation_adds_up_and_matches_the_snapshot(listed_service: Service) -> None:
    entry = get_list(listed_service, COUNCIL, "Almaly", "2025-05").json()["entries"][0]
    response = listed_service.client.get(
        f"/v1/families/{entry['family_id']}/explanation",
        params={"month": "2025-05", "lang": "en"},
        headers=listed_service.headers(UserRole.auditor),
    )
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["probability"] == entry["probability"]
    assert data["model_version"] == "7"
    total = data["base_value"] + sum(c["contribution"] for c in data["contributions"])
    assert total == pytest.approx(data["raw_score"], abs=1e-9)
    champion = listed_service.state.models.champion()
    assert champion is not None
    assert len(data["contributions"]) == len(champion.model.feature_names_)
    by_feature = {c["feature"]: c for c in data["contributions"]}
    for reason in entry["reasons"]:
        assert by_feature[reason["feature"]]["contribution"] == reason["contribution"]
    # Exactly the documented schema.
    assert response.headers["content-type"] == "application/json"
    assert ExplanationRead.model_validate_json(response.content).model_dump() == data
    documented = listed_service.client.get("/openapi.json").json()["paths"]
    ok = documented["/v1/families/{family_id}/explanation"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"]["$ref"].endswith("/ExplanationRead")


def test_same_month_twice_gives_the_same_snapshot(
    listed_service: Service, champion: Champion
) -> None:
    with read_connection(listed_service.state.engine) as conn:
        events = load_events(conn)
    first = compute_lists(events, champion, month="2025-06")
    second = compute_lists(events, champion, month="2025-06")
    assert [d.data_fingerprint for d in first] == [d.data_fingerprint for d in second]
    assert [d.families for d in first] == [d.families for d in second]
    with listed_service.state.sessions() as session:
        stored = session.scalar(
            select(ListSnapshot).where(
                ListSnapshot.month == "2025-06", ListSnapshot.district == "Almaly"
            )
        )
        assert stored is not None
        assert stored.data_fingerprint == first[0].data_fingerprint
    # Data known later changes the fingerprint: a new record moves it.
    changed = compute_lists(events, champion, month="2025-07")
    assert changed[0].data_fingerprint != first[0].data_fingerprint
    assert np.isfinite([f["probability"] for f in first[0].families]).all()


def test_alert_is_rescored_and_listed(listed_service: Service) -> None:
    pid = next(p for p, f in listed_service.seeded.family_of.items() if f.startswith("F0"))
    body = {
        "subject_iin": listed_service.seeded.iins[pid],
        "event_date": dt.datetime.now(dt.UTC).date().isoformat(),
        "kind": "order_violation",
        "forms": ["physical"],
    }
    response = listed_service.client.post(
        "/v1/records/police-signals",
        json=body,
        headers=listed_service.headers(UserRole.police, "Almaly"),
    )
    assert response.status_code == 201
    alerts = listed_service.client.get(
        "/v1/districts/Almaly/alerts", headers=listed_service.headers(COUNCIL, "Almaly")
    ).json()["alerts"]
    assert [a["family_id"] for a in alerts] == [listed_service.seeded.family_of[pid]]
    assert alerts[0]["model_version"] == "7"
    assert 0.0 <= alerts[0]["probability"] <= 1.0


def test_unpack_reads_packed_and_raw_vectors() -> None:
    from service.lists.generate import pack, unpack

    vector = np.array([0.0, 1.5, np.nan, -2.25e-9, 3.0])
    assert np.array_equal(unpack(pack(vector)), vector, equal_nan=True)
    assert np.array_equal(unpack(vector.tobytes()), vector, equal_nan=True)
    assert len(pack(np.zeros(130))) < 130 * 8 / 4
