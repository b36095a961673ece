"""The ledger (台账): every problem the list's filters select, one row each, in the office's
words — Chinese headings, names instead of codes, local times. CSV comes straight out of
PostgreSQL's COPY (no Python loop over rows); an Excel workbook is written row by row, so it
has a ceiling and a clear 400 above it."""

import json
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from sqlalchemy import BindParameter, Column, ColumnElement, Connection, Table, and_
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import visitors

from geoapi.db.models import Issue
from geoapi.errors import InvalidParameter
from geoapi.issues.states import NAMES_ZH, overdue_sql
from geoapi.vocabulary import SOURCE_NAMES

LOCAL = "to_char({} AT TIME ZONE %(tz)s, 'YYYY-MM-DD HH24:MI')"
COLUMNS = (  # heading, SQL over `issues` and its joins
    ("发现时间", LOCAL.format("issues.reported_at")),
    ("问题类型", "t.name_zh"),
    ("严重程度", "issues.severity"),
    ("来源", "CAST(%(sources)s AS jsonb) ->> issues.source"),
    ("状态", "CAST(%(statuses)s AS jsonb) ->> issues.status"),
    ("点位名称", "p.name"),
    ("点位编码", "p.code"),
    ("点位类别", "c.name_zh"),
    ("街道", "s.name"),
    ("社区", "m.name"),
    ("网格", "g.name"),
    ("地址", "p.address"),
    ("问题描述", "issues.description"),
    ("责任单位", "u.name"),
    ("交办时间", LOCAL.format("issues.dispatched_at")),
    ("整改期限", LOCAL.format("issues.deadline")),
    ("整改完成时间", LOCAL.format("issues.rectified_at")),
    ("销号时间", LOCAL.format("issues.closed_at")),
    ("是否超期", f"CASE WHEN {overdue_sql('issues')} THEN '是' ELSE '否' END"),
    (
        "超期天数",
        f"CASE WHEN {overdue_sql('issues')} "
        "THEN floor(date_part('epoch', now() - issues.deadline) / 86400)::int END",
    ),
    ("经度", "round(ST_X(issues.geom)::numeric, 6)"),
    ("纬度", "round(ST_Y(issues.geom)::numeric, 6)"),
    ("问题编号", "issues.id"),
)
HEADINGS = [heading for heading, _ in COLUMNS]
ISSUES: Table = Issue.__table__  # type: ignore[assignment]
# Each problem's point looked up by its key (OFFSET 0 keeps the planner from turning it into
# a join): over the whole ledger PostgreSQL 15 would hash the problems and join the points to
# them, and the problems found away from any point (a third, all with a NULL key) land in one
# bucket that no number of batches splits (300,000 problems: over 100 s, here 6 s).
FROM = """
  FROM issues
  JOIN issue_types t ON t.code = issues.type
  LEFT JOIN LATERAL (SELECT * FROM points p WHERE p.id = issues.point_id OFFSET 0) p ON true
  LEFT JOIN categories c ON c.code = p.category
  LEFT JOIN units u ON u.code = issues.unit_code
  LEFT JOIN areas s ON s.id = issues.street_id
  LEFT JOIN areas m ON m.id = issues.community_id
  LEFT JOIN areas g ON g.id = issues.grid_id
"""
DIALECT = postgresql.dialect()


def with_values(clause: ColumnElement[bool], values: dict[str, Any]) -> ColumnElement[bool]:
    """A copy of `clause` whose named parameters hold `values` (as `as_predicate` gives them)."""

    def bind(parameter: BindParameter[Any]) -> None:
        if parameter.key in values:
            parameter.value, parameter.required = values[parameter.key], False

    return visitors.cloned_traverse(clause, {}, {"bindparam": bind})


def over_issues(clause: ColumnElement[bool]) -> ColumnElement[bool]:
    """`clause` (over the `issues` layer, which may read a view of the problems) over the
    `issues` table's columns of the same names, which the ledger's SELECT reads."""

    def swap(element: Any, **_: Any) -> Any:
        if isinstance(element, Column) and element.table is not ISSUES and element.name in ISSUES.c:
            return ISSUES.c[element.name]
        return None

    return visitors.replacement_traverse(clause, {}, swap)


