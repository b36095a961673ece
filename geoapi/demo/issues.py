"""Problems of the demo district and their event histories, simulated through the closed loop."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from numpy.random import Generator
from pandas.api.types import union_categoricals

from geoapi.demo.city import DemoArea, km_to_deg, sample_inside
from geoapi.demo.names import CENTER
from geoapi.demo.points import point_names
from geoapi.issues.states import Status, next_status
from geoapi.reference.model import Reference
from geoapi.vocabulary import ISSUE_SOURCES

DAY = 86_400.0
ISSUES_PER_SCALE = 3_000
HISTORY_DAYS = 120
SOURCE_WEIGHTS = (0.35, 0.25, 0.15, 0.15, 0.05, 0.05)  # order of ISSUE_SOURCES
# The demo city's units by problem type (a type it does not list: the type's default unit,
# else city management); loaded as the types' default units where they have none.
FALLBACK_UNIT = "urban_mgmt"
UNIT_BY_TYPE = {
    "street_vending": "urban_mgmt",
    "clutter": "urban_mgmt",
    "illegal_building": "urban_mgmt",
    "illegal_ads": "urban_mgmt",
    "shop_sign": "urban_mgmt",
    "illegal_parking": "traffic_police",
    "garbage": "sanitation",
    "sewage": "water",
    "green_damage": "landscape",
    "public_ad_damage": "propaganda",
    "damaged_facility": "housing",
    "flying_wire_charging": "street",
}
OFFICE = "区创城办"


REPORTERS = {  # who reports, by source: the n-th problem's reporter is names[n % len(names)]
    "inspection": [f"督导员{k:02d}" for k in range(40)],
    "grid_worker": [f"网格员{k:03d}" for k in range(200)],
    "citizen": ["市民随手拍"],
    "camera": [f"AI监控{k:02d}" for k in range(60)],
    "undercover": ["暗访组"],
    "hotline": ["12345热线"],
}
REWORKS = 3  # rounds of rectification before a problem is closed regardless


def _reporters(sources: np.ndarray) -> np.ndarray:
    """Each problem's reporter, from its source and its place in the list."""
    names = np.empty(len(sources), dtype=object)
    seq = np.arange(len(sources))
    for source, listed in REPORTERS.items():
        taken = sources == source
        names[taken] = np.array(listed, dtype=object)[seq[taken] % len(listed)]
    return names


@dataclass(frozen=True)
class Step:
    """One move of the loop, by the problems at `rows`: its history columns, each one value
    for all of them or one per problem (arrays over `rows`)."""

    rows: np.ndarray
    columns: dict[str, Any]


