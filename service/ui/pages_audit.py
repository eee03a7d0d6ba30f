"""Auditor pages: model versions and cards, the fairness report, explanations without names
(the access log's page: `pages_access_log`). All through the service functions the API's
routes call (the same district checks and access-log entries)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote, urlparse

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy import select

from model.model_card import card_filename
from service.deps import SessionDep, StateDep
from service.errors import NotFoundError
from service.lists.views import list_months, read_explanation, read_list
from service.storage.tables import Family, ListSnapshot
from service.ui import i18n, labels
from service.ui.auth import AuditorUser, ModelReader
from service.ui.fairness_view import (
    DisparityRow,
    disparity_rows,
    read_gate,
    read_report,
    read_verdict,
)
from service.ui.pages_council import waterfall_labels
from service.ui.rendering import render, request_lang
from service.ui.routing import UIRoute
from service.ui.views import list_row
from service.ui.waterfall import Bar, waterfall_svg

router = APIRouter(route_class=UIRoute)


def _versions(described: dict[str, Any]) -> list[dict[str, Any]]:
    """The versions of `experiments.model_source.describe_registry` (keys `version`, `aliases`,
    `trained_until`, `model_family`, `gate.passed`, `gate.failures`, `model_card_uri`,
    `fairness_report_dir`)."""
    out = []
    for item in described.get("versions", []):
        gate = item.get("gate") or {}
        out.append(
            {
                "version": str(item["version"]),
                "aliases": list(item.get("aliases", [])),
                "trained_until": item.get("trained_until", ""),
                "family": item.get("model_family", "lightgbm"),
                "recalibrated_within": labels.attribute(item.get("recalibrated_within")),
                "gate_passed": gate.get("passed"),
                "gate_failures": list(gate.get("failures") or []),
                "raw": item,
            }
        )
    return out


@router.get("/audit/models", response_class=HTMLResponse)
def models_page(request: Request, user: ModelReader, state: StateDep) -> Response:
    """Registered versions with gate verdicts, and who moved which alias when and why."""
    described = state.models.describe()
    # `experiments.tracking.AliasEvent` fields
    history = [
        {
            "at": move["at"],
            "alias": move["alias"],
            "version": move["version"],
            "action": move.get("action", ""),
            "by": move["by"],
            "reason": move["reason"],
            "override": bool(move.get("override")),
        }
        for move in described.get("alias_history", [])
    ]
    return render(
        request, "audit/models.html.j2", {"versions": _versions(described), "history": history}
    )


def _local(uri: object) -> Path | None:
    """A local path of an artifact URI (`file:///...` or a plain path) that exists, else None
    (remote artifact stores are not read by the pages)."""
    if not isinstance(uri, str) or not uri:
        return None
    if uri.startswith("file://"):
        candidate = Path(unquote(urlparse(uri).path))
    elif "://" in uri or uri.startswith("mlflow-artifacts:"):
        return None
    else:
        candidate = Path(uri)
    return candidate if candidate.exists() else None


@router.get("/audit/models/{version}", response_class=HTMLResponse)
def model_card_page(request: Request, version: str, user: ModelReader, state: StateDep) -> Response:
    """The model card of one version in the page's language (`model_card.<lang>.md` of its
    run); runs logged before the cards were translated have only `model_card.md` (English),
    which is shown with a note."""
    found = [v for v in _versions(state.models.describe()) if v["version"] == version]
    if not found:
        raise NotFoundError("version: no such registered version")
    lang = request_lang(request)
    card: str | None = None
    card_lang: i18n.Lang = lang
    # The page's language first, then English (runs from before the cards were translated).
    for candidate in dict.fromkeys((lang, "en")):
        path = _local(_card_uri(found[0]["raw"], candidate))
        if path is not None and path.is_file():
            card, card_lang = path.read_text(encoding="utf-8"), candidate
            break
    directory = _run_dir(found[0]["raw"])
    shapes: list[dict[str, Any]] = []
    if directory is not None and (directory / "shapes.json").is_file():
        shapes = json.loads((directory / "shapes.json").read_text("utf-8"))[:SHAPES_SHOWN]
    plot = directory is not None and (directory / "plots" / "shapes.png").is_file()
    return render(
        request,
        "audit/model.html.j2",
        {
            "version": version,
            "card": card,
            "card_lang": card_lang,
            "shapes": shapes,
            "shapes_plot": plot,
        },
    )


#: Shapes of a glass-box model listed on its page (the plot draws the same ones).
SHAPES_SHOWN = 12


def _run_dir(item: dict[str, Any]) -> Path | None:
    """The local artifact directory of a version's run (where its English card is)."""
    uri = item.get("model_card_uri")
    suffix = "/" + card_filename("en")
    if not isinstance(uri, str) or not uri.endswith(suffix):
        return None
    return _local(uri[: -len(suffix)])


