"""Auditor pages: model versions and cards, the fairness report, explanations without names,
and the access log with its verify button. All through the API's own route functions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import func, select

from service.deps import SessionDep, StateDep
from service.errors import NotFoundError
from service.list_views import list_months
from service.routes.audit import get_access_log, get_models, verify_access_log
from service.routes.districts import get_list
from service.routes.families import get_explanation
from service.tables import AccessLogEntry, Family, ListSnapshot
from service.ui import i18n, labels
from service.ui.auth import ROLE_LABELS, AuditorUser, ModelReader
from service.ui.pages_council import waterfall_labels
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute
from service.ui.views import list_row
from service.ui.waterfall import Bar, waterfall_svg

router = APIRouter(route_class=UIRoute)
PAGE = 100


def _versions(described: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for item in described.get("versions", []):
        gate = item.get("gate") or {}
        out.append(
            {
                "version": str(item.get("version", "")),
                "aliases": list(item.get("aliases", [])),
                "trained_until": item.get("trained_until", ""),
                "gate_passed": gate.get("passed", item.get("gate_passed")),
                "gate_failures": list(gate.get("failures", item.get("gate_failures", [])) or []),
                "raw": item,
            }
        )
    return out


@router.get("/audit/models", response_class=HTMLResponse)
def models_page(request: Request, user: ModelReader, state: StateDep) -> Response:
    """Registered versions with gate verdicts, and who moved which alias when and why."""
    described = get_models(state)
    history = [
        {
            "at": move.get("at", move.get("when", "")),
            "alias": move.get("alias", ""),
            "version": move.get("version", ""),
            "by": move.get("by", ""),
            "reason": move.get("reason", ""),
        }
        for move in described.get("alias_history", [])
    ]
    return render(
        request, "audit/models.html.j2", {"versions": _versions(described), "history": history}
    )


def _local(path: object) -> Path | None:
    if not isinstance(path, str) or not path:
        return None
    candidate = Path(path.removeprefix("file://"))
    return candidate if candidate.exists() else None


@router.get("/audit/models/{version}", response_class=HTMLResponse)
def model_card_page(request: Request, version: str, user: ModelReader, state: StateDep) -> Response:
    """The model card of one version."""
    found = [v for v in _versions(get_models(state)) if v["version"] == version]
    if not found:
        raise NotFoundError(f"version: no registered version {version!r}")
    raw = found[0]["raw"]
    card = raw.get("model_card")
    path = _local(raw.get("model_card_path") or raw.get("model_card_uri"))
    if not card and path is not None:
        card = path.read_text(encoding="utf-8")
    return render(request, "audit/model.html.j2", {"version": version, "card": card})


def _fairness_dir(described: dict[str, Any]) -> tuple[str | None, Path | None]:
    champion = described.get("champion")
    for item in _versions(described):
        if champion is None or item["version"] == str(champion):
            raw = item["raw"]
            path = _local(raw.get("fairness_report_dir") or raw.get("fairness_report"))
            if path is not None:
                return item["version"], path if path.is_dir() else path.parent
            return item["version"], None
    return None, None


@router.get("/audit/fairness", response_class=HTMLResponse)
def fairness_page(request: Request, user: AuditorUser, state: StateDep) -> Response:
    """The champion's fairness report: flagged disparities, group metrics and plots."""
    version, directory = _fairness_dir(get_models(state))
    report = None
    plots: list[dict[str, str]] = []
    if directory is not None and (directory / "report.json").exists():
        data = json.loads((directory / "report.json").read_text(encoding="utf-8"))
        groups = [{**g, "for_": g.get("for")} for g in data.get("groups", [])]
        flagged = [
            f"{d.get('attribute')}={d.get('group')}: {d.get('metric')} {d.get('ratio')}"
            for d in data.get("disparities", [])
            if d.get("flagged")
        ]
        report = {"groups": groups, "flagged": flagged}
        plots = [
            {"name": png.stem, "url": f"/ui/audit/fairness/plots/{png.name}"}
            for png in sorted(directory.glob("*.png"))
        ]
    return render(
        request,
        "audit/fairness.html.j2",
        {"version": version, "report": report, "plots": plots, "html_url": None},
    )


