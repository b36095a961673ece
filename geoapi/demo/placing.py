"""The areas covering each generated location, worked out in the generator (one spatial index
query for all of them) so a bulk load needs no per-row lookup in the database.

The rule is the database's (`geoapi_fill_area_ids`): per level, the largest id of the areas
that cover the location."""

import numpy as np
import pandas as pd
import shapely

from geoapi.demo.city import DemoArea
from geoapi.vocabulary import AREA_ID_COLUMNS, AREA_LEVELS


def area_ids(areas: list[DemoArea], xy: np.ndarray, index: pd.Index | None = None) -> pd.DataFrame:
    """`{level}_id` columns (nullable integers) for the locations `xy` (n × 2, lon/lat),
    on `index` (default 0…n-1)."""
    tree = shapely.STRtree([a.geom for a in areas])
    located, covering = tree.query(shapely.points(xy), predicate="covered_by")
    ids = np.array([a.id for a in areas])
    levels = np.array([a.level for a in areas])
    columns = {}
    for level, name in zip(AREA_LEVELS, AREA_ID_COLUMNS, strict=True):
        at_level = levels[covering] == level
        best = np.full(len(xy), -1, dtype=np.int64)
        np.maximum.at(best, located[at_level], ids[covering[at_level]])
        column = pd.array(best, dtype="Int64")
        column[best < 0] = pd.NA  # not covered at this level
        columns[name] = column
    return pd.DataFrame(columns, index=index)
