"""The meeting's pages: the access log tells a list or agenda read on a screen from one printed
or exported as a file; the agenda and dashboard answer in kk, ru and en; "<10", never a 9."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from features.csv_safe import BOM
from service.auth.roles import UserRole
from service.storage.tables import AccessLogEntry
from tests.service.conftest import Service
from tests.service.meetings import records as rec
from tests.service.meetings.records import MeasureSpec, Step
from tests.service.meetings.test_agenda import make_lists
from tests.service.ui.signin import sign_in

D = dt.date


def _actions(service: Service, after: int) -> list[tuple[str, str | None, str | None]]:
    with service.state.read_sessions() as session:
        rows = session.scalars(
            select(AccessLogEntry).where(AccessLogEntry.id > after).order_by(AccessLogEntry.id)
        ).all()
    return [(e.action, e.district, e.list_month) for e in rows]


def _last_id(service: Service) -> int:
    with service.state.read_sessions() as session:
        return max(session.scalars(select(AccessLogEntry.id)).all(), default=0)


def test_printed_and_exported_lists_and_agendas_are_logged_apart(sqlite_service: Service) -> None:
    service = sqlite_service
    make_lists(service, "2025-05", "2025-06")
    client = service.client
    sign_in(client, "council.almaly")
    start = _last_id(service)
    base = "/ui/districts/Almaly"
    for url in (
        f"{base}/lists/2025-06",
        f"{base}/lists/2025-06/print",
        f"{base}/lists/2025-06/export.csv",
        f"{base}/agenda?month=2025-06",
        f"{base}/agenda/print?month=2025-06",
        f"{base}/agenda/export.csv?month=2025-06",
    ):
        assert client.get(url).status_code == 200, url
    logged = [a for a in _actions(service, start) if a[0].startswith(("list.", "agenda."))]
    assert logged == [
        ("list.read", "Almaly", "2025-06"),
        ("list.print", "Almaly", "2025-06"),
        ("list.export_csv", "Almaly", "2025-06"),
        ("agenda.read", "Almaly", "2025-06"),
        ("agenda.print", "Almaly", "2025-06"),
        ("agenda.export_csv", "Almaly", "2025-06"),
    ]
    # The auditor's access-log page names each action in words.
    sign_in(client, "auditor.all")
    page = client.get("/ui/audit/access-log?lang=en").text
    for words in ("Printed a monthly list", "Exported a meeting agenda as a CSV file"):
        assert words in page


def test_agenda_page_print_and_csv(sqlite_service: Service) -> None:
    service = sqlite_service
    make_lists(service, "2025-06")
    families = service.seeded.families["Almaly"]
    user = service.user(UserRole.council, "Almaly").id
    with service.state.sessions() as session:
        rec.case(
            session,
            families[0],
            "Almaly",
            user,
            opened_on=D(2025, 6, 2),
            measures=[
                MeasureSpec(
                    "psychologist", D(2025, 6, 20), D(2025, 6, 2), [Step("sent", D(2025, 6, 2))]
                )
            ],
        )
        rec.alert(session, families[4], "Almaly", event_date=D(2025, 6, 8), known=D(2025, 6, 10))
        session.commit()
    client = service.client
    sign_in(client, "council.almaly")
    page = client.get("/ui/districts/Almaly/agenda?lang=en").text  # the latest list's month
    assert "Meeting agenda · Almaly · 2025-06" in page
    assert "1 open case due for review" in page
    assert "1 alert since the previous list" in page
    assert f"Name {families[0]} adult" in page
    assert "Due date passed, not delivered" in page
    ru = client.get("/ui/districts/Almaly/agenda?month=2025-06&lang=ru").text
    assert "Повестка заседания" in ru
    assert "1 открытое дело к рассмотрению" in ru
    kk = client.get("/ui/districts/Almaly/agenda?month=2025-06&lang=kk").text
    assert "Отырыстың күн тәртібі" in kk
    printed = client.get("/ui/districts/Almaly/agenda/print?month=2025-06&lang=en").text
    assert "Printed by council.almaly" in printed
    response = client.get("/ui/districts/Almaly/agenda/export.csv?month=2025-06&lang=en")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.removeprefix(BOM))))
    assert rows[0] == ["Section", "Family", "Members", "What", "Date"]
    assert [
        "Case due for review",
        families[0],
        f"Name {families[0]} adult; Name {families[0]} child",
        "Psychologist: Due date passed, not delivered",
        "2025-06-20",
    ] in rows
    assert any(r[0] == "Alert since the previous list" and r[1] == families[4] for r in rows)
    # Another district's agenda: refused.
    assert client.get("/ui/districts/Bostandyk/agenda?month=2025-06").status_code == 403


@pytest.mark.parametrize(
    ("lang", "heading", "window"),
    [
        ("en", "The council's figures", "Within 3 months of opening"),
        ("ru", "Показатели совета", "В течение 3 месяцев после открытия"),
        ("kk", "Кеңестің көрсеткіштері", "Ашылғаннан кейін 3 ай ішінде"),
    ],
)
def test_dashboard_page_suppresses_small_counts(
    sqlite_service: Service, lang: str, heading: str, window: str
) -> None:
    service = sqlite_service
    make_lists(service, "2025-06")
    families = service.seeded.families["Almaly"]
    user = service.user(UserRole.council, "Almaly").id
    with service.state.sessions() as session:
        for family in families[:9]:  # 9 cases: never shown as 9
            rec.case(session, family, "Almaly", user, opened_on=D(2025, 6, 3))
        for family in families[9:21]:  # 12 older cases, closed
            rec.case(
                session, family, "Almaly", user, opened_on=D(2024, 1, 3), closed_on=D(2024, 3, 1)
            )
        session.commit()
    client = service.client
    sign_in(client, "council.almaly")
    page = client.get(f"/ui/districts/Almaly/dashboard?month=2025-06&lang={lang}").text
    assert heading in page
    assert window in page
    assert "&lt;10" in page
    assert ">9<" not in page
    assert ">12<" in page  # the older cases: 12 at 3, 6 and 12 months
    # An auditor reads it too; front-line roles never do.
    sign_in(client, "auditor.all")
    assert client.get("/ui/districts/Almaly/dashboard?month=2025-06").status_code == 200
    sign_in(client, "police.almaly")
    assert client.get("/ui/districts/Almaly/dashboard?month=2025-06").status_code == 403
    assert client.get("/ui/districts/Almaly/agenda?month=2025-06").status_code == 403
