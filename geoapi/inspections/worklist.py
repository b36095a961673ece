"""The due worklist: points due on a day (the rule of `due.py`), most urgent first, a page at a
time.

Order: points with open problems first (tier 0: rectification to follow up or to verify), then
the rest (tier 1); within a tier by priority, highest first, then by code. Priority = the
category's weight (`priority:` in its checklist) × days late, counted to the end of the day
(a point due during the day is between 0 and 1 day late); a point never inspected counts as
due that day (1), so a large category never inspected (parking spaces) does not bury the
points that are truly late.

Fast at a million points: within one category and tier the order is the order of
`last_inspected_at`, so each category and tier is read as two index-ordered streams
(inspected, never inspected) of at most one page, and the streams are merged. Points with
their own cycle and points visited after the day asked (a day in the past) are few, and are
ranked in full. A page ends with a cursor (tier, priority, code) from which the next page
starts: keyset paging, stable while visits are recorded.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, RowMapping, text

from geoapi.errors import InvalidParameter
from geoapi.inspections.due import due_parameters
from geoapi.issues.states import Status, open_sql

DAY = "86400.0"
# A point `p` of rule `r`: its cycle (`k.every`) and its last visit before the day
# (`last.at`): `last_inspected_at` unless that is on or after the day (a day in the past).
CYCLE_AND_LAST_VISIT = """CROSS JOIN LATERAL (SELECT coalesce(p.cycle_days, r.every) AS every) k
  CROSS JOIN LATERAL (
        SELECT CASE WHEN p.last_inspected_at IS NULL OR p.last_inspected_at < :day_end
                    THEN p.last_inspected_at
                    ELSE (SELECT max(v.visited_at) FROM inspections v
                           WHERE v.point_id = p.id AND v.visited_at < :day_end)
               END AS at) last"""
HAS_OPEN = f"EXISTS (SELECT FROM issues i WHERE i.point_id = p.id AND {open_sql('i')})"


@dataclass(frozen=True)
class Cursor:
    """Where the previous page ended: rows after it, in the worklist's order, come next."""

    tier: int
    priority: float
    code: str

    def encode(self) -> str:
        """An opaque, URL-safe token."""
        raw = json.dumps([self.tier, self.priority, self.code], ensure_ascii=False)
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> "Cursor":
        """The cursor of `token`, or a 400 saying it is not one of ours."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
            tier, priority, code = json.loads(raw)
            if tier not in (0, 1) or not isinstance(code, str):
                raise ValueError(tier)
            return cls(tier, float(priority), code)
        except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
            raise InvalidParameter(
                "cursor: not a cursor of this list (take it from a page's next link)"
            ) from exc


@dataclass(frozen=True)
class Rule:
    """A category's cycle and weight, under its parameter index in the statement."""

    index: int
    category: str
    every: int
    weight: float


def _tier_test(tier: int) -> str:
    return HAS_OPEN if tier == 0 else f"NOT {HAS_OPEN}"


def _inspected(rule: Rule, tier: int, where: str, cursor: Cursor | None) -> str | None:
    """One category and tier, inspected before the day, in order of the last visit (= of
    priority)."""
    if cursor is not None and cursor.tier > tier:
        return None  # the whole tier came before the cursor
    i = rule.index
    late = f"extract(epoch FROM :day_end - p.last_inspected_at) / {DAY} - :k{i}"
    priority = f"CAST(:w{i} AS float8) * ({late})"
    bound, after = "", "TRUE"
    if cursor is not None and cursor.tier == tier:  # start the index scan near the cursor
        bound = (
            f"AND p.last_inspected_at >= :day_end - make_interval(secs => "
            f"(:k{i} + CAST(:c_priority AS float8) / :w{i}) * {DAY} + 1)"
        )
        after = f"(-({priority}), p.code) > (-CAST(:c_priority AS float8), :c_code)"
    return f"""(SELECT p.id, {tier} AS tier, {priority} AS priority, p.code
   FROM points p
  WHERE p.category = :cat{i} AND p.cycle_days IS NULL
    AND p.last_inspected_at < :day_end - make_interval(days => :k{i}) {bound}
    AND {_tier_test(tier)} AND {where} AND {after}
  ORDER BY p.last_inspected_at, p.code LIMIT :limit)"""


def _never_inspected(rule: Rule, tier: int, where: str, cursor: Cursor | None) -> str | None:
    """One category and tier, never inspected: all of one priority (the weight), by code."""
    i = rule.index
    after = "TRUE"
    if cursor is not None and cursor.tier > tier:
        return None
    if cursor is not None and cursor.tier == tier:
        if rule.weight > cursor.priority:
            return None  # all of them came before the cursor
        if rule.weight == cursor.priority:
            after = "p.code > :c_code"
    return f"""(SELECT p.id, {tier} AS tier, CAST(:w{i} AS float8) AS priority, p.code
   FROM points p
  WHERE p.category = :cat{i} AND p.cycle_days IS NULL AND p.last_inspected_at IS NULL
    AND {_tier_test(tier)} AND {where} AND {after}
  ORDER BY p.code LIMIT :limit)"""


