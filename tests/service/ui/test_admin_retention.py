"""The admin's retention page: the dry run's report (logged, nothing changed), a run only with
the confirming box ticked, and the tombstones it leaves; admins only."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from service.auth.access import TOKEN_COOKIE
from service.storage import tables as t
from service.ui.auth import csrf_token_for
from tests.service.conftest import TOKEN_KEY, Service
from tests.service.retention.conftest import DISTRICT, add_old_family
from tests.service.ui.signin import sign_in


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page))


def _families(service: Service, family_id: str) -> int:
    with service.state.sessions() as session:
        query = select(func.count()).select_from(t.Family).where(t.Family.family_id == family_id)
        return int(session.scalar(query) or 0)


def _post(service: Service, data: dict[str, str]) -> str:
    token = service.client.cookies.get(TOKEN_COOKIE) or ""
    response = service.client.post(
        "/ui/admin/retention?lang=en",
        data={"csrf_token": csrf_token_for(token, key=TOKEN_KEY), **data},
    )
    assert response.status_code == 200, response.text
    return _text(response.text)


def test_report_then_run_with_confirmation(sqlite_service: Service) -> None:
    service = sqlite_service
    old = add_old_family(service)
    sign_in(service.client, "admin.all")
    page = _text(service.client.get("/ui/admin/retention?lang=en").text)
    assert "Families 1" in page
    assert f"Families in {DISTRICT} 1" in page
    assert "Nothing has been destroyed yet." in page
    assert old.names[0] not in page
    assert old.iins[0] not in page
    with service.state.sessions() as session:
        last = session.scalars(select(t.AccessLogEntry).order_by(t.AccessLogEntry.id.desc()))
        assert next(iter(last)).action == "retention.dry_run"

    refused = _post(service, {})  # the box not ticked: nothing happens
    assert "Nothing was destroyed: tick the box" in refused
    assert _families(service, old.family_id) == 1

    done = _post(service, {"confirm": "yes"})
    assert _families(service, old.family_id) == 0
    assert "Destroyed on" in done
    assert re.search(r"A family Retention period over " + DISTRICT + r" \d+ 0", done), done
    after = _text(service.client.get("/ui/admin/retention?lang=en").text)
    assert "Families 0" in after
    assert "Nothing has been destroyed yet." not in after


def test_without_the_form_token_nothing_is_destroyed(sqlite_service: Service) -> None:
    service = sqlite_service
    old = add_old_family(service)
    sign_in(service.client, "admin.all")
    response = service.client.post("/ui/admin/retention", data={"confirm": "yes"})
    assert response.status_code == 403
    assert _families(service, old.family_id) == 1


def test_only_the_admin_opens_it(sqlite_service: Service) -> None:
    sign_in(sqlite_service.client, f"council.{DISTRICT.lower()}")
    response = sqlite_service.client.get("/ui/admin/retention", follow_redirects=False)
    assert response.status_code == 403
