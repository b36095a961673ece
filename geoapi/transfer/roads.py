"""Import a road network: GIS line files or OpenStreetMap extracts, checked row by row, split
where lines share a vertex (junctions), then written whole and given its pgRouting topology.

An import replaces the network: roads are one graph, and half of an old one joined to half of
a new one would route through junctions that no longer exist.
"""

from collections import Counter
from collections.abc import Set as AbstractSet
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, text

from geoapi.db.copy import copy_frame
from geoapi.patrol.network import CLASS_SPEEDS
from geoapi.patrol.queries import SNAP_GRID_DEG, rebuild_topology
from geoapi.transfer import checks
from geoapi.transfer.importer import ImportReport, run_import
from geoapi.transfer.read import ReadResult, UnreadableFile
from geoapi.transfer.row_errors import RowError
from geoapi.vocabulary import ROAD_CLASSES

LINE_TYPES = ("LineString", "MultiLineString")
ONEWAY_VALUES = {
    "": False,
    "no": False,
    "false": False,
    "0": False,
    "yes": True,
    "true": True,
    "1": True,
    "-1": True,
}  # -1: one-way against the drawing direction (OSM)
MODES = ("walk", "ebike", "car")
# OpenStreetMap highway=* → road class; ways of other highway values are not roads to visit by.
OSM_CLASSES = {
    "trunk": "arterial",
    "primary": "arterial",
    "trunk_link": "arterial",
    "primary_link": "arterial",
    "secondary": "secondary",
    "tertiary": "secondary",
    "secondary_link": "secondary",
    "tertiary_link": "secondary",
    "residential": "local",
    "unclassified": "local",
    "living_street": "local",
    "service": "local",
    "road": "local",
    "pedestrian": "path",
    "footway": "path",
    "path": "path",
    "steps": "path",
    "cycleway": "path",
    "track": "path",
}
OSM_SUFFIXES = (".osm", ".osm.pbf", ".pbf", ".osm.bz2", ".osm.gz")


def is_osm(path: Path) -> bool:
    """True for an OpenStreetMap extract (read with osmium, not GDAL)."""
    return path.name.lower().endswith(OSM_SUFFIXES)


def read_osm(path: Path) -> gpd.GeoDataFrame:
    """The highways of an OpenStreetMap extract as lines with class, name and oneway."""
    import osmium

    rows = []
    for way in (
        osmium.FileProcessor(str(path))
        .with_locations()
        .with_filter(osmium.filter.KeyFilter("highway"))
    ):
        if not isinstance(way, osmium.osm.Way):
            continue
        highway = way.tags.get("highway") or ""
        road_class = "alley" if way.tags.get("service") == "alley" else OSM_CLASSES.get(highway)
        if road_class is None:
            continue
        try:
            coords = [(n.lon, n.lat) for n in way.nodes]
        except osmium.InvalidLocationError:
            continue  # a way cut by the extract's edge
        if len(coords) < 2:
            continue
        rows.append(
            {
                "osm_id": way.id,
                "class": road_class,
                "name": way.tags.get("name", ""),
                "oneway": way.tags.get("oneway", "no"),
                "geometry": shapely.LineString(coords),
            }
        )
    return gpd.GeoDataFrame(
        rows or None,
        columns=["osm_id", "class", "name", "oneway", "geometry"],
        geometry="geometry",
        crs="EPSG:4326",
    )


def read_osm_result(path: Path) -> ReadResult:
    """`read_osm` in the shape `read_file` answers (rows, no reading errors)."""
    try:
        frame = read_osm(path)
    except RuntimeError as exc:  # osmium's refusal of a file it cannot parse
        raise UnreadableFile(f"{path.name}: not a readable OpenStreetMap file ({exc})") from exc
    return ReadResult(frame, [], "EPSG:4326", pd.DataFrame(frame.drop(columns="geometry")))


def validate(
    connection: Connection, frame: gpd.GeoDataFrame, unreadable: AbstractSet[int] = frozenset()
) -> list[RowError]:
    """Lines with a known class (when given), a readable one-way flag and positive speeds."""
    errors = [
        *checks.geometries(frame, LINE_TYPES, skip_rows=unreadable),
        *checks.known(checks.text_values(frame, "class"), "class", ROAD_CLASSES),
        *checks.known(
            checks.text_values(frame, "oneway").str.lower(), "oneway", list(ONEWAY_VALUES)
        ),
    ]
    for mode in MODES:
        column = f"speed_{mode}"
        if column not in frame:
            continue
        given = frame[column].astype("string").fillna("").str.strip()
        speeds = pd.to_numeric(given, errors="coerce")
        for row in np.flatnonzero(given.ne("").to_numpy() & ~(speeds > 0).to_numpy()):
            errors.append(
                RowError(int(row) + 1, column, f"not a positive km/h: {given.iat[row]!r}")
            )
    return sorted(errors)


