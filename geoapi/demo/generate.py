"""The whole demo city as data frames, from one seeded random generator (no database)."""

from dataclasses import dataclass
from datetime import datetime

import geopandas as gpd
import numpy as np
import pandas as pd

from geoapi.demo.city import DemoArea, build_areas
from geoapi.demo.inspections import build_inspections
from geoapi.demo.issues import build_issues
from geoapi.demo.names import STREETS, UNITS
from geoapi.demo.points import build_points
from geoapi.demo.roads import build_roads
from geoapi.inspections.checklists import Checklists, load_checklists
from geoapi.issues.states import OPEN
from geoapi.reference.model import Reference
from geoapi.settings import Settings


@dataclass(frozen=True)
class DemoCity:
    """Every table's rows; `generate` with the same arguments gives equal frames. The points
    are in compact form: `points.point_rows` spells out their codes, names and geometries."""

    areas: list[DemoArea]
    units: pd.DataFrame
    teams: pd.DataFrame
    points: pd.DataFrame
    issues: pd.DataFrame
    events: pd.DataFrame
    inspections: pd.DataFrame
    roads: gpd.GeoDataFrame


def _units() -> pd.DataFrame:
    offices = [(f"street_{i:02d}", f"{name}街道办事处") for i, name in enumerate(STREETS, 1)]
    return pd.DataFrame([*UNITS, *offices], columns=["code", "name"])


def _teams(areas: list[DemoArea]) -> pd.DataFrame:
    streets = [a for a in areas if a.level == "street"]
    return pd.DataFrame(
        {
            "id": range(1, len(streets) + 1),
            "code": [f"T{i:02d}" for i in range(1, len(streets) + 1)],
            "name": [f"{s.name}督导组" for s in streets],
            "area_id": [s.id for s in streets],
            "base": [s.geom.representative_point() for s in streets],  # the street's office
        }
    )


def _set_point_state(points: pd.DataFrame, issues: pd.DataFrame, inspections: pd.DataFrame) -> None:
    """Status and last visit follow the data: open problems or a failed visit → non-compliant
    (set on `points` itself: a copy of a million rows would be held beside it)."""
    last = inspections.sort_values("visited_at").groupby("point_id").last()
    open_points = set(issues.loc[issues["status"].isin(OPEN), "point_id"].dropna())
    points["last_inspected_at"] = points["id"].map(last["visited_at"])
    points["score"] = points["id"].map(last["score_rate"])
    failed = points["id"].map(~last["passed"]).fillna(False).astype(bool)
    visited = points["last_inspected_at"].notna()
    points["status"] = np.where(
        points["id"].isin(open_points) | failed,
        "non_compliant",
        np.where(visited, "compliant", "unchecked"),
    )


def generate(
    scale: float,
    seed: int,
    as_of: datetime,
    reference: Reference,
    checklists: Checklists | None = None,
) -> DemoCity:
    """Build the demo city; `scale` multiplies points and issues (1 ≈ 10,000 points).

    Problem types, their periods and where they occur come from `reference` (the database's
    tables: `read_reference`); visits are scored against `checklists` (default: the
    repository's `checklists/`).
    """
    rng = np.random.default_rng(seed)
    areas = build_areas(rng)
    points = build_points(rng, areas, scale)
    built = build_issues(rng, areas, points, scale, as_of, reference)
    checklists = checklists or load_checklists(Settings().checklists_dir)
    inspections = build_inspections(rng, points, as_of, checklists)
    _set_point_state(points, built.issues, inspections)
    roads = build_roads(areas, points)
    return DemoCity(
        areas, _units(), _teams(areas), points, built.issues, built.events, inspections, roads
    )
