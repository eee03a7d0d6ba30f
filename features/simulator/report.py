"""Realised figures of a simulated population (for docs and checks) and the documentation plot.

Reads `Population.truth`: validation only, never part of a feature path.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl

from features.months import first_of_month, months_after
from features.simulator.world import Population


@dataclass(frozen=True)
class SimulationStats:
    """Headline figures of one simulated population."""

    families: int
    months: int
    base_rate_6m: float  # share of family x as-of rows with a recorded serious incident
    oracle_auc_6m: float  # ranking by p_incident_6m
    any_true_incident_per_year: float  # share of families
    true_incidents_recorded_as_outcome: float  # share of true incidents
    families_with_violence_seen_by_police: float
    police_signals_per_1000_families_year: float
    outcomes_by_kind: dict[str, int]
    women_screened_per_year: float  # share of women 15-49 with at least one screening a year
    hits_positive_share: float
    children_surveyed_per_term: dict[str, float]  # urban / rural
    protective_orders: int
    court_requirements: int
    order_violations: int

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _auc(y: np.ndarray, s: np.ndarray) -> float:
    """Mann-Whitney AUC with ties counted half (no scikit-learn needed here)."""
    ranks = pl.Series(s).rank("average").to_numpy()
    pos = y.astype(bool)
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def labelled_truth(pop: Population, *, step: int = 6, horizon: int = 6) -> pl.DataFrame:
    """Truth rows at as-of months 6, 12, ... with complete horizons, plus `y`: a recorded
    serious incident (an outcome row) with event_date in the following `horizon` months."""
    start = pop.config.start
    outcomes = pop.events.outcomes.select("family_id", "event_date")
    frames = []
    for k in range(step, pop.config.months - horizon + 1, step):
        as_of = months_after(first_of_month(start), k)
        rows = pop.truth.filter(pl.col("month") == as_of)
        window = (pl.col("event_date") >= as_of) & (
            pl.col("event_date") < months_after(as_of, horizon)
        )
        hit = outcomes.filter(window).select("family_id").unique().with_columns(y=pl.lit(1))
        joined = rows.join(hit, on="family_id", how="left")
        frames.append(joined.with_columns(pl.col("y").fill_null(0).cast(pl.Int8)))
    return pl.concat(frames)


def true_need(truth: pl.DataFrame, rows: pl.DataFrame, *, horizon_months: int = 6) -> pl.Series:
    """`true_need` per row of `rows` (`as_of`, `family_id`): 1 when the family had at least one
    *true* incident, recorded or not, in the `horizon_months` months from `as_of`.

    The simulator-only counterpart of the label (a *recorded* serious incident): an audit
    against it can see what no audit on recorded outcomes can, such as a group whose violence
    the agencies record less. Raises `ValueError` when `truth` does not cover a window.
    """
    last: dt.date | None = truth["month"].max()  # type: ignore[assignment]
    out = []
    for as_of in rows["as_of"].unique().sort():
        # The first day of the window's last month (`as_of` itself for a one-month horizon).
        end = max(as_of, months_after(first_of_month(as_of), horizon_months - 1))
        if last is None or end > last:
            raise ValueError(
                f"truth: expected months up to {end} for as_of {as_of} with a "
                f"{horizon_months}-month horizon, got months up to {last}"
            )
        window = truth.filter((pl.col("month") >= as_of) & (pl.col("month") <= end))
        hit = window.group_by("family_id").agg(
            (pl.col("true_incidents").sum() > 0).cast(pl.Int8).alias("true_need")
        )
        out.append(hit.with_columns(as_of=pl.lit(as_of, dtype=pl.Date)))
    need = (
        pl.concat(out)
        if out
        else pl.DataFrame(schema={"family_id": pl.String, "true_need": pl.Int8, "as_of": pl.Date})
    )
    joined = rows.select("as_of", "family_id").join(
        need, on=["as_of", "family_id"], how="left", maintain_order="left"
    )
    missing = joined["true_need"].null_count()
    if missing:
        raise ValueError(f"truth: expected every (as_of, family_id) of rows, {missing} missing")
    return joined["true_need"]


def realised_stats(pop: Population) -> SimulationStats:
    """Compute the headline figures (a few seconds for 100,000 families)."""
    ev, truth, cfg = pop.events, pop.truth, pop.config
    years = cfg.months / 12
    lab = labelled_truth(pop)
    y = lab["y"].to_numpy()
    true_total = int(truth["true_incidents"].sum())
    with_violence = truth.filter(pl.col("true_incidents") > 0)["family_id"].unique()
    yearly = truth.group_by("family_id", pl.col("month").dt.year()).agg(
        pl.col("true_incidents").sum()
    )
    police_fams = ev.police_signals["family_id"].unique().implode()

    persons = ev.persons.join(ev.families.select("family_id", "urban"), on="family_id")
    start_year = cfg.start.year
    women = persons.filter(
        (pl.col("role") == "adult")
        & (pl.col("sex") == "female")
        & (start_year - pl.col("birth_year")).is_between(16, 48)
    )
    screened = ev.medical_screenings.group_by(
        "person_id", pl.col("event_date").dt.year()
    ).len()  # one row per woman and year with a screening
    kids = persons.filter(
        (pl.col("role") == "child") & (start_year - pl.col("birth_year")).is_between(8, 16)
    )
    surveys = ev.school_surveys.join(persons.select("person_id", "urban"), on="person_id")
    terms = ev.school_surveys["event_date"].dt.truncate("1mo").n_unique()
    per_term = {
        name: surveys.filter(
            (pl.col("urban") == flag) & pl.col("person_id").is_in(kids["person_id"].implode())
        ).height
        / max(1, kids.filter(pl.col("urban") == flag).height * terms)
        for name, flag in (("urban", True), ("rural", False))
    }
    hits = ev.medical_screenings.select(
        pl.sum_horizontal("hits_hurt", "hits_insult", "hits_threaten", "hits_scream") > 10
    ).to_series()
    kinds = ev.police_signals["kind"]
    return SimulationStats(
        families=cfg.families,
        months=cfg.months,
        base_rate_6m=float(y.mean()),
        oracle_auc_6m=_auc(y, lab["p_incident_6m"].to_numpy()),
        any_true_incident_per_year=float(np.mean(yearly["true_incidents"].to_numpy() > 0)),
        true_incidents_recorded_as_outcome=ev.outcomes.height / max(1, true_total),
        families_with_violence_seen_by_police=float(
            np.mean(with_violence.is_in(police_fams).to_numpy())
        ),
        police_signals_per_1000_families_year=1000
        * ev.police_signals.height
        / cfg.families
        / years,
        outcomes_by_kind=dict(ev.outcomes["kind"].value_counts().sort("kind").iter_rows()),
        women_screened_per_year=screened.filter(
            pl.col("person_id").is_in(women["person_id"].implode())
        ).height
        / max(1.0, women.height * years),
        hits_positive_share=float(np.mean(hits.to_numpy())) if len(hits) else 0.0,
        children_surveyed_per_term=per_term,
        protective_orders=int((kinds == "protective_order").sum()),
        court_requirements=int((kinds == "court_requirements").sum()),
        order_violations=int((kinds == "order_violation").sum()),
    )


def plot_population(pop: Population, path: Path, *, families: int = 4) -> None:
    """Write a PNG: latent risk, true incidents and recorded signals over time for a few
    families with recorded outcomes, and the oracle's calibration against realised labels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ev = pop.events
    # Families with a recorded outcome, spread over the range of their police-signal counts.
    counts = (
        ev.outcomes.select("family_id").unique()
        .join(ev.police_signals.group_by("family_id").len(), on="family_id", how="left")
        .with_columns(pl.col("len").fill_null(0))
        .sort(["len", "family_id"])
    )  # fmt: skip
    at = np.linspace(0.2, 0.95, families) * max(0, counts.height - 1)
    picked = counts["family_id"].gather(at.astype(np.int64))
    fig, axes = plt.subplots(families + 1, 1, figsize=(10, 2.2 * (families + 1)))
    for ax, fid in zip(axes[:-1], picked.to_list(), strict=False):
        tr = pop.truth.filter(pl.col("family_id") == fid).sort("month")
        months = tr["month"].to_list()
        ax.fill_between(months, tr["latent_risk"].to_numpy(), step="post", alpha=0.3,
                        label="latent risk (expected incidents / month)")  # fmt: skip
        ax.bar(months, tr["true_incidents"].to_numpy(), width=8, color="grey",
               label="true incidents")  # fmt: skip
        top = max(1.0, float(np.max(tr["true_incidents"].to_numpy(), initial=1)))
        marks: list[tuple[str, pl.DataFrame, str, float]] = [
            ("police signal", ev.police_signals, "tab:blue", 1.05),
            ("clinic screening", ev.medical_screenings, "tab:green", 1.15),
            ("school survey", ev.school_surveys, "tab:orange", 1.25),
            ("recorded outcome", ev.outcomes, "tab:red", 1.35),
        ]
        for label, table, colour, level in marks:
            dates = table.filter(pl.col("family_id") == fid)["event_date"].to_list()
            ax.scatter(dates, [top * level] * len(dates), marker="|", s=120, color=colour,
                       label=label)  # fmt: skip
        ax.set_title(f"family {fid}", fontsize=9, loc="left")
        ax.set_xlim(pop.config.start, months[-1] + dt.timedelta(days=31))
    axes[0].legend(fontsize=7, ncol=3, loc="upper left")
    lab = labelled_truth(pop)
    binned = (
        lab.with_columns(bin=(pl.col("p_incident_6m").rank("ordinal") * 10 // (lab.height + 1)))
        .group_by("bin")
        .agg(pl.col("p_incident_6m").mean().alias("p"), pl.col("y").mean().alias("rate"))
        .sort("bin")
    )
    ax = axes[-1]
    ax.plot(binned["p"].to_numpy(), binned["rate"].to_numpy(), "o-", label="deciles")
    hi = float(max(np.max(binned["p"].to_numpy()), np.max(binned["rate"].to_numpy())))
    ax.plot([0, hi], [0, hi], "k--", lw=0.8, label="perfect calibration")
    ax.set_xlabel("p_incident_6m (oracle)")
    ax.set_ylabel("recorded within 6 months")
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