@dataclass
class Loops:
    """Every problem's simulated closed loop, column-wise: the steps taken, in order, and
    where each problem ended."""

    count: int
    steps: list[Step] = field(default_factory=list)
    status: np.ndarray = field(init=False)
    deadline: np.ndarray = field(init=False)
    dispatched_at: np.ndarray = field(init=False)
    rectified_at: np.ndarray = field(init=False)
    closed_at: np.ndarray = field(init=False)
    version: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.status = np.full(self.count, None, dtype=object)
        for name in ("deadline", "dispatched_at", "rectified_at", "closed_at"):
            setattr(self, name, np.full(self.count, np.nan))
        self.version = np.zeros(self.count, dtype=np.int64)

    def step(
        self,
        taken: np.ndarray,
        at: np.ndarray,
        actor: object,
        action: str,
        before: Status | None,
        note: object = None,
        deadline: np.ndarray | None = None,
    ) -> None:
        """The problems `taken` (a mask) take `action` at `at`, moving from `before` by the
        state machine's rules (an illegal move raises); `deadline`: the one the step sets.
        `actor`, `note`: one for all, or one per problem."""
        after = next_status(before, action) if before else Status.REPORTED
        rows = np.flatnonzero(taken)
        values = {"actor": actor, "action": action, "from_status": before}
        values |= {"to_status": after, "note": note}
        columns = {k: v[rows] if isinstance(v, np.ndarray) else v for k, v in values.items()}
        columns["at"] = at[rows]
        columns["deadline"] = np.full(len(rows), np.nan) if deadline is None else deadline[rows]
        self.steps.append(Step(rows, columns))
        self.status[rows] = after
        self.version[rows] += 1
        if deadline is not None:
            self.deadline[rows] = deadline[rows]

    def events(self, ids: list[str]) -> pd.DataFrame:
        """The steps as history rows, each problem's in the order they were taken; the text
        columns as categories (a few hundred values over a million rows)."""
        problem = np.concatenate([step.rows for step in self.steps])
        taken = np.repeat(np.arange(len(self.steps)), [len(step.rows) for step in self.steps])
        order = np.lexsort((taken, problem))
        columns: dict[str, Any] = {"issue_id": np.asarray(ids, dtype=object)[problem[order]]}
        for name in EVENT_COLUMNS[1:]:
            parts = [step.columns[name] for step in self.steps]
            if name in ("at", "deadline"):
                columns[name] = _times(np.concatenate(parts)[order])
            else:
                columns[name] = union_categoricals(
                    [
                        _categories(part, len(step.rows))
                        for part, step in zip(parts, self.steps, strict=True)
                    ]
                ).take(order)
        return pd.DataFrame(columns)


EVENT_COLUMNS = [
    "issue_id",
    "at",
    "actor",
    "action",
    "from_status",
    "to_status",
    "note",
    "deadline",
]


def _categories(value: object, count: int) -> pd.Categorical:
    """`value` (one for all `count` rows, none, or an array of them) as text categories."""
    if isinstance(value, np.ndarray):
        return pd.Categorical(value.astype(str))
    codes = np.full(count, -1 if value is None else 0, dtype=np.int8)
    texts = [] if value is None else [str(value)]
    return pd.Categorical.from_codes(codes, categories=pd.Index(texts, dtype="str"))


def simulate(
    rng: Generator,
    reported: np.ndarray,
    days: np.ndarray,
    units: np.ndarray,
    sources: np.ndarray,
    as_of: float,
) -> Loops:
    """Walk every problem (`days` to rectify) through report → dispatch → rectify → verify,
    all at once, each stopping at `as_of`: 4 % are rejected; a third of units miss the
    deadline, some by weeks; 15 % of rectifications fail verification and are reworked."""
    count = len(reported)
    loops = Loops(count)
    every = np.ones(count, dtype=bool)
    loops.step(every, reported, _reporters(sources), "report", None)
    t = reported + rng.uniform(0.05, 1.0, count) * DAY
    rejected = rng.random(count) < 0.04
    loops.step(rejected & (t <= as_of), t, OFFICE, "reject", Status.REPORTED, "经核实不属于问题")
    going = ~rejected
    start_gap = rng.uniform(0.05, 0.6, (REWORKS, count))
    late = rng.random((REWORKS, count)) < 0.33
    pace = np.where(
        late, rng.uniform(1.1, 6.0, (REWORKS, count)), rng.uniform(0.2, 0.95, (REWORKS, count))
    )
    verify_gap = rng.uniform(0.2, 2.0, (REWORKS, count))
    passes = rng.random((REWORKS, count)) < 0.85
    first_note = pd.Series(days).map(lambda d: f"限{d}天内整改").to_numpy(dtype=object)
    for rework in range(REWORKS):
        going = going & (t <= as_of)
        if rework == 0:
            loops.step(going, t, OFFICE, "dispatch", Status.REPORTED, first_note, t + days * DAY)
            loops.dispatched_at[going] = t[going]
        else:
            loops.step(
                going,
                t,
                "复查组",
                "reopen",
                Status.RECTIFIED,
                "复查未通过，返工整改",
                t + days * DAY,
            )
        t = t + start_gap[rework] * DAY
        going = going & (t <= as_of)
        loops.step(going, t, units, "start", Status.DISPATCHED)
        t = t + days * DAY * pace[rework]
        going = going & (t <= as_of)
        loops.step(going, t, units, "rectify", Status.RECTIFYING, "已整改，附整改后照片")
        loops.rectified_at[going] = t[going]
        t = t + verify_gap[rework] * DAY
        going = going & (t <= as_of)
        closing = going & (passes[rework] | (rework == REWORKS - 1))
        loops.step(closing, t, "复查组", "close", Status.RECTIFIED, "复查合格，销号")
        loops.closed_at[closing] = t[closing]
        going = going & ~closing
    return loops


