"""SQL of route lists: the road network's topology, snapping stops to it, and pgRouting's
shortest paths (cost matrices and the legs of a route)."""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, text

from geoapi.issues.states import AWAITING_VERIFICATION, VERIFIED, in_sql
from geoapi.patrol.network import speed_column

SNAP_GRID_DEG = 1e-7  # ends closer than ~1 cm are one junction

REBUILD_NODES = f"""
TRUNCATE road_nodes RESTART IDENTITY;
INSERT INTO road_nodes (geom)
SELECT ST_SnapToGrid(ST_StartPoint(geom), {SNAP_GRID_DEG}) FROM roads
 UNION
SELECT ST_SnapToGrid(ST_EndPoint(geom), {SNAP_GRID_DEG}) FROM roads;
UPDATE roads r SET source = s.id, target = t.id
  FROM (SELECT id, ST_AsBinary(geom) AS k FROM road_nodes) s,
       (SELECT id, ST_AsBinary(geom) AS k FROM road_nodes) t
 WHERE s.k = ST_AsBinary(ST_SnapToGrid(ST_StartPoint(r.geom), {SNAP_GRID_DEG}))
   AND t.k = ST_AsBinary(ST_SnapToGrid(ST_EndPoint(r.geom), {SNAP_GRID_DEG}));
ANALYZE roads; ANALYZE road_nodes;
"""


def nearest_nodes_sql(speed: str) -> str:
    """Each position's nearest junction on a road the mode (its `speed` column) may use."""
    return f"""
SELECT s.i::int - 1 AS stop, n.id AS node,
       ST_Distance(n.geom::geography, s.g::geography) AS metres
  FROM (SELECT i, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g
          FROM unnest(CAST(:lon AS float8[]), CAST(:lat AS float8[]))
               WITH ORDINALITY AS u(lon, lat, i)) s
 CROSS JOIN LATERAL (
       SELECT n.id, n.geom FROM road_nodes n
        WHERE EXISTS (SELECT FROM roads r WHERE (r.source = n.id OR r.target = n.id)
                         AND r.{speed} IS NOT NULL)
        ORDER BY n.geom <-> s.g LIMIT 1) n
"""


@dataclass(frozen=True)
class Snap:
    """A stop's nearest junction usable by the mode, and how far it is."""

    node: int
    metres: float


@dataclass(frozen=True)
class Leg:
    """A shortest path between two junctions."""

    metres: float
    seconds: float
    geojson: str | None  # the path as a GeoJSON LineString, from the first junction


def has_roads(connection: Connection) -> bool:
    """True once a road network with topology is loaded."""
    return bool(
        connection.scalar(text("SELECT EXISTS (SELECT FROM roads WHERE source IS NOT NULL)"))
    )


def rebuild_topology(connection: Connection) -> int:
    """Make `road_nodes` from the roads' ends and link every road to its two; junction count."""
    connection.exec_driver_sql(REBUILD_NODES)
    return int(connection.scalar(text("SELECT count(*) FROM road_nodes")) or 0)


def snap(connection: Connection, lonlat: Sequence[tuple[float, float]], mode: str) -> list[Snap]:
    """Each position's nearest junction that `mode` can use (in input order)."""
    rows = connection.execute(
        text(nearest_nodes_sql(speed_column(mode))),
        {"lon": [p[0] for p in lonlat], "lat": [p[1] for p in lonlat]},
    ).all()
    by_stop = {row.stop: Snap(int(row.node), float(row.metres)) for row in rows}
    return [by_stop[i] for i in range(len(lonlat))]


def edges_sql(mode: str, weight: str, bbox: tuple[float, float, float, float]) -> str:
    """pgRouting's edge query for `mode`: cost in seconds (`weight="time"`) or metres, roads
    in `bbox` only; one-way roads bind vehicles, not walkers. Built from fixed names and
    floats only, as pgRouting takes it as text."""
    speed = speed_column(mode)
    cost = f"length_m / ({speed} / 3.6)" if weight == "time" else "length_m"
    backward = cost if mode == "walk" else f"CASE WHEN oneway THEN -1 ELSE {cost} END"
    west, south, east, north = (float(v) for v in bbox)
    return (
        f"SELECT id, source, target, {cost} AS cost, {backward} AS reverse_cost FROM roads "
        f"WHERE {speed} IS NOT NULL AND source IS NOT NULL "
        f"AND geom && ST_MakeEnvelope({west!r}, {south!r}, {east!r}, {north!r}, 4326)"
    )


def cost_matrix(
    connection: Connection, nodes: Sequence[int], edges: str
) -> dict[tuple[int, int], float]:
    """Least cost between every ordered pair of distinct `nodes` that are connected."""
    rows = connection.execute(
        text(
            "SELECT start_vid, end_vid, agg_cost "
            "FROM pgr_dijkstraCostMatrix(:edges, CAST(:nodes AS bigint[]), directed => true)"
        ),
        {"edges": edges, "nodes": list(nodes)},
    ).all()
    return {(int(r.start_vid), int(r.end_vid)): float(r.agg_cost) for r in rows}


