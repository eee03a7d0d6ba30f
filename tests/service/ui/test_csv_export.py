"""A name that is a spreadsheet formula leaves the council list export as plain text
(issue 15, finding 7)."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update

from features.csv_safe import BOM
from service.storage.tables import Person
from tests.service.conftest import Service
from tests.service.ui.signin import sign_in

FORMULA = '=HYPERLINK("http://x","y")'


def test_a_formula_name_is_neutralised_in_the_list_export(listed_service: Service) -> None:
    client = listed_service.client
    sign_in(client, "council.almaly")
    first = client.get("/ui/districts/Almaly/lists/2025-06/export.csv?lang=en")
    assert first.status_code == 200
    rows = list(csv.reader(io.StringIO(first.text.removeprefix(BOM))))
    header, family_id = rows[0], rows[1][1]
    with listed_service.state.sessions() as session:
        session.execute(
            update(Person).where(Person.family_id == family_id).values(full_name=FORMULA)
        )
        session.commit()
    response = client.get("/ui/districts/Almaly/lists/2025-06/export.csv?lang=en")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    rows = list(csv.reader(io.StringIO(response.text.removeprefix(BOM))))
    row = next(r for r in rows[1:] if r[1] == family_id)
    members = row[header.index("Members")]
    assert members.startswith("'" + FORMULA)
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for r in rows for cell in r)
