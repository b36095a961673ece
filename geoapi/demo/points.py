"""Inspection points of the demo district, with footprints for alleys and compounds."""

from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely
from numpy.random import Generator

from geoapi.demo.city import DemoArea, km_to_deg, sample_inside
from geoapi.demo.names import CENTER, PLACE_WORDS, STREETS


@dataclass(frozen=True)
class CategoryPlan:
    """How many points of a category one scale unit has, and how they are named."""

    code: str
    count: int
    prefix: str
    suffix: str
    unit: str  # unit code; "street" means the street office of the point's street


# Counts of the order districts report (133 alleys, 321 compounds, 26 markets, 67 toilets,
# 6,000+ parking spaces), ~10,000 points per scale unit.
PLANS = (
    CategoryPlan("market", 26, "MK", "农贸市场", "market_reg"),
    CategoryPlan("back_alley", 133, "BA", "巷", "street"),
    CategoryPlan("old_compound", 321, "OC", "小区", "street"),
    CategoryPlan("parking", 6000, "PK", "停车泊位", "traffic_police"),
    CategoryPlan("public_toilet", 67, "PT", "公厕", "sanitation"),
    CategoryPlan("street_shop", 3200, "SS", "沿街商铺", "market_reg"),
    CategoryPlan("school_surroundings", 41, "SC", "学校周边", "education"),
    CategoryPlan("construction_site", 35, "CS", "建筑工地", "housing"),
    CategoryPlan("station", 102, "ST", "公交站点", "transport"),
    CategoryPlan("practice_station", 75, "PS", "新时代文明实践站", "propaganda"),
)


def _locations(rng: Generator, district: DemoArea, count: int) -> np.ndarray:
    """Points denser towards the centre (old town) and thinning out, all inside the district."""
    kept = np.empty((0, 2))
    shapely.prepare(district.geom)
    while len(kept) < count:
        n = count * 2 + 16
        east, north = rng.normal(0, 2.6, n), rng.normal(0, 2.2, n)
        lon, lat = km_to_deg(east, north)
        inside = shapely.contains_xy(district.geom, lon, lat)
        kept = np.vstack([kept, np.column_stack([lon, lat])[inside]])
    uniform = sample_inside(rng, district.geom, count // 4)
    mixed = np.vstack([kept[: count - len(uniform)], uniform])
    return mixed[rng.permutation(len(mixed))]


def _footprints(rng: Generator, category: str, xy: np.ndarray) -> np.ndarray:
    """Alleys get a bent line through the point, compounds a rotated block around it."""
    n = len(xy)
    if category == "back_alley":
        length = rng.uniform(0.08, 0.35, n)  # km
        angle = rng.uniform(0, np.pi, n)
        # The middle vertex is the point itself; both ends bend to one side.
        along = np.array([-0.5, 0.0, 0.5]) * length[:, None]
        across = np.array([1.0, 0.0, 1.0]) * (rng.normal(0, 0.15, n) * length)[:, None]
        cos, sin = np.cos(angle)[:, None], np.sin(angle)[:, None]
        lon, lat = _offset(xy, along * cos - across * sin, along * sin + across * cos)
        return shapely.linestrings(np.stack([lon, lat], axis=-1))
    if category == "old_compound":
        w, h = rng.uniform(0.08, 0.25, n), rng.uniform(0.06, 0.2, n)
        angle = rng.uniform(0, np.pi / 2, n)
        corners = np.array([[-1, -1], [1, -1], [1, 1], [-1, 1], [-1, -1]]) / 2
        ce, cn = corners[:, 0] * w[:, None], corners[:, 1] * h[:, None]
        de = ce * np.cos(angle)[:, None] - cn * np.sin(angle)[:, None]
        dn = ce * np.sin(angle)[:, None] + cn * np.cos(angle)[:, None]
        lon, lat = _offset(xy, de, dn)
        return shapely.polygons(np.stack([lon, lat], axis=-1))
    return np.full(n, None, dtype=object)


def _offset(xy: np.ndarray, de: np.ndarray, dn: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lon0, lat0 = CENTER
    lon, lat = km_to_deg(de, dn)
    return xy[:, :1] + (lon - lon0), xy[:, 1:] + (lat - lat0)


def _street_of(streets: list[DemoArea], xy: np.ndarray) -> np.ndarray:
    """Index of the street containing each point (-1 for none: only on shared edges)."""
    index = np.full(len(xy), -1)
    for i, street in enumerate(streets):
        index[shapely.contains_xy(street.geom, xy[:, 0], xy[:, 1])] = i
    return index


def build_points(rng: Generator, areas: list[DemoArea], scale: float) -> pd.DataFrame:
    """Point rows in compact form (id, category, lon, lat, footprint, unit_code, street and
    the parts of their code, name and address): `point_rows` spells them out, a chunk at a
    time as they are copied in (a million points spelt out at once hold 0.5 GB)."""
    district = areas[0]
    streets = [a for a in areas if a.level == "street"]
    frames = []
    for plan in PLANS:
        count = max(1, round(plan.count * scale))
        xy = _locations(rng, district, count)
        footprint = _footprints(rng, plan.code, xy)
        street = np.maximum(_street_of(streets, xy), 0)
        word = rng.integers(0, len(PLACE_WORDS), count).astype(np.int16)
        frames.append(
            pd.DataFrame(
                {
                    "category": plan.code,
                    "lon": xy[:, 0],
                    "lat": xy[:, 1],
                    "footprint": footprint,
                    "unit_code": [f"street_{s + 1:02d}" for s in street]
                    if plan.unit == "street"
                    else plan.unit,
                    "street": street,
                    "seq": np.arange(1, count + 1, dtype=np.int32),
                    "word": word,
                    "house": rng.integers(1, 300, count).astype(np.int16),
                }
            )
        )
    points = pd.concat(frames, ignore_index=True)
    points.insert(0, "id", np.arange(1, len(points) + 1))
    return points


PARTS = ["lon", "lat", "street", "seq", "word", "house"]
PLAN_OF = {plan.code: plan for plan in PLANS}


def point_rows(points: pd.DataFrame) -> pd.DataFrame:
    """The table's columns of compact `points` (`build_points`): code, name, address and
    geometry spelt out, the parts they were made of dropped."""
    plans = [PLAN_OF[c] for c in points["category"]]
    words = np.array(PLACE_WORDS)[points["word"].to_numpy()]
    street_names = np.array(STREETS)[points["street"].to_numpy()]
    seqs, houses = points["seq"].to_numpy(), points["house"].to_numpy()
    return points.drop(columns=PARTS).assign(
        code=[f"{p.prefix}-{i:07d}" for p, i in zip(plans, seqs, strict=True)],
        name=point_names(points),
        address=[f"{s}街道{w}路{n}号" for s, w, n in zip(street_names, words, houses, strict=True)],
        geom=shapely.points(points["lon"].to_numpy(), points["lat"].to_numpy()),
    )


def point_names(points: pd.DataFrame) -> list[str]:
    """The names of compact `points`: the place word and the category's suffix, numbered
    along the road for the many small ones (parking spaces, shops)."""
    words = np.array(PLACE_WORDS)[points["word"].to_numpy()]
    return [
        f"{w}{p.suffix}" if p.count < 500 else f"{w}路{i}号{p.suffix}"
        for p, w, i in zip(
            (PLAN_OF[c] for c in points["category"]), words, points["seq"].to_numpy(), strict=True
        )
    ]
