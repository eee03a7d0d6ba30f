"""API schemas of the monthly lists, their explanations and the alerts between meetings."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from features.months import MONTH_PATTERN
from service.api_types import UtcDateTime
from service.families.schemas import OrderRead

#: What ranked a list, as every list schema states it.
RankerField = Annotated[
    Literal["model", "checklist"],
    Field(
        description="What ranked the list: the champion model, or (before the first model) the "
        "transparent checklist of service.lists.rankers, whose entries have no probability."
    ),
]


class ListsCreate(BaseModel):
    """Which month's lists to build, and for which districts (null: all)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"month": "2025-04", "districts": None}]},
    )
    month: str = Field(pattern=MONTH_PATTERN, description="YYYY-MM; features as of its 1st day.")
    districts: list[str] | None = None


class SnapshotRead(BaseModel):
    district: str
    month: str
    model_version: str
    ranker: RankerField
    data_fingerprint: str
    n_families: int
    k: int
    created: bool = Field(description="False when the snapshot already existed (immutable).")


class ListsCreated(BaseModel):
    snapshots: list[SnapshotRead]


class ReasonRead(BaseModel):
    feature: str
    value: float | None
    contribution: float
    text: str


class ListEntryRead(BaseModel):
    family_id: str
    names: list[str] | None = Field(
        default=None, description="Council of the family's own district only."
    )
    probability: float | None = Field(
        description="Calibrated probability of a recorded serious incident within 6 months; "
        "null on a checklist list."
    )
    band: str | None = Field(description="Risk band; null on a checklist list.")
    checklist_score: int | None = Field(
        default=None,
        description="Checklist items answered yes (a checklist list only; its reasons are "
        "those items).",
    )
    rank: int
    score_rank: int
    change: str = Field(description="new, up, down or same against last month's list.")
    reasons: list[ReasonRead]
    open_orders: list[OrderRead]
    violations: list[dt.date]
    alerts: list[dt.date] = Field(
        description="Event dates of serious police signals (a protective-order violation, a "
        "criminal offense, a weapon) in the 92 days before the as-of date and known by then: "
        "such a family is listed whatever its score."
    )
    alerts_between_meetings: list[dt.date] = Field(
        default_factory=list,
        description="Event dates of the alerts between meetings: serious police signals "
        "recorded after the previous list was built (known on or after the previous month's "
        "as-of date, before this list's), so not on the previous list. Empty on lists stored "
        "before the field existed.",
    )
    hold: Literal["watch", "lowered"] | None = Field(
        default=None,
        description="The council's priority hold the list honoured (issue 12): `watch` (priority "
        "raised, listed until the case is closed) or `lowered` (kept off the top k; listed only "
        "for an open order or a recent violation); null: none.",
    )


class ListRead(BaseModel):
    district: str
    month: str
    model_version: str
    ranker: RankerField
    previous_ranker: Literal["model", "checklist"] | None = Field(
        default=None,
        description="What ranked the district's list of the month before (null: none), so a "
        "switch from the checklist to the model is visible.",
    )
    checklist_items: int | None = Field(
        default=None, description="Items of the checklist (a checklist list only)."
    )
    recalibrated_within: str | None = Field(
        default=None,
        description="The protected attribute the list's model recalibrated its probabilities "
        "within (a deployment's explicit choice, stated in the model card); null: none, the "
        "default.",
    )
    data_fingerprint: str
    k: int
    n_families: int
    lang: str
    entries: list[ListEntryRead]


class ListMonthsRead(BaseModel):
    district: str
    months: list[str]


class AlertRead(BaseModel):
    id: int
    family_id: str
    kind: str
    event_date: dt.date
    recorded_on: dt.date = Field(
        description="The day the service learned of the signal (its knowledge date)."
    )
    created_at: UtcDateTime
    probability: float | None
    band: str | None
    model_version: str | None


class AlertsRead(BaseModel):
    district: str
    since: dt.date | None = Field(
        description="Alerts recorded on or after this day are shown: the as-of date of the "
        "district's latest list, so every alert that list did not know yet (null: no list "
        "yet, every alert is shown)."
    )
    alerts: list[AlertRead]


class ContributionRead(BaseModel):
    feature: str
    value: float | None
    contribution: float
    reason: str


class ExplanationRead(BaseModel):
    family_id: str
    month: str
    model_version: str
    ranker: RankerField
    base_value: float
    raw_score: float
    probability: float | None
    band: str | None
    contributions: list[ContributionRead]
    #: issue 18: the protected attribute the model recalibrated `probability` within (a
    #: deployment's explicit choice, stated in the model card) and this family's shift in
    #: log-odds; both null when the model has no recalibration (the default).
    recalibrated_within: str | None = None
    group_shift: float | None = None
