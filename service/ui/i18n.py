"""The pages' side of the translation system (`features.i18n`): their catalogue and Jinja2 hooks.

The pages' texts are the gettext domain `messages` in `locales/<lang>/LC_MESSAGES/messages.po`,
read through the core like every other catalogue. A page answers in Kazakh, the state language,
when the browser asks for none of the three (the API's default is English). Templates get a
context-aware `_()` and `ngettext()` that translate into the language of the page being
rendered, so one Jinja2 environment serves all three.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from jinja2 import pass_context
from jinja2.runtime import Context

from features import i18n as core
from features.i18n import LANGS, N_, Catalog, Lang, parse_lang

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "LANG_NAMES",
    "N_",
    "Catalog",
    "Lang",
    "as_lang",
    "catalog",
    "catalogs",
    "context_gettext",
    "context_ngettext",
    "negotiate",
    "parse_lang",
]

#: Kazakh is the state language; a browser that asks for none of the three gets it.
DEFAULT_LANG: Final[Lang] = "kk"
#: Names of the languages in themselves, for the language switch.
LANG_NAMES: Final[Mapping[Lang, str]] = {"kk": "Қазақша", "ru": "Русский", "en": "English"}

LOCALES_DIR: Final = Path(__file__).parent / "locales"
DOMAIN: Final = "messages"


def catalogs() -> Mapping[Lang, Catalog]:
    """The pages' catalogue in every language (each read once)."""
    return {lang: core.catalog(LOCALES_DIR, DOMAIN, lang) for lang in LANGS}


def catalog(lang: str) -> Catalog:
    """The pages' catalogue of `lang` (the default language's for anything else)."""
    return core.catalog(LOCALES_DIR, DOMAIN, as_lang(lang))


def as_lang(value: str | None) -> Lang:
    """`value` if it names one of the three languages, else the default."""
    return parse_lang(value) or DEFAULT_LANG


def negotiate(accept_language: str | None) -> Lang:
    """The page language for an `Accept-Language` header (q-values honoured), else Kazakh."""
    return core.negotiate(accept_language, default=DEFAULT_LANG)


def _page_catalog(context: Context) -> Catalog:
    lang: Any = context.get("lang")
    return catalog(lang if isinstance(lang, str) else DEFAULT_LANG)


@pass_context
def context_gettext(context: Context, message: str) -> str:
    """`_()` inside templates: translate into the `lang` of the page being rendered."""
    return _page_catalog(context).gettext(message)


@pass_context
def context_ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    """`ngettext()` inside templates: the form the page language's plural rule gives `n`."""
    return _page_catalog(context).ngettext(singular, plural, n)
