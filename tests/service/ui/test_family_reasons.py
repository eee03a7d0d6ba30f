"""The family page lists the same reasons as the list: never a count that lowers the score
against its constrained direction (the waterfall still shows every contribution)."""

from __future__ import annotations

from service.lists.schemas import ContributionRead
from service.ui.pages_council import _shown


def _c(feature: str, value: float | None, contribution: float) -> ContributionRead:
    return ContributionRead(feature=feature, value=value, contribution=contribution, reason="r")


def test_a_constrained_count_against_its_direction_is_not_a_reason() -> None:
    # "1 incident with a weapon present in the last 12 months" lowering the score (seen on the
    # demo's family page with a logistic champion, whose coefficients are not constrained)
    assert not _shown(_c("police_weapon_present_12m", 1.0, -0.695), checklist=False)
    assert _shown(_c("police_weapon_present_12m", 1.0, 0.46), checklist=False)
    # none recorded, below the average family: that is the direction, and a reason
    assert _shown(_c("police_weapon_present_12m", 0.0, -0.1), checklist=False)
    # free features read both ways; a zero contribution is never a reason
    assert _shown(_c("days_since_police_signal", 25.0, -0.3), checklist=False)
    assert not _shown(_c("days_since_police_signal", 25.0, 0.0), checklist=False)


def test_a_checklist_lists_every_item_answered_yes() -> None:
    assert _shown(_c("police_weapon_present_all", 1.0, 1.0), checklist=True)
    assert not _shown(_c("police_weapon_present_all", 0.0, 0.0), checklist=True)