def _select(
    connection: Connection, where: list[ColumnElement[bool]], timezone: str, limit: int | None
) -> str:
    """The ledger's SELECT with every value inlined by the driver (COPY takes no parameters);
    `where` is over the `issues` layer's columns, the caller's scope included."""
    clause = over_issues(and_(*where)).compile(
        dialect=DIALECT, compile_kwargs={"render_postcompile": True}
    )
    columns = ",\n       ".join(f'{sql} AS "{heading}"' for heading, sql in COLUMNS)
    sql = f"SELECT {columns}{FROM} WHERE {clause} ORDER BY issues.reported_at DESC, issues.id" + (
        " LIMIT %(limit)s" if limit is not None else ""
    )
    params = dict(clause.params) | {
        "tz": timezone,
        "sources": json.dumps(SOURCE_NAMES, ensure_ascii=False),
        "statuses": json.dumps({str(k): v for k, v in NAMES_ZH.items()}, ensure_ascii=False),
        "limit": limit,
    }
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        return cursor.mogrify(sql, params).decode()
    finally:
        cursor.close()


def csv_file(connection: Connection, where: list[ColumnElement[bool]], timezone: str) -> IO[bytes]:
    """The ledger as CSV (UTF-8 with BOM, for spreadsheet programs), rewound; kept in memory
    up to a few MB, then on disk."""
    select = _select(connection, where, timezone, None)
    out = _spooled()
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        out.write("\ufeff".encode())
        cursor.copy_expert(f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER)", out)
    except BaseException:
        out.close()
        raise
    finally:
        cursor.close()
    out.seek(0)
    return out


def xlsx_file(
    connection: Connection, where: list[ColumnElement[bool]], timezone: str, max_rows: int
) -> IO[bytes]:
    """The ledger as an Excel workbook (one sheet, headings frozen), rewound; 400 when the
    filters select more than `max_rows` problems."""
    from openpyxl import Workbook

    select = _select(connection, where, timezone, max_rows + 1)
    raw: Any = connection.connection.dbapi_connection  # psycopg2's, for a server-side cursor
    with raw.cursor() as counter:  # the SQL holds its values: executed without parameters
        counter.execute(f"SELECT count(*) FROM ({select}) AS ledger")
        (count,) = counter.fetchone()
    if count > max_rows:
        raise InvalidParameter(
            f"f=xlsx: more than {max_rows:,} problems; narrow the filters or use f=csv"
        )
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.freeze_panes = "A2"
    sheet.append(HEADINGS)
    with raw.cursor(name="ledger") as rows:  # server-side: fetched 5,000 at a time
        rows.itersize = 5_000
        rows.execute(select)
        for row in rows:
            sheet.append([_cell(value) for value in row])
    out = _spooled()
    book.save(out)
    out.seek(0)
    return out


def html_rows(
    connection: Connection, where: list[ColumnElement[bool]], timezone: str, max_rows: int
) -> tuple[list[str], list[tuple[Any, ...]], bool]:
    """The first `max_rows` rows of the ledger for a printed page: headings, rows, and
    whether there are more (the page then points to the CSV)."""
    select = _select(connection, where, timezone, max_rows + 1)
    raw: Any = connection.connection.dbapi_connection
    with raw.cursor() as cursor:  # the SQL holds its values: executed without parameters
        cursor.execute(select)
        rows = cursor.fetchall()
    return HEADINGS, rows[:max_rows], len(rows) > max_rows


def _spooled() -> IO[bytes]:
    """A temporary file kept in memory up to 8 MB, then on disk; `chunks` closes it."""
    return tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115


def _cell(value: Any) -> Any:
    """What a worksheet cell can hold (ids and decimals as text and numbers)."""
    if value is None or isinstance(value, int | float | str):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def chunks(file: IO[bytes], size: int = 256 * 1024) -> Iterator[bytes]:
    """A file's bytes in pieces, for a streamed response; closes it at the end."""
    with file:
        while piece := file.read(size):
            yield piece