@router.get("/audit/fairness/plots/{name}")
def fairness_plot(name: str, user: AuditorUser, state: StateDep) -> Response:
    """One plot of the champion's fairness report (PNG files of the report directory only)."""
    _, directory = _fairness_dir(get_models(state))
    if directory is None or "/" in name or not name.endswith(".png"):
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
    path = directory / name
    if not path.is_file():
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
    return FileResponse(path, media_type="image/png")


@router.get("/audit/explanations", response_class=HTMLResponse)
def explanations_page(
    request: Request,
    user: AuditorUser,
    session: SessionDep,
    district: str = "",
    month: str = "",
) -> Response:
    """Pick a district and month; the list is shown without names (auditors never see them)."""
    districts = list(session.scalars(select(ListSnapshot.district).distinct().order_by("district")))
    district = district if district in districts else (districts[0] if districts else "")
    months = list_months(session, district) if district else []
    month = month if month in months else (months[0] if months else "")
    rows = []
    if district and month:
        listing = get_list(district, month, user, session, lang=request_lang(request))
        rows = [list_row(entry) for entry in listing.entries]
    return render(
        request,
        "audit/explanations.html.j2",
        {"districts": districts, "district": district, "months": months, "month": month,
         "rows": rows},
    )  # fmt: skip


@router.get("/audit/explanations/{family_id}", response_class=HTMLResponse)
def explanation_page(
    request: Request,
    family_id: str,
    user: AuditorUser,
    session: SessionDep,
    month: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")] = None,
) -> Response:
    """Every contribution of one list entry, with the waterfall; pseudonymous id only."""
    lang = request_lang(request)
    explanation = get_explanation(family_id, user, session, month=month, lang=lang)
    family = session.get(Family, family_id)
    district = family.district if family is not None else ""
    chart = waterfall_svg(
        [Bar(c.reason, c.contribution) for c in explanation.contributions],
        base_value=explanation.base_value,
        labels=waterfall_labels(i18n.catalog(lang), family_id),
    )
    contributions = [
        {
            "feature": c.feature,
            "value_text": "—" if c.value is None else f"{c.value:g}",
            "contribution": c.contribution,
            "reason": c.reason,
        }
        for c in sorted(explanation.contributions, key=lambda c: -abs(c.contribution))
    ]
    return render(
        request,
        "audit/explanation.html.j2",
        {
            "family_id": family_id,
            "month": explanation.month,
            "district": district,
            "explanation": {
                "model_version": explanation.model_version,
                "base_value": explanation.base_value,
                "raw_score": explanation.raw_score,
                "probability": explanation.probability,
                "contributions": contributions,
            },
            "chart": chart,
            "band_label": labels.BANDS.get(explanation.band, explanation.band),
        },
    )


@router.get("/audit/access-log", response_class=HTMLResponse)
def access_log_page(
    request: Request,
    user: AuditorUser,
    session: SessionDep,
    verify: str = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    """The newest entries of the access log (page back with `before`), and the chain check."""
    last = int(session.scalar(select(func.max(AccessLogEntry.id))) or 0)
    upper = min(before, last + 1) if before is not None else last + 1
    after = max(0, upper - 1 - PAGE)
    page = get_access_log(session, after=after, limit=upper - 1 - after or 1)
    entries = [
        {**e.model_dump(), "role_label": ROLE_LABELS.get(e.role, e.role)}
        for e in reversed(page.entries)
        if e.id < upper
    ]
    verification = verify_access_log(session) if verify == "1" else None
    older_url = f"/ui/audit/access-log?before={after + 1}" if after > 0 else None
    return render(
        request,
        "audit/access_log.html.j2",
        {"entries": entries, "verification": verification, "older_url": older_url},
    )
