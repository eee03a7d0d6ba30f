"""Partitions of the event tables by district, the unit of work past one machine.

Every feature and label of a family reads that family's records only, so the pipeline run on
each partition and concatenated equals the pipeline run on all the data (tested). Districts
are kept whole (a council's list never spans two partitions) and spread over the partitions
by family count, largest first onto the lightest partition, so the partitions are about the
same size whatever the districts' sizes.
"""

from __future__ import annotations

import heapq
from dataclasses import fields

import polars as pl

from features.contracts import Events


def district_groups(families: pl.DataFrame, *, parts: int) -> list[list[str]]:
    """The districts of `families` in at most `parts` groups of about equal family counts.

    Deterministic: the same families give the same groups. Empty groups are dropped, so
    fewer than `parts` come back when there are fewer districts.
    """
    if parts < 1:
        raise ValueError(f"parts: expected a whole number >= 1, got {parts}")
    sizes = (
        families.group_by("district")
        .len()
        .sort(["len", "district"], descending=[True, False])
        .iter_rows()
    )
    heap: list[tuple[int, int]] = [(0, i) for i in range(parts)]
    groups: list[list[str]] = [[] for _ in range(parts)]
    for district, size in sizes:
        load, i = heapq.heappop(heap)
        groups[i].append(district)
        heapq.heappush(heap, (load + size, i))
    return [sorted(g) for g in groups if g]


def restrict(events: Events, districts: list[str]) -> Events:
    """The records of the families of `districts` only, every table filtered the same way."""
    families = events.families.filter(pl.col("district").is_in(districts))
    ids = families["family_id"]
    tables = {
        f.name: getattr(events, f.name).filter(pl.col("family_id").is_in(ids))
        for f in fields(Events)
        if f.name != "families"
    }
    return Events(families=families, **tables)


def district_partitions(events: Events, *, parts: int) -> list[Events]:
    """`events` split into at most `parts` partitions of whole districts (see the module)."""
    return [restrict(events, g) for g in district_groups(events.families, parts=parts)]
