"""Bulk writes without per-row work: triggers paused while COPY runs, in the caller's
transaction (ALTER TABLE is transactional: a failed load leaves them as they were)."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from sqlalchemy import Connection, text


@contextmanager
def triggers_off(
    connection: Connection, triggers: Mapping[str, tuple[str, ...]], when: bool = True
) -> Iterator[None]:
    """Disable `triggers` (table → names) for the block; the caller does their work after.
    Without `when` the block runs with them on."""
    if not when:
        yield
        return
    _set(connection, triggers, "DISABLE")
    yield
    _set(connection, triggers, "ENABLE")


def _set(connection: Connection, triggers: Mapping[str, tuple[str, ...]], how: str) -> None:
    for table, names in triggers.items():
        for name in names:
            connection.execute(text(f"ALTER TABLE {table} {how} TRIGGER {name}"))


# Below this many rows, keeping the indexes up while writing costs less than rebuilding them.
REBUILD_FROM_ROWS = 200_000


def outgrows(connection: Connection, table: str, rows: int) -> bool:
    """Whether writing `rows` rows into `table` is a first load: many rows, and more than it
    holds. Its indexes are then better built once after (`indexes_and_keys_rebuilt`), at
    the price of locking the table until the transaction commits."""
    if rows < REBUILD_FROM_ROWS:
        return False
    held = connection.scalar(
        text("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = CAST(:t AS regclass)"),
        {"t": table},
    )
    return rows > (held or 0)


FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text AS table_name, c.conname AS name,
       pg_get_constraintdef(c.oid) AS definition
  FROM pg_constraint c
 WHERE c.contype = 'f' AND c.conrelid = ANY (CAST(:tables AS regclass[]))
   AND c.conparentid = 0  -- not the copies a partitioned table's key makes per partition
"""
SECONDARY_INDEXES = """
SELECT i.indexname AS name,
       replace(i.indexdef, ' ON ONLY ', ' ON ') AS definition  -- a partitioned table's: all
  FROM pg_indexes i
 WHERE i.schemaname = current_schema() AND i.tablename = ANY (CAST(:tables AS text[]))
   AND NOT EXISTS (SELECT FROM pg_constraint c
                    WHERE c.conindid = to_regclass(quote_ident(i.indexname)))
"""


@contextmanager
def indexes_and_keys_rebuilt(
    connection: Connection, tables: list[str], when: bool = True
) -> Iterator[None]:
    """For loading empty `tables`: drop their foreign keys and secondary indexes for the
    block, then build each index once and check each key once, set-based (the order
    pg_restore uses) instead of row by row. Primary and unique keys stay. Without `when`
    (a write too small to pay for the rebuild) the block runs with them in place."""
    if not when:
        yield
        return
    keys = connection.execute(text(FOREIGN_KEYS), {"tables": tables}).all()
    indexes = connection.execute(text(SECONDARY_INDEXES), {"tables": tables}).all()
    for key in keys:
        connection.execute(text(f'ALTER TABLE {key.table_name} DROP CONSTRAINT "{key.name}"'))
    for index in indexes:
        connection.execute(text(f'DROP INDEX "{index.name}"'))
    yield
    connection.execute(text("SET LOCAL maintenance_work_mem = '256MB'"))
    for index in indexes:
        connection.execute(text(index.definition))
    for key in keys:
        connection.execute(
            text(f'ALTER TABLE {key.table_name} ADD CONSTRAINT "{key.name}" {key.definition}')
        )
