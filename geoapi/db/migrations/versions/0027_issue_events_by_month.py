"""`issue_events` partitioned by local calendar month, for histories of many years: a month's
events sit in their own table, so reading a period touches only its months and an old
year can be archived (DETACH PARTITION) without rewriting the rest.

PostgreSQL cannot partition a table in place, so the history is copied into a new
partitioned `issue_events` and everything that hung on the old one (indexes, triggers,
views, the function that takes its row, comments and grants) is read from the catalog first
and made again on the new one. A key of a partitioned table must hold the partition key, so
the primary key becomes (id, at), and the two tables that point at an event keep its time
beside its id (`notice_issues.dispatch_event_at`, `open311_deliveries.event_at`).

`geoapi_issue_event_months(first, last)` adds the months of a span that are missing (the
service adds the coming year's at start-up, `geoapi db upgrade` too); an event outside
every month lands in `issue_events_default` and is kept, read and counted like any other.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

from alembic import op
from sqlalchemy import RowMapping, text

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "issue_events"
OLD = "issue_events_unpartitioned"
# Months before the earliest event and after today that the upgrade adds up front.
MONTHS_AHEAD = 12

ADD_MONTHS = """
CREATE FUNCTION geoapi_issue_event_months(first timestamptz, last timestamptz)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  zone text := coalesce((SELECT z.zone FROM issue_daily_zone z), 'UTC');
  month timestamp;
  name text;
  made integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('geoapi_issue_event_months'));
  FOR month IN SELECT generate_series(date_trunc('month', first AT TIME ZONE zone),
                                      date_trunc('month', last AT TIME ZONE zone),
                                      interval '1 month')
  LOOP
    name := 'issue_events_' || to_char(month, 'YYYY_MM');
    CONTINUE WHEN to_regclass(quote_ident(name)) IS NOT NULL;
    BEGIN
      EXECUTE format('CREATE TABLE %I PARTITION OF issue_events FOR VALUES FROM (%L) TO (%L)',
                     name, month AT TIME ZONE zone, (month + interval '1 month') AT TIME ZONE zone);
      made := made + 1;
    EXCEPTION WHEN invalid_object_definition OR check_violation THEN
      -- It overlaps a month cut in another time zone, or the default partition already
      -- holds events of it: those stay where they are, read and counted like any other.
      RAISE NOTICE 'issue_events: month % left in the default partition (%)', name, SQLERRM;
    END;
  END LOOP;
  RETURN made;
END $$;
"""

# Each event's new outbox row keeps the event's time, the second half of its key.
ENQUEUE = """
CREATE OR REPLACE FUNCTION geoapi_open311_enqueue() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO open311_deliveries (username, issue_id, event_id{at})
  SELECT w.username, NEW.issue_id, NEW.id{new_at}
    FROM issue_events r JOIN open311_webhooks w ON w.username = r.actor
   WHERE r.issue_id = NEW.issue_id AND r.action = 'report';
  RETURN NULL;
END $$;
"""

# Who points at an event: (table, its id column, its time column, ON DELETE).
REFERRERS = (
    ("notice_issues", "dispatch_event_id", "dispatch_event_at", "RESTRICT"),
    ("open311_deliveries", "event_id", "event_at", "CASCADE"),
)

# Views over the table, and views over those, oldest first: remade after the swap.
VIEWS = """
WITH RECURSIVE hanging(oid, depth) AS (
  SELECT r.ev_class, 1 FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
   WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = CAST(:t AS regclass)
  UNION
  SELECT r.ev_class, h.depth + 1 FROM hanging h
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.refobjid = h.oid
    JOIN pg_rewrite r ON r.oid = d.objid AND r.ev_class <> h.oid
)
SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name, pg_get_viewdef(c.oid) AS body,
       obj_description(c.oid, 'pg_class') AS comment,
       (SELECT json_agg(json_build_array(a.attname, col_description(c.oid, a.attnum)))
          FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0
           AND col_description(c.oid, a.attnum) IS NOT NULL) AS column_comments,
       (SELECT json_agg(json_build_array(
                 CASE WHEN g.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(g.grantee))
                 END, g.privilege_type))
          FROM aclexplode(c.relacl) g WHERE g.grantee <> c.relowner) AS grants
  FROM (SELECT oid, max(depth) AS depth FROM hanging GROUP BY oid) h
  JOIN pg_class c ON c.oid = h.oid JOIN pg_namespace n ON n.oid = c.relnamespace
 ORDER BY h.depth
"""
FUNCTIONS = """
SELECT p.oid::regprocedure::text AS name, pg_get_functiondef(p.oid) AS body
  FROM pg_proc p
 WHERE (SELECT reltype FROM pg_class WHERE oid = CAST(:t AS regclass)) = ANY (p.proargtypes)
