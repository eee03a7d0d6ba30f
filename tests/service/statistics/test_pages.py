"""The statistics page: each role's choices, charts drawn server-side, no script, the CSV
download, the start page of the new roles."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from service.auth.roles import UserRole
from tests.service.conftest import Service
from tests.service.factory import DISTRICTS, REGION
from tests.service.ui.signin import sign_in

R = UserRole
OWN, OTHER = DISTRICTS


def _page(client: TestClient, username: str, query: str = "") -> str:
    sign_in(client, username)
    response = client.get("/ui/statistics" + query)
    assert response.status_code == 200, response.text
    return str(response.text)


def test_the_ministry_sees_every_level_and_svg_charts(stats: Service) -> None:
    html = _page(stats.client, "ministry.all", "?lang=en")
    assert "<script" not in html
    assert html.count('<svg class="stat-chart"') >= 6
    assert 'name="level"' in html
    assert 'value="national"' in html
    assert "Families on the monthly lists" in html
    assert 'href="/ui/statistics"' in html  # the menu
    assert "Download these tables (CSV)" in html


def test_a_regional_user_picks_among_their_own_region_and_districts(stats: Service) -> None:
    html = _page(stats.client, "regional.all", "?lang=ru")
    assert 'value="national"' not in html
    assert re.findall(
        r'<option value="([^"]+)"[^>]*>[^<]*</option>',
        html.split('id="s-region"')[1].split("</select>")[0],
    ) == [REGION]
    assert "Esil" not in html
    district = stats.client.get(f"/ui/statistics?level=district&district={OWN}")
    assert district.status_code == 200
    refused = stats.client.get("/ui/statistics?level=region&region=Astana")
    assert refused.status_code == 403


def test_the_csv_download_is_the_api_csv(stats: Service) -> None:
    sign_in(stats.client, "auditor.all")
    page_csv = stats.client.get("/ui/statistics/export.csv?month=2025-06&level=national")
    assert page_csv.status_code == 200
    api_csv = stats.client.get(
        "/v1/statistics/export.csv",
        params={"month": "2025-06", "level": "national"},
        headers=stats.headers(R.auditor),
    )
    assert page_csv.text == api_csv.text


def test_the_start_page_sends_the_new_roles_to_the_statistics(stats: Service) -> None:
    for username in ("regional.all", "ministry.all"):
        sign_in(stats.client, username)
        response = stats.client.get("/ui/", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/ui/statistics"


def test_a_council_sees_its_own_district_only(stats: Service) -> None:
    html = _page(stats.client, f"council.{OWN.lower()}")
    assert OTHER not in html.split("<main")[1]
    assert stats.client.get(f"/ui/statistics?level=district&district={OTHER}").status_code == 403
