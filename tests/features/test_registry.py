"""The feature registry: shape, translations in the catalogue, rendering, and the docs page."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from features.contracts import GEOGRAPHY_COLUMNS, PROTECTED_ATTRIBUTES
from features.docs_page import COMMAND, markdown
from features.i18n import LANGS, Lang
from features.reasons import (
    DESCRIPTION,
    NO_RECORD,
    NO_RECORD_TEXT,
    REASON,
    describe,
    render_reason,
    texts,
)
from features.registry import FEATURES, SOURCES, UNITS, WINDOWS, FeatureSpec

DOCS = Path(__file__).resolve().parents[2] / "docs" / "features.md"
CAUSAL = ("because", "потому что", "себебі", "так как", "өйткені")


def _translated(lang: Lang, context: str, msgid: str) -> tuple[str, ...]:
    """Every form of `msgid` in `lang`: the catalogue's translation, the msgid in English."""
    if lang == "en":
        return (msgid,)
    return tuple(texts(lang).entries.get((context, msgid), ()))


def _templates(spec: FeatureSpec, lang: Lang) -> tuple[str, ...]:
    if lang == "en":
        return (spec.template, *((spec.template_plural,) if spec.template_plural else ()))
    return _translated(lang, REASON, spec.template)


def _absent(spec: FeatureSpec, lang: Lang) -> tuple[str, ...]:
    return _translated(lang, NO_RECORD, spec.absent or NO_RECORD_TEXT)


def test_specs_are_complete() -> None:
    assert LANGS == ("kk", "ru", "en")
    assert all(_absent(FEATURES["hits_trend"], lang) for lang in LANGS)
    for name, spec in FEATURES.items():
        assert spec.name == name
        assert spec.source in SOURCES
        assert spec.window is None or spec.window in WINDOWS
        assert spec.unit in UNITS
        for lang in LANGS:  # the catalogue has the description and the template in each language
            assert all(_translated(lang, DESCRIPTION, spec.description)), (name, lang)
            assert describe(name, lang=lang) == _translated(lang, DESCRIPTION, spec.description)[0]
            assert all(_templates(spec, lang)), (name, lang)
            if spec.unit == "flag":
                assert spec.absent is not None
                assert all(_absent(spec, lang)), (name, lang)
            else:
                assert all("%(value)s" in t for t in _templates(spec, lang)), (name, lang)
            if spec.absent is not None:
                assert all(_absent(spec, lang)), (name, lang)
        if spec.template_plural is not None:  # a plural entry, with the forms of each language
            assert len(_templates(spec, "ru")) == 3
            assert len(_templates(spec, "kk")) == 2
            assert len(set(_templates(spec, "kk"))) == 1  # Kazakh nouns do not change


def test_no_protected_attribute_or_geography_is_a_feature() -> None:
    forbidden = set(PROTECTED_ATTRIBUTES) | set(GEOGRAPHY_COLUMNS)
    assert not any(f in name.split("_") or name == f for name in FEATURES for f in forbidden)


def test_no_text_claims_a_cause() -> None:
    for spec in FEATURES.values():
        for lang in LANGS:
            every = [
                *_translated(lang, DESCRIPTION, spec.description),
                *_templates(spec, lang),
                *_absent(spec, lang),
            ]
            for text in every:
                assert not any(word in text.lower() for word in CAUSAL), (spec.name, text)


def test_kazakh_and_russian_are_cyrillic_and_differ_from_english() -> None:
    cyrillic = re.compile(r"[а-яәғқңөұүһі]", re.IGNORECASE)
    kazakh_only = re.compile(r"[әғқңөұүһі]", re.IGNORECASE)
    for spec in FEATURES.values():
        assert cyrillic.search(_templates(spec, "ru")[0])
        assert cyrillic.search(_templates(spec, "kk")[0])
        assert _templates(spec, "kk")[0] != _templates(spec, "ru")[0]
    share_kazakh = sum(bool(kazakh_only.search(_templates(s, "kk")[0])) for s in FEATURES.values())
    assert share_kazakh / len(FEATURES) > 0.9


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, "1 вызов полиции"),
        (2, "2 вызова полиции"),
        (5, "5 вызовов полиции"),
        (11, "11 вызовов полиции"),
        (21, "21 вызов полиции"),
        (22, "22 вызова полиции"),
        (112, "112 вызовов полиции"),
    ],
)
def test_russian_number_agreement(value: int, expected: str) -> None:
    text = render_reason("police_domestic_call_6m", value, lang="ru")
    assert text.startswith(expected)
    assert text.endswith("за последние 6 месяцев")


def test_english_and_kazakh_rendering() -> None:
    assert render_reason("police_domestic_call_6m", 3, lang="en") == (
        "3 domestic calls to the police in the last 6 months"
    )
    assert render_reason("police_domestic_call_6m", 1.0, lang="en").startswith("1 domestic call ")
    kk = render_reason("police_domestic_call_6m", 3, lang="kk")
    assert kk.startswith("Соңғы 6 айдағы")
    assert kk.endswith(": 3")
    assert render_reason("days_since_police_signal", 1, lang="ru") == (
        "1 день с последнего сигнала полиции"
    )


def test_fractions_and_large_numbers_agree() -> None:
    assert render_reason("days_since_police_signal", 2.5, lang="ru") == (
        "2,5 дня с последнего сигнала полиции"
    )
    assert render_reason("days_since_police_signal", 1.5, lang="en") == (
        "1.5 days since the last police signal"
    )
    assert render_reason("days_since_police_signal", 1234, lang="en").startswith("1,234 days")
    assert render_reason("days_since_police_signal", 1231, lang="ru") == (
        "1\xa0231 день с последнего сигнала полиции"
    )
    assert render_reason("clinic_positive_share", 0.4, lang="ru").endswith(": 40\xa0%")


def test_number_formats() -> None:
    assert render_reason("hits_latest", 12.0, lang="en").endswith("12 at the latest assessment")
    assert "2,5" in render_reason("school_feels_safe_latest", 2.5, lang="ru")
    assert "2.5" in render_reason("school_feels_safe_latest", 2.5, lang="en")
    assert render_reason("clinic_positive_share", 0.4, lang="en").startswith("40% ")
    assert render_reason("hits_trend", 3, lang="en").endswith("+3")
    assert render_reason("hits_trend", -2, lang="en").endswith("−2")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("missing", [None, math.nan])
def test_missing_values_never_render_none_or_nan(lang: str, missing: float | None) -> None:
    for name in FEATURES:
        text = render_reason(name, missing, lang=lang)
        assert text
        assert "None" not in text
        assert "nan" not in text.lower()
        assert "{" not in text


def test_flags_render_present_and_absent() -> None:
    assert render_reason("protection_active", 1, lang="en").startswith("A protective order")
    assert render_reason("protection_active", 0, lang="en").startswith("No protective order")
    assert render_reason("clinic_never_screened", 1, lang="ru") != render_reason(
        "clinic_never_screened", 0, lang="ru"
    )


def test_every_template_renders_without_markers() -> None:
    for name in FEATURES:
        for lang in LANGS:
            for value in (0, 1, 2, 5, 0.5, 17.5):
                text = render_reason(name, value, lang=lang)
                assert not re.search(r"[\[\]{}|]|%\(", text), (name, lang, text)


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="lang"):
        render_reason("hits_latest", 1, lang="de")
    with pytest.raises(ValueError, match="name"):
        render_reason("ethnicity", 1, lang="en")


def test_docs_page_matches_registry() -> None:
    assert DOCS.read_text(encoding="utf-8") == markdown(), f"regenerate: {COMMAND}"
