"""View models of the pages: the service's read schemas reshaped for templates, translated."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Final

from service.families.schemas import OrderRead
from service.lists.schemas import ListEntryRead
from service.ui import labels

#: An order "expires soon" within this many days (the service's court-extension window).
EXPIRING_DAYS: Final = 14


@dataclass(frozen=True)
class OrderView:
    kind_label: str
    valid_until: dt.date
    days_left: int | None
    suggest_extension: bool


@dataclass(frozen=True)
class ViolationView:
    kind_label: str
    date: dt.date


@dataclass(frozen=True)
class ListRow:
    rank: int
    family_id: str
    names: list[str] | None
    band: str | None  # None on a checklist list
    band_label: str
    probability: float | None  # None on a checklist list
    change: str
    change_label: str
    reasons: list[str]
    orders: list[OrderView] = field(default_factory=list)
    violations: list[ViolationView] = field(default_factory=list)
    #: An alert between meetings: a serious signal recorded after the previous list was built.
    alert: bool = False
    #: Days of serious police signals of the last 3 months that are not violations (these are
    #: shown as violations), which keep the family on the list whatever its score.
    serious_signals: list[dt.date] = field(default_factory=list)
    checklist_score: int | None = None
    #: The council's priority hold the list honoured (issue 12): the label's msgid, or "".
    hold_label: str = ""

    @property
    def days_to_expiry(self) -> int | None:
        days = [o.days_left for o in self.orders if o.days_left is not None]
        return min(days) if days else None


def order_view(order: OrderRead) -> OrderView:
    return OrderView(
        kind_label=labels.POLICE_KINDS.get(order.kind, order.kind),
        valid_until=order.valid_until,
        days_left=order.days_to_expiry,
        suggest_extension=order.suggest_extension,
    )


def list_row(entry: ListEntryRead, *, reasons: int = 3) -> ListRow:
    """One list entry as the list table shows it (labels are msgids, translated in templates)."""
    return ListRow(
        rank=entry.rank,
        family_id=entry.family_id,
        names=entry.names,
        band=entry.band,
        band_label=labels.BANDS.get(entry.band, entry.band) if entry.band else "",
        probability=entry.probability,
        change=entry.change,
        change_label=labels.CHANGES.get(entry.change, entry.change),
        reasons=[reason.text for reason in entry.reasons[:reasons]],
        orders=[order_view(order) for order in entry.open_orders],
        violations=[ViolationView(labels.VIOLATION, day) for day in entry.violations],
        alert=bool(entry.alerts_between_meetings),
        serious_signals=sorted(set(entry.alerts) - set(entry.violations)),
        checklist_score=entry.checklist_score,
        hold_label=labels.HOLDS.get(entry.hold, entry.hold) if entry.hold else "",
    )


@dataclass(frozen=True)
class ListFilters:
    """The filters and sort order of the list page (from the query string)."""

    band: str = ""
    new: bool = False
    expiring: bool = False
    violations: bool = False
    sort: str = "rank"


def apply_filters(rows: list[ListRow], filters: ListFilters) -> list[ListRow]:
    """Rows that pass every active filter, in the requested order."""
    kept = [
        row
        for row in rows
        if (not filters.band or row.band == filters.band)
        and (not filters.new or row.change == "new")
        and (
            not filters.expiring
            or any(o.days_left is not None and o.days_left <= EXPIRING_DAYS for o in row.orders)
        )
        and (
            not filters.violations or bool(row.violations) or row.alert or bool(row.serious_signals)
        )
    ]
    if filters.sort == "probability":
        kept.sort(key=lambda row: (-(row.probability or 0.0), row.rank))
    elif filters.sort == "expiry":
        kept.sort(key=lambda row: (row.days_to_expiry is None, row.days_to_expiry or 0, row.rank))
    else:
        kept.sort(key=lambda row: row.rank)
    return kept