def segments(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One row per line between junctions: lines are split at every inner vertex that another
    line (or the same one) passes through, as OpenStreetMap and most GIS exports mark
    junctions; classes default to `local`, speeds to the class's, reversed for `oneway=-1`."""
    frame = frame.explode(index_parts=False).reset_index(drop=True)
    oneway = checks.text_values(frame, "oneway").str.lower()
    geoms = [
        shapely.reverse(g) if flag == "-1" else g
        for g, flag in zip(frame.geometry, oneway, strict=True)
    ]
    keys = [np.round(shapely.get_coordinates(g) / SNAP_GRID_DEG).astype(np.int64) for g in geoms]
    uses = Counter(tuple(k) for ks in keys for k in ks)
    pieces = []
    for i, (g, ks) in enumerate(zip(geoms, keys, strict=True)):
        coords = shapely.get_coordinates(g)
        cuts = [0, *[j for j in range(1, len(ks) - 1) if uses[tuple(ks[j])] > 1], len(ks) - 1]
        for a, b in zip(cuts, cuts[1:], strict=False):
            if b > a:
                pieces.append((i, shapely.LineString(coords[a : b + 1])))
    rows = frame.iloc[[i for i, _ in pieces]].reset_index(drop=True)
    out = pd.DataFrame(
        {
            "name": checks.text_values(rows, "name").replace("", None),
            "class": checks.text_values(rows, "class").replace("", "local"),
            "oneway": checks.text_values(rows, "oneway")
            .str.lower()
            .map(ONEWAY_VALUES)
            .fillna(False),
        }
    )
    for k, mode in enumerate(MODES):
        default = out["class"].map(lambda c, k=k: CLASS_SPEEDS[c][k])
        given = (
            pd.to_numeric(rows[f"speed_{mode}"], errors="coerce")
            if f"speed_{mode}" in rows
            else pd.Series(np.nan, index=rows.index)
        )
        out[f"speed_{mode}"] = given.where(given.notna(), default).astype(float)
    return gpd.GeoDataFrame(out, geometry=[g for _, g in pieces], crs="EPSG:4326")


def replace_network(connection: Connection, roads: gpd.GeoDataFrame) -> int:
    """Write `roads` (already split) as the whole network and build its topology."""
    connection.execute(text("TRUNCATE roads, road_nodes RESTART IDENTITY"))
    staging = pd.DataFrame(
        {
            "geom": roads.geometry.to_numpy(),  # geometries: COPY writes them as EWKB
            "name": roads["name"].to_numpy(),
            "class": roads["class"].to_numpy(),
            "oneway": roads["oneway"].to_numpy(),
            **{f"speed_{m}": roads[f"speed_{m}"].to_numpy() for m in MODES},
        }
    )
    connection.execute(
        text(
            "CREATE TEMP TABLE road_import (geom geometry, name text, class text, oneway bool, "
            "speed_walk real, speed_ebike real, speed_car real) ON COMMIT DROP"
        )
    )
    copy_frame(connection, "road_import", staging)
    count = connection.execute(
        text(
            "INSERT INTO roads (geom, name, class, oneway, speed_walk, speed_ebike, speed_car, "
            "length_m) SELECT geom, name, class, oneway, speed_walk, speed_ebike, speed_car, "
            "ST_Length(geom::geography) FROM road_import WHERE ST_Length(geom::geography) > 0"
        )
    ).rowcount
    connection.execute(text("DROP TABLE road_import"))
    rebuild_topology(connection)
    return count


def import_roads(
    connection: Connection,
    frame: gpd.GeoDataFrame,
    read_errors: list[RowError],
    skip_invalid: bool = False,
) -> ImportReport:
    """Check every row, then replace the network; all-or-nothing unless `skip_invalid`."""
    return run_import(
        connection,
        frame,
        read_errors,
        validate,
        lambda c, good: ImportReport(replace_network(c, segments(good)), 0),
        skip_invalid,
    )
