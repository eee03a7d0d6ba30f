"""Reason texts: the top contributions of one family rendered from the feature registry.

An explanation is an association, not a cause (guardrail 3): rendered texts state the data
("4 police calls in the last 6 months") and are checked never to contain causal wording. The
texts and their translations are `features.reasons`' (gettext catalogue of the registry).

A reason must also read the right way round. The booster is monotone in the features whose
direction is not in doubt (`model.monotone`): more offenses never lower the raw score, and a
count at or beyond every cut point the model uses never contributes below 0. A contribution
against that direction can remain only for a value below some of the model's cut points
("1 police signal" where the model separates 3 or more; an instrument score against families
never screened, a missing value the constraint cannot order): that is "less than the families
the model ranks higher", which a reason text cannot say. `listed` is the rule that leaves such
a contribution out of a family's reasons; the waterfall, the exact decomposition, still shows
it.
"""

from __future__ import annotations

import math

from features.i18n import Lang, check_lang
from features.reasons import render_reason
from model.monotone import against_direction

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


def listed(feature: str, value: float | None, contribution: float) -> bool:
    """Whether a contribution is listed among a family's reasons: not when it is 0, nor when a
    present, non-zero value of a constrained feature moves the score against its direction."""
    if contribution == 0.0:
        return False
    present = value is not None and not math.isnan(value) and value != 0.0
    return not (present and against_direction(feature, contribution))


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
