"""The points API's SQL: one point as a GeoJSON Feature built by PostGIS, locks, history."""

from sqlalchemy import Connection, RowMapping, text

from geoapi.issues.states import open_sql

VERSION = "p.version"  # what a client echoes in If-Match

FEATURE = f"""
SELECT json_build_object(
         'type', 'Feature',
         'id', p.code,
         'geometry', ST_AsGeoJSON(coalesce(p.footprint, p.geom), 7)::json,
         'properties', json_build_object(
            'code', p.code, 'name', p.name, 'category', p.category, 'address', p.address,
            'unit', p.unit_code, 'status', p.status, 'last_inspected_at', p.last_inspected_at,
            'score', p.score, 'cycle_days', p.cycle_days,
            'lon', ST_X(p.geom), 'lat', ST_Y(p.geom),
            'street', s.code, 'community', c.code, 'grid', g.code,
            'open_issues', (SELECT count(*) FROM issues i WHERE i.point_id = p.id
                            AND {open_sql("i")}),
            'props', p.props, 'updated_at', p.updated_at))::text AS feature,
       {VERSION} AS version
  FROM points p
  LEFT JOIN areas s ON s.id = p.street_id
  LEFT JOIN areas c ON c.id = p.community_id
  LEFT JOIN areas g ON g.id = p.grid_id
 WHERE p.code = :code
"""


def select_point(connection: Connection, code: str) -> RowMapping | None:
    """The point as GeoJSON text with its version, or None."""
    return connection.execute(text(FEATURE), {"code": code}).mappings().first()


def lock_point(connection: Connection, code: str) -> RowMapping | None:
    """The point's id and version, locked until the transaction ends."""
    return (
        connection.execute(
            text(f"SELECT p.id, {VERSION} AS version FROM points p WHERE code = :code FOR UPDATE"),
            {"code": code},
        )
        .mappings()
        .first()
    )


def history_counts(connection: Connection, point_id: int) -> RowMapping:
    """How many problems and inspections a point has (deleting it would lose them)."""
    return (
        connection.execute(
            text(
                "SELECT (SELECT count(*) FROM issues WHERE point_id = :id) AS issues, "
                "(SELECT count(*) FROM inspections WHERE point_id = :id) AS inspections"
            ),
            {"id": point_id},
        )
        .mappings()
        .one()
    )


def delete_point(connection: Connection, point_id: int) -> None:
    """Remove a point that has no history."""
    connection.execute(text("DELETE FROM points WHERE id = :id"), {"id": point_id})
