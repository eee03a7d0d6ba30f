"""Regions and districts of the synthetic population (deterministic: no seed involved).

The 17 regions and 3 cities of republican significance of Kazakhstan (since 2022). Figures are
rounded public estimates (population in millions, urban share, share of Slavic and other
European groups, share of Uzbeks and Uyghurs) and the 2024 multiple-indicator survey's share of
women who say a husband may hit his wife (the "acceptance" column, percent: Turkestan 10,
Mangystau 0.2, national 4; regions the survey text does not quote are plausible guesses).
District names are real for the three cities and numbered ("Akmola-03") elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Final

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class Region:
    name: str
    population: float  # millions
    urban: float
    european: float  # Russians, Ukrainians, Germans, ...
    uzbek: float
    uyghur: float
    acceptance: float  # percent of women: "a husband may hit his wife"
    districts: tuple[str, ...]


def _numbered(short: str, n: int) -> tuple[str, ...]:
    return tuple(f"{short}-{k:02d}" for k in range(1, n + 1))


REGIONS: Final = (
    Region("Abai Region", 0.61, 0.55, 0.20, 0.0, 0.0, 3.0, _numbered("Abai", 8)),
    Region("Akmola Region", 0.78, 0.50, 0.40, 0.0, 0.0, 2.5, _numbered("Akmola", 10)),
    Region("Aktobe Region", 0.93, 0.65, 0.10, 0.0, 0.0, 3.5, _numbered("Aktobe", 8)),
    Region("Almaty Region", 1.52, 0.30, 0.10, 0.01, 0.06, 5.0, _numbered("AlmatyReg", 9)),
    Region("Atyrau Region", 0.70, 0.50, 0.03, 0.0, 0.0, 4.0, _numbered("Atyrau", 6)),
    Region("East Kazakhstan Region", 0.72, 0.65, 0.45, 0.0, 0.0, 2.0, _numbered("EastKaz", 8)),
    Region("Jambyl Region", 1.22, 0.40, 0.10, 0.01, 0.01, 6.0, _numbered("Jambyl", 10)),
    Region("Jetisu Region", 0.70, 0.40, 0.20, 0.0, 0.04, 5.0, _numbered("Jetisu", 8)),
    Region("Karaganda Region", 1.13, 0.80, 0.35, 0.0, 0.0, 2.0, _numbered("Karaganda", 7)),
    Region("Kostanay Region", 0.83, 0.55, 0.45, 0.0, 0.0, 2.0, _numbered("Kostanay", 12)),
    Region("Kyzylorda Region", 0.83, 0.45, 0.02, 0.0, 0.0, 6.0, _numbered("Kyzylorda", 7)),
    Region("Mangystau Region", 0.78, 0.45, 0.05, 0.0, 0.0, 0.2, _numbered("Mangystau", 5)),
    Region("North Kazakhstan Region", 0.53, 0.45, 0.55, 0.0, 0.0, 2.0, _numbered("NorthKaz", 12)),
    Region("Pavlodar Region", 0.75, 0.70, 0.40, 0.0, 0.0, 2.0, _numbered("Pavlodar", 10)),
    Region("Turkestan Region", 2.10, 0.20, 0.02, 0.17, 0.0, 10.0, _numbered("Turkestan", 12)),
    Region("Ulytau Region", 0.22, 0.80, 0.15, 0.0, 0.0, 2.5, _numbered("Ulytau", 3)),
    Region("West Kazakhstan Region", 0.69, 0.50, 0.25, 0.0, 0.0, 3.0, _numbered("WestKaz", 12)),
    Region(
        "Astana", 1.35, 1.0, 0.15, 0.0, 0.0, 1.5,
        ("Almaty (Astana)", "Baikonyr", "Yesil", "Saryarka", "Nura"),
    ),
    Region(
        "Almaty", 2.23, 1.0, 0.30, 0.01, 0.05, 1.5,
        ("Auezov", "Bostandyk", "Alatau", "Almaly", "Turksib", "Medeu", "Zhetysu", "Nauryzbay"),
    ),
    Region(
        "Shymkent", 1.20, 1.0, 0.08, 0.20, 0.0, 6.0,
        ("Karatau", "Abai (Shymkent)", "Al-Farabi", "Enbekshi", "Turan"),
    ),
)  # fmt: skip


@dataclass(frozen=True)
class Districts:
    """One row per district, in a fixed order; `weight` sums to 1 over the country."""

    name: npt.NDArray[np.str_]
    region: npt.NDArray[np.intp]  # index into REGIONS
    weight: npt.NDArray[np.float64]


@cache
def districts() -> Districts:
    """All districts with their share of families: region population, then a skewed split
    (weights 1/k) so a few districts are large, as a regional centre is."""
    names: list[str] = []
    region_idx: list[int] = []
    weights: list[float] = []
    total = sum(r.population for r in REGIONS)
    for i, region in enumerate(REGIONS):
        raw = 1.0 / np.arange(1, len(region.districts) + 1)
        share = raw / raw.sum() * region.population / total
        names.extend(region.districts)
        region_idx.extend([i] * len(region.districts))
        weights.extend(share.tolist())
    w = np.asarray(weights)
    return Districts(np.asarray(names), np.asarray(region_idx, dtype=np.intp), w / w.sum())


def district_names() -> frozenset[str]:
    """Every district name the simulator uses (to validate bias knobs)."""
    return frozenset(districts().name.tolist())
