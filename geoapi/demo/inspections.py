"""Inspection visits of the demo district: who visited which point, when, with what score."""

import json
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.random import Generator

from geoapi.demo.issues import DAY
from geoapi.inspections.checklists import Checklist, Checklists
from geoapi.inspections.scoring import Answer, Score, score

FAIL_CHANCE = 0.12  # per criterion and visit
# Visits in the demo's last weeks, per category with a checklist; parking spaces are checked by
# road, not here (so the demo's due list has never-inspected spaces).
VISITS = {
    "market": 6,
    "public_toilet": 6,
    "back_alley": 2,
    "old_compound": 2,
    "practice_station": 2,
    "street_shop": 1,
    "school_surroundings": 3,
    "construction_site": 2,
    "station": 2,
}


def build_inspections(
    rng: Generator, points: pd.DataFrame, as_of: datetime, checklists: Checklists
) -> pd.DataFrame:
    """Visit rows scored against the checklists in force (point_id, …, score_rate, passed),
    the device's place as coordinates (`inspection_rows` makes it a geometry)."""
    visits = points["category"].map(VISITS).fillna(0).astype(int).to_numpy()
    point_rows = np.repeat(np.arange(len(points)), visits)
    n = len(point_rows)
    end = as_of.timestamp()
    visited = end - rng.uniform(0.1, 42, n) * DAY
    street = points["street"].to_numpy()[point_rows]
    categories = points["category"].to_numpy()[point_rows]
    in_force = {c: checklists.current(c, as_of.date()) for c in set(categories)}
    known: dict[tuple[str, bytes], Any] = {}  # a few hundred patterns
    scored = [_visit(rng, in_force[c], known) for c in categories]
    return pd.DataFrame(
        {
            "point_id": points["id"].to_numpy()[point_rows],
            "team_id": street + 1,
            "inspector": [
                f"督导员{(s * 4 + k) % 40:02d}"
                for s, k in zip(street, rng.integers(0, 4, n), strict=True)
            ],
            "visited_at": pd.to_datetime(np.round(visited), unit="s", utc=True),
            "device_lon": points["lon"].to_numpy()[point_rows],  # at the point itself
            "device_lat": points["lat"].to_numpy()[point_rows],
            "checklist_version": [key for key, _, _ in scored],
            "results": [results for _, results, _ in scored],
            "score_rate": [score.rate for _, _, score in scored],
            "passed": [score.passed for _, _, score in scored],
        }
    )


def _visit(
    rng: Generator, checklist: Checklist | None, known: dict[tuple[str, bytes], Any]
) -> tuple[str, str, Score]:
    """A believable set of answers: each criterion fails now and then (each pattern of
    failures is scored once: `known`)."""
    assert checklist is not None, "VISITS names a category without a checklist"
    fails = rng.random(len(checklist.criteria)) < FAIL_CHANCE
    pattern = (checklist.key, fails.tobytes())
    if pattern not in known:
        known[pattern] = _scored(checklist, fails)
    return known[pattern]


def _scored(checklist: Checklist, fails: np.ndarray) -> tuple[str, str, Score]:
    answers = [
        Answer(c.id, "fail" if failed else "pass")
        for c, failed in zip(checklist.criteria, fails, strict=True)
    ]
    result = score(checklist, answers)
    stored = {
        "answers": [{"criterion": a.criterion, "result": a.result} for a in answers],
        "earned": result.earned,
        "possible": result.possible,
        "failed": [c.id for c in result.failed],
        "vetoed_by": list(result.vetoed_by),
    }
    return checklist.key, json.dumps(stored, ensure_ascii=False), result


def inspection_rows(inspections: pd.DataFrame) -> pd.DataFrame:
    """The table's columns of `build_inspections`' rows: the device's place as a point."""
    return inspections.drop(columns=["device_lon", "device_lat"]).assign(
        device_geom=shapely.points(
            inspections["device_lon"].to_numpy(), inspections["device_lat"].to_numpy()
        )
    )
