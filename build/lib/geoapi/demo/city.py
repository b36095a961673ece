"""Area polygons of the demo district: district → streets → communities → grids (Voronoi)."""

from dataclasses import dataclass

import numpy as np
import shapely
from numpy.random import Generator
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geoapi.demo.names import CENTER, COMMUNITY_WORDS, DISTRICT, STREETS

KM_PER_DEG_LAT = 111.32
COMMUNITIES_PER_STREET = 6
GRIDS_PER_COMMUNITY = 4


@dataclass(frozen=True)
class DemoArea:
    """One area row, with its geometry in lon/lat."""

    id: int
    level: str
    code: str
    name: str
    parent_id: int | None
    geom: MultiPolygon


def km_to_deg(km_east: np.ndarray, km_north: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Offsets in km around the district's centre → lon/lat (equirectangular, fine at 10 km)."""
    lon0, lat0 = CENTER
    lon = lon0 + km_east / (KM_PER_DEG_LAT * np.cos(np.radians(lat0)))
    return lon, lat0 + km_north / KM_PER_DEG_LAT


def _outline(rng: Generator) -> Polygon:
    """A lumpy ellipse about 12 × 10 km, so the district does not look like a box."""
    angles = np.linspace(0, 2 * np.pi, 48, endpoint=False)
    radius = 1 + 0.08 * np.sin(3 * angles + rng.uniform(0, 6)) + rng.normal(0, 0.025, angles.size)
    lon, lat = km_to_deg(6.0 * radius * np.cos(angles), 5.0 * radius * np.sin(angles))
    return shapely.make_valid(Polygon(np.column_stack([lon, lat])))


def sample_inside(rng: Generator, area: BaseGeometry, count: int) -> np.ndarray:
    """`count` uniform random lon/lat pairs inside `area` (rejection sampling)."""
    west, south, east, north = area.bounds
    shapely.prepare(area)
    found = np.empty((0, 2))
    while len(found) < count:
        xy = rng.uniform((west, south), (east, north), size=(max(count, 16) * 2, 2))
        found = np.vstack([found, xy[shapely.contains_xy(area, xy[:, 0], xy[:, 1])]])
    return found[:count]


def _as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    parts = shapely.get_parts(shapely.make_valid(geom))
    polygons = [p for p in parts if p.geom_type == "Polygon" and p.area > 0]
    polygons += [q for p in parts if p.geom_type == "MultiPolygon" for q in p.geoms]
    return MultiPolygon(polygons)


def _split(rng: Generator, parent: BaseGeometry, pieces: int) -> list[MultiPolygon]:
    """Split `parent` into `pieces` Voronoi cells seeded inside it, ordered west to east."""
    seeds = sample_inside(rng, parent, pieces)
    seeds = seeds[np.lexsort((seeds[:, 1], np.round(seeds[:, 0], 2)))]
    cells = shapely.voronoi_polygons(
        shapely.multipoints(seeds), extend_to=parent.envelope.buffer(0.01), ordered=True
    )
    return [_as_multipolygon(cell.intersection(parent)) for cell in cells.geoms]


def build_areas(rng: Generator) -> list[DemoArea]:
    """All areas of the district, parents before children, ids from 1."""
    district_code, district_name = DISTRICT
    outline = _outline(rng)
    areas = [DemoArea(1, "district", district_code, district_name, None, MultiPolygon([outline]))]
    for s, street_geom in enumerate(_split(rng, outline, len(STREETS)), start=1):
        street = DemoArea(
            len(areas) + 1,
            "street",
            f"{district_code}{s:03d}",
            f"{STREETS[s - 1]}街道",
            1,
            street_geom,
        )
        areas.append(street)
        for c, community_geom in enumerate(_split(rng, street_geom, COMMUNITIES_PER_STREET), 1):
            word = COMMUNITY_WORDS[(s * 7 + c * 3) % len(COMMUNITY_WORDS)]
            community = DemoArea(
                len(areas) + 1,
                "community",
                f"{street.code}{c:03d}",
                f"{STREETS[s - 1]}{word}社区",
                street.id,
                community_geom,
            )
            areas.append(community)
            for g, grid_geom in enumerate(_split(rng, community_geom, GRIDS_PER_COMMUNITY), 1):
                areas.append(
                    DemoArea(
                        len(areas) + 1,
                        "grid",
                        f"{community.code}{g:03d}",
                        f"{community.name}第{g}网格",
                        community.id,
                        grid_geom,
                    )
                )
    return areas
