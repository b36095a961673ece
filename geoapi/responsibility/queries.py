"""The responsibility feature's SQL."""

from typing import Any

from sqlalchemy import Connection, RowMapping, text

LISTED = """
SELECT r.id, r.role, r.person, r.title, r.phone, r.stars,
       p.code AS point_code, p.name AS point_name, a.code AS area_code, a.name AS area_name,
       u.code AS unit_code, u.name AS unit_name
  FROM responsibilities r
  LEFT JOIN points p ON p.id = r.point_id
  LEFT JOIN areas a ON a.id = r.area_id
  LEFT JOIN units u ON u.code = r.unit_code
 WHERE (CAST(:id AS bigint) IS NULL OR r.id = :id)
   AND (CAST(:point AS text) IS NULL OR p.code = :point)
   AND (CAST(:area AS text) IS NULL OR a.code = :area)
   AND (CAST(:role AS text) IS NULL OR r.role = :role)
   AND (CAST(:unit AS text) IS NULL OR r.unit_code = :unit)
 ORDER BY coalesce(a.code, p.code), r.role, r.id
 LIMIT :limit"""


def listed(connection: Connection, filters: dict[str, Any], limit: int) -> list[RowMapping]:
    """Responsibilities by id, point, area, role and unit codes (None: any)."""
    wanted = {"id": None, "point": None, "area": None, "role": None, "unit": None} | filters
    return list(connection.execute(text(LISTED), {**wanted, "limit": limit}).mappings())


def insert(connection: Connection, values: dict[str, Any]) -> int:
    """One responsibility; the point or area named by code (the caller checked they exist)."""
    return int(
        connection.execute(
            text(
                "INSERT INTO responsibilities (point_id, area_id, role, person, unit_code, "
                "title, phone) VALUES ((SELECT id FROM points WHERE code = :point), "
                "(SELECT id FROM areas WHERE code = :area), :role, :person, :unit, :title, "
                ":phone) RETURNING id"
            ),
            values,
        ).scalar_one()
    )


def delete(connection: Connection, responsibility_id: int) -> bool:
    """Remove one; False when there was none."""
    deleted = connection.execute(
        text("DELETE FROM responsibilities WHERE id = :id"), {"id": responsibility_id}
    )
    return deleted.rowcount == 1


STAR_FLOORS = ((0.95, 5), (0.85, 4), (0.70, 3), (0.50, 2))  # 得分率 → 星级, else 1
STARS = (
    "CASE "
    + " ".join(f"WHEN rate >= {floor} THEN {stars}" for floor, stars in STAR_FLOORS)
    + " WHEN rate IS NOT NULL THEN 1 END"
)


def latest_stars(point: str) -> str:
    """SQL: the stars of the latest scored visit of the point `point` (an SQL expression):
    5 from 95 %, 4 from 85 %, 3 from 70 %, 2 from 50 %, else 1; NULL when never scored."""
    return (
        f"(SELECT {STARS} FROM (SELECT score_rate AS rate FROM inspections "
        f"WHERE point_id = {point} AND score_rate IS NOT NULL "
        "ORDER BY visited_at DESC LIMIT 1) latest)"
    )


def rate_frontage(connection: Connection, point_id: int) -> None:
    """Give the shops answering for a point's frontage (门前三包) the stars of the point's
    latest scored visit."""
    connection.execute(
        text(
            f"UPDATE responsibilities SET stars = {latest_stars(':point')} "
            "WHERE point_id = :point AND role = 'frontage'"
        ),
        {"point": point_id},
    )


def leaders_of(connection: Connection, point_id: int | None, area_ids: list[int]) -> list[str]:
    """The leaders paired with a point or its areas, as `name（title）`, nearest first."""
    return list(
        connection.scalars(
            text(
                "SELECT r.person || coalesce('（' || r.title || '）', '') FROM responsibilities r "
                "LEFT JOIN areas a ON a.id = r.area_id "
                "WHERE r.role = 'leader' AND r.person IS NOT NULL "
                "AND (r.point_id = :point OR r.area_id = ANY(:areas)) "
                "ORDER BY r.point_id IS NULL, "
                "array_position(ARRAY['grid', 'community', 'street', 'district'], a.level), r.id"
            ),
            {"point": point_id, "areas": area_ids},
        )
    )


def area_leaders(connection: Connection) -> dict[str, str]:
    """Each area's paired leaders (包联领导), by area code, as `name（title）、…`."""
    return dict(
        connection.execute(
            text(
                "SELECT a.code, string_agg(r.person || coalesce('（' || r.title || '）', ''), "
                "'、' ORDER BY r.id) FROM responsibilities r JOIN areas a ON a.id = r.area_id "
                "WHERE r.role = 'leader' AND r.person IS NOT NULL GROUP BY a.code"
            )
        ).all()
    )
