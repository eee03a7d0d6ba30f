"""Reason texts: the top contributions of one family rendered from the feature registry.

An explanation is an association, not a cause (guardrail 3): rendered texts state the data
("4 police calls in the last 6 months") and are checked never to contain causal wording. The
texts and their translations are `features.reasons`' (gettext catalogue of the registry).
"""

from __future__ import annotations

import math

from features.i18n import Lang, check_lang
from features.reasons import render_reason

#: Causal wording an explanation must never use, per language.
CAUSAL_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("because", "caused", "due to"),
    "ru": ("потому что", "из-за", "по причине", "вследствие"),
    "kk": ("себебі", "себебінен", "салдарынан"),
}


def render(feature: str, value: float | None, *, lang: Lang) -> str:
    """Text of one reason in `lang`, with the family's actual value."""
    text = render_reason(feature, value, lang=check_lang(lang))
    assert_not_causal(text, lang=lang)
    return text


def assert_not_causal(text: str, *, lang: str) -> None:
    """Raise if `text` uses causal wording (an explanation is not a cause)."""
    lowered = text.lower()
    for words in (CAUSAL_WORDS.get(lang, ()), CAUSAL_WORDS["en"]):
        for word in words:
            if word in lowered:
                raise ValueError(f"reason text ({lang}) must not say {word!r}: {text!r}")


def as_value(x: float) -> float | None:
    """A feature value for display: None where the feature is missing."""
    return None if math.isnan(x) else float(x)
