"""Import inspection points: validate every row, then upsert by code in one statement."""

import json
from collections.abc import Sequence
from collections.abc import Set as AbstractSet

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geoapi.db import bulk
from geoapi.db.copy import copy_frame
from geoapi.placing import Area, area_ids, stored_areas
from geoapi.transfer import checks
from geoapi.transfer.importer import ImportReport, run_import
from geoapi.transfer.row_errors import RowError

COLUMNS = ("code", "name", "category", "address", "unit")
# Columns our own export writes that the database derives; ignored when a file comes back.
DERIVED = ("status", "last_inspected_at", "district", "street", "community", "grid", "props")
POINT_TYPES = ("Point",)
FOOTPRINT_TYPES = ("LineString", "MultiLineString", "Polygon", "MultiPolygon")


def validate(
    connection: Connection, frame: gpd.GeoDataFrame, unreadable: AbstractSet[int] = frozenset()
) -> list[RowError]:
    """Every error in every row; `unreadable` rows already failed to give a geometry."""
    categories = set(connection.scalars(text("SELECT code FROM categories")))
    codes = checks.text_values(frame, "code")
    return sorted(
        [
            *checks.required(frame, "code"),
            *checks.required(frame, "name"),
            *checks.required(frame, "category"),
            *checks.unique_codes(codes),
            *checks.known(checks.text_values(frame, "category"), "category", categories),
            *checks.geometries(frame, POINT_TYPES + FOOTPRINT_TYPES, skip_rows=unreadable),
            *checks.inside_city(connection, frame, skip_rows=unreadable),
        ]
    )


def upsert(connection: Connection, frame: gpd.GeoDataFrame) -> ImportReport:
    """Insert new codes and update existing ones (by code), in the caller's transaction.

    A point geometry becomes `geom`; a line or polygon becomes the `footprint` and a point
    on its surface the `geom`, so alleys and compounds import with their shapes. A row with
    only a point never erases a shape stored before (CSV files carry no shapes). Area ids
    come with the rows (`placing`, the database's rule); a first load of many points builds
    the table's indexes once, after it, without the per-row area lookup (`bulk`).
    """
    new_units = _ensure_units(connection, checks.text_values(frame, "unit"))
    connection.execute(
        text(
            "CREATE TEMP TABLE point_import (code text, name text, category text, address text, "
            "unit text, props jsonb, geom geometry, footprint geometry, district_id int, "
            "street_id int, community_id int, grid_id int) ON COMMIT DROP"
        )
    )
    copy_frame(connection, "point_import", _staging_rows(frame, stored_areas(connection)))
    outgrown = bulk.outgrows(connection, "points", len(frame))
    with (
        bulk.indexes_and_keys_rebuilt(connection, ["points"], when=outgrown),
        bulk.triggers_off(connection, AREA_TRIGGER, when=outgrown),
    ):
        flags = connection.scalars(text(UPSERT)).all()
    connection.execute(text("DROP TABLE point_import"))
    inserted = sum(flags)
    return ImportReport(inserted, len(flags) - inserted, new_units=new_units)


UPSERT = """
INSERT INTO points AS p (code, name, category, address, unit_code, props, geom, footprint,
                         district_id, street_id, community_id, grid_id)
SELECT s.code, s.name, s.category, nullif(s.address, ''), u.code, s.props, s.geom, s.footprint,
       s.district_id, s.street_id, s.community_id, s.grid_id
  FROM point_import s
  LEFT JOIN units u ON s.unit <> '' AND (u.code = s.unit OR u.name = s.unit)
ON CONFLICT (code) DO UPDATE
   SET name = excluded.name, category = excluded.category, address = excluded.address,
       unit_code = excluded.unit_code, props = excluded.props, geom = excluded.geom,
       footprint = coalesce(excluded.footprint, p.footprint), updated_at = now(),
       version = p.version + 1, district_id = excluded.district_id,
       street_id = excluded.street_id, community_id = excluded.community_id,
       grid_id = excluded.grid_id
RETURNING (xmax = 0)
"""
# The per-row area lookup, paused for a first load (the rows carry the same ids).
AREA_TRIGGER = {"points": ("points_fill_area_ids",)}


def _staging_rows(frame: gpd.GeoDataFrame, areas: Sequence[Area]) -> pd.DataFrame:
    geoms = frame.geometry.to_numpy()
    is_point = shapely.get_type_id(geoms) == 0
    anchor = shapely.point_on_surface(geoms)
    anchor[is_point] = geoms[is_point]
    footprint = geoms.copy()
    footprint[is_point] = None
    located = area_ids(areas, anchor)
    extra = [c for c in frame.columns if c not in (*COLUMNS, *DERIVED, frame.geometry.name)]
    exported = frame["props"] if "props" in frame.columns else pd.Series("", index=frame.index)
    return pd.DataFrame(
        {
            **{c: checks.text_values(frame, c) for c in COLUMNS},
            "props": (
                [
                    json.dumps(_json_object(kept) | _plain(row), ensure_ascii=False)
                    for kept, row in zip(exported, frame[extra].to_dict("records"), strict=True)
                ]
                if extra or "props" in frame.columns
                else "{}"  # nothing beyond the columns: no row to look at
            ),
            "geom": anchor,  # geometries: COPY writes them as EWKB
            "footprint": footprint,
            **{column: located[column].array for column in located.columns},
        }
    )


def _json_object(value: object) -> dict[str, object]:
    """The `props` column of our own export back as a dict: read as an object (GeoJSON) or as
    JSON text (GPKG, CSV); empty when blank; anything else is kept under `props`."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        return {"props": value}
    return parsed if isinstance(parsed, dict) else {"props": parsed}


def _plain(record: dict[str, object]) -> dict[str, object]:
    """Extra columns as JSON-safe values, dropping empty ones.

    A numeric column with blanks is read as floats; whole numbers go back to integers.
    """
    out: dict[str, object] = {}
    for key, value in record.items():
        if value is None or value == "" or (isinstance(value, float) and pd.isna(value)):
            continue
        if hasattr(value, "item"):
            value = value.item()
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out[str(key)] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def _ensure_units(connection: Connection, units: pd.Series) -> list[str]:
    """Create units named in the file that match no unit's code or name (code = name)."""
    wanted = sorted(set(units) - {""})
    if not wanted:
        return []
    return list(
        connection.scalars(
            text(
                "INSERT INTO units (code, name) "
                "SELECT w, w FROM unnest(CAST(:wanted AS text[])) AS w "
                "WHERE NOT EXISTS (SELECT FROM units u WHERE u.code = w OR u.name = w) "
                "RETURNING code"
            ),
            {"wanted": wanted},
        )
    )


def import_points(
    connection: Connection,
    frame: gpd.GeoDataFrame,
    read_errors: list[RowError],
    skip_invalid: bool = False,
) -> ImportReport:
    """Validate then upsert by code; all-or-nothing unless `skip_invalid`."""
    # A point's checks look at its own row only (and at earlier codes, which skipping a row
    # cannot make valid): skipping rows never makes another fail, so one pass decides.
    return run_import(
        connection, frame, read_errors, validate, upsert, skip_invalid, cascades=False
    )
