"""`patronage train / score / explain / evaluate / promote`: the risk model and its registry."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer
from rich.table import Table

from experiments.cli.common import (
    ERR,
    OUT,
    DaskOpt,
    DataOpt,
    dask_cluster,
    fail,
    parse_date,
    spinner,
)
from features.atomic import write_atomic
from features.csv_safe import neutralise_frame
from features.i18n import parse_lang
from model.gates import describe
from model.risk_model import FeatureMismatchError, ModelFileError

ModelOpt = Annotated[
    str,
    typer.Option(
        "--model",
        help="models:/NAME@ALIAS, models:/NAME/VERSION or a directory written by RiskModel.save.",
    ),
]
DEFAULT_MODEL = "models:/patronage-risk@champion"


class CliError(Exception):
    """An error shown to the user on stderr with exit code 2."""


@contextmanager
def _progress() -> Iterator[Callable[[str], None]]:
    """A spinner with the current step; yields `say(text)`; maps known errors to exit 2."""
    from experiments.distributed import ClusterError
    from fairness import AuditInputError
    from features.loaders import DataValidationError

    with spinner() as progress:
        task = progress.add_task("starting", total=None)

        def say(text: str) -> None:
            progress.console.log(text, highlight=False)
            progress.update(task, description=text)

        try:
            yield say
        except (
            CliError,
            ClusterError,
            DataValidationError,
            FeatureMismatchError,
            ModelFileError,
            AuditInputError,
            LookupError,
            ValueError,
        ) as exc:
            raise fail(str(exc)) from None


def _load(
    data: Path | None, say: Callable[[str], None], *, purpose: str, truth: bool = False
) -> tuple[Any, Any]:
    source = _load_source(data, say, purpose=purpose, truth=truth)
    return source.events, source.truth


def _load_source(
    data: Path | None,
    say: Callable[[str], None],
    *,
    purpose: str,
    truth: bool = False,
    measures: bool = False,
) -> Any:
    from experiments.data_source import load_source

    say(f"loading and validating {data if data is not None else 'the database'}")
    return load_source(data, purpose=purpose, truth=truth, measures=measures)


def _help_table(by_help: dict[str, dict[str, float]]) -> Table:
    """The model on families with and without delivered measures (`experiments.helped`)."""
    table = Table(title="the model by help (delivered measures can prevent the label's incident)")
    labels = {
        "n": "families",
        "base_rate": "base rate",
        "auc": "auc",
        "precision_at_5pct_expected": "E[P@5pct] in group",
        "flagged": "on the 5pct lists",
        "flagged_precision": "precision there",
        "observed_to_predicted": "observed / predicted",
    }
    table.add_column("group", no_wrap=True)
    for label in labels.values():
        table.add_column(label)
    for group, values in by_help.items():
        table.add_row(
            group.replace("_", " "),
            *(
                "–"
                if values.get(c) is None
                else (f"{values[c]:,.0f}" if c in ("n", "flagged") else f"{values[c]:.4f}")
                for c in labels
            ),
        )
    return table


def _metrics_table(metrics: dict[str, dict[str, float]], title: str) -> Table:
    """P@5pct at the worst ordering of ties, E[P@5pct] under random tie-breaking (what the gate
    compares)."""
    table = Table(title=title)
    labels = {
        "auc": "auc",
        "average_precision": "AP",
        "precision_at_5pct": "P@5pct",
        "precision_at_5pct_expected": "E[P@5pct]",
        "precision_at_5pct_district": "P@5pct dist",
        "ece": "ece",
    }
    table.add_column("ranker", no_wrap=True)
    for label in labels.values():
        table.add_column(label)
    for ranker, values in metrics.items():
        table.add_row(
            ranker,
            *("–" if values.get(c) is None else f"{values[c]:.4f}" for c in labels),
        )
    return table


def _shares_table(metrics: dict[str, dict[str, float]]) -> Table | None:
    """Each ranker's share of the oracle's and the records ceiling's lift at 5% (simulated
    data only; None otherwise)."""
    keys = {"oracle_lift_share_at_5pct": "oracle", "ceiling_lift_share_at_5pct": "ceiling"}
    if not any(k in values for values in metrics.values() for k in keys):
        return None
    table = Table(title="share of the lift at 5%: (E[P@5pct] - base) / (reference's - base)")
    table.add_column("ranker", no_wrap=True)
    for label in keys.values():
        table.add_column(f"of the {label}'s")
    for ranker, values in metrics.items():
        table.add_row(ranker, *("–" if values.get(k) is None else f"{values[k]:.1%}" for k in keys))
    return table


def train_command(
    until: Annotated[
        str, typer.Option("--until", help="Training cut-off YYYY-MM-DD (records known before).")
    ],
    data: DataOpt = None,
    horizon_months: Annotated[
        int, typer.Option("--horizon-months", min=1, help="Label window in months.")
    ] = 6,
    valid_months: Annotated[
        int, typer.Option("--valid-months", min=1, help="Held-out as-of months.")
    ] = 3,
    max_train_months: Annotated[
        int, typer.Option("--max-train-months", min=1, help="Latest training as-of months.")
    ] = 12,
    seed: Annotated[int, typer.Option("--seed", min=0)] = 0,
    register_model: Annotated[
        bool,
        typer.Option("--register/--no-register", help="Log to MLflow and register."),
    ] = True,
    save: Annotated[
        Path | None, typer.Option("--save", help="Also save the model to this directory.")
    ] = None,
    ceiling: Annotated[
        bool,
        typer.Option(
            "--ceiling/--no-ceiling",
            help="On a simulator directory, also score the records ceiling on the held-out "
            "months (about a minute per 20,000 families; never a gate).",
        ),
    ] = True,
    candidates: Annotated[
        str,
        typer.Option(
            "--candidates",
            help="Model families the gate chooses the champion among, comma-separated: "
            "lightgbm, logistic, ebm (an EBM takes minutes per 100,000 family-months).",
        ),
    ] = "lightgbm,logistic",
    judging: Annotated[
        str,
        typer.Option(
            "--judging",
            help="out-of-time: judge the candidates on months none of them saw in any form, "
            "then refit the champion up to --until; held-out: on the months they stopped "
            "early on (cheaper, optimistic for flexible models).",
        ),
    ] = "out-of-time",
    recalibrate_within: Annotated[
        str | None,
        typer.Option(
            "--recalibrate-within",
            help="Off by default. A protected attribute (e.g. income_group) whose groups each "
            "get a log-odds shift of the probability, fitted on the calibration months: the "
            "deployment's explicit legal and policy choice to read the attribute at scoring "
            "time; stated in the model card, the registry and beside every score it moved.",
        ),
    ] = None,
    dask: DaskOpt = None,
) -> None:
    """Train the candidate model families on the monthly as-of grid, with baselines and gates,
    and keep the champion the gate chooses."""
    from experiments.ceiling import simulation_config
    from experiments.cli.logs import quiet_mlflow
    from experiments.registration import register_run
    from experiments.training import TrainingConfig, check_candidates, train
    from model.recalibration import check_attribute
    from model.training import BoosterParams

    cutoff = parse_date("--until", until)
    if judging not in ("out-of-time", "held-out"):
        raise fail(f"--judging: expected out-of-time or held-out, got {judging!r}")
    try:
        families = tuple(check_candidates([c.strip() for c in candidates.split(",") if c.strip()]))
    except ValueError as exc:
        raise fail(f"--candidates: {exc}") from None
    if recalibrate_within is not None:
        try:
            check_attribute(recalibrate_within)
        except ValueError as exc:
            raise fail(f"--recalibrate-within: {exc}") from None
    quiet_mlflow()
    config = TrainingConfig(
        until=cutoff,
        horizon_months=horizon_months,
        valid_months=valid_months,
        max_train_months=max_train_months,
        params=BoosterParams(seed=seed),
        candidates=families,
        judging="out_of_time" if judging == "out-of-time" else "held_out",
        recalibrate_within=recalibrate_within,
    )
    with _progress() as say:
        events, truth = _load(data, say, purpose="train", truth=True)
        with dask_cluster(dask, say) as cluster:
            result = train(
                events,
                config=config,
                truth=truth,
                progress=say,
                simulation=simulation_config(data) if ceiling else None,
                cluster=cluster,
            )
        if save is not None:
            result.model.save(save)
            say(f"saved the model to {save}")
        tracked = register_run(result, progress=say) if register_model else None
    judged = "judged months (out of time)" if config.judging == "out_of_time" else "held-out period"
    OUT.print(_metrics_table(result.metrics, judged))
    if result.selection is not None:
        choice = result.selection.choice
        OUT.print(
            f"champion family: {choice.describe()} ({result.model.learner_.summary()})",
            highlight=False,
        )
    shares = _shares_table(result.metrics)
    if shares is not None:
        OUT.print(shares)
    OUT.print(f"gate: {'passed' if result.gate.passed else 'failed'}")
    for failure in result.gate.failures[:10]:
        OUT.print(f"  - {describe(failure)}", highlight=False)
    if tracked is not None:
        state = "now @champion" if tracked.promoted else "registered without @champion"
        OUT.print(f"run {tracked.run_id}: version {tracked.version}, {state}")
    for check in result.ceiling_checks:
        if check.alarm:
            ERR.print(f"[red]{check.describe()}[/red]", highlight=False)


def score_command(
    as_of: Annotated[str, typer.Option("--as-of", help="Scoring date YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    data: DataOpt = None,
    model: ModelOpt = DEFAULT_MODEL,
    dask: DaskOpt = None,
) -> None:
    """Score every family: family_id, district, probability, band, rank_in_district,
    raw_score (log-odds)."""
    from experiments import tracking
    from features.pipeline import build_features
    from model.bands import rank_within

    day = parse_date("--as-of", as_of)
    with _progress() as say:
        say(f"loading model {model}")
        risk_model, _info = tracking.load_model(model)
        events, _ = _load(data, say, purpose="score")
        say(f"building features as of {day.isoformat()}")
        with dask_cluster(dask, say) as cluster:
            features = (build_features if cluster is None else cluster.features)(events, as_of=day)
        say(f"scoring {features.height:,} families")
        scores = risk_model.score(features, families=events.families)
        district = (
            features.select("family_id")
            .join(events.families.select("family_id", "district"), on="family_id", how="left")
            .get_column("district")
        )
        frame = pl.DataFrame(
            {
                "family_id": scores.family_id,
                "district": district,
                "probability": scores.probability,
                "band": scores.band,
                "rank_in_district": rank_within(
                    scores.probability, scores.raw_score, groups=district.to_numpy()
                ),
                "raw_score": scores.raw_score,
            }
        ).sort(["district", "rank_in_district"])
        # Text cells come from the agencies' data: neutralised, so a spreadsheet runs nothing.
        write_atomic(out, neutralise_frame(frame).write_csv)
    ERR.print(f"wrote {frame.height:,} scores to {out}")


def explain_command(
    as_of: Annotated[str, typer.Option("--as-of", help="Scoring date YYYY-MM-DD.")],
    family: Annotated[str, typer.Option("--family", help="family_id to explain.")],
    data: DataOpt = None,
    lang: Annotated[str, typer.Option("--lang", help="kk, ru or en.")] = "en",
    top: Annotated[int, typer.Option("--top", min=1)] = 5,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write a waterfall chart (PNG and SVG).")
    ] = None,
    model: ModelOpt = DEFAULT_MODEL,
) -> None:
    """Explain one family's score: base value, contributions and top reasons."""
    from experiments import tracking
    from features.pipeline import build_features
    from model import plots

    day = parse_date("--as-of", as_of)
    reason_lang = parse_lang(lang)
    if reason_lang is None:
        raise fail(f"--lang: expected kk, ru or en, got {lang!r}")
    with _progress() as say:
        risk_model, _ = tracking.load_model(model)
        events, _ = _load(data, say, purpose="explain")
        features = build_features(events, as_of=day).filter(pl.col("family_id") == family)
        if features.height == 0:
            raise CliError(
                f"--family: no family with this id in {data if data else 'the database'}"
            )
        explanation = risk_model.explain(features)
        reasons = risk_model.reasons(explanation, 0, lang=reason_lang, top=top)
        written = plots.waterfall(explanation, 0, plot) if plot is not None else []
    scores = risk_model.score(features, families=events.families)
    OUT.print(
        f"probability {scores.probability[0]:.4f} ({scores.band[0]}), raw score "
        f"{scores.raw_score[0]:+.4f} = base {explanation.base_value:+.4f} + contributions"
    )
    if risk_model.recalibration_ is not None and scores.group_shift is not None:
        OUT.print(
            f"recalibrated within {risk_model.recalibration_.attribute} (the deployment's "
            f"choice, model card): {scores.group_shift[0]:+.4f} log-odds for this family's group"
        )
    for r in reasons:
        OUT.print(f"  {r.contribution:+.3f}  {r.text}", highlight=False)
    for path in written:
        ERR.print(f"wrote {path}")


