"""Lists before the first model: ranked by the checklist, labelled as such everywhere, and the
visible switch to the model in the first month with a champion (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from features.pipeline import build_features
from model.baselines import DASH_INDICATORS, ChecklistBaseline
from service.auth.roles import UserRole
from service.lists.generate import month_start
from service.lists.rankers import CHECKLIST_TIEBREAK, CHECKLIST_VERSION
from service.model_source import Champion
from service.storage.db import read_connection
from service.storage.events import load_events
from tests.service.conftest import Service, build_service
from tests.service.ui.signin import sign_in

COUNCIL = UserRole.council
ITEM_FEATURES = {item.feature for item in DASH_INDICATORS}


class SwitchableSource:
    """A model source whose champion appears when the test says so (the first training run)."""

    def __init__(self) -> None:
        self.current: Champion | None = None

    def champion(self) -> Champion | None:
        return self.current

    def describe(self) -> dict[str, Any]:
        return {"champion": self.current.version if self.current else None, "versions": []}


@pytest.fixture
def switchable(tmp_path: Path, db_url: str) -> Iterator[tuple[Service, SwitchableSource]]:
    source = SwitchableSource()
    for service in build_service(tmp_path, db_url, source):
        yield service, source


def _generate(service: Service, month: str) -> list[dict[str, Any]]:
    response = service.client.post(
        "/v1/lists", json={"month": month}, headers=service.headers(UserRole.admin)
    )
    assert response.status_code == 201, response.text
    snapshots: list[dict[str, Any]] = response.json()["snapshots"]
    return snapshots


def _list(service: Service, month: str, district: str = "Almaly") -> dict[str, Any]:
    response = service.client.get(
        f"/v1/districts/{district}/lists/{month}",
        params={"lang": "en"},
        headers=service.headers(COUNCIL, district),
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _checklist_scores(service: Service, month: str) -> dict[str, tuple[float, float]]:
    """Family -> (checklist score, police signals in 12 months), computed independently."""
    with read_connection(service.state.engine) as conn:
        events = load_events(conn)
    features = build_features(events, as_of=month_start(month))
    scores = ChecklistBaseline().fit(features).score(features)
    police = features[CHECKLIST_TIEBREAK].fill_null(0).to_numpy()
    return {
        fid: (float(s), float(p))
        for fid, s, p in zip(features["family_id"].to_list(), scores, police, strict=True)
    }


def test_without_a_champion_the_list_is_ranked_by_the_checklist(
    switchable: tuple[Service, SwitchableSource],
) -> None:
    service, _source = switchable
    snapshots = _generate(service, "2025-06")
    assert {s["ranker"] for s in snapshots} == {"checklist"}
    assert {s["model_version"] for s in snapshots} == {CHECKLIST_VERSION}

    data = _list(service, "2025-06")
    assert (data["ranker"], data["previous_ranker"]) == ("checklist", None)
    assert data["checklist_items"] == len(DASH_INDICATORS)
    entries = data["entries"]
    expected = _checklist_scores(service, "2025-06")
    # Ranked by the checklist score, ties by police signals in 12 months, then family id.
    keys = [(-expected[e["family_id"]][0], -expected[e["family_id"]][1]) for e in entries]
    top = [e for e in entries if e["score_rank"] <= data["k"]]
    assert len(top) == data["k"]
    assert keys[: data["k"]] == sorted(keys[: data["k"]])
    almaly = {fid: v for fid, v in expected.items() if fid.startswith("F0")}
    best = sorted(almaly.values(), key=lambda v: (-v[0], -v[1]))[: data["k"]]
    assert [expected[e["family_id"]] for e in top] == best
    assert max(v[0] for v in almaly.values()) > 0, "the seeded records answer some items"
    for entry in entries:
        assert entry["probability"] is None
        assert entry["band"] is None
        assert entry["checklist_score"] == expected[entry["family_id"]][0]
        # The reasons are the items answered yes, each with the data behind it.
        assert sum(r["contribution"] for r in entry["reasons"]) == entry["checklist_score"]
        for reason in entry["reasons"]:
            assert reason["feature"] in ITEM_FEATURES
            assert reason["value"] is not None
            assert reason["text"]
    # Open orders are listed whatever the rank, as on model lists.
    order_family = service.seeded.with_order["Almaly"]
    listed = {e["family_id"]: e for e in entries}
    assert listed[order_family]["open_orders"]

    explanation = service.client.get(
        f"/v1/families/{entries[0]['family_id']}/explanation",
        params={"month": "2025-06"},
        headers=service.headers(COUNCIL, "Almaly"),
    ).json()
    assert explanation["ranker"] == "checklist"
    assert explanation["probability"] is None
    assert explanation["band"] is None
    assert explanation["base_value"] == 0.0
    assert sum(c["contribution"] for c in explanation["contributions"]) == pytest.approx(
        explanation["raw_score"]
    )
    assert explanation["raw_score"] == entries[0]["checklist_score"]


def test_the_first_month_with_a_champion_switches_to_the_model_visibly(
    switchable: tuple[Service, SwitchableSource], champion: Champion
) -> None:
    service, source = switchable
    assert {s["ranker"] for s in _generate(service, "2025-05")} == {"checklist"}
    source.current = champion
    june = _generate(service, "2025-06")
    assert {(s["ranker"], s["model_version"]) for s in june} == {("model", "7")}
    data = _list(service, "2025-06")
    assert (data["ranker"], data["previous_ranker"]) == ("model", "checklist")
    assert data["checklist_items"] is None
    assert all(e["probability"] is not None and e["band"] for e in data["entries"])
    assert all(e["checklist_score"] is None for e in data["entries"])
    # Last month's interim list is kept as it was shown (snapshots are immutable).
    may = _list(service, "2025-05")
    assert (may["ranker"], may["previous_ranker"]) == ("checklist", None)
    assert _generate(service, "2025-05")[0]["created"] is False


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#39;", "'")


def _sign_in(service: Service) -> None:
    service.client.cookies.clear()
    sign_in(service.client, "council.almaly")


def test_pages_and_csv_say_which_ranker_built_the_list(
    switchable: tuple[Service, SwitchableSource], champion: Champion
) -> None:
    service, source = switchable
    _generate(service, "2025-05")
    _sign_in(service)
    page = _text(service.client.get("/ui/districts/Almaly/lists/2025-05?lang=en").text)
    assert "Interim list, ranked by the checklist, not by a model." in page
    assert f"how many of {len(DASH_INDICATORS)} yes/no questions" in page
    kk = _text(service.client.get("/ui/districts/Almaly/lists/2025-05?lang=kk").text)
    assert "Уақытша тізім" in kk
    ru = _text(service.client.get("/ui/districts/Almaly/lists/2025-05?lang=ru").text)
    assert "Временный список" in ru
    printed = _text(service.client.get("/ui/districts/Almaly/lists/2025-05/print?lang=en").text)
    assert "Interim list, ranked by the checklist" in printed

    response = service.client.get("/ui/districts/Almaly/lists/2025-05/export.csv?lang=en")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert header[-2:] == ["Ranked by", "Checklist items answered yes"]
    assert body
    assert {row[-2] for row in body} == {"Checklist"}
    assert all(row[header.index("Probability")] == "" for row in body)
    assert all(int(row[-1]) >= 0 for row in body)
    family = body[0][1]
    family_page = _text(service.client.get(f"/ui/families/{family}?lang=en").text)
    assert "interim list ranked by the checklist, not by a model" in family_page

    source.current = champion
    _generate(service, "2025-06")
    june = _text(service.client.get("/ui/districts/Almaly/lists/2025-06?lang=en").text)
    assert "Ranked by the model from this month; last month by the checklist." in june
    assert "Interim list" not in june
    response = service.client.get("/ui/districts/Almaly/lists/2025-06/export.csv?lang=en")
    body = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))[1:]
    assert {row[-2] for row in body} == {"Model"}
    assert {row[-1] for row in body} == {""}
    assert all(0.0 <= float(row[4]) <= 1.0 for row in body)


def test_checklist_items_reading_one_feature_give_one_reason() -> None:
    from service.lists.views import _merge_items

    names = ["police_domestic_call_12m", "police_domestic_call_12m", "hits_max"]
    merged = _merge_items(names, np.array([3.0, 3.0, 12.0]), np.array([1.0, 1.0, 1.0]))
    assert merged[0] == ["police_domestic_call_12m", "hits_max"]
    assert merged[1].tolist() == [3.0, 12.0]
    assert merged[2].tolist() == [2.0, 1.0]
