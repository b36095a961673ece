"""Problems of the demo district and their event histories, simulated through the closed loop."""

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import shapely
from numpy.random import Generator

from geoapi.demo.city import DemoArea, km_to_deg, sample_inside
from geoapi.demo.names import CENTER
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


@dataclass
class Lifecycle:
    """Where one issue's simulated loop ended, and the events on the way."""

    status: Status = Status.REPORTED
    deadline: float | None = None
    dispatched_at: float | None = None
    rectified_at: float | None = None
    closed_at: float | None = None
    events: list[tuple[float, str, str, str | None, str, str | None, float | None]] = field(
        default_factory=list
    )

    def step(
        self,
        at: float,
        actor: str,
        action: str,
        note: str | None = None,
        deadline: float | None = None,
    ) -> None:
        """Take `action` by the state machine's rules (an illegal one raises); `deadline`:
        the one the step set, kept in the history."""
        before, self.status = self.status, next_status(self.status, action)
        self.events.append((at, actor, action, before, self.status, note, deadline))


def _reporter(source: str, n: int) -> str:
    return {
        "inspection": f"督导员{n % 40:02d}",
        "grid_worker": f"网格员{n % 200:03d}",
        "citizen": "市民随手拍",
        "camera": f"AI监控{n % 60:02d}",
        "undercover": "暗访组",
        "hotline": "12345热线",
    }[source]


def simulate(
    rng: Generator, reported: float, days: int, unit: str, source: str, seq: int, as_of: float
) -> Lifecycle:
    """Walk one issue (`days` to rectify) through report → dispatch → rectify → verify,
    stopping at `as_of`."""
    life = Lifecycle()
    life.events.append((reported, _reporter(source, seq), "report", None, life.status, None, None))
    t = reported + rng.uniform(0.05, 1.0) * DAY
    if rng.random() < 0.04:
        if t <= as_of:
            life.step(t, OFFICE, "reject", "经核实不属于问题")
        return life
    action = "dispatch"
    for rework in range(3):
        if t > as_of:
            return life
        life.dispatched_at = life.dispatched_at or t
        life.deadline = t + days * DAY
        note = f"限{days}天内整改" if rework == 0 else "复查未通过，返工整改"
        life.step(t, OFFICE if rework == 0 else "复查组", action, note, life.deadline)
        t += rng.uniform(0.05, 0.6) * DAY
        if t > as_of:
            return life
        life.step(t, unit, "start")
        pace = rng.random()  # a third of units miss the deadline, some by weeks
        t += days * DAY * (rng.uniform(1.1, 6.0) if pace < 0.33 else rng.uniform(0.2, 0.95))
        if t > as_of:
            return life
        life.rectified_at = t
        life.step(t, unit, "rectify", "已整改，附整改后照片")
        t += rng.uniform(0.2, 2.0) * DAY
        if t > as_of:
            return life
        if rng.random() < 0.85 or rework == 2:
            life.closed_at = t
            life.step(t, "复查组", "close", "复查合格，销号")
            return life
        action = "reopen"
    return life


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
    ids, names = points["id"].to_numpy(), points["name"].to_numpy()
    categories, units = category.to_numpy(), points["unit_code"].to_numpy()
    offices = street_offices.to_numpy()
    lon, lat = shapely.get_x(points["geom"].to_numpy()), shapely.get_y(points["geom"].to_numpy())
    kinds = _pick_types(rng, reference, categories[point_index], at_point)
    for i in range(count):
        at, kind = point_index[i], kinds[i]
        if at_point[i]:
            xy[i] = (lon[at], lat[at])
            own_office = units[at].startswith("street_")
            unit = units[at] if own_office else unit_for(reference, kind)
            placement.point_ids.append(int(ids[at]))
            placement.descriptions.append(f"{names[at]}：{reference.issue_types[kind].name_zh}")
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
    lives = [
        simulate(
            rng,
            reported[i],
            reference.issue_types[place.types[i]].deadline_days,
            place.units[i],
            sources[i],
            i,
            end,
        )
        for i in range(count)
    ]
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
            "status": [life.status for life in lives],
            "description": place.descriptions,
            "unit_code": [
                u if life.dispatched_at else None
                for u, life in zip(place.units, lives, strict=True)
            ],
            "deadline": _times([life.deadline for life in lives]),
            "reported_at": _times(reported),
            "dispatched_at": _times([life.dispatched_at for life in lives]),
            "rectified_at": _times([life.rectified_at for life in lives]),
            "closed_at": _times([life.closed_at for life in lives]),
            "version": [len(life.events) for life in lives],
        }
    )
    events = pd.DataFrame(
        [
            (issue_id, *event)
            for issue_id, life in zip(ids, lives, strict=True)
            for event in life.events
        ],
        columns=[
            "issue_id",
            "at",
            "actor",
            "action",
            "from_status",
            "to_status",
            "note",
            "deadline",
        ],
    )
    events["at"] = _times(events["at"])
    events["deadline"] = _times(events["deadline"])
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
