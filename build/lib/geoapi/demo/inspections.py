"""Inspection visits of the demo district: who visited which point, when, with what score."""

import json
from datetime import datetime

import numpy as np
import pandas as pd
from numpy.random import Generator

from geoapi.demo.issues import DAY

CRITERIA = 10
# Visits in the demo's last weeks, per category; parking spaces are checked by road, not here.
VISITS = {
    "market": 6,
    "public_toilet": 6,
    "back_alley": 2,
    "old_compound": 2,
    "school_surroundings": 3,
    "station": 2,
    "practice_station": 2,
    "construction_site": 3,
    "street_shop": 1,
}


def build_inspections(rng: Generator, points: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """Visit rows (point_id, team_id, inspector, visited_at, device_geom, results, score)."""
    visits = points["category"].map(VISITS).fillna(0).astype(int).to_numpy()
    point_rows = np.repeat(np.arange(len(points)), visits)
    n = len(point_rows)
    end = as_of.timestamp()
    visited = end - rng.uniform(0.1, 42, n) * DAY
    failed = rng.binomial(CRITERIA, 0.12, n)
    street = points["street"].to_numpy()[point_rows]
    geoms = points["geom"].to_numpy()[point_rows]
    return pd.DataFrame(
        {
            "point_id": points["id"].to_numpy()[point_rows],
            "team_id": street + 1,
            "inspector": [
                f"督导员{(s * 4 + k) % 40:02d}"
                for s, k in zip(street, rng.integers(0, 4, n), strict=True)
            ],
            "visited_at": pd.to_datetime(np.round(visited), unit="s", utc=True),
            "device_geom": geoms,
            "checklist_version": points["category"].to_numpy()[point_rows] + "@2026.1",
            "results": [
                json.dumps(
                    {
                        "criteria": CRITERIA,
                        "failed": sorted(rng.choice(CRITERIA, k, replace=False).tolist()),
                    }
                )
                for k in failed
            ],
            "score_rate": np.round((CRITERIA - failed) / CRITERIA, 4),
        }
    )
