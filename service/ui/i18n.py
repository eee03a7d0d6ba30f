"""Translations of the web pages: gettext catalogues (kk, ru, en) read from .po files with Babel.

The .po files under `locales/` are the source of truth; they are read directly at import time
(no compiled .mo files to keep in sync). Templates get a context-aware `_()` that translates
into the language of the request being rendered, so one Jinja2 environment serves all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal

from babel.messages.pofile import read_po
from jinja2 import pass_context
from jinja2.runtime import Context

Lang = Literal["kk", "ru", "en"]
LANGS: Final[tuple[Lang, ...]] = ("kk", "ru", "en")
#: Kazakh is the state language; a browser that asks for none of the three gets it.
DEFAULT_LANG: Final[Lang] = "kk"
#: Names of the languages in themselves, for the language switch.
LANG_NAMES: Final[Mapping[Lang, str]] = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

LOCALES_DIR: Final = Path(__file__).parent / "locales"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention for "mark, translate later")
    """Mark a string for extraction without translating it yet."""
    return message


@dataclass(frozen=True)
class Catalog:
    """The translations of one language; an untranslated message falls back to its English msgid."""

    lang: Lang
    messages: Mapping[str, str] = field(default_factory=dict)

    def gettext(self, message: str) -> str:
        """The translation of `message`, or `message` itself when there is none."""
        return self.messages.get(message) or message


def _read_catalog(lang: Lang, directory: Path) -> Catalog:
    path = directory / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=lang)
    messages = {
        str(message.id): str(message.string)
        for message in po
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }
    return Catalog(lang=lang, messages=messages)


@lru_cache(maxsize=1)
def catalogs() -> Mapping[Lang, Catalog]:
    """All three catalogues, read once."""
    return {lang: _read_catalog(lang, LOCALES_DIR) for lang in LANGS}


def catalog(lang: str) -> Catalog:
    """The catalogue of `lang` (one of kk, ru, en)."""
    return catalogs()[as_lang(lang)]


def as_lang(value: str | None) -> Lang:
    """`value` if it names one of the three languages, else the default."""
    if value in LANGS:
        return value
    return DEFAULT_LANG


def parse_lang(value: str | None) -> Lang | None:
    """`value` if it names one of the three languages, else None."""
    return value if value in LANGS else None


def negotiate(accept_language: str | None) -> Lang:
    """Pick the best of kk, ru, en from an `Accept-Language` header (q-values honoured)."""
    if not accept_language:
        return DEFAULT_LANG
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
        ranked.append((-quality, position, tag.strip().lower().split("-")[0]))
    for negative_quality, _, primary in sorted(ranked):
        if negative_quality < 0 and primary in LANGS:
            return primary
    return DEFAULT_LANG


@pass_context
def context_gettext(context: Context, message: str) -> str:
    """`_()` inside templates: translate into the `lang` of the page being rendered."""
    lang: Any = context.get("lang")
    return catalog(lang if isinstance(lang, str) else DEFAULT_LANG).gettext(message)


@pass_context
def context_ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    """Plural forms are avoided in the pages (kk and ru need more than two); this picks one."""
    lang: Any = context.get("lang")
    return catalog(lang if isinstance(lang, str) else DEFAULT_LANG).gettext(
        singular if n == 1 else plural
    )
