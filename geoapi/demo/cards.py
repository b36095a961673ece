"""The demo city's history of cards: what the office's escalation runs would have issued to
each late problem (a reminder the day after its deadline, then one a week, a supervision card
from `supervise_after_days` late) until it was rectified or the demo's today, each with its
row in the problem's history; most supervision cards on problems fixed since were answered."""

from sqlalchemy import Connection, text

from geoapi.auth.principal import SYSTEM
from geoapi.db import bulk
from geoapi.issues.states import WITH_UNIT, Status, in_sql

EVERY = "7 days"
RESPONSIBLE = ["张伟", "王芳", "李强", "刘洋", "陈静", "杨帆", "赵磊", "孙丽"]

HISTORY = f"""
WITH today AS (SELECT max(at) AS at FROM issue_events),
late AS (
  SELECT i.id, i.unit_code, i.deadline,
         CASE WHEN {in_sql("i.status", WITH_UNIT)} THEN i.status
              ELSE '{Status.DISPATCHED}' END AS status,
         least(coalesce(i.rectified_at, i.closed_at, t.at), t.at) AS until
    FROM issues i, today t
   WHERE i.dispatched_at IS NOT NULL AND i.unit_code IS NOT NULL AND i.deadline < t.at
),
moments AS (
  SELECT l.id, l.unit_code, l.status, l.deadline, l.until, m.at
    FROM late l,
         generate_series(l.deadline + interval '1 day', l.until, CAST(:every AS interval)) AS m(at)
),
cards AS (
  INSERT INTO escalations (issue_id, level, at, days_overdue, actor, unit_code)
  SELECT id,
         CASE WHEN at - deadline >= CAST(:supervise AS float8) * interval '1 day' THEN 'supervision'
              ELSE 'reminder' END,
         at, round(CAST(extract(epoch FROM at - deadline) / 86400 AS numeric), 2), :actor,
         unit_code
    FROM moments
  RETURNING id, issue_id, level, at, days_overdue
),
history AS (
  INSERT INTO issue_events (issue_id, at, actor, action, from_status, to_status, note)
  SELECT c.issue_id, c.at, :actor, c.level, m.status, m.status,
         CASE c.level WHEN 'supervision' THEN '督办卡' ELSE '提醒卡' END
         || ': ' || c.days_overdue || ' days past the deadline'
    FROM cards c JOIN moments m ON m.id = c.issue_id AND m.at = c.at
)
INSERT INTO escalation_replies (escalation_id, at, actor, measures, responsible)
SELECT c.id, c.at + interval '1 day', m.unit_code, '已落实整改：' || t.name_zh || '，安排专人盯守',
       (CAST(:names AS text[]))[1 + abs(hashtext(CAST(c.id AS text))) % :name_count]
  FROM cards c
  JOIN moments m ON m.id = c.issue_id AND m.at = c.at
  JOIN issues i ON i.id = c.issue_id
  JOIN issue_types t ON t.code = i.type
 WHERE c.level = 'supervision' AND c.at + interval '1 day' < m.until
   AND abs(hashtext(CAST(c.id AS text))) % 10 < 7
"""


def issue_history(connection: Connection, supervise_after_days: float = 3.0) -> int:
    """Write the cards (and their history rows and replies); how many cards."""
    with bulk.triggers_off(connection, {"issue_events": ("issue_events_roll_up",)}):
        connection.execute(
            text(HISTORY),
            {
                "every": EVERY,
                "supervise": supervise_after_days,
                "actor": SYSTEM.username,
                "names": RESPONSIBLE,
                "name_count": len(RESPONSIBLE),
            },
        )
    return int(connection.scalar(text("SELECT count(*) FROM escalations")) or 0)
