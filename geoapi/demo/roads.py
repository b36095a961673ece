"""The demo district's road network: arterials along the street boundaries, a local grid
every 400 m (some one-way), and every back alley's own line joined to its nearest junctions."""

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoapi.demo.city import DemoArea, km_to_deg
from geoapi.demo.points import point_names

GRID_KM = 0.4
HALF_SPAN_KM = 8.0  # the district is about 12 × 10 km around its centre


def _grid(outline: shapely.Geometry) -> tuple[list[shapely.LineString], list[str]]:
    """Local roads, clipped to the district; every third north–south one is one-way."""
    steps = np.arange(-HALF_SPAN_KM, HALF_SPAN_KM + GRID_KM / 2, GRID_KM)
    lines, oneway = [], []
    for k, at in enumerate(steps):
        for east, north, flag in (
            (
                [at, at],
                [-HALF_SPAN_KM, HALF_SPAN_KM],
                ("yes" if k % 6 == 1 else "-1") if k % 3 == 1 else "no",
            ),
            ([-HALF_SPAN_KM, HALF_SPAN_KM], [at, at], "no"),
        ):
            lon, lat = km_to_deg(np.array(east), np.array(north))
            clipped = shapely.intersection(shapely.LineString(np.column_stack([lon, lat])), outline)
            for part in shapely.get_parts(clipped):
                if part.geom_type == "LineString" and not part.is_empty:
                    lines.append(part)
                    oneway.append(flag)
    return lines, oneway


def build_roads(areas: list[DemoArea], points: pd.DataFrame) -> gpd.GeoDataFrame:
    """Lines with name, class and oneway, meeting at shared vertices (as `import roads` reads)."""
    outline = areas[0].geom
    streets = [a for a in areas if a.level == "street"]
    boundaries = shapely.line_merge(
        shapely.unary_union([shapely.boundary(s.geom) for s in streets])
    )
    grid, grid_oneway = _grid(outline)
    arterial_parts = list(shapely.get_parts(boundaries))
    noded = shapely.get_parts(shapely.unary_union([*arterial_parts, *grid]))
    arterial_index = shapely.STRtree(arterial_parts)
    rows = []
    for line in noded:
        middle = line.interpolate(0.5, normalized=True)
        on_arterial = arterial_index.query(middle.buffer(1e-7), predicate="intersects").size > 0
        rows.append({"class": "arterial" if on_arterial else "local", "geometry": line})
    frame = gpd.GeoDataFrame(rows, crs="EPSG:4326")
    frame["oneway"] = "no"
    grid_index = shapely.STRtree(grid)
    locals_ = frame["class"].eq("local")
    for i in np.flatnonzero(locals_.to_numpy()):
        line = frame.geometry.iat[i]
        source = grid_index.query(
            line.interpolate(0.5, normalized=True), predicate="dwithin", distance=1e-7
        )
        if source.size:
            frame.loc[frame.index[i], "oneway"] = grid_oneway[int(source[0])]
    frame["name"] = None
    return pd.concat([frame, _alleys(frame, points)], ignore_index=True)


def _alleys(roads: gpd.GeoDataFrame, points: pd.DataFrame) -> gpd.GeoDataFrame:
    """Each back alley's line, and a connector from each of its ends to the nearest junction."""
    alleys = points[points["category"].eq("back_alley") & points["footprint"].notna()]
    junctions = np.unique(
        np.vstack([shapely.get_coordinates(shapely.boundary(g)) for g in roads.geometry]), axis=0
    )
    tree = shapely.STRtree(shapely.points(junctions))
    lines = list(alleys["footprint"])
    ends = (
        np.vstack([shapely.get_coordinates(g)[[0, -1]] for g in lines])
        if lines
        else np.empty((0, 2))
    )
    nearest = tree.nearest(shapely.points(ends)) if len(ends) else []
    connectors = [
        shapely.LineString([end, junctions[j]]) for end, j in zip(ends, nearest, strict=True)
    ]
    return gpd.GeoDataFrame(
        {
            "class": ["alley"] * len(lines) + ["connector"] * len(connectors),
            "name": point_names(alleys) + [None] * len(connectors),
            "oneway": "no",
        },
        geometry=lines + connectors,
        crs="EPSG:4326",
    )
