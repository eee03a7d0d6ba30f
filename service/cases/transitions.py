"""Which status a measure may move to, and who moves it.

proposed -> sent (the council sends the referral); sent -> acknowledged | declined;
acknowledged -> delivered | declined | unreachable (the agency, or the council for an agency
without a user role). Delivered, declined and unreachable are final.
"""

from __future__ import annotations

from typing import Final

from service.cases.schemas import MIN_DECLINE_NOTE, MeasureStatus
from service.errors import ConflictError, FieldError

S = MeasureStatus

#: Steps the council takes itself.
COUNCIL_STEPS: Final = frozenset({(S.proposed, S.sent)})
#: Steps of the agency the measure is addressed to.
AGENCY_STEPS: Final = frozenset(
    {
        (S.sent, S.acknowledged),
        (S.sent, S.declined),
        (S.acknowledged, S.delivered),
        (S.acknowledged, S.declined),
        (S.acknowledged, S.unreachable),
    }
)
FINAL: Final = frozenset({S.delivered, S.declined, S.unreachable})
#: Statuses in which an agency sees a measure (a referral).
REFERRED: Final = frozenset(set(S) - {S.proposed})


def next_steps(current: MeasureStatus) -> list[MeasureStatus]:
    """The statuses a measure in `current` may move to, in the order of the workflow."""
    steps = COUNCIL_STEPS | AGENCY_STEPS
    return [to for to in S if (current, to) in steps]


def check_step(current: MeasureStatus, new: MeasureStatus, note: str | None) -> str | None:
    """The note to store, once `current -> new` is a step of the workflow (409 naming `status`
    otherwise) and a decline has its reason (422 naming `note`)."""
    if (current, new) not in COUNCIL_STEPS | AGENCY_STEPS:
        allowed = ", ".join(s.value for s in next_steps(current)) or "none (final)"
        raise ConflictError(
            f"status: a measure in status {current.value} cannot move to {new.value} "
            f"(allowed next: {allowed})"
        )
    text = (note or "").strip() or None
    if new is S.declined and len(text or "") < MIN_DECLINE_NOTE:
        raise FieldError(
            ("body", "note"),
            f"note: a decline needs a reason of at least {MIN_DECLINE_NOTE} characters, "
            f"got {len(text or '')}",
        )
    return text
