"""Import administrative areas: validate levels and parents, upsert by code, re-join points."""

from collections.abc import Set as AbstractSet

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geoapi.db.copy import copy_frame
from geoapi.transfer import checks
from geoapi.transfer.importer import ImportReport, run_import
from geoapi.transfer.row_errors import RowError
from geoapi.vocabulary import AREA_LEVELS, parent_level

AREA_TYPES = ("Polygon", "MultiPolygon")


def validate(
    connection: Connection, frame: gpd.GeoDataFrame, unreadable: AbstractSet[int] = frozenset()
) -> list[RowError]:
    """Every error in every row, including parents that are missing or of the wrong level."""
    codes = checks.text_values(frame, "code")
    levels = checks.text_values(frame, "level")
    return sorted(
        [
            *checks.required(frame, "code"),
            *checks.required(frame, "name"),
            *checks.required(frame, "level"),
            *checks.unique_codes(codes),
            *checks.known(levels, "level", AREA_LEVELS),
            *_parent_errors(connection, codes, levels, checks.text_values(frame, "parent_code")),
            *checks.geometries(frame, AREA_TYPES, skip_rows=unreadable),
        ]
    )


def _parent_errors(
    connection: Connection, codes: pd.Series, levels: pd.Series, parents: pd.Series
) -> list[RowError]:
    stored = {
        code: level for code, level in connection.execute(text("SELECT code, level FROM areas"))
    }
    level_of = {**stored, **dict(zip(codes, levels, strict=True))}
    errors = []
    for row, (level, parent) in enumerate(zip(levels, parents, strict=True), start=1):
        if level not in AREA_LEVELS:
            continue
        expected = parent_level(level)
        if expected is None and parent:
            errors.append(RowError(row, "parent_code", "a district has no parent"))
        elif expected and not parent:
            errors.append(RowError(row, "parent_code", f"missing (a {level} needs a {expected})"))
        elif expected and parent not in level_of:
            errors.append(RowError(row, "parent_code", f"unknown area {parent!r}"))
        elif expected and level_of[parent] != expected:
            errors.append(
                RowError(
                    row,
                    "parent_code",
                    f"{parent!r} is a {level_of[parent]}, a {level} needs a {expected}",
                )
            )
    return errors


UPSERT_LEVEL = """
INSERT INTO areas AS a (level, code, name, parent_id, geom)
SELECT s.level, s.code, s.name, p.id, s.geom
  FROM area_import s LEFT JOIN areas p ON p.code = s.parent_code
 WHERE s.level = :level
ON CONFLICT (code) DO UPDATE
   SET level = excluded.level, name = excluded.name, parent_id = excluded.parent_id,
       geom = excluded.geom
RETURNING (xmax = 0)
"""


def upsert(connection: Connection, frame: gpd.GeoDataFrame) -> ImportReport:
    """Upsert areas level by level (parents first), then re-join points and issues to them."""
    connection.execute(
        text(
            "CREATE TEMP TABLE area_import (level text, code text, name text, parent_code text, "
            "geom geometry) ON COMMIT DROP"
        )
    )
    staging = pd.DataFrame(
        {c: checks.text_values(frame, c) for c in ("level", "code", "name", "parent_code")}
    )
    staging["geom"] = (  # geometries: COPY writes them as EWKB
        pd.Series(
            shapely.multipolygons(
                shapely.get_parts(frame.geometry.to_numpy()), indices=_part_owner(frame)
            )
            if len(frame)
            else []
        )
    )
    copy_frame(connection, "area_import", staging)
    flags = [
        flag
        for level in AREA_LEVELS
        for flag in connection.scalars(text(UPSERT_LEVEL), {"level": level})
    ]
    connection.execute(text("DROP TABLE area_import"))
    refresh_area_ids(connection)
    return ImportReport(sum(flags), len(flags) - sum(flags))


def _part_owner(frame: gpd.GeoDataFrame) -> list[int]:
    counts = shapely.get_num_geometries(frame.geometry.to_numpy())
    return [i for i, n in enumerate(counts) for _ in range(n)]


def refresh_area_ids(connection: Connection) -> None:
    """Recompute area ids of every point and issue (the fill trigger runs on geom writes)."""
    for table in ("points", "issues"):
        connection.execute(text(f"UPDATE {table} SET geom = geom"))


def import_areas(
    connection: Connection,
    frame: gpd.GeoDataFrame,
    read_errors: list[RowError],
    skip_invalid: bool = False,
) -> ImportReport:
    """Validate then upsert by code, parents first; all-or-nothing unless `skip_invalid`."""
    return run_import(connection, frame, read_errors, validate, upsert, skip_invalid)