def legs_sql(speed: str) -> str:
    """The shortest path of each pair of junctions, with its metres, seconds and line."""
    return f"""
WITH path AS (
  SELECT d.start_vid, d.end_vid, d.path_seq, d.edge, d.node
    FROM pgr_dijkstra(:edges, :pairs, directed => true) d
), oriented AS (
  SELECT p.start_vid, p.end_vid, p.path_seq, r.length_m,
         CASE WHEN r.source = p.node THEN r.geom ELSE ST_Reverse(r.geom) END AS geom,
         r.length_m / ({speed} / 3.6) AS seconds
    FROM path p JOIN roads r ON r.id = p.edge
)
SELECT start_vid, end_vid, sum(length_m) AS metres, sum(seconds) AS seconds,
       ST_AsGeoJSON(ST_MakeLine(geom ORDER BY path_seq), 7) AS geojson
  FROM oriented GROUP BY start_vid, end_vid
"""


def legs(
    connection: Connection, pairs: Sequence[tuple[int, int]], mode: str, edges: str
) -> dict[tuple[int, int], Leg]:
    """The shortest path of each (from, to) junction pair; a pair at one junction is empty."""
    wanted = sorted({p for p in pairs if p[0] != p[1]})
    found: dict[tuple[int, int], Leg] = {(a, a): Leg(0.0, 0.0, None) for a, b in pairs if a == b}
    if not wanted:
        return found
    values = ", ".join(f"({int(a)}, {int(b)})" for a, b in wanted)
    rows = connection.execute(
        text(legs_sql(speed_column(mode))),
        {"edges": edges, "pairs": f"SELECT * FROM (VALUES {values}) AS t(source, target)"},
    ).all()
    for r in rows:
        found[(int(r.start_vid), int(r.end_vid))] = Leg(
            float(r.metres), float(r.seconds), r.geojson
        )
    return found


TEAMS = """
SELECT t.id, t.code, t.name, a.id AS area_id, a.level AS area_level,
       ST_X(coalesce(t.base, ST_PointOnSurface(a.geom))) AS lon,
       ST_Y(coalesce(t.base, ST_PointOnSurface(a.geom))) AS lat
  FROM teams t LEFT JOIN areas a ON a.id = t.area_id
 WHERE t.code = ANY(CAST(:codes AS text[]))
"""


def verifications_sql(level: str) -> str:
    """Rectified problems waiting for verification in the area (`:area_id` of `level`),
    earliest deadline first."""
    return f"""
SELECT i.id AS issue_id, i.point_id, p.code, coalesce(p.name, t.name_zh) AS name, p.category,
       ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat, 'verify' AS reason
  FROM issues i JOIN issue_types t ON t.code = i.type
  LEFT JOIN points p ON p.id = i.point_id
 WHERE {in_sql("i.status", AWAITING_VERIFICATION)} AND i.{level}_id = :area_id
 ORDER BY i.deadline NULLS LAST, i.reported_at
 LIMIT :limit
"""


def requested_sql(scope: str) -> str:
    """Points asked for by code (`:codes`), within the caller's `scope` (over `p.`)."""
    return f"""
SELECT NULL::uuid AS issue_id, p.id AS point_id, p.code, p.name, p.category,
       ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, 'requested' AS reason
  FROM points p WHERE p.code = ANY(CAST(:codes AS text[])) AND {scope}
"""


INSERT_ROUTE = """
INSERT INTO routes (team_id, inspector, inspectors, day, mode, network, start_geom,
                    start_label, shift_start, shift_end, return_to_start, distance_m,
                    duration_s, end_geom, unassigned, created_by)
VALUES (:team_id, :inspector, :inspectors, :day, :mode, :network,
        ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :label, :shift_start, :shift_end, true,
        :distance_m, :duration_s, ST_SetSRID(ST_GeomFromGeoJSON(:end_geojson), 4326),
        CAST(:unassigned AS jsonb), :by)
RETURNING id
"""

INSERT_STOPS = """
INSERT INTO route_stops (route_id, seq, point_id, geom, issue_id, reason, arrival, service_s,
                         leg_m, leg_s, leg_geom)
SELECT :route_id, s.seq, s.point_id, ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326),
       s.issue_id, s.reason, s.arrival, s.service_s, s.leg_m, s.leg_s,
       ST_SetSRID(ST_GeomFromGeoJSON(s.leg), 4326)
  FROM jsonb_to_recordset(CAST(:stops AS jsonb)) AS s(
       seq int, point_id bigint, lon float8, lat float8, issue_id uuid, reason text,
       arrival timestamptz, service_s int, leg_m float8, leg_s float8, leg text)
"""


