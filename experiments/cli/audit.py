"""CLI command `patronage audit`: the fairness audit of any scores file, ours or another tool's."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer
from rich.table import Table

from experiments.cli.common import ERR, fail, parse_date, spinner
from fairness import (
    AuditInputError,
    AuditReport,
    FlagRule,
    GateRules,
    Threshold,
    TopK,
    TopPct,
    audit,
    evaluate_gate,
    render_html,
)
from features.atomic import write_atomic


def _rule(threshold: float | None, top_k: int | None, top_pct: float | None) -> FlagRule:
    given = [
        name
        for name, value in (("--threshold", threshold), ("--top-k", top_k), ("--top-pct", top_pct))
        if value is not None
    ]
    if len(given) != 1:
        raise fail(
            "expected exactly one of --threshold, --top-k, --top-pct, "
            f"got {', '.join(given) if given else 'none'}"
        )
    try:
        if threshold is not None:
            return Threshold(threshold)
        if top_k is not None:
            return TopK(top_k)
        assert top_pct is not None
        return TopPct(top_pct)
    except ValueError as exc:
        raise fail(str(exc)) from None


def _reference(values: list[str]) -> dict[str, str] | str:
    if len(values) == 1 and values[0] in ("largest", "best"):
        return values[0]
    out: dict[str, str] = {}
    for value in values:
        attribute, sep, group = value.partition("=")
        if not sep or not attribute or not group:
            raise fail(
                f"--reference: expected ATTRIBUTE=GROUP (or 'largest' / 'best'), got {value!r}"
            )
        out[attribute] = group
    return out


def _intersections(values: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for value in values:
        parts = [p.strip() for p in value.split(",")]
        if len(parts) != 2 or not all(parts):
            raise fail(f"--intersect: expected two columns as A,B, got {value!r}")
        out.append((parts[0], parts[1]))
    return out


def _read_scores(path: Path, text_columns: list[str]) -> pl.DataFrame:
    if not path.is_file():
        raise fail(f"--scores: expected a CSV file, {path} does not exist")
    try:
        # Group columns stay text: "01" and "1" are different districts, not the number 1.
        header = pl.read_csv(path, n_rows=0).columns
        overrides = {c: pl.String() for c in text_columns if c in header}
        return pl.read_csv(path, schema_overrides=overrides, infer_schema_length=None)
    except (pl.exceptions.ComputeError, pl.exceptions.NoDataError, OSError) as exc:
        raise fail(f"--scores: cannot read {path} as CSV ({type(exc).__name__})") from None


def _join_records(
    frame: pl.DataFrame,
    *,
    data: Path | None,
    groups: list[str],
    label_col: str,
    as_of: str | None,
    horizon_months: int,
) -> pl.DataFrame:
    """Add what the scores file lacks from the records (`--data DIR`, else the service's
    database): family attributes named by `--group-col`, and with `--as-of` the label
    (a recorded serious incident within the horizon). Matched on `family_id`."""
    from experiments.data_source import load_source
    from features.contracts import GEOGRAPHY_COLUMNS, PROTECTED_ATTRIBUTES
    from features.pipeline.labels import build_labels

    missing = [c for c in groups if c not in frame.columns]
    needs_label = label_col not in frame.columns
    if not missing and not needs_label:
        return frame
    attributes = (*PROTECTED_ATTRIBUTES, *GEOGRAPHY_COLUMNS)
    unknown = [c for c in missing if c not in attributes]
    if unknown or "family_id" not in frame.columns:
        what = ", ".join(unknown) if unknown else "family_id (to join the records)"
        raise fail(
            f"--scores: expected the column(s) {what} in the file, or a family attribute "
            f"({', '.join(attributes)}) joined by family_id; not found"
        )
    if needs_label and as_of is None:
        raise fail(
            f"--label-col: {label_col!r} is not in the scores file; give --as-of to build the "
            "labels from the records"
        )
    try:
        events = load_source(data, purpose="audit").events
    except ValueError as exc:
        raise fail(str(exc)) from None
    frame = frame.with_columns(pl.col("family_id").cast(pl.String))
    if missing:
        frame = frame.join(
            events.families.select("family_id", *missing), on="family_id", how="left"
        )
    if needs_label and as_of is not None:
        labels = build_labels(
            events.outcomes,
            families=events.families,
            as_of=parse_date("--as-of", as_of),
            horizon_months=horizon_months,
        ).rename({"label": label_col})
        frame = frame.join(labels, on="family_id", how="left")
    unmatched = frame.select(
        pl.any_horizontal(
            pl.col(c).is_null() for c in [*missing, *([label_col] if needs_label else [])]
        ).sum()
    ).item()
    if unmatched:
        raise fail(f"--scores: {unmatched} rows have a family_id the records do not know")
    return frame


def _summary(report: AuditReport) -> Table:
    table = Table(title=f"Disparities outside {report.settings.band} ({report.settings.rule})")
    for column in ("attribute", "group", "metric", "side", "ratio", "95% interval", "significant"):
        table.add_column(column)
    for d in report.flagged_disparities():
        if d.side == "context":
            continue
        low, high = d.ratio_ci
        table.add_row(
            d.attribute,
            d.group,
            d.metric,
            d.side,
            f"{d.ratio:.2f}",
            f"{low:.2f} - {high:.2f}" if low == low and high == high else "n/a",
            {True: "yes", False: "no", None: "n/a"}[d.significant],
        )
    return table


def audit_command(
    scores: Annotated[Path, typer.Option("--scores", help="CSV file, one row per family.")],
    score_col: Annotated[str, typer.Option("--score-col", help="Column of scores.")],
    label_col: Annotated[
        str, typer.Option("--label-col", help="Column of the binary outcome (0/1).")
    ],
    group_col: Annotated[
        list[str], typer.Option("--group-col", help="Sensitive attribute column (repeatable).")
    ],
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="Flag rows with score >= T.")
    ] = None,
    top_k: Annotated[
        int | None, typer.Option("--top-k", help="Flag the N highest scores (ties included).")
    ] = None,
    top_pct: Annotated[
        float | None, typer.Option("--top-pct", help="Flag the highest P percent (0-100].")
    ] = None,
    within: Annotated[
        str | None,
        typer.Option("--within", help="Apply --top-k/--top-pct within each value of COL."),
    ] = None,
    reference: Annotated[
        list[str] | None,
        typer.Option(
            "--reference",
            help="ATTRIBUTE=GROUP reference group (repeatable), or 'largest' / 'best'.",
        ),
    ] = None,
    intersect: Annotated[
        list[str] | None,
        typer.Option("--intersect", help="Also audit an intersection A,B (repeatable)."),
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="Write the JSON report.")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Write the HTML report.")] = None,
    n_boot: Annotated[int, typer.Option("--n-boot", min=0, help="Bootstrap resamples.")] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Bootstrap seed.")] = 0,
    min_group_size: Annotated[
        int, typer.Option("--min-group-size", min=1, help="Suppress smaller groups.")
    ] = 30,
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Records to join missing group columns and labels from (a Parquet directory); "
            "default: the service's database.",
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Build a missing label column from the records as of it."),
    ] = None,
    horizon_months: Annotated[
        int, typer.Option("--horizon-months", min=1, help="Label window in months.")
    ] = 6,
) -> None:
    """Audit a scores file: group error rates, disparities, calibration, with intervals.

    Works for any risk tool (our model, a checklist, another vendor's scores), so auditors
    can compare them with the same method. Group columns (family attributes) and, with
    --as-of, the label that the file lacks are joined from the records by family_id:
    --data DIR, else the service's database.
    """
    rule = _rule(threshold, top_k, top_pct)
    ref = _reference(reference or ["largest"])
    pairs = _intersections(intersect or [])
    with spinner() as progress:
        task = progress.add_task(f"reading {scores}", total=None)
        frame = _read_scores(scores, [*group_col, *([within] if within else [])])
        frame = _join_records(
            frame, data=data, groups=[*group_col, *([within] if within else [])],
            label_col=label_col, as_of=as_of, horizon_months=horizon_months,
        )  # fmt: skip
        progress.update(task, description=f"auditing {frame.height} rows with {n_boot} resamples")
        try:
            report = audit(
                frame,
                score_col=score_col,
                label_col=label_col,
                group_cols=group_col,
                flag=rule,
                within=within,
                reference=ref,
                intersections=pairs,
                min_group_size=min_group_size,
                n_boot=n_boot,
                seed=seed,
            )
        except AuditInputError as exc:
            raise fail(str(exc)) from None
        verdict = evaluate_gate(report, GateRules()) if n_boot else None
        if json_out is not None:
            progress.update(task, description=f"writing {json_out}")
            write_atomic(json_out, report.to_json().encode("utf-8"))
        if html_out is not None:
            progress.update(task, description=f"rendering plots and writing {html_out}")
            write_atomic(html_out, render_html(report, verdict=verdict).encode("utf-8"))
    ERR.print(_summary(report))
    if verdict is not None:
        state = "[green]passes[/green]" if verdict.passed else "[red]fails[/red]"
        ERR.print(
            f"default promotion gate {state}: {len(verdict.failures)} failure(s), "
            f"{len(verdict.warnings)} warning(s)"
        )
    for path in (json_out, html_out):
        if path is not None:
            ERR.print(f"wrote {path}")
