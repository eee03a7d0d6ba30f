"""Which attributes an audit covers and which group each is compared with.

An attribute is a group column or an intersection of columns (``ethnicity x urban``). Its
reference group is the largest group, the best-off group per metric, or one the caller names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from fairness.disparity import largest_group
from fairness.inputs import AuditInputError

REFERENCE_CHOICES = ("largest", "best")


def intersection_name(columns: Sequence[str]) -> str:
    """Attribute name of an intersection, e.g. ``ethnicity x urban``."""
    return " x ".join(columns)


def attribute_columns(
    group_cols: Sequence[str], intersections: Sequence[Sequence[str]]
) -> dict[str, tuple[str, ...]]:
    """Attribute name -> its columns: each group column, then each intersection."""
    if isinstance(group_cols, str):
        raise AuditInputError(
            f"group_cols: expected a list of column names, got the string {group_cols!r}"
        )
    if not group_cols:
        raise AuditInputError("group_cols: expected at least one group column, got none")
    out: dict[str, tuple[str, ...]] = {}
    for column in group_cols:
        if column in out:
            raise AuditInputError(f"group_cols: column {column!r} is listed twice")
        out[column] = (column,)
    for combo in intersections:
        cols = tuple(combo)
        if len(cols) < 2 or len(set(cols)) != len(cols):
            raise AuditInputError(
                f"intersections: expected two or more distinct columns, got {cols!r}"
            )
        out[intersection_name(cols)] = cols
    return out


def resolve_references(
    reference: Mapping[str, str] | str, attributes: Mapping[str, object]
) -> dict[str, tuple[str, str]]:
    """Attribute -> ("largest" | "best" | "group", group name)."""
    if isinstance(reference, str):
        if reference not in REFERENCE_CHOICES:
            raise AuditInputError(
                "reference: expected 'largest', 'best' or a mapping attribute -> group, "
                f"got {reference!r}"
            )
        return {a: (reference, "") for a in attributes}
    unknown = [a for a in reference if a not in attributes]
    if unknown:
        raise AuditInputError(
            f"reference: attribute(s) {', '.join(unknown)} are not audited; "
            f"audited: {', '.join(attributes)}"
        )
    return {a: ("group", reference[a]) if a in reference else ("largest", "") for a in attributes}


def reference_index(
    attribute: str,
    names: list[str],
    n: np.ndarray,
    suppressed: np.ndarray,
    choice: tuple[str, str],
) -> tuple[int | None, str]:
    """Index of the reference group among ``names`` (None: best-off group per metric) and how
    the report names it; refuses a named group that is missing or suppressed."""
    kind, wanted = choice
    if kind == "best":
        return None, "best-off group per metric"
    if kind == "largest":
        index = largest_group(n, suppressed)
        return index, ("none (every group suppressed)" if index is None else names[index])
    if wanted not in names:
        raise AuditInputError(
            f"reference: group {wanted!r} of attribute {attribute!r} not found; "
            f"groups: {', '.join(names)}"
        )
    index = names.index(wanted)
    if suppressed[index]:
        raise AuditInputError(
            f"reference: group {wanted!r} of attribute {attribute!r} is suppressed "
            "(fewer rows than min_group_size) and cannot be a reference"
        )
    return index, wanted
