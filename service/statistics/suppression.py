"""Small-count protection of the published statistics: primary and complementary suppression.

A table of counts is published with its row totals, column totals and grand total, all computed
from the full data. Seen as one *augmented* grid of (rows + 1) x (columns + 1) entries (the last
column holds the row totals, the last row the column totals, the corner the grand total), every
augmented row and every augmented column is one linear equation: its cells add up to its total.

1. **Primary suppression**: every entry (a cell or a total) from 1 to `MIN_COUNT - 1` is
   suppressed. A zero is published: it counts nobody, and hiding it would hide exactly the gaps
   the figures exist to show (no order extended).
2. **Complementary suppression**, to a fixed point:
   a. every augmented row or column with exactly one suppressed entry gets a second one: a
      cell whose other line has exactly one suppressed entry too (it mends both), else its
      smallest published non-zero cell (a total only when no cell is left);
   b. a suppressed entry is still recoverable by subtracting published entries exactly when it
      is a *bridge* of the bipartite graph whose nodes are the augmented rows and columns and
      whose edges are the suppressed entries (the equations' solutions on the suppressed
      entries are the graph's cycles, signs aside: see `recoverable`). For each such entry the
      cheapest rectangle through it (three more entries, fewest totals, smallest counts) is
      suppressed too, which puts it on a cycle. Adding suppressions never turns a protected
      entry into a recoverable one, so this ends, at the latest with every entry suppressed.

`suppress_linked` protects several tables that publish the same number in two places (a
region's row of the national table and the region's own column totals, say): such entries are
suppressed in all places or in none, and the tables are suppressed again until nothing changes.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

import numpy as np
import numpy.typing as npt

#: Counts from 1 to MIN_COUNT - 1 are suppressed.
MIN_COUNT: Final = 10

IntGrid = npt.NDArray[np.int64]
Mask = npt.NDArray[np.bool_]
Entry = tuple[int, int]


def augment(cells: Sequence[Sequence[int]] | IntGrid) -> IntGrid:
    """The augmented grid of `cells` (rows x columns): row totals in an added last column,
    column totals in an added last row, the grand total in the corner."""
    inner = np.asarray(cells, dtype=np.int64)
    if inner.ndim != 2 or inner.shape[0] == 0 or inner.shape[1] == 0:
        raise ValueError(f"cells: expected a non-empty 2-D table, got shape {inner.shape}")
    rows, cols = inner.shape
    out = np.zeros((rows + 1, cols + 1), dtype=np.int64)
    out[:rows, :cols] = inner
    out[:rows, cols] = inner.sum(axis=1)
    out[rows, :cols] = inner.sum(axis=0)
    out[rows, cols] = inner.sum()
    return out


def primary(grid: IntGrid, *, min_count: int = MIN_COUNT) -> Mask:
    """Entries from 1 to `min_count - 1`."""
    return (grid > 0) & (grid < min_count)


def recoverable(suppressed: Mask) -> list[Entry]:
    """Suppressed entries that published entries determine: the bridges of the graph of
    suppressed entries (rows and columns of the augmented grid as nodes).

    The augmented grid's equations (each row and column adds up to its total) are, after
    multiplying the equations of the totals' row and column by -1, those of a bipartite graph
    with one unknown per edge and every node summing to a known number. Their solutions on the
    unknowns differ by combinations of cycles (alternating signs), so an unknown is determined
    exactly when no cycle passes through it: when it is a bridge."""
    n_rows, n_cols = suppressed.shape
    adjacency: dict[int, list[tuple[int, Entry]]] = {}
    for i, j in zip(*np.nonzero(suppressed), strict=True):
        entry = (int(i), int(j))
        a, b = int(i), n_rows + int(j)
        adjacency.setdefault(a, []).append((b, entry))
        adjacency.setdefault(b, []).append((a, entry))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    bridges: list[Entry] = []
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * (n_rows + n_cols) + 100))

    def visit(node: int, via: Entry | None) -> None:
        order[node] = low[node] = len(order)
        for other, entry in adjacency[node]:
            if entry == via:
                continue
            if other in order:
                low[node] = min(low[node], order[other])
            else:
                visit(other, entry)
                low[node] = min(low[node], low[other])
                if low[other] > order[node]:
                    bridges.append(entry)

    try:
        for node in sorted(adjacency):
            if node not in order:
                visit(node, None)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(bridges)


def _lines(shape: tuple[int, int]) -> Iterable[list[Entry]]:
    n_rows, n_cols = shape
    for i in range(n_rows):
        yield [(i, j) for j in range(n_cols)]
    for j in range(n_cols):
        yield [(i, j) for i in range(n_rows)]


def _is_total(entry: Entry, shape: tuple[int, int]) -> bool:
    return entry[0] == shape[0] - 1 or entry[1] == shape[1] - 1


def _cost(
    grid: IntGrid, suppressed: Mask, e: Entry, *, horizontal: bool
) -> tuple[bool, bool, bool, int, Entry]:
    """Rule 2a's order of candidates: cells before totals; a cell whose other line also has
    exactly one suppressed entry first (it mends both lines); non-zero; smallest."""
    shape = (int(grid.shape[0]), int(grid.shape[1]))
    cross = suppressed[:, e[1]] if horizontal else suppressed[e[0], :]
    return (_is_total(e, shape), int(cross.sum()) != 1, int(grid[e]) == 0, int(grid[e]), e)


def _second_in_lines(grid: IntGrid, suppressed: Mask) -> bool:
    """Rule 2a once over every line; True when something was suppressed."""
    changed = False
    shape = (int(grid.shape[0]), int(grid.shape[1]))
    for line in _lines(shape):
        if sum(bool(suppressed[e]) for e in line) != 1:
            continue
        candidates = [e for e in line if not suppressed[e]]
        if not candidates:
            continue
        horizontal = line[0][0] == line[-1][0]
        best = min(candidates, key=lambda e: _cost(grid, suppressed, e, horizontal=horizontal))
        suppressed[best] = True
        changed = True
    return changed


def _rectangle(grid: IntGrid, suppressed: Mask, entry: Entry) -> list[Entry]:
    """The three entries that close the cheapest rectangle through `entry`: fewest totals
    newly suppressed, then the smallest sum of newly suppressed counts."""
    shape = (int(grid.shape[0]), int(grid.shape[1]))
    r, c = entry
    best: tuple[tuple[int, int, int, int], list[Entry]] | None = None
    for r2 in range(shape[0]):
        if r2 == r:
            continue
        for c2 in range(shape[1]):
            if c2 == c:
                continue
            corners = [(r, c2), (r2, c), (r2, c2)]
            new = [e for e in corners if not suppressed[e]]
            key = (
                sum(_is_total(e, shape) for e in new),
                sum(int(grid[e]) for e in new),
                r2,
                c2,
            )
            if best is None or key < best[0]:
                best = (key, new)
    assert best is not None, "an augmented grid has at least two rows and two columns"
    return best[1]


def suppress(grid: IntGrid, *, forced: Mask | None = None, min_count: int = MIN_COUNT) -> Mask:
    """Which entries of the augmented `grid` to suppress (primary, `forced`, complementary) so
    that none is recoverable from the published ones (see the module's docstring)."""
    suppressed = primary(grid, min_count=min_count)
    if forced is not None:
        suppressed |= forced
    while True:
        if _second_in_lines(grid, suppressed):
            continue
        exposed = recoverable(suppressed)
        if not exposed:
            return suppressed
        for e in _rectangle(grid, suppressed, exposed[0]):
            suppressed[e] = True


@dataclass(frozen=True)
class Link:
    """Entries of several tables that publish the same number: (table key, row, column) of
    each, in the tables' augmented grids."""

    entries: tuple[tuple[Any, int, int], ...]


K = TypeVar("K", bound=Hashable)


def suppress_linked(
    grids: Mapping[K, IntGrid],
    links: Sequence[Link],
    *,
    min_count: int = MIN_COUNT,
) -> dict[K, Mask]:
    """`suppress` for every table, with linked entries suppressed in all their places or in
    none: a suppression in one place is forced in the others and the tables suppressed again,
    until nothing changes."""
    forced = {key: np.zeros(grid.shape, dtype=bool) for key, grid in grids.items()}
    while True:
        masks = {
            key: suppress(grid, forced=forced[key], min_count=min_count)
            for key, grid in grids.items()
        }
        changed = False
        for link in links:
            if any(masks[k][i, j] for k, i, j in link.entries):
                for k, i, j in link.entries:
                    if not forced[k][i, j]:
                        forced[k][i, j] = True
                        changed = True
        if not changed:
            return masks
