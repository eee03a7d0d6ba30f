"""Small-count protection: an attacker who subtracts published cells from published totals
(and solves the whole linear system) recovers no suppressed cell, on random tables."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from service.statistics.suppression import (
    MIN_COUNT,
    Link,
    Mask,
    augment,
    recoverable,
    suppress,
    suppress_linked,
)

IntGrid = np.ndarray


def subtraction_attack(grid: IntGrid, suppressed: Mask) -> set[tuple[int, int]]:
    """Entries recovered by repeated subtraction: whenever an augmented row or column (cells
    and their published total) has exactly one unknown entry, it is the difference; recovered
    entries are known from then on (to a fixed point)."""
    known = ~suppressed.copy()
    value = np.where(known, grid, 0)
    recovered: set[tuple[int, int]] = set()
    n_rows, n_cols = grid.shape
    lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)] + [
        [(i, j) for i in range(n_rows)] for j in range(n_cols)
    ]
    progress = True
    while progress:
        progress = False
        for line in lines:
            unknown = [e for e in line if not known[e]]
            if len(unknown) != 1:
                continue
            total_entry = line[-1]
            cells = line[:-1]
            (target,) = unknown
            if target == total_entry:
                value[target] = sum(int(value[e]) for e in cells)
            else:
                value[target] = int(value[total_entry]) - sum(
                    int(value[e]) for e in cells if e != target
                )
            known[target] = True
            recovered.add(target)
            progress = True
    return recovered


def algebra_attack(
    grids: dict[str, IntGrid], masks: dict[str, Mask], links: list[Link]
) -> set[tuple[str, int, int]]:
    """Suppressed entries that the linear system of every published table (its row and column
    equations, linked entries equal) determines: e_x lies in the row space of the equations
    restricted to the unknowns."""
    index: dict[tuple[str, int, int], int] = {}
    for key, mask in masks.items():
        for i, j in zip(*np.nonzero(mask), strict=True):
            index[(key, int(i), int(j))] = len(index)
    if not index:
        return set()
    rows: list[np.ndarray] = []
    for key, grid in grids.items():
        n_rows, n_cols = grid.shape
        lines = [[(i, j) for j in range(n_cols)] for i in range(n_rows)] + [
            [(i, j) for i in range(n_rows)] for j in range(n_cols)
        ]
        for line in lines:
            row = np.zeros(len(index))
            for pos, (i, j) in enumerate(line):
                sign = -1.0 if pos == len(line) - 1 else 1.0
                if (key, i, j) in index:
                    row[index[(key, i, j)]] += sign
            if row.any():
                rows.append(row)
    for link in links:
        first, *rest = link.entries
        for other in rest:
            if first in index and other in index:
                row = np.zeros(len(index))
                row[index[first]] += 1
                row[index[other]] -= 1
                rows.append(row)
    if not rows:
        return set()
    matrix = np.array(rows)
    rank = np.linalg.matrix_rank(matrix)
    found: set[tuple[str, int, int]] = set()
    for entry, position in index.items():
        unit = np.zeros(len(index))
        unit[position] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            found.add(entry)
    return found


counts = st.one_of(st.integers(0, 12), st.integers(0, 60))
tables = st.integers(1, 5).flatmap(
    lambda r: st.integers(1, 5).flatmap(
        lambda c: st.lists(st.lists(counts, min_size=c, max_size=c), min_size=r, max_size=r)
    )
)


@settings(max_examples=150, deadline=None)
@given(tables)
def test_no_suppressed_entry_is_recovered(cells: list[list[int]]) -> None:
    grid = augment(cells)
    mask = suppress(grid)
    # every small count (cell or total) is suppressed
    assert not ((grid > 0) & (grid < MIN_COUNT) & ~mask).any()
    assert subtraction_attack(grid, mask) == set()
    assert algebra_attack({"t": grid}, {"t": mask}, []) == set()
    assert recoverable(mask) == []


def test_a_single_small_cell_takes_a_rectangle_with_it() -> None:
    grid = augment([[5, 40, 30], [20, 50, 60], [25, 35, 45]])
    mask = suppress(grid)
    assert mask[0, 0]
    # the row and the column of the 5 each lose their smallest other cell: 20 and 30
    assert mask[1, 0]
    assert mask[0, 2]
    assert mask.sum() == 4
    assert mask[1, 2]
    assert not mask[3].any()
    assert not mask[:, 3].any()


def test_zero_is_published_and_large_counts_stay() -> None:
    grid = augment([[0, 40], [20, 50]])
    assert not suppress(grid).any()


def test_a_one_cell_row_suppresses_its_total() -> None:
    grid = augment([[3], [40], [50]])
    mask = suppress(grid)
    assert mask[0, 0]
    assert mask[0, 1]
    assert subtraction_attack(grid, mask) == set()


@settings(max_examples=60, deadline=None)
@given(st.lists(tables, min_size=2, max_size=3), st.data())
def test_linked_tables_protect_each_other(
    parts: list[list[list[int]]], data: st.DataObject
) -> None:
    """A national table whose rows are the regions' column totals: the same numbers in two
    places are suppressed in both or neither, and the joint system recovers nothing."""
    width = len(parts[0][0])
    parts = [[(row + [0] * width)[:width] for row in part] for part in parts]
    regions = {f"r{k}": augment(part) for k, part in enumerate(parts)}
    national = augment(np.array([grid[-1, :-1] for grid in regions.values()]))
    grids: dict[str, IntGrid] = {"national": national, **regions}
    links = [
        Link(((("national", k, j)), (f"r{k}", regions[f"r{k}"].shape[0] - 1, j)))
        for k in range(len(parts))
        for j in range(width + 1)
    ]
    masks = suppress_linked(grids, links)
    for link in links:
        (a, i, j), (b, i2, j2) = link.entries
        assert grids[a][i, j] == grids[b][i2, j2]
        assert masks[a][i, j] == masks[b][i2, j2]
    for key, grid in grids.items():
        assert subtraction_attack(grid, masks[key]) == set()
    assert algebra_attack(grids, masks, links) == set()
