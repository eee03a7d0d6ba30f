"""The one translation system: languages, negotiation, gettext catalogues, plurals and numbers.

Every user-facing text (reasons, feature descriptions, model cards, pages, their error messages)
is an English gettext msgid translated through a catalogue read here; nothing else defines a
language type or parses `Accept-Language`.

Catalogues live next to the code that uses them, one gettext domain per package:
`features/locales/<lang>/LC_MESSAGES/features.po` (registry texts: reasons and descriptions),
`model/locales/<lang>/LC_MESSAGES/model_card.po`, `service/ui/locales/<lang>/LC_MESSAGES/
messages.po` (the pages). Per package rather than one big file because the layers import one
way (`features` -> `model` -> `service`): a package ships and tests its own texts and never
reads a higher layer's files, and the same English word ("police" in a card, "Police" on a
page) can be translated differently in two domains without a clash.

The .po files are the source of truth: they are read with Babel's `read_po` at first use and
cached, so there is no compiled .mo to keep in sync. A missing or empty translation falls back
to the English msgid (the en catalogues keep their msgstr empty, gettext's convention for the
source language). Plural forms follow Babel's gettext plural rule of the language: three in
Russian, two in English, and two identical forms in Kazakh, whose nouns do not change after a
numeral. Numbers are formatted by `babel.numbers` with the language's symbols.
"""

from __future__ import annotations

import gettext as _gettext
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Final, Literal

from babel.core import negotiate_locale
from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.numbers import format_percent as _format_percent

Lang = Literal["kk", "ru", "en"]
#: The languages of every text, in the order the product lists them (Kazakh is the state language).
LANGS: Final[tuple[Lang, ...]] = ("kk", "ru", "en")

#: A message key: (msgctxt or None, msgid).
_Key = tuple[str | None, str]


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark, translate later")
    """Mark a string for extraction without translating it yet."""
    return message


def parse_lang(value: object) -> Lang | None:
    """`value` if it names one of the languages, else None."""
    for lang in LANGS:
        if value == lang:
            return lang
    return None


def check_lang(value: object) -> Lang:
    """`value` as a `Lang`; a ValueError names the argument and the languages otherwise."""
    lang = parse_lang(value)
    if lang is None:
        raise ValueError(f"lang: expected one of {', '.join(LANGS)}, got {value!r}")
    return lang


def negotiate(accept_language: str | None, *, default: Lang) -> Lang:
    """The best of `LANGS` for an `Accept-Language` header, else `default`.

    Tags are ranked by q-value (ties keep the header's order; q=0 means "not acceptable");
    Babel's `negotiate_locale` then matches them, a regional tag (`ru-KZ`) by its language.
    The caller passes the default: the API answers in English, the pages in Kazakh.
    """
    if not accept_language:
        return default
    ranked: list[tuple[float, int, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                quality = float(params[2:])
            except ValueError:
                quality = 0.0
        if tag.strip() and quality > 0:
            ranked.append((-quality, position, tag.strip()))
    preferred = [tag for _, _, tag in sorted(ranked)]
    chosen = negotiate_locale(preferred, list(LANGS), sep="-", aliases={})
    return parse_lang(chosen.lower() if chosen else None) or default


def plural_rule(lang: Lang) -> Callable[[int], int]:
    """Babel's gettext plural rule of `lang`: the index of the form a count takes."""
    return _compiled_rule(get_plural(lang).plural_expr)


@lru_cache(maxsize=8)
def _compiled_rule(expression: str) -> Callable[[int], int]:
    return _gettext.c2py(expression)


def plural_index(lang: Lang, n: float) -> int:
    """The plural form `n` takes in `lang`.

    gettext rules are defined on whole numbers. A fraction takes the form of 2: the genitive
    singular in Russian ("2,5 дня", the form of 2, 3 and 4) and the plural in English.
    """
    count = abs(int(n)) if n == math.floor(n) else 2
    return plural_rule(lang)(count)


@dataclass(frozen=True)
class Catalog:
    """The translations of one domain in one language."""

    lang: Lang
    #: (msgctxt, msgid) -> msgstr forms; a message without plural has one form.
    entries: Mapping[_Key, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def messages(self) -> Mapping[str, str]:
        """msgid -> msgstr of the messages without a context (the pages' catalogue is these)."""
        return {msgid: forms[0] for (context, msgid), forms in self.entries.items() if not context}

    def gettext(self, message: str) -> str:
        """The translation of `message`, or `message` itself when there is none."""
        return self.pgettext(None, message)

    def pgettext(self, context: str | None, message: str) -> str:
        """The translation of `message` in `context` (gettext's msgctxt)."""
        forms = self.entries.get((context, message))
        return forms[0] if forms else message

    def ngettext(self, singular: str, plural: str, n: float) -> str:
        """The form of `singular`/`plural` that agrees with `n`, by the language's rule."""
        return self.npgettext(None, singular, plural, n)

    def npgettext(self, context: str | None, singular: str, plural: str, n: float) -> str:
        """`ngettext` in `context`; untranslated, English's rule picks singular or plural."""
        forms = self.entries.get((context, singular))
        if forms and len(forms) > 1:
            return forms[min(plural_index(self.lang, n), len(forms) - 1)]
        return singular if plural_index("en", n) == 0 else plural


def po_path(directory: Path, domain: str, lang: Lang) -> Path:
    """Where the catalogue of `domain` in `lang` lives under a package's `locales` directory."""
    return directory / lang / "LC_MESSAGES" / f"{domain}.po"


def read_catalogue(directory: Path, domain: str, lang: Lang) -> PoCatalog:
    """The .po file of `domain` in `lang` as Babel reads it (for checks on the catalogues)."""
    with po_path(directory, domain, lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=domain)


@lru_cache(maxsize=32)
def catalog(directory: Path, domain: str, lang: Lang) -> Catalog:
    """The translations of `domain` in `lang`, read once; fuzzy and empty entries are left out."""
    entries: dict[_Key, tuple[str, ...]] = {}
    for message in read_catalogue(directory, domain, lang):
        if not message.id or message.fuzzy:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings):
            entries[(message.context, str(msgid))] = tuple(str(s) for s in strings)
    return Catalog(lang=lang, entries=entries)


def format_number(value: float, *, lang: Lang, signed: bool = False) -> str:
    """A whole number without decimals, any other with one, in the language's symbols.

    `signed` shows a change: "+3", "−2" (a true minus sign), "0". The value is rounded by
    Python first (the float's own digits: 0.05 -> "0.1"), so Babel only writes the digits.
    """
    pattern = "#,##0" if value == math.floor(value) else "#,##0.0"
    shown = round(abs(value) if signed else value, 1)
    text = format_decimal(shown, format=pattern, locale=lang)
    if signed and value > 0:
        return "+" + text
    if signed and value < 0:
        return "−" + text
    return text


def format_percent(value: float, *, lang: Lang) -> str:
    """A share (0.4) as a whole percent in the language's convention ("40%", "40 %")."""
    return _format_percent(round(value * 100) / 100, locale=lang)
