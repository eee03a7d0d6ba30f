from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image
from sklearn.metrics import precision_recall_curve

from features.i18n import LANGS, Lang, read_catalogue
from model import plots
from model.gates import GateFailure
from model.metrics import calibration_table, precision_recall_at_k
from model.model_card import ModelCardInfo, card_filename, render_model_card
from model.model_card_texts import (
    DOMAIN,
    EN,
    LOCALES_DIR,
    SOURCE_NAMES,
    VERDICTS,
    card_texts,
)
from model.reasons import CAUSAL_WORDS
from model.risk_model import RiskModel
from tests.model.synthetic import synthetic_frame


def test_waterfall_writes_png_and_svg(fitted_model: RiskModel, tmp_path: Path) -> None:
    frame, _ = synthetic_frame(20, seed=50)
    written = plots.waterfall(fitted_model.explain(frame), 3, tmp_path / "family")
    assert sorted(p.name for p in written) == ["family.png", "family.svg"]
    assert (tmp_path / "family.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "family.svg").read_text()[:2000]


def _drawn(fig: Figure) -> dict[str, Any]:
    """What a figure shows: each line's data by label, axis labels, tick labels, size."""
    ax = fig.axes[0]
    legend = ax.get_legend()
    return {
        "lines": {
            str(line.get_label()): (
                np.asarray(line.get_xdata(), dtype=float),
                np.asarray(line.get_ydata(), dtype=float),
            )
            for line in ax.get_lines()
        },
        "legend": [t.get_text() for t in legend.get_texts()] if legend is not None else [],
        "xlabel": ax.get_xlabel(),
        "ylabel": ax.get_ylabel(),
        "yticks": [t.get_text() for t in ax.get_yticklabels()],
        "points": sum(np.asarray(c.get_offsets()).shape[0] for c in ax.collections),
        "inches": tuple(fig.get_size_inches()),
    }


def _assert_png_shows_a_plot(path: Path, inches: tuple[float, float]) -> None:
    """The file decodes as a PNG of about the figure's size (tight bounding box at 110 dpi)
    with drawn content, not a blank canvas."""
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
        pixels = np.asarray(image.convert("RGB"), dtype=float) / 255
    assert 0.6 * inches[0] * 110 <= width <= 1.3 * inches[0] * 110, (path, width)
    assert 0.6 * inches[1] * 110 <= height <= 1.3 * inches[1] * 110, (path, height)
    inked = (pixels < 0.9).any(axis=2)
    assert 0.01 < inked.mean() < 0.9, path  # drawn on, not blank and not a filled block
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) > 20, path  # lines, markers and text, not one flat colour