def _daytime_report_times(rng: Generator, count: int, as_of: float) -> np.ndarray:
    """Report times over the last HISTORY_DAYS, during working hours (UTC+8 07:30–19:00)."""
    # Campaigns intensify towards assessment time: more reports in recent weeks.
    ago = np.minimum(np.floor(rng.exponential(35.0, count)), HISTORY_DAYS - 1)
    day = np.floor(as_of / DAY) - ago
    hour_local = rng.uniform(7.5, 19.0, count)
    times = day * DAY + (hour_local - 8) * 3600
    return np.minimum(times, as_of - 60)


def _jitter(rng: Generator, district: DemoArea, xy: np.ndarray, metres: float) -> np.ndarray:
    lon, lat = km_to_deg(
        rng.normal(0, metres / 1000, len(xy)), rng.normal(0, metres / 1000, len(xy))
    )
    moved = xy + np.column_stack([lon - CENTER[0], lat - CENTER[1]])
    inside = shapely.contains_xy(district.geom, moved[:, 0], moved[:, 1])
    return np.where(inside[:, None], moved, xy)


@dataclass(frozen=True)
class DemoIssues:
    """Issue rows and their event rows."""

    issues: pd.DataFrame
    events: pd.DataFrame


@dataclass(frozen=True)
class _Placement:
    """Where each issue is, what it is, which point and unit it belongs to."""

    xy: np.ndarray
    types: list[str]
    point_ids: list[int | None]
    units: list[str]
    descriptions: list[str]


def unit_for(reference: Reference, kind: str) -> str:
    """The demo unit that rectifies problems of `kind`."""
    return UNIT_BY_TYPE.get(kind) or reference.issue_types[kind].default_unit or FALLBACK_UNIT


def _place(
    rng: Generator,
    areas: list[DemoArea],
    points: pd.DataFrame,
    count: int,
    reference: Reference,
) -> _Placement:
    """70 % of issues at a point (a type that occurs at its category), the rest anywhere."""
    at_point = rng.random(count) < 0.7
    category = points["category"]
    weight = np.where(category.eq("parking"), 0.2, np.where(category.eq("street_shop"), 1.0, 3.0))
    point_index = rng.choice(len(points), size=count, p=weight / weight.sum())
    xy = sample_inside(rng, areas[0].geom, count)
    placement = _Placement(xy, [], [], [], [])
    street_offices = points["unit_code"].where(points["unit_code"].str.startswith("street_"))
    # Columns as arrays: one lookup per issue instead of a row object (300,000 at scale 100).
    ids, lon, lat = points["id"].to_numpy(), points["lon"].to_numpy(), points["lat"].to_numpy()
    categories, units = category.to_numpy(), points["unit_code"].to_numpy()
    offices = street_offices.to_numpy()
    kinds = _pick_types(rng, reference, categories[point_index], at_point)
    names = point_names(points.iloc[point_index])  # of each problem's drawn point
    for i in range(count):
        at, kind = point_index[i], kinds[i]
        if at_point[i]:
            xy[i] = (lon[at], lat[at])
            own_office = units[at].startswith("street_")
            unit = units[at] if own_office else unit_for(reference, kind)
            placement.point_ids.append(int(ids[at]))
            placement.descriptions.append(f"{names[i]}：{reference.issue_types[kind].name_zh}")
        else:
            unit = unit_for(reference, kind)
            placement.point_ids.append(None)
            name = reference.issue_types[kind].name_zh
            placement.descriptions.append(f"{name}（巡查发现，无对应点位）")
        if unit == "street":  # the street office nearest the sampled point
            nearest = offices[at]
            unit = nearest if isinstance(nearest, str) else "street_01"
        placement.types.append(kind)
        placement.units.append(unit)
    placement.xy[:] = np.where(at_point[:, None], _jitter(rng, areas[0], xy, 12.0), xy)
    return placement


