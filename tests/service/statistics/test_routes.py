"""`GET /v1/statistics` and its CSV: who reads which area, bad input naming the field, the
access log, no names, small counts suppressed."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from sqlalchemy import func, select

from service.auth.roles import UserRole
from service.storage.tables import AccessLogEntry, Person, SnapshotFamily
from tests.service.conftest import TOKEN_KEY, Service
from tests.service.factory import DISTRICTS, REGION, auth

R = UserRole
OWN, OTHER = DISTRICTS
URL = "/v1/statistics"


def _get(service: Service, headers: dict[str, str], **params: str) -> Any:
    return service.client.get(URL, params={"month": "2025-06", **params}, headers=headers)


def _astana(service: Service) -> dict[str, str]:
    return auth(service.seeded.users[(R.regional, "Astana")], TOKEN_KEY)


def test_the_ministry_reads_every_region_and_small_counts_are_hidden(stats: Service) -> None:
    response = _get(stats, stats.headers(R.ministry), level="national")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["level"] == "national"
    assert body["min_count"] == 10
    tables = {t["name"]: t for t in body["tables"]}
    assert {"listed", "alerts", "orders_issued", "orders_expired", "children_surveyed",
            "women_screened"} <= set(tables)  # fmt: skip
    listed = tables["listed"]
    assert listed["rows"] == ["Almaty", "Astana"]
    with stats.state.read_sessions() as session:
        n_listed = session.scalar(
            select(func.count())
            .select_from(SnapshotFamily)
            .where(
                SnapshotFamily.list_rank.is_not(None),
                SnapshotFamily.snapshot_id.in_(
                    select(SnapshotFamily.snapshot_id).distinct()  # both months' snapshots
                ),
            )
        )
    assert n_listed
    for table in body["tables"]:
        values = [v for row in table["cells"] for v in row]
        values += table["row_totals"] + table["column_totals"] + [table["total"]]
        assert all(v is None or v == 0 or v >= 10 for v in values), table["name"]
    # The lists name no one here, and no name reaches the statistics.
    with stats.state.read_sessions() as session:
        names = list(session.scalars(select(Person.full_name).limit(20)))
    assert not any(name in response.text for name in names)
    assert body["model"]["champion"] == "7"
    assert body["model"]["list_rankers"] == ["model"]


def test_a_regional_user_reads_their_region_only(stats: Service) -> None:
    own = _get(stats, stats.headers(R.regional), level="region")
    assert own.status_code == 200, own.text
    assert own.json()["region"] == REGION
    assert own.json()["tables"][0]["rows"] == sorted(DISTRICTS)
    district = _get(stats, stats.headers(R.regional), level="district", district=OWN)
    assert district.status_code == 200
    assert district.json()["region"] == REGION
    for params in (
        {"level": "region", "region": "Astana"},
        {"level": "district", "district": "Esil"},
        {"level": "national"},
    ):
        refused = _get(stats, stats.headers(R.regional), **params)
        assert refused.status_code == 403, params
        assert refused.json()["detail"].startswith("region:")
    other = _get(stats, _astana(stats), level="region", region=REGION)
    assert other.status_code == 403
    assert "region" in other.json()["detail"]
    assert _get(stats, _astana(stats), level="region").json()["region"] == "Astana"


def test_a_council_reads_its_own_district_only(stats: Service) -> None:
    headers = stats.headers(R.council, OWN)
    own = _get(stats, headers, level="district")
    assert own.status_code == 200
    assert own.json()["district"] == OWN
    for params in ({"level": "district", "district": OTHER}, {"level": "region"},
                   {"level": "national"}):  # fmt: skip
        refused = _get(stats, headers, **params)
        assert refused.status_code == 403, params
        assert refused.json()["detail"].startswith("district:")


def test_the_district_view_is_its_row_of_the_region(stats: Service) -> None:
    region = _get(stats, stats.headers(R.auditor), level="region", region=REGION).json()
    district = _get(stats, stats.headers(R.auditor), level="district", district=OTHER).json()
    for whole, one in zip(region["tables"], district["tables"], strict=True):
        row = whole["rows"].index(OTHER)
        assert one["cells"] == [whole["cells"][row]]
        assert one["total"] == whole["row_totals"][row]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"month": "2024-01", "level": "national"}, 404, "month"),
        ({"month": "2025-13", "level": "national"}, 422, "month"),
        ({"month": "2025-06", "level": "county"}, 422, "level"),
        ({"month": "2025-06", "level": "region"}, 422, "region"),
        ({"month": "2025-06", "level": "region", "region": "Nowhere"}, 404, "region"),
        ({"month": "2025-06", "level": "district", "district": "Nowhere"}, 404, "district"),
        ({"month": "2025-06", "level": "national", "region": REGION}, 422, "region"),
    ],
)
def test_bad_input_names_the_field_and_logs_nothing(
    stats: Service, params: dict[str, str], status: int, field: str
) -> None:
    with stats.state.read_sessions() as session:
        before = session.scalar(select(func.count()).select_from(AccessLogEntry))
    response = stats.client.get(URL, params=params, headers=stats.headers(R.ministry))
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    if status == 422:
        assert detail[0]["loc"][-1] == field
    else:
        assert detail.startswith(f"{field}:")
    with stats.state.read_sessions() as session:
        assert session.scalar(select(func.count()).select_from(AccessLogEntry)) == before


def test_reads_and_exports_are_logged(stats: Service) -> None:
    headers = stats.headers(R.regional)
    with stats.state.read_sessions() as session:
        before = session.scalar(select(func.max(AccessLogEntry.id))) or 0
    assert _get(stats, headers, level="district", district=OWN).status_code == 200
    export = stats.client.get(
        URL + "/export.csv", params={"month": "2025-06", "level": "region"}, headers=headers
    )
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert rows[0] == ["month", "level", "region", "district", "figure", "area", "category",
                       "count"]  # fmt: skip
    assert {r[5] for r in rows[1:]} == {*DISTRICTS, "total"}
    assert all(r[7] == "suppressed" or int(r[7]) == 0 or int(r[7]) >= 10 for r in rows[1:])
    with stats.state.read_sessions() as session:
        entries = session.execute(
            select(AccessLogEntry.action, AccessLogEntry.district, AccessLogEntry.list_month)
            .where(AccessLogEntry.id > before)
            .order_by(AccessLogEntry.id)
        ).all()
    assert [tuple(e) for e in entries] == [
        ("statistics.read", OWN, "2025-06"),
        ("statistics.export_csv", None, "2025-06"),
    ]


def test_case_figures_are_absent_without_the_case_tables(
    stats: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from service.statistics import views

    monkeypatch.setattr(views, "case_tables_exist", lambda session: False)
    body = _get(stats, stats.headers(R.ministry), level="national").json()
    assert body["absent"] == ["cases_opened", "measures_by_status", "measures_by_type",
                              "measures_delivered", "repeat"]  # fmt: skip
    assert not {t["name"] for t in body["tables"]} & set(body["absent"])