@router.get("/audit/models/{version}/shapes.png")
def model_shapes_plot(version: str, user: ModelReader, state: StateDep) -> Response:
    """The shapes plot of a glass-box version (`plots/shapes.png` of its run)."""
    found = [v for v in _versions(state.models.describe()) if v["version"] == version]
    directory = _run_dir(found[0]["raw"]) if found else None
    path = directory / "plots" / "shapes.png" if directory is not None else None
    if path is None or not path.is_file():
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
    return FileResponse(path, media_type="image/png")


def _card_uri(item: dict[str, Any], lang: i18n.Lang) -> object:
    """The URI of the card in `lang` from a version entry: `model_card_uris[lang]`, else the
    sibling of `model_card_uri` (entries from sources that list the English card only)."""
    uris = item.get("model_card_uris")
    if isinstance(uris, dict) and uris.get(lang):
        return uris[lang]
    english = item.get("model_card_uri")
    if lang == "en":
        return english
    suffix = card_filename("en")
    if isinstance(english, str) and english.endswith(suffix):
        return english[: -len(suffix)] + card_filename(lang)
    return None


def _champion(described: dict[str, Any]) -> tuple[dict[str, Any] | None, Path | None]:
    """The champion's version entry and its local fairness directory (None when absent)."""
    champion = described.get("champion")
    if champion is None:
        return None, None
    for item in _versions(described):
        if item["version"] == str(champion):
            path = _local(item["raw"].get("fairness_report_dir"))
            return item, path if path is not None and path.is_dir() else None
    return None, None


def _disparity_rows(catalog: i18n.Catalog, rows: list[DisparityRow]) -> list[dict[str, Any]]:
    _ = catalog.gettext
    out = []
    for row in rows:
        values = {
            "metric": labels.label(catalog, labels.METRICS, row.metric),
            "attribute": labels.label(catalog, labels.ATTRIBUTES, row.attribute),
            "group": row.group,
            "reference": row.reference,
            "value": _percent(row.value),
            "reference_value": _percent(row.reference_value),
        }
        if row.ratio is None:
            sentence = (
                _(
                    "%(metric)s, %(attribute)s = %(group)s: %(value)s, while the reference group "
                    "%(reference)s has 0; no ratio exists."
                )
                % values
            )
        elif row.ratio_low is None or row.ratio_high is None:
            sentence = _(
                "%(metric)s, %(attribute)s = %(group)s: %(value)s against %(reference_value)s "
                "in the reference group %(reference)s, %(ratio)s times (no interval)."
            ) % {**values, "ratio": f"{row.ratio:.2f}"}
        else:
            sentence = _(
                "%(metric)s, %(attribute)s = %(group)s: %(value)s against %(reference_value)s "
                "in the reference group %(reference)s, %(ratio)s times (95%% interval %(low)s "
                "to %(high)s)."
            ) % {
                **values,
                "ratio": f"{row.ratio:.2f}",
                "low": f"{row.ratio_low:.2f}",
                "high": f"{row.ratio_high:.2f}",
            }
        sentence += _calibrated_text(catalog, row)
        out.append(
            {
                "sentence": sentence,
                "primary": row.primary,
                "standing": row.standing,
                "standing_label": _(labels.STANDINGS[row.standing]),
                "adjusted_p": row.adjusted_p,
            }
        )
    return out


def _calibrated_text(catalog: i18n.Catalog, row: DisparityRow) -> str:
    """What a ranking calibrated within groups would show, and the cause the gate names."""
    if row.calibrated_ratio is None:
        return ""
    _ = catalog.gettext
    values = {"ratio": f"{row.calibrated_ratio:.2f}"}
    if row.cause == "calibration":
        text = _(
            "A ranking calibrated within each group would show %(ratio)s times at the same "
            "list size: this disparity follows from the group's calibration, which fails the "
            "rule of calibration within groups."
        )
    elif row.cause == "partly_calibration":
        text = _(
            "A ranking calibrated within each group would show %(ratio)s times at the same "
            "list size: the group's calibration, which fails the rule of calibration within "
            "groups, explains part of this disparity, not all of it."
        )
    elif row.cause == "not_calibration":
        text = _(
            "A ranking calibrated within each group would show %(ratio)s times at the same "
            "list size: calibration within groups does not explain this disparity; it comes "
            "from the groups' different base rates or from how the scores order this group's "
            "families."
        )
    else:
        text = _(
            "A ranking calibrated within each group would show %(ratio)s times at the same "
            "list size."
        )
    return " " + text % values


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


