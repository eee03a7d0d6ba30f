"""Explanation audit: how much each data source drives the score, per group.

The input is one row per scored family with the mean absolute SHAP contribution of the features
of each source (columns ``school``, ``clinic``, ``police``, ...). Per group we report the mean of
each column and its share of the sum over sources, over all families and over the flagged ones,
so an auditor can see whether, say, police signals carry more of the score for one group.
An association, not a cause: a larger police share says police records weigh more in the
score of that group, not that the group is more violent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from fairness.metrics import ratio
from fairness.report import GroupExplanation


def source_means(
    values: np.ndarray, codes: np.ndarray, n_groups: int, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Row count ``(G,)`` and column means ``(G, S)`` of ``values`` ``(rows, S)`` per group."""
    keep = np.ones(codes.shape[0], dtype=bool) if mask is None else mask
    c = codes[keep]
    n = np.bincount(c, minlength=n_groups)
    sums = np.stack(
        [
            np.bincount(c, weights=values[keep, j], minlength=n_groups)
            for j in range(values.shape[1])
        ],
        axis=1,
    ).reshape(n_groups, values.shape[1])
    return n, ratio(sums, n[:, None].astype(np.float64))


def attribute_explanations(
    attribute: str,
    names: Sequence[str],
    *,
    sources: Sequence[str],
    values: np.ndarray,
    codes: np.ndarray,
    flagged: np.ndarray,
    min_group_size: int,
) -> list[GroupExplanation]:
    """Entries for every group of one attribute, scopes "all" and "flagged".

    A group (or its flagged part) under ``min_group_size`` rows is suppressed.
    """
    out: list[GroupExplanation] = []
    scopes: tuple[tuple[Literal["all", "flagged"], np.ndarray | None], ...] = (
        ("all", None),
        ("flagged", flagged),
    )
    for scope, mask in scopes:
        n, means = source_means(values, codes, len(names), mask)
        totals = means.sum(axis=1, keepdims=True)
        shares = ratio(means, np.broadcast_to(totals, means.shape))
        for g, name in enumerate(names):
            suppressed = bool(n[g] < min_group_size)
            out.append(
                GroupExplanation(
                    attribute=attribute,
                    group=name,
                    scope=scope,
                    suppressed=suppressed,
                    n=None if suppressed else int(n[g]),
                    mean_abs={}
                    if suppressed
                    else dict(zip(sources, means[g].tolist(), strict=True)),
                    share={} if suppressed else dict(zip(sources, shares[g].tolist(), strict=True)),
                )
            )
    return out
