"""Hand-built event tables with known answers, for the feature pipeline's tests."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from features.contracts import TABLES, Events
from features.pipeline.prepare import SCHOOL_CONCERN_ITEMS

D = dt.date


@dataclass
class EventsBuilder:
    """Collects rows per table; `build()` returns `Events` with the contract schemas."""

    rows: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {name: [] for name in TABLES if name != "truth"}
    )
    _next: int = 0

    def _id(self, prefix: str) -> str:
        self._next += 1
        return f"{prefix}{self._next:06d}"

    def family(self, family_id: str, *, n_children: int = 0, **extra: Any) -> EventsBuilder:
        row = {
            "family_id": family_id,
            "region": "R1",
            "district": "D1",
            "urban": True,
            "n_children": n_children,
            "ethnicity": "kazakh",
            "language": "kk",
            "income_group": "middle",
            "disability_in_household": False,
            "single_parent": False,
        }
        row.update(extra)
        self.rows["families"].append(row)
        return self

    def person(self, family_id: str, *, role: str = "child", birth_year: int = 2015) -> str:
        person_id = self._id("P")
        self.rows["persons"].append(
            {
                "person_id": person_id,
                "family_id": family_id,
                "role": role,
                "sex": "f",
                "birth_year": birth_year,
                "full_name": "Test Person",
                "iin": "000000000000",
            }
        )
        return person_id

    def _record(
        self, family_id: str, event_date: dt.date, knowledge_date: dt.date | None, person: str
    ) -> dict[str, Any]:
        return {
            "record_id": self._id("R"),
            "family_id": family_id,
            "person_id": person,
            "institution_id": "I1",
            "event_date": event_date,
            "knowledge_date": knowledge_date or event_date,
        }

    def police(
        self,
        family_id: str,
        kind: str,
        event_date: dt.date,
        *,
        known: dt.date | None = None,
        forms: tuple[str, ...] = (),
        valid_until: dt.date | None = None,
    ) -> EventsBuilder:
        row = self._record(family_id, event_date, known, "PX")
        row.update(kind=kind, forms=list(forms), valid_until=valid_until)
        self.rows["police_signals"].append(row)
        return self

    def clinic(
        self,
        family_id: str,
        event_date: dt.date,
        *,
        known: dt.date | None = None,
        hits: tuple[int, int, int, int] = (1, 1, 1, 1),
        wast: tuple[str, str] = ("none", "none"),
        phq2: int = 0,
        injury_inconsistent: bool = False,
        forms: tuple[str, ...] = (),
    ) -> EventsBuilder:
        row = self._record(family_id, event_date, known, "PA")
        row.update(
            hits_hurt=hits[0],
            hits_insult=hits[1],
            hits_threaten=hits[2],
            hits_scream=hits[3],
            wast_tension=wast[0],
            wast_arguments=wast[1],
            injury_inconsistent=injury_inconsistent,
            pregnant=False,
            phq2=phq2,
            alcohol_concern=False,
            forms=list(forms),
        )
        self.rows["medical_screenings"].append(row)
        return self

    def school(
        self,
        family_id: str,
        event_date: dt.date,
        *,
        person: str = "PC",
        known: dt.date | None = None,
        feels_safe: int = 5,
        days_absent: int = 0,
        **items: bool,
    ) -> EventsBuilder:
        row = self._record(family_id, event_date, known, person)
        flags = dict.fromkeys(SCHOOL_CONCERN_ITEMS, False)
        flags.update(items)
        row.update(feels_safe=feels_safe, days_absent=days_absent, **flags)
        self.rows["school_surveys"].append(row)
        return self

    def outcome(
        self,
        family_id: str,
        event_date: dt.date,
        *,
        kind: str = "criminal_offense",
        known: dt.date | None = None,
    ) -> EventsBuilder:
        self.rows["outcomes"].append(
            {
                "record_id": self._id("O"),
                "family_id": family_id,
                "kind": kind,
                "event_date": event_date,
                "knowledge_date": known or event_date,
            }
        )
        return self

    def build(self) -> Events:
        frames = {
            name: pl.DataFrame(rows, schema=TABLES[name], orient="row")
            if rows
            else pl.DataFrame(schema=TABLES[name])
            for name, rows in self.rows.items()
        }
        return Events(**frames)
