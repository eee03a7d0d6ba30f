"""API schemas of the statistics: tables of counts without names, small counts suppressed."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field


class Level(StrEnum):
    """How far the figures reach: one district, the districts of one region, every region."""

    district = "district"
    region = "region"
    national = "national"


class TableRead(BaseModel):
    """One figure as a table: one row per area (a region at the national level, a district
    otherwise), one column per category, with the totals computed from the full data. `null`
    is a suppressed count (under the threshold, or suppressed so that none can be recovered
    by subtraction: docs/statistics.md)."""

    name: str = Field(description="The figure: docs/statistics.md defines each.")
    rows: list[str] = Field(description="The areas: regions or districts.")
    columns: list[str] = Field(description="The categories of the figure.")
    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None


class ModelInForce(BaseModel):
    """The champion model and its fairness gate verdict now, and what ranked the month's
    lists in the areas asked for."""

    champion: str | None = Field(description="The champion's version; null before the first.")
    gate_passed: bool | None = Field(
        description="The champion's gate verdict (model and fairness); null when unknown."
    )
    list_versions: list[str] = Field(description="Model versions of the month's lists.")
    list_rankers: list[str] = Field(description="`model` and/or `checklist`.")


class StatisticsRead(BaseModel):
    month: str
    level: Level
    region: str | None
    district: str | None
    min_count: int = Field(description="Counts from 1 to min_count - 1 are suppressed.")
    model: ModelInForce
    tables: list[TableRead]
    absent: list[str] = Field(
        description="Figures this database cannot give yet (the case tables before they "
        "exist): absent, not zero."
    )
