"""Reason texts: the top contributions of one family rendered from the feature registry.

An explanation is an association, not a cause (guardrail 3): rendered texts state the data
("4 police calls in the last 6 months") and are checked never to contain causal wording.
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from typing import Literal

Lang = Literal["kk", "ru", "en"]
LANGS: tuple[Lang, ...] = ("kk", "ru", "en")

#: Causal wording an explanation must never use, per language.
CAUSAL_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("because", "caused", "due to"),
    "ru": ("потому что", "из-за", "по причине", "вследствие"),
    "kk": ("себебі", "себебінен", "салдарынан"),
}


def _registry_renderer() -> Callable[..., str] | None:
    try:
        registry = importlib.import_module("features.registry")
    except ImportError:  # the registry lands in parallel; until then use the plain fallback
        return None
    renderer: Callable[..., str] = registry.render_reason
    return renderer


def render(feature: str, value: float | None, *, lang: Lang) -> str:
    """Text of one reason in `lang`, with the family's actual value."""
    if lang not in LANGS:
        raise ValueError(f"lang: expected one of {LANGS}, got {lang!r}")
    renderer = _registry_renderer()
    if renderer is not None:
        text = renderer(feature, value, lang=lang)
    else:
        shown = "—" if value is None else f"{value:g}"
        text = f"{feature}: {shown}"
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