def test_run_plots(
    fitted_model: RiskModel, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frame, y = synthetic_frame(2000, seed=51)
    scores = fitted_model.score(frame)
    explanation = fitted_model.explain(frame)
    groups = np.array(["A", "B"] * 1000)
    drawn: dict[str, dict[str, Any]] = {}
    save = plots._save

    def spy(fig: Figure, path: Path, formats: Sequence[str]) -> list[Path]:
        drawn[path.name] = _drawn(fig)
        return save(fig, path, formats)

    monkeypatch.setattr(plots, "_save", spy)
    written = [
        *plots.shap_summary(explanation, tmp_path / "summary", max_rows=500),
        *plots.calibration_curve(y, {"model": scores.probability}, tmp_path / "cal"),
        *plots.precision_recall(y, {"model": scores.raw_score}, tmp_path / "pr"),
        *plots.precision_at_k_curve(y, {"model": scores.raw_score}, tmp_path / "pk", groups=groups),
    ]
    assert [p.name for p in written] == ["summary.png", "cal.png", "pr.png", "pk.png"]
    for path in written:
        _assert_png_shows_a_plot(path, drawn[path.stem]["inches"])

    # calibration: the model's equal-count bins, and the diagonal of perfect calibration
    cal = drawn["cal"]
    table = calibration_table(y, scores.probability, n_bins=10)
    xs, ys = cal["lines"]["model"]
    np.testing.assert_allclose(xs, [t[0] for t in table])
    np.testing.assert_allclose(ys, [t[1] for t in table])
    top = max(*xs, *ys)
    np.testing.assert_allclose(cal["lines"]["perfect"][0], [0, top])
    np.testing.assert_allclose(cal["lines"]["perfect"][1], [0, top])
    assert cal["legend"] == ["model", "perfect"]
    assert cal["xlabel"] == "mean predicted probability"

    # precision-recall: the model's curve and the base rate
    pr = drawn["pr"]
    precision, recall, _ = precision_recall_curve(y, scores.raw_score)
    np.testing.assert_allclose(pr["lines"]["model"][0], recall)
    np.testing.assert_allclose(pr["lines"]["model"][1], precision)
    np.testing.assert_allclose(pr["lines"]["base rate"][1], [np.mean(y)] * 2)
    assert (pr["xlabel"], pr["ylabel"]) == ("recall", "precision")

    # precision@k per district: worst ordering of ties at each list size
    pk = drawn["pk"]
    pcts = (0.5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30)
    expected = [
        precision_recall_at_k(y, scores.raw_score, pct=p, groups=groups).precision_worst
        for p in pcts
    ]
    np.testing.assert_allclose(pk["lines"]["model"][0], pcts)
    np.testing.assert_allclose(pk["lines"]["model"][1], expected)
    assert pk["xlabel"] == "list size (% of families, per district)"

    # SHAP summary: one dot per sampled family and shown feature, the features named
    summary = drawn["summary"]
    names = [t for t in summary["yticks"] if t]
    assert names
    assert set(names) <= set(explanation.feature_names) | {
        f"Sum of {len(explanation.feature_names) - len(names) + 1} other features"
    }
    assert summary["points"] == 500 * len(names)


def _card_info(**changes: Any) -> ModelCardInfo:
    fields: dict[str, Any] = dict(
        model_name="patronage-risk",
        trained_until=dt.date(2025, 1, 1),
        horizon_months=6,
        train_as_of=[dt.date(2023, 7, 1), dt.date(2023, 11, 1)],
        valid_as_of=[dt.date(2024, 5, 1), dt.date(2024, 7, 1)],
        n_train=500_000,
        n_valid=300_000,
        data_fingerprint="abcdef",
        features_by_source={"police": 60, "school": 20},
        calibration="platt",
        band_cuts=(0.02, 0.05, 0.1, 0.2),
        metrics={"model": {"auc": 0.8123, "ece": 0.004}, "checklist": {"auc": 0.7}},
        gate_passed=False,
        gate_failures=[GateFailure("no_fairness_verdict")],
    )
    return ModelCardInfo(**{**fields, **changes})


#: A recalibration within income groups, as `GroupRecalibration.to_dict` writes it.
RECALIBRATION = {
    "attribute": "income_group",
    "groups": {
        "high": dict(shift=-0.166, rows=2_110, positives=41, mean_before=0.02, observed=0.019,
                     fitted=True),
        "low": dict(shift=0.244, rows=3_020, positives=131, mean_before=0.03, observed=0.043,
                    fitted=True),
        "unknown": dict(shift=0.0, rows=120, positives=3, mean_before=0.03, observed=0.025,
                        fitted=False),
    },
}  # fmt: skip

#: A card with every optional section: source shares, a fairness summary, parameters.
FULL = dict(
    recalibration=RECALIBRATION,
    source_shares={"police": 0.61, "school": 0.27, "clinic": 0.12},
    fairness_summary=["gate failed", "Fairness: false omission rate of group b is 1.52x."],
    params={"seed": 7, "learning_rate": 0.05},
    inner_buffer=True,
    family="logistic",
    selection={
        "judging": "out_of_time",
        "judged_as_of": ["2024-04-01", "2024-05-01", "2024-06-01"],
        "fitted_as_of": ["2023-06-01", "2023-09-01"],
        "champion": "logistic",
        "best": "lightgbm",
        "tolerance": 0.0121,
        "margin": -0.0042,
        "refit": True,
        "candidates": [
            {
                "family": "logistic",
                "summary": "logistic regression, C=0.1, 135 features and 40 missing-value "
                "indicators",
                "metrics": {"auc": 0.7889, "precision_at_5pct_district_expected": 0.1811},
                "gate_passed": True,
                "gate_failures": [],
            },
            {
                "family": "lightgbm",
                "summary": "LightGBM, 124 trees",
                "metrics": {"auc": 0.7615, "precision_at_5pct_district_expected": 0.1853},
                "gate_passed": False,
                "gate_failures": ["Fairness: the gate failed."],
            },
        ],
    },
)


def test_model_card_says_which_family_won_how_and_by_how_much() -> None:
    card = render_model_card(_card_info(**FULL))
    section = card.split("## Model family\n", 1)[1].split("\n## ", 1)[0]
    assert "Champion: logistic (logistic regression, C=0.1," in section
    assert "chosen among logistic, lightgbm." in section
    assert "Judged out of time on 2024-04-01 .. 2024-06-01 (3 dates)" in section
    assert "records known before 2024-04-01" in section
    assert "one standard error (0.0121)" in section
    assert "next candidate: -0.0042." in section
    assert "| logistic | 0.7889 | – | 0.1811 | – | passes |" in section
    assert "| lightgbm | 0.7615 | – | 0.1853 | – | fails |" in section
    # the explanations are named for the family that won; judged out of time, the held-out
    # months' optimism is not claimed
    limits = card.split("## Known limitations\n", 1)[1]
    assert "terms of the logistic regression in log-odds" in limits
    assert "TreeSHAP" not in limits
    assert "also used for early stopping and calibration" not in limits
    held_out = {**FULL["selection"], "judging": "held_out"}  # type: ignore[dict-item]
    card = render_model_card(_card_info(**{**FULL, "selection": held_out, "family": "ebm"}))
    assert "Judged on the held-out months 2024-04-01 .. 2024-06-01 (3 dates)" in card
    assert "also used for early stopping and calibration" in card
    assert "EBM's term scores" in card


def test_model_card_states_whether_the_deployment_recalibrates_within_groups() -> None:
    def section(card: str) -> str:
        return card.split("## Recalibration within groups\n", 1)[1].split("\n## ", 1)[0]

    off = section(render_model_card(_card_info()))
    assert off.startswith("Off (the default)")
    assert "no protected attribute is read" in off
    on = section(render_model_card(_card_info(**FULL)))
    assert on.startswith("On, within the groups of income_group")
    assert "- high: -0.1660 (2,110 family-months, 41 outcomes)" in on
    assert "- low: +0.2440 (3,020 family-months, 131 outcomes)" in on
    assert "- unknown: not shifted, too few family-months or outcomes (120 family-months" in on


def test_model_card_states_use_label_data_metrics_and_limits() -> None:
    card = render_model_card(_card_info())
    for heading in (
        "## Intended use",
        "## Not for",
        "## What the label measures and what it misses",
        "## Data and time ranges",
        "## Metrics on the held-out period",
        "## Fairness summary",
        "## Known limitations",
    ):
        assert heading in card
    assert "0.8123" in card
    assert "2023-07-01 .. 2023-11-01" in card
    assert "Recorded is not the same as happened" in card
    assert "No fairness verdict: the fairness audit did not run for this model." in card
    assert "because" not in card.lower()


@pytest.mark.parametrize("lang", LANGS)
def test_model_card_has_every_section_in_each_language(lang: Lang) -> None:
    texts = card_texts(lang)
    card = render_model_card(_card_info(**FULL), lang=lang)
    assert card.startswith(f"# {texts.title.format(name='patronage-risk')}\n")
    headings = re.findall(r"^## (.+)$", card, flags=re.M)
    assert headings == list(texts.headings)
    assert texts.label.format(horizon=6) in card  # recorded is not the same as happened
    for item in (*texts.not_for, *texts.limitations, texts.explanations_logistic):
        assert f"- {item}" in card
    if lang != "en":  # translated, not the English card with a new title
        english = render_model_card(_card_info(**FULL))
        en = card_texts("en")
        assert not set(en.headings) & set(headings)
        for sentence in (
            *en.not_for,
            *en.limitations,
            en.metrics_note,
            en.oracle_note,
            en.choice_rule[:40],
        ):
            assert sentence not in card
        # the same lines, plus the two notes on sentences quoted in English
        assert card.count("\n") == english.count("\n") + 2


def _figures(card: str) -> list[str]:
    return re.findall(r"\d(?:[\d,.:-]*\d)?%?", card)


def test_model_card_states_the_same_figures_in_each_language() -> None:
    cards = {lang: render_model_card(_card_info(**FULL), lang=lang) for lang in LANGS}
    figures = {lang: _figures(card) for lang, card in cards.items()}
    for value in ("0.8123", "0.0040", "0.7000", "500,000", "300,000", "2024-05-01", "61%", "0.05"):
        assert value in figures["en"]
    assert figures["kk"] == figures["en"]
    assert figures["ru"] == figures["en"]
    for card in cards.values():  # fingerprints, metric names and quoted sentences unchanged
        assert "`abcdef`" in card
        assert "| AUC | AP | P@5% | E[P@5%] |" in card  # worst ordering, then random ties
        assert "- No fairness verdict: the fairness audit did not run for this model." in card
        assert "- Fairness: false omission rate of group b is 1.52x." in card


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_model_card_says_which_sentences_are_quoted_in_english(lang: Lang) -> None:
    texts = card_texts(lang)
    card = render_model_card(_card_info(**FULL), lang=lang)
    assert card.count(texts.quoted_in_english) == 2  # fairness summary and gate failures
    assert f"- {texts.verdicts['gate failed']}" in card
    assert "- gate failed" not in card
    passed = render_model_card(_card_info(gate_passed=True, gate_failures=[]), lang=lang)
    assert texts.quoted_in_english not in passed
    assert f"- {texts.fairness_missing}" in passed


@pytest.mark.parametrize("lang", LANGS)
def test_model_card_never_uses_causal_wording(lang: Lang) -> None:
    words = [w for ws in CAUSAL_WORDS.values() for w in ws]
    texts = [t.lower() for t in card_texts(lang).all_texts()]
    texts.append(render_model_card(_card_info(**FULL), lang=lang).lower())
    assert [(w, t) for t in texts for w in words if w in t] == []


def test_model_card_refuses_an_unknown_language() -> None:
    with pytest.raises(ValueError, match=r"lang: expected one of kk, ru, en, got 'de'"):
        render_model_card(_card_info(), lang="de")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"lang: expected one of kk, ru, en, got 'EN'"):
        card_filename("EN")  # type: ignore[arg-type]


def test_card_file_names_keep_the_english_name() -> None:
    assert [card_filename(lang) for lang in LANGS] == [
        "model_card.kk.md",
        "model_card.ru.md",
        "model_card.md",
    ]


def test_every_card_text_is_in_the_catalogue() -> None:
    """The English texts are the msgids; kk and ru translate each, en keeps the English."""
    msgids = {*EN.all_texts(), *SOURCE_NAMES, *VERDICTS} - {""}
    for lang in LANGS:
        catalogue = {m.id: m.string for m in read_catalogue(LOCALES_DIR, DOMAIN, lang) if m.id}
        assert sorted(msgids - set(catalogue)) == [], lang
        if lang != "en":
            assert [m for m in msgids if not catalogue[m]] == [], lang
            texts = card_texts(lang)
            assert not set(texts.all_texts()) & (set(EN.all_texts()) - set(SOURCE_NAMES)), lang