def _ranked_in_full(where: str, cursor: Cursor | None) -> str:
    """Points with a cycle of their own, or visited after the day (then the last visit
    before it is looked up): few, so ranked in full."""
    tier = f"CASE WHEN {HAS_OPEN} THEN 0 ELSE 1 END"
    priority = (
        f"r.weight * CASE WHEN last.at IS NULL THEN 1 "
        f"ELSE extract(epoch FROM :day_end - last.at) / {DAY} - k.every END"
    )
    after = "TRUE"
    if cursor is not None:
        after = (
            f"({tier}, -({priority}), p.code) > (:c_tier, -CAST(:c_priority AS float8), :c_code)"
        )
    return f"""(SELECT p.id, {tier} AS tier, {priority} AS priority, p.code
   FROM points p
   JOIN rules r ON r.category = p.category
  {CYCLE_AND_LAST_VISIT}
  WHERE (p.cycle_days IS NOT NULL OR p.last_inspected_at >= :day_end) AND {where}
    AND (last.at IS NULL OR last.at < :day_end - make_interval(days => k.every))
    AND {after}
  ORDER BY 2, 3 DESC, p.code LIMIT :limit)"""


def page_sql(rules: list[Rule], where: str, cursor: Cursor | None) -> str:
    """One page of the worklist as rows with everything a list, a sheet or a map shows."""
    streams: list[str | None] = [_ranked_in_full(where, cursor)]
    for rule in rules:
        for tier in (0, 1):
            streams += [
                _inspected(rule, tier, where, cursor),
                _never_inspected(rule, tier, where, cursor),
            ]
    union = "\n  UNION ALL\n".join(s for s in streams if s is not None)
    return f"""
WITH rules AS (
  SELECT * FROM unnest(CAST(:categories AS text[]), CAST(:days AS int[]),
                       CAST(:weights AS float8[])) AS r(category, every, weight)
), page AS (
  SELECT * FROM ({union}) s
   ORDER BY tier, priority DESC, code LIMIT :limit
)
SELECT p.id AS point_id, p.code, p.name, p.category, c.name_zh AS category_name, p.address,
       st.name AS street, cm.name AS community, p.unit_code AS unit, u.name AS unit_name,
       ST_X(p.geom) AS lon, ST_Y(p.geom) AS lat, ST_AsGeoJSON(p.geom, 7) AS geometry,
       p.status, p.score, k.every AS cycle_days, last.at AS last_inspected_at,
       last.at + make_interval(days => k.every) AS due_at,
       CASE WHEN last.at IS NULL THEN 'never_inspected'
            WHEN last.at + make_interval(days => k.every) < :day_start THEN 'overdue'
            ELSE 'due' END AS due,
       CASE WHEN last.at + make_interval(days => k.every) < :day_start
            THEN ceil(extract(epoch FROM :day_start - last.at
                              - make_interval(days => k.every)) / {DAY})::int
            ELSE 0 END AS days_late,
       (SELECT count(*) FROM issues i WHERE i.point_id = p.id AND {open_sql("i")})
         AS open_issues,
       (SELECT count(*) FROM issues i WHERE i.point_id = p.id
           AND i.status = '{Status.RECTIFIED}') AS awaiting_verification,
       page.tier, round(page.priority::numeric, 2)::float8 AS priority,
       page.priority AS exact_priority
  FROM page
  JOIN points p ON p.id = page.id
  JOIN rules r ON r.category = p.category
  LEFT JOIN categories c ON c.code = p.category
  LEFT JOIN areas st ON st.id = p.street_id
  LEFT JOIN areas cm ON cm.id = p.community_id
  LEFT JOIN units u ON u.code = p.unit_code
 {CYCLE_AND_LAST_VISIT}
 ORDER BY page.tier, page.priority DESC, p.code
"""


@dataclass(frozen=True)
class Page:
    """Rows of one page and the cursor of the next (None: this was the last page)."""

    rows: list[RowMapping]
    next: Cursor | None


def page(
    connection: Connection,
    day: date,
    zone: ZoneInfo,
    cycles: dict[str, int],
    weights: dict[str, float],
    where: tuple[str, dict[str, object]],
    limit: int,
    cursor: Cursor | None = None,
) -> Page:
    """The page of the worklist after `cursor`, for points matching `where` (trusted SQL
    over `p.`, with its values)."""
    rules = [
        Rule(i, category, every, weights.get(category, 1.0))
        for i, (category, every) in enumerate(sorted(cycles.items()))
    ]
    params = dict(where[1]) | due_parameters(day, zone, cycles, limit)
    params["weights"] = [weights.get(c, 1.0) for c in cycles]
    for rule in rules:
        i = rule.index
        params |= {f"cat{i}": rule.category, f"k{i}": rule.every, f"w{i}": rule.weight}
    if cursor is not None:
        params |= {"c_tier": cursor.tier, "c_priority": cursor.priority, "c_code": cursor.code}
    rows = list(connection.execute(text(page_sql(rules, where[0], cursor)), params).mappings())
    last = rows[-1] if len(rows) == limit else None
    following = Cursor(last["tier"], last["exact_priority"], last["code"]) if last else None
    return Page(rows, following)
