"""Reason texts of the registry's features, in kk, ru or en, from the `features` catalogue.

A reason states the data ("4 police calls in the last 6 months"); `model.reasons` adds the
check that it never claims a cause. The registry's English texts are the msgids; the catalogue
(`features/locales/<lang>/LC_MESSAGES/features.po`) keeps them apart by msgctxt, because the
same English sentence can be a reason in one place and a "no record" text in another, with
different translations ("Never surveyed at school").
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Final

from features.i18n import Catalog, Lang, catalog, check_lang, format_number, format_percent
from features.registry import FEATURES, FeatureSpec

LOCALES_DIR: Final = Path(__file__).parent / "locales"
DOMAIN: Final = "features"
#: msgctxt of the registry's texts in the catalogue.
DESCRIPTION: Final = "description"
REASON: Final = "reason"
NO_RECORD: Final = "no record"
#: The "no record" text of a feature without its own.
NO_RECORD_TEXT: Final = "No record"


def texts(lang: Lang) -> Catalog:
    """The registry's catalogue in `lang`."""
    return catalog(LOCALES_DIR, DOMAIN, lang)


def _spec(name: str) -> FeatureSpec:
    try:
        return FEATURES[name]
    except KeyError:
        raise ValueError(f"name: expected a feature of the registry, got {name!r}") from None


def describe(name: str, *, lang: str) -> str:
    """What feature `name` measures, in `lang`."""
    return texts(check_lang(lang)).pgettext(DESCRIPTION, _spec(name).description)


def render_reason(name: str, value: float | None, *, lang: str) -> str:
    """The reason text of feature `name` with `value`, in `lang` (one of `LANGS`).

    Integers render without decimals, scores with one decimal where needed, shares as percents,
    trends with a sign, all in the language's number symbols. A missing value (None or NaN)
    renders the feature's "no record" text.
    """
    checked = check_lang(lang)
    spec = _spec(name)
    catalogue = texts(checked)
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    if spec.unit == "flag":
        if not missing and value:
            return catalogue.pgettext(REASON, spec.template)
        return _absent(catalogue, spec)
    if missing:
        return _absent(catalogue, spec)
    assert value is not None
    number = float(value)
    if spec.unit == "share":
        shown = format_percent(number, lang=checked)
    else:
        shown = format_number(number, lang=checked, signed=name.endswith("_trend"))
    if spec.template_plural is None:
        template = catalogue.pgettext(REASON, spec.template)
    else:
        template = catalogue.npgettext(REASON, spec.template, spec.template_plural, number)
    return template % {"value": shown}


def _absent(catalogue: Catalog, spec: FeatureSpec) -> str:
    if spec.absent is not None:
        return catalogue.pgettext(NO_RECORD, spec.absent)
    return catalogue.pgettext(NO_RECORD, NO_RECORD_TEXT)