def _pick_types(
    rng: Generator, reference: Reference, categories: np.ndarray, at_point: np.ndarray
) -> list[str]:
    """Each problem's type: one found at its point's category, or any type when it is not at
    a point; drawn for all at once, the draws `rng.choice` would make one problem at a time."""
    anywhere = tuple(reference.issue_types)
    options = [
        reference.types_at(category) if placed else anywhere
        for category, placed in zip(categories, at_point, strict=True)
    ]
    picks = rng.integers(0, np.array([len(o) for o in options], dtype=np.int64))
    return [o[p] for o, p in zip(options, picks, strict=True)]


def build_issues(
    rng: Generator,
    areas: list[DemoArea],
    points: pd.DataFrame,
    scale: float,
    as_of: datetime,
    reference: Reference,
) -> DemoIssues:
    """Issues at or near points (70 %) or anywhere in the district, with full histories."""
    end = as_of.timestamp()
    count = max(1, round(ISSUES_PER_SCALE * scale))
    place = _place(rng, areas, points, count, reference)
    sources = rng.choice(np.array(ISSUE_SOURCES), size=count, p=SOURCE_WEIGHTS)
    reported = _daytime_report_times(rng, count, end)
    ids = _uuids(rng, count)
    days = np.array([reference.issue_types[kind].deadline_days for kind in place.types])
    units = np.asarray(place.units, dtype=object)
    loops = simulate(rng, reported, days, units, sources, end)
    dispatched = ~np.isnan(loops.dispatched_at)
    issues = pd.DataFrame(
        {
            "id": ids,
            "point_id": pd.array(place.point_ids, dtype="Int64"),
            "geom": shapely.points(place.xy),
            "type": place.types,
            "severity": rng.choice([1, 2, 3], size=count, p=[0.5, 0.35, 0.15]),
            "source": sources,
            "confidence": np.where(
                sources == "camera", np.round(rng.uniform(0.6, 0.99, count), 2), np.nan
            ),
            "status": loops.status,
            "description": place.descriptions,
            "unit_code": pd.Series(units).where(dispatched),
            "deadline": _times(loops.deadline),
            "reported_at": _times(reported),
            "dispatched_at": _times(loops.dispatched_at),
            "rectified_at": _times(loops.rectified_at),
            "closed_at": _times(loops.closed_at),
            "version": loops.version,
        }
    )
    events = loops.events(ids)
    return DemoIssues(issues, events)


def _uuids(rng: Generator, count: int) -> list[str]:
    """`count` version-4 UUIDs from `rng`: the ones `uuid.UUID(bytes=rng.bytes(16),
    version=4)` gives one by one, set and spelt for all at once (4.6 s to 0.2 s for 300,000)."""
    raw = np.frombuffer(rng.bytes(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    digits = raw.tobytes().hex()
    return [
        f"{digits[i : i + 8]}-{digits[i + 8 : i + 12]}-{digits[i + 12 : i + 16]}-"
        f"{digits[i + 16 : i + 20]}-{digits[i + 20 : i + 32]}"
        for i in range(0, 32 * count, 32)
    ]


def _times(seconds: object) -> pd.Series:
    """Epoch seconds (None allowed) → UTC timestamps, whole seconds."""
    values = pd.to_numeric(pd.Series(seconds, dtype="float64")).round()
    return pd.to_datetime(values, unit="s", utc=True)
