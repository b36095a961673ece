"""Write a generated demo city into PostGIS with COPY, showing progress."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text

from geoapi.db import bulk, partitions
from geoapi.db.copy import copy_frame
from geoapi.demo import cards, responsibility
from geoapi.demo.generate import DemoCity
from geoapi.demo.inspections import inspection_rows
from geoapi.demo.issues import UNIT_BY_TYPE
from geoapi.demo.points import point_rows
from geoapi.placing import area_ids
from geoapi.stats import rollup
from geoapi.transfer.roads import replace_network, segments

# Children first for TRUNCATE, parents first for COPY.
TABLES = (
    "route_stops",
    "routes",
    "roads",
    "road_nodes",
    "escalation_replies",
    "escalations",
    "notice_events",
    "notice_issues",
    "notices",
    "photo_hashes",
    "responsibilities",
    "open311_deliveries",
    "issue_events",
    "issue_daily",
    "issue_daily_by_street",
    "inspection_daily",
    "inspections",
    "issues",
    "sessions",
    "sign_in_links",
    "open311_webhooks",
    "api_keys",
    "users",
    "teams",
    "points",
    "units",
    "analytics.scopes",
    "areas",
)
# Paused while the history is copied in: the plan carries the area ids, and a loaded history
# notifies no citizens' app of changes long past.
PAUSED_TRIGGERS = {
    "points": ("points_fill_area_ids",),
    "issues": ("issues_fill_area_ids",),
    "issue_events": ("issue_events_open311",),
}
BULK_TABLES = ["points", "issues", "issue_events", "inspections"]  # the big ones, loaded empty
VACUUM_SESSIONS = 2  # the database works on one table per session
SEQUENCED = ("areas", "points", "teams", "issue_events", "inspections")


@dataclass(frozen=True)
class TableRows:
    """One table's rows for COPY: `frame`, whose chunks `spell` turns into the table's columns
    as they are copied in (a compact frame need not be spelt out whole; none: as they are)."""

    table: str
    frame: pd.DataFrame
    spell: Callable[[pd.DataFrame], pd.DataFrame] | None = None


@dataclass(frozen=True)
class LoadPlan:
    """Each table's rows, in load order, ready for COPY."""

    tables: list[TableRows]
    roads: gpd.GeoDataFrame  # written by the road import, which also builds the topology

    @property
    def total_rows(self) -> int:
        """Rows over all tables, for a progress bar."""
        return sum(len(rows.frame) for rows in self.tables)


def plan(city: DemoCity) -> LoadPlan:
    """Turn generated frames into table-shaped frames: the area ids of each location added,
    nothing copied (geometries become text as they are copied in, chunk by chunk)."""
    areas = pd.DataFrame([vars(a) for a in city.areas])
    areas["parent_id"] = areas["parent_id"].astype("Int64")
    points = _with_area_ids(city.points, city, city.points[["lon", "lat"]].to_numpy())
    issues = _with_area_ids(city.issues, city, city.issues["geom"].to_numpy())
    # What the derive would set, written with the row instead of updated after it.
    issues["category"] = issues["point_id"].map(points.set_index("id")["category"])
    return LoadPlan(
        [
            TableRows("areas", areas),
            TableRows("units", city.units),
            TableRows("teams", city.teams),
            TableRows("points", points, point_rows),
            TableRows("issues", issues),
            TableRows("issue_events", city.events),
            TableRows("inspections", city.inspections, inspection_rows),
        ],
        city.roads,
    )


def _with_area_ids(frame: pd.DataFrame, city: DemoCity, locations: np.ndarray) -> pd.DataFrame:
    located = area_ids(city.areas, locations, frame.index)
    return pd.concat([frame.drop(columns=located.columns, errors="ignore"), located], axis=1)


def has_data(connection: Connection) -> bool:
    """True when any point or area is already stored."""
    return bool(
        connection.scalar(text("SELECT EXISTS (SELECT FROM points) OR EXISTS (SELECT FROM areas)"))
    )


def clear(connection: Connection) -> None:
    """Remove every row the demo writes (and users/keys, which reference areas and units).

    Units are deleted rather than truncated: problem types keep their other columns and
    lose only the default unit that pointed at one."""
    connection.execute(text("UPDATE issue_types SET default_unit_code = NULL"))
    truncated = [t for t in TABLES if t != "units"]
    connection.execute(text(f"TRUNCATE {', '.join(truncated)} RESTART IDENTITY"))
    connection.execute(text("DELETE FROM units"))


def load(
    connection: Connection,
    load_plan: LoadPlan,
    on_rows: Callable[[int], None] = lambda _: None,
    rebuild_from_rows: int = bulk.REBUILD_FROM_ROWS,
) -> dict[str, int]:
    """COPY every table in one transaction (the caller's); returns rows per table.

    The tables are empty (`clear`). From `rebuild_from_rows` rows on, their indexes are built
    and their foreign keys checked once after the COPY (which locks the tables until the load
    commits); the plan carries the area ids, so the per-row area lookup is off during it."""
    rebuild = load_plan.total_rows >= rebuild_from_rows
    events = next(t.frame for t in load_plan.tables if t.table == "issue_events")["at"]
    if len(events):  # each month of the history in its own table, none in the default one
        partitions.add_event_months(connection, events.min(), events.max())
    with bulk.indexes_and_keys_rebuilt(connection, BULK_TABLES, when=rebuild):
        with bulk.triggers_off(connection, PAUSED_TRIGGERS), rollup.paused(connection):
            counts = {
                t.table: copy_frame(connection, t.table, t.frame, on_rows, t.spell)
                for t in load_plan.tables
            }
        counts["escalations"] = cards.issue_history(connection)  # before the events' indexes
    counts["roads"] = replace_network(connection, segments(load_plan.roads))
    connection.execute(  # dispatch without a unit then goes where the demo sends the type
        text(
            "UPDATE issue_types t SET default_unit_code = d.unit "
            "FROM unnest(CAST(:types AS text[]), CAST(:units AS text[])) AS d(type, unit) "
            "WHERE t.code = d.type AND t.default_unit_code IS NULL "
            "AND EXISTS (SELECT FROM units u WHERE u.code = d.unit)"
        ),
        {"types": list(UNIT_BY_TYPE), "units": list(UNIT_BY_TYPE.values())},
    )
    for table in SEQUENCED:
        connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
            )
        )
    # After the visits' indexes, which the shops' latest stars are looked up by.
    with bulk.indexes_and_keys_rebuilt(connection, ["responsibilities"], when=rebuild):
        counts["responsibilities"] = responsibility.assign(connection)
    return counts


def vacuum(engine: Engine, sessions: int = VACUUM_SESSIONS) -> None:
    """VACUUM (ANALYZE) the loaded tables: fresh statistics, and counts by index-only scans.

    VACUUM cannot run in a transaction, so this runs after the load has committed; the
    tables are vacuumed `sessions` at a time, each on a connection of its own.
    """
    with ThreadPoolExecutor(sessions) as running:
        list(running.map(partial(_vacuum, engine), TABLES))  # raises the first error


def _vacuum(engine: Engine, table: str) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM (ANALYZE) {table}"))