def evaluate_command(
    as_of: Annotated[str, typer.Option("--as-of", help="Evaluation date YYYY-MM-DD.")],
    json_out: Annotated[Path, typer.Option("--json", help="JSON file to write.")],
    data: DataOpt = None,
    model: ModelOpt = DEFAULT_MODEL,
    ablation: Annotated[
        bool,
        typer.Option("--ablation", help="Also retrain without each agency (slow)."),
    ] = False,
    dask: DaskOpt = None,
) -> None:
    """Score the model, the baselines and (on a simulator directory) the oracle and the
    records ceiling at an as-of date."""
    from dataclasses import asdict, replace

    from experiments import tracking
    from experiments.ceiling import simulation_config
    from experiments.evaluation import evaluate, leave_one_source_out
    from experiments.training import TrainingConfig

    day = parse_date("--as-of", as_of)
    with _progress() as say:
        say(f"loading model {model}")
        risk_model, info = tracking.load_model(model)
        source = _load_source(data, say, purpose="evaluate", truth=True, measures=True)
        events, truth = source.events, source.truth
        simulation = simulation_config(data)
        info_dict = {k: str(v) for k, v in asdict(info).items()} if info else {"uri": model}
        with dask_cluster(dask, say) as cluster:
            result = evaluate(
                events,
                model=risk_model,
                as_of=day,
                truth=truth,
                model_info=info_dict,
                progress=say,
                simulation=simulation,
                measures=source.measures,
                **({} if cluster is None else {"grid": cluster.grid}),
            )
        if ablation:
            config = TrainingConfig(
                until=risk_model.trained_until_, horizon_months=risk_model.horizon_months_
            )
            result = replace(
                result,
                ablation=leave_one_source_out(
                    events, config=config, as_of=day, truth=truth, progress=say
                ),
            )
        payload = json.dumps(result.to_json(), indent=2, default=str)
        write_atomic(json_out, lambda p: p.write_text(payload, "utf-8"))
    OUT.print(_metrics_table(result.metrics, f"as of {day.isoformat()}"))
    shares = _shares_table(result.metrics)
    if shares is not None:
        OUT.print(shares)
    if result.by_help:
        OUT.print(_help_table(result.by_help))
    OUT.print(json.dumps(result.comparison, indent=2, default=str), highlight=False)
    for reason in result.leakage_reasons:
        ERR.print(f"[red]{reason}[/red]", highlight=False)
    ERR.print(f"wrote {json_out}")


