"""Reading the statistics: who may see which area, the protected tables of that area, the
model in force, the access-log entry, and the CSV export.

Who sees what (docs/statistics.md): the ministry and auditors every level and area; a
regional coordinator their own region and its districts (another region: 403 naming `region`);
a council member the district level of their own district (403 naming `district` otherwise).
Every table is aggregate, without names, with small counts suppressed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from features.csv_safe import csv_text
from service.audit import access_log
from service.auth.access import statistics_district_scope, statistics_region_scope
from service.auth.roles import Principal, UserRole
from service.errors import FieldError, NotFoundError
from service.lists.generate import month_start
from service.model_source import ModelSource
from service.statistics.figures import (
    CASE_FIGURES,
    COLUMNS,
    Period,
    Protected,
    case_tables_exist,
    district_counts,
    protected_tables,
    published,
    regions_of,
)
from service.statistics.schemas import Level, ModelInForce, StatisticsRead, TableRead
from service.statistics.suppression import MIN_COUNT
from service.storage.tables import ListSnapshot

#: How a suppressed count reads in the CSV export.
SUPPRESSED: Final = "suppressed"


def _not_here(field: str, level: Level) -> FieldError:
    return FieldError(("query", field), f"{field}: expected none at level {level.value}")


def resolve_scope(
    user: Principal,
    regions: dict[str, list[str]],
    *,
    level: Level,
    region: str | None,
    district: str | None,
) -> tuple[str | None, str | None]:
    """The (region, district) a request reads after the role checks: defaults from the user
    (a regional user's region, a council member's district), 422 for a parameter the level
    does not use or lacks, 404 for an unknown area, 403 for an area the user may not read."""
    if level is Level.national:
        for name, value in (("region", region), ("district", district)):
            if value is not None:
                raise _not_here(name, level)
        if user.role is UserRole.council:
            statistics_district_scope(user, "")
        statistics_region_scope(user, None)
        return None, None
    if level is Level.region:
        if district is not None:
            raise _not_here("district", level)
        if user.role is UserRole.council:
            statistics_district_scope(user, "")
        region = region if region is not None else user.region
        if region is None:
            raise FieldError(("query", "region"), "region: expected a region at level region")
        if region not in regions:
            raise NotFoundError("region: no such region in the registry")
        statistics_region_scope(user, region)
        return region, None
    if region is not None:
        raise _not_here("region", level)
    district = district if district is not None else user.district
    if district is None:
        raise FieldError(("query", "district"), "district: expected a district at level district")
    home = next((r for r, ds in regions.items() if district in ds), None)
    if user.role is UserRole.council:
        statistics_district_scope(user, district)
    if home is None:
        raise NotFoundError("district: no such district in the registry")
    if user.role is not UserRole.council:
        statistics_region_scope(user, home)
    return home, district


def _table(name: str, protected: Protected, *, row: int | None = None) -> TableRead:
    grid, hidden = protected.grid, protected.suppressed
    if row is None:
        return TableRead(
            name=name,
            rows=list(protected.rows),
            columns=list(COLUMNS[name]),
            cells=[published(grid[i, :-1], hidden[i, :-1]) for i in range(grid.shape[0] - 1)],
            row_totals=published(grid[:-1, -1], hidden[:-1, -1]),
            column_totals=published(grid[-1, :-1], hidden[-1, :-1]),
            total=published([grid[-1, -1]], [hidden[-1, -1]])[0],
        )
    # One district: its row of its region's table (its totals are the row's own numbers).
    cells = published(grid[row, :-1], hidden[row, :-1])
    total = published([grid[row, -1]], [hidden[row, -1]])[0]
    return TableRead(
        name=name,
        rows=[protected.rows[row]],
        columns=list(COLUMNS[name]),
        cells=[cells],
        row_totals=[total],
        column_totals=cells,
        total=total,
    )


def _model(
    session: Session, models: ModelSource, month: str, districts: list[str] | None
) -> ModelInForce:
    described: dict[str, Any] = models.describe()
    champion = described.get("champion")
    gate_passed: bool | None = None
    for item in described.get("versions", []):
        if champion is not None and str(item.get("version")) == str(champion):
            gate = item.get("gate") or {}
            passed = gate.get("passed")
            gate_passed = passed if isinstance(passed, bool) else None
    query = select(ListSnapshot.model_version, ListSnapshot.ranker).where(
        ListSnapshot.month == month
    )
    if districts is not None:
        query = query.where(ListSnapshot.district.in_(districts))
    used = session.execute(query.distinct()).all()
    return ModelInForce(
        champion=None if champion is None else str(champion),
        gate_passed=gate_passed,
        list_versions=sorted({str(version) for version, _ranker in used}),
        list_rankers=sorted({str(ranker) for _version, ranker in used}),
    )


def read_statistics(
    session: Session,
    user: Principal,
    models: ModelSource,
    *,
    month: str,
    level: Level,
    region: str | None = None,
    district: str | None = None,
    today: dt.date | None = None,
    action: str = "statistics.read",
) -> StatisticsRead:
    """The protected tables of `month` at `level` for the area asked for (see
    `resolve_scope`), with the read written to the access log (`action`). 404 naming `month`
    when no list was generated for the month anywhere."""
    start = month_start(month)
    access_log.begin_read(session)
    regions = regions_of(session)
    region, district = resolve_scope(user, regions, level=level, region=region, district=district)
    if session.scalar(select(ListSnapshot.id).where(ListSnapshot.month == month).limit(1)) is None:
        raise NotFoundError("month: no list was generated for that month")
    cases = case_tables_exist(session)
    counts = district_counts(
        session, Period.of(month, start), today=today or dt.date.today(), cases=cases
    )
    tables = protected_tables(counts, regions)
    out: list[TableRead] = []
    for name in counts:
        if level is Level.national:
            out.append(_table(name, tables[(name, None)]))
        elif level is Level.region:
            out.append(_table(name, tables[(name, region)]))
        else:
            protected = tables[(name, region)]
            out.append(_table(name, protected, row=protected.rows.index(district or "")))
    in_scope = None if region is None else ([district] if district is not None else regions[region])
    view = StatisticsRead(
        month=month,
        level=level,
        region=region,
        district=district,
        min_count=MIN_COUNT,
        model=_model(session, models, month, in_scope),
        tables=out,
        absent=[] if cases else list(CASE_FIGURES),
    )
    access_log.log_read(session, user=user, action=action, district=district, list_month=month)
    return view


def statistics_csv(view: StatisticsRead) -> str:
    """The tables as one long CSV (figure, area, category, count), totals included as area or
    category `total`, suppressed counts as `suppressed`."""

    def cell(value: int | None) -> int | str:
        return SUPPRESSED if value is None else value

    rows: list[list[str | int]] = []
    for table in view.tables:
        for area, values, row_total in zip(table.rows, table.cells, table.row_totals, strict=True):
            rows.extend(
                [table.name, area, c, cell(v)] for c, v in zip(table.columns, values, strict=True)
            )
            rows.append([table.name, area, "total", cell(row_total)])
        if len(table.rows) > 1:
            rows.extend(
                [table.name, "total", c, cell(v)]
                for c, v in zip(table.columns, table.column_totals, strict=True)
            )
            rows.append([table.name, "total", "total", cell(table.total)])
    header = ["month", "level", "region", "district", "figure", "area", "category", "count"]
    scope = [view.month, view.level.value, view.region or "", view.district or ""]
    return csv_text(header, ([*scope, *row] for row in rows))