def _plot_caption(catalog: i18n.Catalog, stem: str) -> str:
    kind, _, attribute = stem.partition("_")
    if kind not in labels.PLOT_KINDS:
        return stem
    return f"{catalog.gettext(labels.PLOT_KINDS[kind])}: " + labels.label(
        catalog, labels.ATTRIBUTES, attribute
    )


@router.get("/audit/fairness", response_class=HTMLResponse)
def fairness_page(request: Request, user: AuditorUser, state: StateDep) -> Response:
    """The champion's gate verdict (`gate.json` of its run), the disparities outside the band
    as the fairness gate found them (`fairness/verdict.json`), group metrics and plots
    (`report.json` and PNGs)."""
    catalog = i18n.catalog(request_lang(request))
    champion, directory = _champion(state.models.describe())
    version = champion["version"] if champion is not None else None
    report = None
    plots: list[dict[str, str]] = []
    gate: dict[str, Any] | None = None
    if champion is not None:
        gate_file = read_gate(directory.parent) if directory is not None else None
        if gate_file is not None:
            gate = {"passed": gate_file.passed, "failures": gate_file.sentences}
        elif champion["gate_passed"] is not None:  # the version's tags (failures may be cut)
            gate = {"passed": champion["gate_passed"], "failures": champion["gate_failures"]}
    data = read_report(directory) if directory is not None else None
    if directory is not None and data is not None:
        groups = [
            {**g, "for_": g.get("for"), "attribute_label": labels.label(
                catalog, labels.ATTRIBUTES, g["attribute"])}
            for g in data.get("groups", [])
        ]  # fmt: skip
        verdict = read_verdict(directory)  # None for runs logged before it was written
        rows = disparity_rows(verdict) if verdict is not None else None
        report = {
            "groups": groups,
            "disparities": None if rows is None else _disparity_rows(catalog, rows),
            "band": (
                list(verdict.rules.ratio_band)
                if verdict is not None
                else (data.get("settings") or {}).get("band") or [0.8, 1.25]
            ),
        }
        plots = [
            {"caption": _plot_caption(catalog, png.stem),
             "url": f"/ui/audit/fairness/plots/{png.name}"}
            for png in sorted(directory.glob("*.png"))
        ]  # fmt: skip
    html_url = (
        "/ui/audit/fairness/report.html"
        if directory is not None and (directory / "report.html").is_file()
        else None
    )
    return render(
        request,
        "audit/fairness.html.j2",
        {"version": version, "gate": gate, "report": report, "plots": plots,
         "html_url": html_url},
    )  # fmt: skip


#: The policy of the stored fairness report (see `fairness_html`).
REPORT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@router.get("/audit/fairness/report.html")
def fairness_html(user: AuditorUser, state: StateDep) -> Response:
    """The champion's full fairness report as the audit wrote it (English)."""
    _, directory = _champion(state.models.describe())
    path = directory / "report.html" if directory is not None else None
    if path is None or not path.is_file():
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND)
    # A self-contained file (inline style sheet and style attributes, plots as data: URIs)
    # written by `fairness.write_report` from our own template: styles may be inline here, but
    # still no script and nothing from elsewhere.
    return FileResponse(
        path, media_type="text/html", headers={"Content-Security-Policy": REPORT_CSP}
    )


@router.get("/audit/fairness/plots/{name}")
def fairness_plot(name: str, user: AuditorUser, state: StateDep) -> Response:
    """One plot of the champion's fairness report (PNG files of the report directory only)."""
    _, directory = _champion(state.models.describe())
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
        listing = read_list(session, user, district, month, lang=request_lang(request))
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
    explanation = read_explanation(session, user, family_id, month=month, lang=lang)
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
            "band_label": labels.BANDS.get(explanation.band or "", explanation.band or ""),
        },
    )