def promote_command(
    version: Annotated[int, typer.Option("--version", min=1, help="Registered version.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required, recorded).")],
    by: Annotated[str, typer.Option("--by", help="Who promotes (recorded).")],
) -> None:
    """Move @champion to a version, recording who, when and why (admin override)."""
    from experiments import tracking

    try:
        event = tracking.promote(version, reason=reason, by=by)
    except (tracking.PromotionError, LookupError, ValueError) as exc:
        raise fail(str(exc)) from None
    note = " (override: the version failed its gate)" if event.override else ""
    OUT.print(f"@{event.alias} -> version {event.version}{note}, by {event.by} at {event.at}")


def backtest_command(
    start: Annotated[str, typer.Option("--from", help="First month YYYY-MM.")],
    end: Annotated[str, typer.Option("--to", help="Last month YYYY-MM.")],
    data: DataOpt = None,
    model: ModelOpt = DEFAULT_MODEL,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Also write the table: .csv or .json by the file's suffix."),
    ] = None,
    dask: DaskOpt = None,
) -> None:
    """Score every month from --from to --to with one model; AUC, precision and recall of the
    top 5% (overall and per district list) per month."""
    from experiments import tracking
    from experiments.backtest import backtest, month_range

    if out is not None and out.suffix.lower() not in (".csv", ".json"):
        raise fail(f"--out: expected a file ending in .csv or .json, got {out.name!r}")
    with _progress() as say:
        months = month_range(start, end)
        say(f"loading model {model}")
        risk_model, _info = tracking.load_model(model)
        events, _ = _load(data, say, purpose="backtest")
        with dask_cluster(dask, say) as cluster:
            result = backtest(
                events,
                model=risk_model,
                months=months,
                model_name=model,
                grid=None if cluster is None else cluster.grid,
                progress=say,
            )
        if out is not None:
            if out.suffix.lower() == ".csv":
                write_atomic(out, neutralise_frame(result.to_frame()).write_csv)
            else:
                payload = json.dumps(result.to_json(), indent=2)
                write_atomic(out, lambda p: p.write_text(payload, "utf-8"))
    table = Table(title=f"backtest of {model}: the top 5% lists per month")
    table.add_column("month", no_wrap=True)
    for label in ("families", "base rate", "auc", "P@5%", "R@5%", "P@5% dist",
                  "R@5% dist", "note"):  # fmt: skip
        table.add_column(label)
    for m in result.months:
        note = ", ".join(
            n for n, flag in (("censored", m.censored), ("in training", m.in_training)) if flag
        )
        table.add_row(
            m.month, f"{m.families:,}", f"{m.base_rate:.4f}",
            *(f"{v:.4f}" for v in (m.auc, m.precision_at_5pct, m.recall_at_5pct,
                                   m.precision_at_5pct_district, m.recall_at_5pct_district)),
            note,
        )  # fmt: skip
    OUT.print(table)
    if out is not None:
        ERR.print(f"wrote {out}")