# A stored route as one JSON document, made in PostGIS; a stop is visited once an inspection
# of its point, or a verification (close or reopen) of its problem, is recorded that day.
ROUTE = f"""
SELECT json_build_object(
  'id', r.id, 'team', t.code, 'team_name', t.name, 'inspector', r.inspector,
  'inspectors', r.inspectors, 'date', r.day, 'mode', r.mode,
  'network', r.network, 'created_by', r.created_by, 'created_at', r.created_at,
  'start', json_build_object('label', r.start_label,
                             'position', json_build_array(ST_X(r.start_geom), ST_Y(r.start_geom))),
  'shift_start', r.shift_start, 'shift_end', r.shift_end,
  'planned_end', r.shift_start + make_interval(secs => r.duration_s),
  'distance_m', round(r.distance_m), 'duration_s', round(r.duration_s),
  'unassigned', r.unassigned,
  'stops', coalesce((
     SELECT json_agg(json_build_object(
       'seq', s.seq, 'reason', s.reason, 'point', p.code, 'name', coalesce(p.name, ty.name_zh),
       'category', p.category, 'address', p.address, 'issue_id', s.issue_id,
       'position', json_build_array(ST_X(s.geom), ST_Y(s.geom)),
       'arrival', s.arrival, 'service_min', round(s.service_s / 60.0),
       'leg_m', round(s.leg_m), 'leg_s', round(s.leg_s), 'visited_at', seen.at,
       'late_min', round(extract(epoch FROM seen.at - s.arrival) / 60),
       'photos', coalesce(i.photos, '[]'::jsonb)
     ) ORDER BY s.seq)
       FROM route_stops s
       LEFT JOIN points p ON p.id = s.point_id
       LEFT JOIN issues i ON i.id = s.issue_id
       LEFT JOIN issue_types ty ON ty.code = i.type
       LEFT JOIN LATERAL (
         SELECT min(at) AS at FROM (
           SELECT v.visited_at AS at FROM inspections v
            WHERE v.point_id = s.point_id AND v.visited_at >= r.day_start
              AND v.visited_at < r.day_start + interval '1 day'
           UNION ALL
           SELECT e.at FROM issue_events e
            WHERE e.issue_id = s.issue_id AND {in_sql("e.to_status", VERIFIED)}
              AND {in_sql("e.from_status", AWAITING_VERIFICATION)}
              AND e.at >= r.day_start AND e.at < r.day_start + interval '1 day') x
       ) seen ON TRUE
      WHERE s.route_id = r.id), '[]'::json)
)::text
  FROM (SELECT *, (day::timestamp AT TIME ZONE :tz) AS day_start FROM routes) r
  JOIN teams t ON t.id = r.team_id
 WHERE r.id = :id
"""

ROUTE_GEOJSON = """
SELECT json_build_object('type', 'FeatureCollection',
                         'features', coalesce(json_agg(f ORDER BY k), '[]'::json))::text
  FROM (
    SELECT 2 * s.seq AS k, json_build_object('type', 'Feature', 'id', 'stop-' || s.seq,
           'geometry', ST_AsGeoJSON(s.geom, 7)::json,
           'properties', json_build_object('kind', 'stop', 'seq', s.seq, 'reason', s.reason,
              'point', p.code, 'name', p.name, 'arrival', s.arrival)) AS f
      FROM route_stops s LEFT JOIN points p ON p.id = s.point_id WHERE s.route_id = :id
    UNION ALL
    SELECT 2 * s.seq - 1, json_build_object('type', 'Feature', 'id', 'leg-' || s.seq,
           'geometry', ST_AsGeoJSON(s.leg_geom, 7)::json,
           'properties', json_build_object('kind', 'leg', 'to_seq', s.seq, 'metres', round(s.leg_m),
              'seconds', round(s.leg_s)))
      FROM route_stops s WHERE s.route_id = :id AND s.leg_geom IS NOT NULL
    UNION ALL
    SELECT 1000000, json_build_object('type', 'Feature', 'id', 'leg-back',
           'geometry', ST_AsGeoJSON(r.end_geom, 7)::json,
           'properties', json_build_object('kind', 'leg', 'to_seq', NULL))
      FROM routes r WHERE r.id = :id AND r.end_geom IS NOT NULL
  ) features
"""

ROUTE_IDS = """
SELECT r.id FROM routes r JOIN teams t ON t.id = r.team_id
 WHERE (CAST(:team AS text) IS NULL OR t.code = :team)
   AND (CAST(:day AS date) IS NULL OR r.day = :day)
   AND (CAST(:only_team AS text) IS NULL OR t.code = :only_team)
 ORDER BY r.day DESC, r.created_at DESC, r.id LIMIT :limit
"""

ROUTE_TEAM = "SELECT t.code FROM routes r JOIN teams t ON t.id = r.team_id WHERE r.id = :id"
