"""`patronage simulate`: a synthetic population written as Parquet tables."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from experiments.cli.common import ERR, fail
from features.months import parse_month
from features.simulator import SimulationConfig, check_output_dir, simulate, write_population


def _parse_month(value: str, option: str = "--start") -> dt.date:
    try:
        return parse_month(value)
    except ValueError:
        raise fail(f"{option}: expected a month as YYYY-MM, got {value!r}") from None


def _parse_json(option: str, value: str | None) -> object:
    if value is None:
        return None
    try:
        return json.loads(value)
    except json.JSONDecodeError as exc:
        raise fail(f"{option}: expected JSON, got {value!r} ({exc.msg})") from None


def _describe(exc: ValidationError) -> str:
    names = {"families": "--families", "months": "--months", "seed": "--seed",
             "police_multiplier_by_group": "--police-multiplier-by-group",
             "police_multiplier_by_district": "--police-multiplier-by-district",
             "survey_coverage": "--survey-coverage", "start": "--start",
             "council_share": "--council-share", "council_from": "--council-from"}  # fmt: skip
    parts = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"]]
        head = names.get(loc[0], loc[0]) if loc else "config"
        if not loc:  # a check across options: its message names the option and the value
            parts.append(str(err["msg"]).removeprefix("Value error, "))
            continue
        where = ".".join([head, *loc[1:]])
        parts.append(f"{where}: {err['msg']} (got {err.get('input')!r})")
    return "; ".join(parts)


def simulate_command(
    families: Annotated[int, typer.Option(help="Number of families.")] = 5000,
    months: Annotated[int, typer.Option(help="Months to simulate (>= 7).")] = 36,
    start: Annotated[str, typer.Option(help="First month, YYYY-MM.")] = "2023-01",
    seed: Annotated[int, typer.Option(help="Random seed (>= 0).")] = 1,
    out: Annotated[
        Path, typer.Option(help="Output directory (must not exist or be empty).")
    ] = Path("synthetic"),
    police_multiplier_by_group: Annotated[
        str | None,
        typer.Option(help='JSON, e.g. \'{"ethnicity": {"russian": 2.0}}\': police recording bias.'),
    ] = None,
    police_multiplier_by_district: Annotated[
        str | None, typer.Option(help="JSON, e.g. '{\"Auezov\": 1.5}': police recording bias.")
    ] = None,
    survey_coverage: Annotated[
        str | None, typer.Option(help='JSON, e.g. \'{"urban": 0.9, "rural": 0.6}\'.')
    ] = None,
    council_share: Annotated[
        float,
        typer.Option(
            help="Share of each district's families a simulated council plans measures for "
            "each month (0 = no council; e.g. 0.003). Written to assistance.parquet."
        ),
    ] = 0.0,
    council_from: Annotated[
        str | None,
        typer.Option(help="First month the council meets, YYYY-MM (default: 12 months in)."),
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace a non-empty output directory.")] = False,
) -> None:
    """Simulate a synthetic population and write its Parquet tables into OUT.

    Writes families, persons, school_surveys, medical_screenings, police_signals, outcomes,
    truth (validation only: never a feature), assistance (the simulated council's measures;
    never a feature) and config.json. Same arguments, same files.
    """
    options: dict[str, object] = {
        "families": families, "months": months, "start": _parse_month(start), "seed": seed,
        "council_share": council_share,
    }  # fmt: skip
    if council_from is not None:
        options["council_from"] = _parse_month(council_from, "--council-from")
    for key, raw in (
        ("police_multiplier_by_group", police_multiplier_by_group),
        ("police_multiplier_by_district", police_multiplier_by_district),
        ("survey_coverage", survey_coverage),
    ):
        parsed = _parse_json("--" + key.replace("_", "-"), raw)
        if parsed is not None:
            options[key] = parsed
    try:
        config = SimulationConfig.model_validate(options)
    except ValidationError as exc:
        raise fail(_describe(exc)) from None
    try:
        check_output_dir(out, overwrite=overwrite)
    except ValueError as exc:
        raise fail("--" + str(exc)) from None
    with Progress(
        TextColumn("simulating {task.fields[n]} families"), BarColumn(), TimeElapsedColumn(),
        console=ERR, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("simulate", total=config.progress_total, n=f"{families:,}")
        population = simulate(config, progress=lambda k: bar.advance(task, k))
    try:
        write_population(population, out, overwrite=overwrite)
    except (ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    counts = ", ".join(
        f"{name} {getattr(population.events, name).height:,}"
        for name in ("school_surveys", "medical_screenings", "police_signals", "outcomes")
    )
    if config.council_share > 0:
        counts += f", council measures {population.assistance.height:,}"
    ERR.print(f"wrote {out}: {counts}", highlight=False)
