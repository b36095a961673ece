"""The areas covering many locations at once, worked out with shapely (one spatial index query
for all of them), so a bulk write needs no per-row lookup in the database: the demo load and
large imports.

The rule is the database's (`geoapi_fill_area_ids`): per level, the largest id of the areas
that cover the location."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geoapi.vocabulary import AREA_ID_COLUMNS, AREA_LEVELS


class Area(Protocol):
    """What placing needs of an area (a generated one, or one read back)."""

    @property
    def id(self) -> int:
        """The area's id."""

    @property
    def level(self) -> str:
        """district, street, community or grid."""

    @property
    def geom(self) -> shapely.Geometry:
        """Its polygon, WGS 84."""


@dataclass(frozen=True)
class StoredArea:
    """An area as read back from the database."""

    id: int
    level: str
    geom: shapely.Geometry


def stored_areas(connection: Connection) -> list[StoredArea]:
    """Every stored area with its polygon."""
    rows = connection.execute(text("SELECT id, level, ST_AsBinary(geom) AS wkb FROM areas"))
    return [StoredArea(r.id, r.level, shapely.from_wkb(bytes(r.wkb))) for r in rows]


# Locations placed per spatial query: the candidate pairs of a million at once took 150 MB.
PLACED_AT_ONCE = 100_000


def area_ids(
    areas: Sequence[Area], locations: np.ndarray, index: pd.Index | None = None
) -> pd.DataFrame:
    """`{level}_id` columns (nullable integers) for `locations` (shapely points, or an (n, 2)
    array of coordinates), lon/lat, on `index` (default 0…n-1); none where no area covers
    them (or none is stored)."""
    if not len(areas):
        empty = {
            name: pd.array([pd.NA] * len(locations), dtype="Int64") for name in AREA_ID_COLUMNS
        }
        return pd.DataFrame(empty, index=index)
    polygons = np.array([a.geom for a in areas], dtype=object)
    # Candidates by bounding box, then the exact test against each area prepared once: 3–4
    # times faster than the tree's own `covered_by`, which tests every pair unprepared.
    shapely.prepare(polygons)
    tree = shapely.STRtree(polygons)
    ids = np.array([a.id for a in areas])
    levels = np.array([a.level for a in areas])
    best = np.full((len(AREA_LEVELS), len(locations)), -1, dtype=np.int64)
    for start in range(0, len(locations), PLACED_AT_ONCE):
        block = locations[start : start + PLACED_AT_ONCE]
        if block.dtype != object:  # coordinates: made points a block at a time
            block = shapely.points(block)
        located, covering = tree.query(block)
        covered = shapely.covers(polygons[covering], block[located])
        located, covering = located[covered] + start, covering[covered]
        for row, level in enumerate(AREA_LEVELS):
            at_level = levels[covering] == level
            np.maximum.at(best[row], located[at_level], ids[covering[at_level]])
    columns = {}
    for row, name in enumerate(AREA_ID_COLUMNS):
        column = pd.array(best[row], dtype="Int64")
        column[best[row] < 0] = pd.NA  # not covered at this level
        columns[name] = column
    return pd.DataFrame(columns, index=index)
