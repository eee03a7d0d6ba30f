"""The translation core and every gettext catalogue of the project.

Each catalogue (any `<package>/**/locales/<lang>/LC_MESSAGES/<domain>.po`) holds the same
messages in kk, ru and en; kk and ru translate every one of them; plural entries have the forms
Babel's rule of the language asks for; placeholders survive translation. That the code's
messages are in their catalogue is checked next to the code: `test_registry.py` (features),
`tests/model/test_plots_and_card.py` (model card), `tests/service/ui/test_i18n.py` (pages).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Message
from babel.messages.plurals import get_plural

from features.i18n import (
    LANGS,
    Catalog,
    Lang,
    check_lang,
    format_number,
    format_percent,
    negotiate,
    parse_lang,
    plural_index,
    read_catalogue,
)

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("features", "model", "fairness", "service", "experiments")
PLACEHOLDERS = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def _domains() -> list[tuple[Path, str]]:
    found = {
        (path.parents[2], path.stem)
        for package in PACKAGES
        for path in (ROOT / package).rglob("locales/*/LC_MESSAGES/*.po")
    }
    return sorted(found)


DOMAINS = _domains()


def _ids(domain: tuple[Path, str]) -> str:
    return f"{domain[0].relative_to(ROOT)}:{domain[1]}"


def _messages(directory: Path, domain: str, lang: Lang) -> dict[tuple[str | None, str], Message]:
    return {
        (m.context, m.id if isinstance(m.id, str) else m.id[0]): m
        for m in read_catalogue(directory, domain, lang)
        if m.id
    }


def _forms(message: Message) -> tuple[str, ...]:
    string = message.string
    return tuple(string) if isinstance(string, (tuple, list)) else (str(string),)


def test_the_three_catalogues_are_found() -> None:
    assert {domain for _, domain in DOMAINS} >= {"features", "model_card", "messages"}
    for directory, domain in DOMAINS:
        assert sorted(p.name for p in directory.iterdir()) == sorted(LANGS), (directory, domain)


@pytest.mark.parametrize("domain", DOMAINS, ids=_ids)
def test_every_language_has_the_same_messages(domain: tuple[Path, str]) -> None:
    english = _messages(*domain, "en")
    assert english
    for lang in ("kk", "ru"):
        assert sorted(_messages(*domain, lang), key=str) == sorted(english, key=str), lang
    for key, message in english.items():  # the en msgstr is empty (the msgid) or English text
        assert all(_forms(message)) or not any(_forms(message)), key


@pytest.mark.parametrize("domain", DOMAINS, ids=_ids)
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_every_message_is_translated(domain: tuple[Path, str], lang: Lang) -> None:
    untranslated = [
        key
        for key, message in _messages(*domain, lang).items()
        if message.fuzzy or not all(form.strip() for form in _forms(message))
    ]
    assert untranslated == []


@pytest.mark.parametrize("domain", DOMAINS, ids=_ids)
@pytest.mark.parametrize("lang", LANGS)
def test_plural_forms_follow_babels_rule(domain: tuple[Path, str], lang: Lang) -> None:
    rule = get_plural(lang)
    catalogue = read_catalogue(*domain, lang)
    assert catalogue.plural_forms == rule.plural_forms
    for message in catalogue:
        if message.id and message.pluralizable:
            assert len(_forms(message)) == rule.num_plurals, (lang, message.id)


@pytest.mark.parametrize("domain", DOMAINS, ids=_ids)
@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_placeholders_survive_translation(domain: tuple[Path, str], lang: Lang) -> None:
    for (_, msgid), message in _messages(*domain, lang).items():
        wanted = sorted(PLACEHOLDERS.findall(msgid))
        for form in _forms(message):
            assert sorted(PLACEHOLDERS.findall(form)) == wanted, (lang, msgid, form)


def test_negotiate_honours_quality_and_the_callers_default() -> None:
    assert negotiate("de-DE,ru;q=0.8,en;q=0.5", default="kk") == "ru"
    assert negotiate("en-US,en;q=0.9", default="kk") == "en"
    assert negotiate("kk-KZ;q=0.5,RU;q=0.9", default="en") == "ru"
    assert negotiate("ru;q=0.2, en;q=0.2", default="kk") == "ru"  # ties keep the header order
    assert negotiate("ru;q=0,fr", default="en") == "en"  # q=0: not acceptable
    assert negotiate("fr", default="kk") == "kk"
    assert negotiate("fr", default="en") == "en"
    assert negotiate(None, default="en") == "en"
    assert negotiate("", default="kk") == "kk"


def test_languages_are_checked_by_name() -> None:
    assert [parse_lang(x) for x in ("kk", "ru", "en", "KK", "de", None)] == [
        "kk",
        "ru",
        "en",
        None,
        None,
        None,
    ]
    assert check_lang("ru") == "ru"
    with pytest.raises(ValueError, match=r"lang: expected one of kk, ru, en, got 'de'"):
        check_lang("de")


@pytest.mark.parametrize(
    ("n", "ru", "en"),
    [
        *[(0, 2, 1), (1, 0, 0), (2, 1, 1), (5, 2, 1), (11, 2, 1), (21, 0, 1), (22, 1, 1)],
        *[(112, 2, 1), (1.5, 1, 1), (21.5, 1, 1), (-1, 0, 0)],
    ],
)
def test_plural_index_uses_the_languages_rule(n: float, ru: int, en: int) -> None:
    assert plural_index("ru", n) == ru
    assert plural_index("en", n) == en
    assert plural_index("kk", n) == en  # two forms in the catalogue, identical in Kazakh


def test_ngettext_picks_the_form_and_falls_back_to_english() -> None:
    forms = ("{n} день", "{n} дня", "{n} дней")
    ru = Catalog(lang="ru", entries={(None, "{n} day"): forms})
    assert [ru.ngettext("{n} day", "{n} days", n) for n in (1, 3, 5, 2.5)] == [
        "{n} день",
        "{n} дня",
        "{n} дней",
        "{n} дня",
    ]
    assert ru.ngettext("{n} hour", "{n} hours", 1) == "{n} hour"
    assert ru.ngettext("{n} hour", "{n} hours", 5) == "{n} hours"
    assert ru.gettext("unknown") == "unknown"
    assert ru.pgettext("reason", "{n} day") == "{n} day"  # another context: not translated


def test_numbers_use_the_languages_symbols() -> None:
    assert format_number(3.0, lang="en") == "3"
    assert format_number(2.5, lang="en") == "2.5"
    assert format_number(2.5, lang="ru") == "2,5"
    assert format_number(2.5, lang="kk") == "2,5"
    assert format_number(1234, lang="en") == "1,234"
    assert format_number(1234, lang="ru") == "1\xa0234"
    assert format_number(3, lang="en", signed=True) == "+3"
    assert format_number(-2.5, lang="ru", signed=True) == "−2,5"
    assert format_number(0, lang="en", signed=True) == "0"
    assert format_percent(0.4, lang="en") == "40%"
    assert format_percent(0.4, lang="kk") == "40%"
    assert format_percent(0.4, lang="ru") == "40\xa0%"