"""
TRIGGERS = """
SELECT pg_get_triggerdef(g.oid) AS body, g.tgenabled = 'D' AS disabled, g.tgname AS name
  FROM pg_trigger g WHERE g.tgrelid = CAST(:t AS regclass) AND NOT g.tgisinternal
"""
INDEXES = """
SELECT replace(pg_get_indexdef(x.indexrelid), ' ON ONLY ', ' ON ') AS body FROM pg_index x
 WHERE x.indrelid = CAST(:t AS regclass) AND NOT x.indisprimary
"""
CONSTRAINTS = """
SELECT conname AS name, pg_get_constraintdef(oid) AS body FROM pg_constraint
 WHERE conrelid = CAST(:t AS regclass) AND contype = 'f'
"""


def _rows(sql: str) -> list[RowMapping]:
    return list(op.get_bind().execute(text(sql), {"t": TABLE}).mappings())


def _swap(partitioned: bool) -> None:
    """Copy the history into a new `issue_events`, partitioned by month or not, and hang
    everything the old one carried on the new one."""
    views, functions = _rows(VIEWS), _rows(FUNCTIONS)
    triggers, indexes, keys = _rows(TRIGGERS), _rows(INDEXES), _rows(CONSTRAINTS)
    for view in reversed(views):
        op.execute(f"DROP VIEW {view['name']}")
    for table, id_column, _, _ in REFERRERS:
        op.execute(f"ALTER TABLE {table} DROP CONSTRAINT fk_{table}_{id_column}_{TABLE}")
    op.execute(f"ALTER SEQUENCE {TABLE}_id_seq OWNED BY NONE")
    op.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    op.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT pk_{TABLE} TO pk_{OLD}")
    op.execute(
        f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        "INCLUDING COMMENTS)" + (" PARTITION BY RANGE (at)" if partitioned else "")
    )
    if partitioned:
        op.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        op.execute(ADD_MONTHS)
        op.execute(
            f"SELECT geoapi_issue_event_months(coalesce((SELECT min(at) FROM {OLD}), now()), "
            f"now() + interval '{MONTHS_AHEAD} months')"
        )
    op.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")  # before the triggers: no recount
    for function in functions:
        op.execute(f"DROP FUNCTION {function['name'].replace(TABLE, OLD, 1)}")
    op.execute(f"DROP TABLE {OLD}")
    op.execute(f"ALTER SEQUENCE {TABLE}_id_seq OWNED BY {TABLE}.id")
    key = "id, at" if partitioned else "id"
    op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT pk_{TABLE} PRIMARY KEY ({key})")
    for statement in (*indexes, *functions, *triggers):
        _run(statement["body"])
    for trigger in triggers:
        if trigger["disabled"]:
            op.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {trigger['name']}")
    for constraint in keys:
        op.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {constraint['name']} {constraint['body']}")
    for view in views:
        _make_view(view)
    op.execute(f"ANALYZE {TABLE}")  # the planner's statistics of the new tables


def _run(sql: str) -> None:
    """Run SQL read back from the catalog as it is, on the driver's own cursor: a `:` or a
    `%` in a comment or a body is text, not a parameter."""
    with op.get_bind().connection.cursor() as cursor:
        cursor.execute(sql)


def _make_view(view: RowMapping) -> None:
    _run(f"CREATE VIEW {view['name']} AS {view['body']}")
    if view["comment"] is not None:
        _run(f"COMMENT ON VIEW {view['name']} IS {_literal(view['comment'])}")
    for column, comment in view["column_comments"] or ():
        _run(f'COMMENT ON COLUMN {view["name"]}."{column}" IS {_literal(comment)}')
    for grantee, privilege in view["grants"] or ():
        _run(f"GRANT {privilege} ON {view['name']} TO {grantee}")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _refer(with_time: bool) -> None:
    """Point the referring tables at the events by (id, at) or by id alone."""
    for table, id_column, at_column, on_delete in REFERRERS:
        if with_time:
            op.execute(f"ALTER TABLE {table} ADD COLUMN {at_column} timestamptz")
            op.execute(
                f"UPDATE {table} r SET {at_column} = e.at FROM {TABLE} e WHERE e.id = r.{id_column}"
            )
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {at_column} SET NOT NULL")
            columns, referred = f"{id_column}, {at_column}", "id, at"
        else:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {at_column}")
            columns, referred = id_column, "id"
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_{id_column}_{TABLE} "
            f"FOREIGN KEY ({columns}) REFERENCES {TABLE} ({referred}) ON DELETE {on_delete}"
        )
    if with_time:
        op.execute(ENQUEUE.format(at=", event_at", new_at=", NEW.at"))
    else:
        op.execute(ENQUEUE.format(at="", new_at=""))


def upgrade() -> None:
    _swap(partitioned=True)
    _refer(with_time=True)


def downgrade() -> None:
    _swap(partitioned=False)
    op.execute("DROP FUNCTION geoapi_issue_event_months(timestamptz, timestamptz)")
    _refer(with_time=False)
