"""The pages' catalogue: every message the service marks is translated into kk and ru, templates
hold no English outside `_()`, and the templates' gettext hooks follow the page language.

The checks every catalogue shares (same messages in kk, ru, en; plural forms) are in
`tests/features/test_i18n.py`."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from jinja2 import Environment

from features.i18n import Catalog, catalog
from service.ui import i18n, labels
from service.ui.rendering import TEMPLATES_DIR
from service.ui.waterfall import Bar, WaterfallLabels, waterfall_bars, waterfall_svg

#: Pages and their helpers may live anywhere in the service: extract from all of it.
SERVICE_DIR = Path(i18n.__file__).resolve().parents[1]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _own_catalogue(path: Path) -> Path | None:
    """The package below the service with a catalogue of its own that `path` belongs to (its
    messages are checked against that catalogue), or None for the pages' catalogue."""
    for parent in path.parents:
        if parent == SERVICE_DIR:
            return None
        if (parent / "locales").is_dir() and parent != SERVICE_DIR / "ui":
            return parent
    return None


def _msgids(package: Path | None = None) -> set[str]:
    """Messages marked in the files of `package` (None: every file the pages' catalogue
    serves)."""
    ids: set[str] = set()
    for path in SERVICE_DIR.rglob("*.html.j2"):
        if _own_catalogue(path) != package:
            continue
        options = {"extensions": "jinja2.ext.i18n"}
        found = extract_from_file("jinja2.ext:babel_extract", path, options=options)
        ids.update(m if isinstance(m, str) else m[0] for _, m, _, _ in found)
    for path in SERVICE_DIR.rglob("*.py"):
        if _own_catalogue(path) != package:
            continue
        ids.update(
            m if isinstance(m, str) else m[0] for _, m, _, _ in extract_from_file("python", path)
        )
    return ids


def _packages_with_catalogues() -> list[Path]:
    return sorted(
        {p for path in SERVICE_DIR.rglob("*.py") if (p := _own_catalogue(path)) is not None}
    )


def test_extraction_finds_the_messages() -> None:
    ids = _msgids()
    assert {"Sign in", "Monthly list", "Very high", "Choose at least one measure."} <= ids


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_message_is_translated(lang: str) -> None:
    catalog = i18n.catalogs()[lang]  # type: ignore[index]
    missing = sorted(m for m in _msgids() if not catalog.messages.get(m))
    assert missing == []


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_message_of_a_package_with_its_own_catalogue_is_translated_there(lang: str) -> None:
    packages = _packages_with_catalogues()
    assert SERVICE_DIR / "imports" in packages
    for package in packages:
        (po,) = (package / "locales" / lang / "LC_MESSAGES").glob("*.po")
        translated = catalog(package / "locales", po.stem, lang).messages
        ids = _msgids(package)
        assert ids, package
        missing = sorted(m for m in ids if not translated.get(m))
        assert missing == [], (package.name, missing)


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_placeholders_survive_translation(lang: str) -> None:
    catalog = i18n.catalogs()[lang]  # type: ignore[index]
    for msgid, msgstr in catalog.messages.items():
        assert sorted(PLACEHOLDER.findall(msgid)) == sorted(PLACEHOLDER.findall(msgstr)), msgid


def test_translations_are_not_the_english_text() -> None:
    for lang in i18n.LANGS[:2]:
        catalog = i18n.catalogs()[lang]
        same = [
            m
            for m, s in catalog.messages.items()
            if s == m and re.search("[a-z]{4}", PLACEHOLDER.sub("", m))
        ]
        assert same == [], (lang, same)


class _TextCollector(HTMLParser):
    VISIBLE_ATTRS = ("title", "alt", "placeholder", "aria-label")

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.texts.extend(v or "" for k, v in attrs if k in self.VISIBLE_ATTRS)


@pytest.mark.parametrize("path", sorted(TEMPLATES_DIR.rglob("*.html.j2")), ids=lambda p: p.name)
def test_templates_have_no_bare_english(path: Path) -> None:
    source = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", path.read_text(), flags=re.S)
    collector = _TextCollector()
    collector.feed(source)
    words = [w for text in collector.texts for w in re.findall(r"[A-Za-z]{2,}", text)]
    assert [w for w in words if w != "patronage"] == []


def test_negotiate_prefers_the_best_supported_language() -> None:
    assert i18n.negotiate("de-DE,ru;q=0.8,en;q=0.5") == "ru"
    assert i18n.negotiate("en-US,en;q=0.9") == "en"
    assert i18n.negotiate("fr") == i18n.DEFAULT_LANG
    assert i18n.negotiate(None) == i18n.DEFAULT_LANG


def test_template_ngettext_follows_the_plural_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    forms = ("%(num)s день", "%(num)s дня", "%(num)s дней")
    ru = Catalog(lang="ru", entries={(None, "%(num)s day"): forms})
    monkeypatch.setattr(i18n, "catalog", lambda lang: ru if lang == "ru" else Catalog(lang="en"))
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=i18n.context_gettext, ngettext=i18n.context_ngettext, newstyle=True
    )
    template = env.from_string('{{ ngettext("%(num)s day", "%(num)s days", n) }}')
    assert [template.render(lang="ru", n=n) for n in (1, 3, 5, 21)] == [
        "1 день",
        "3 дня",
        "5 дней",
        "21 день",
    ]
    assert [template.render(lang="en", n=n) for n in (1, 5)] == ["1 day", "5 days"]


def test_summary_of_a_police_record_is_translated() -> None:
    text = labels.summarise(i18n.catalog("ru"), "police", {"kind": "protective_order",
                            "valid_until": "2025-07-01", "forms": ["physical"]})  # fmt: skip
    assert text == "Защитное предписание; до 2025-07-01; формы: физическое"


def test_waterfall_bars_sum_to_the_score_and_keep_the_largest() -> None:
    bars = [Bar(f"f{i}", c) for i, c in enumerate([0.5, -0.2, 0.05, 0.01, -0.3, 0.0])]
    shown = waterfall_bars(bars, top=3, other_label="rest")
    assert [b.label for b in shown] == ["f0", "f4", "f1", "rest"]
    assert sum(b.contribution for b in shown) == pytest.approx(sum(b.contribution for b in bars))
    svg = waterfall_svg(bars, base_value=-1.0, labels=WaterfallLabels("t", "base", "final", "rest"))
    assert 'role="img"' in svg
    assert "final" in svg
    assert f"{-1.0 + 0.06:+.3f}" in svg
