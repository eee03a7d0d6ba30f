from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from model import plots
from model.model_card import ModelCardInfo, card_filename, render_model_card
from model.model_card_texts import EN, TEXTS
from model.reasons import CAUSAL_WORDS, LANGS, Lang
from model.risk_model import RiskModel
from tests.model.synthetic import synthetic_frame


def test_waterfall_writes_png_and_svg(fitted_model: RiskModel, tmp_path: Path) -> None:
    frame, _ = synthetic_frame(20, seed=50)
    written = plots.waterfall(fitted_model.explain(frame), 3, tmp_path / "family")
    assert sorted(p.name for p in written) == ["family.png", "family.svg"]
    assert (tmp_path / "family.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "family.svg").read_text()[:2000]


def test_run_plots(fitted_model: RiskModel, tmp_path: Path) -> None:
    frame, y = synthetic_frame(2000, seed=51)
    scores = fitted_model.score(frame)
    groups = np.array(["A", "B"] * 1000)
    written = [
        *plots.shap_summary(fitted_model.explain(frame), tmp_path / "summary", max_rows=500),
        *plots.calibration_curve(y, {"model": scores.probability}, tmp_path / "cal"),
        *plots.precision_recall(y, {"model": scores.raw_score}, tmp_path / "pr"),
        *plots.precision_at_k_curve(y, {"model": scores.raw_score}, tmp_path / "pk", groups=groups),
    ]
    assert all(p.stat().st_size > 1000 for p in written)


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
        gate_failures=["No fairness verdict."],
    )
    return ModelCardInfo(**{**fields, **changes})


#: A card with every optional section: source shares, a fairness summary, parameters.
FULL = dict(
    source_shares={"police": 0.61, "school": 0.27, "clinic": 0.12},
    fairness_summary=["gate failed", "Fairness: false omission rate of group b is 1.52x."],
    params={"seed": 7, "learning_rate": 0.05},
    inner_buffer=True,
)


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
    assert "No fairness verdict." in card
    assert "because" not in card.lower()


@pytest.mark.parametrize("lang", LANGS)
def test_model_card_has_every_section_in_each_language(lang: Lang) -> None:
    texts = TEXTS[lang]
    card = render_model_card(_card_info(**FULL), lang=lang)
    assert card.startswith(f"# {texts.title.format(name='patronage-risk')}\n")
    headings = re.findall(r"^## (.+)$", card, flags=re.M)
    assert headings == list(texts.headings)
    assert texts.label.format(horizon=6) in card  # recorded is not the same as happened
    for item in (*texts.not_for, *texts.limitations):
        assert f"- {item}" in card
    if lang != "en":  # translated, not the English card with a new title
        english = render_model_card(_card_info(**FULL))
        assert not set(EN.headings) & set(headings)
        for sentence in (*EN.not_for, *EN.limitations, EN.metrics_note, EN.oracle_note):
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
        assert "| AUC | AP | P@5% |" in card
        assert "- No fairness verdict." in card
        assert "- Fairness: false omission rate of group b is 1.52x." in card


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_model_card_says_which_sentences_are_quoted_in_english(lang: Lang) -> None:
    texts = TEXTS[lang]
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
    texts = [t.lower() for t in TEXTS[lang].all_texts()]
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
