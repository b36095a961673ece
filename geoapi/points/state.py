"""A point's status follows its data: open problems or a failed last visit → non-compliant."""

from collections.abc import Iterable

from sqlalchemy import Connection, text

from geoapi.issues.states import open_sql

REFRESH = f"""
UPDATE points p
   SET status = CASE
         WHEN EXISTS (SELECT FROM issues i
                       WHERE i.point_id = p.id AND {open_sql("i")})
              OR last.passed IS FALSE THEN 'non_compliant'
         WHEN last.visited_at IS NOT NULL THEN 'compliant'
         ELSE 'unchecked' END,
       last_inspected_at = last.visited_at,
       score = last.score_rate
  FROM points q
  LEFT JOIN LATERAL (
        SELECT v.visited_at, v.score_rate, v.passed FROM inspections v
         WHERE v.point_id = q.id ORDER BY v.visited_at DESC LIMIT 1) last ON TRUE
 WHERE q.id = p.id AND p.id = ANY(:ids)
"""


def refresh(connection: Connection, point_ids: Iterable[int | None]) -> None:
    """Recompute status, last visit and score of `point_ids` (None entries are skipped)."""
    ids = sorted({i for i in point_ids if i is not None})
    if ids:
        connection.execute(text(REFRESH), {"ids": ids})
