"""The reference tables' SQL: each kind listed in one statement, written by code (insert or
replace), links replaced whole."""

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, text

LISTS = {
    "categories": """
SELECT c.code, c.name_zh, c.name_en,
       coalesce(array_agg(l.issue_type ORDER BY l.issue_type)
                FILTER (WHERE l.issue_type IS NOT NULL), '{}') AS issue_types
  FROM categories c LEFT JOIN category_issue_types l ON l.category = c.code
 WHERE CAST(:code AS text) IS NULL OR c.code = :code
 GROUP BY c.code ORDER BY c.code""",
    "issue_types": """
SELECT t.code, t.name_zh, t.name_en, t.default_deadline_days,
       t.default_unit_code AS default_unit, t.after_photo_required,
       coalesce(array_agg(l.category ORDER BY l.category)
                FILTER (WHERE l.category IS NOT NULL), '{}') AS categories
  FROM issue_types t LEFT JOIN category_issue_types l ON l.issue_type = t.code
 WHERE CAST(:code AS text) IS NULL OR t.code = :code
 GROUP BY t.code ORDER BY t.code""",
    "units": """
SELECT code, name FROM units WHERE CAST(:code AS text) IS NULL OR code = :code ORDER BY code""",
    "teams": """
SELECT t.code, t.name, a.code AS area,
       CASE WHEN t.base IS NULL THEN NULL ELSE ARRAY[ST_X(t.base), ST_Y(t.base)] END AS base
  FROM teams t LEFT JOIN areas a ON a.id = t.area_id
 WHERE CAST(:code AS text) IS NULL OR t.code = :code
 ORDER BY t.code""",
}

UPSERTS = {
    "categories": """
INSERT INTO categories (code, name_zh, name_en) VALUES (:code, :name_zh, :name_en)
ON CONFLICT (code) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en
RETURNING (xmax = 0)""",
    "issue_types": """
INSERT INTO issue_types (code, name_zh, name_en, default_deadline_days, default_unit_code,
                         after_photo_required)
VALUES (:code, :name_zh, :name_en, :default_deadline_days, :default_unit, :after_photo_required)
ON CONFLICT (code) DO UPDATE
   SET name_zh = excluded.name_zh, name_en = excluded.name_en,
       default_deadline_days = excluded.default_deadline_days,
       default_unit_code = excluded.default_unit_code,
       after_photo_required = excluded.after_photo_required
RETURNING (xmax = 0)""",
    "units": """
INSERT INTO units (code, name) VALUES (:code, :name)
ON CONFLICT (code) DO UPDATE SET name = excluded.name
RETURNING (xmax = 0)""",
    "teams": """
INSERT INTO teams (code, name, area_id, base)
VALUES (:code, :name, (SELECT id FROM areas WHERE code = :area),
        CASE WHEN CAST(:lon AS float8) IS NULL THEN NULL
             ELSE ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) END)
ON CONFLICT (code) DO UPDATE
   SET name = excluded.name, area_id = excluded.area_id, base = excluded.base
RETURNING (xmax = 0)""",
}

# Links of one category (or one type) replaced by the given list.
RELINK = {
    "categories": ("category", "issue_type"),
    "issue_types": ("issue_type", "category"),
}


def rows(connection: Connection, kind: str, code: str | None = None) -> list[dict[str, Any]]:
    """Every row of `kind` (or the one with `code`), as plain dicts."""
    return [dict(r) for r in connection.execute(text(LISTS[kind]), {"code": code}).mappings()]


def upsert(connection: Connection, kind: str, values: dict[str, Any]) -> bool:
    """Insert or replace one row by code; True when it was created."""
    return bool(connection.scalar(text(UPSERTS[kind]), values))


def relink(connection: Connection, kind: str, code: str, others: Sequence[str]) -> None:
    """Replace the category–type links of one category or type."""
    mine, theirs = RELINK[kind]
    connection.execute(
        text(f"DELETE FROM category_issue_types WHERE {mine} = :code"), {"code": code}
    )
    connection.execute(
        text(
            f"INSERT INTO category_issue_types ({mine}, {theirs}) "
            "SELECT :code, o FROM unnest(CAST(:others AS text[])) AS o"
        ),
        {"code": code, "others": list(others)},
    )


def missing(connection: Connection, table: str, codes: Sequence[str]) -> list[str]:
    """The codes of `codes` that `table` does not hold (table: a fixed name, never input)."""
    return list(
        connection.scalars(
            text(
                "SELECT c FROM unnest(CAST(:codes AS text[])) AS c "
                f"WHERE NOT EXISTS (SELECT FROM {table} t WHERE t.code = c) ORDER BY c"
            ),
            {"codes": list(codes)},
        )
    )


def unit_named(connection: Connection, name: str) -> str | None:
    """The code of the unit called `name`, if any."""
    return connection.scalar(text("SELECT code FROM units WHERE name = :n"), {"n": name})


def lock(connection: Connection, kind: str, code: str) -> None:
    """Hold the row `code` of `kind` (a fixed table name) until the transaction ends."""
    connection.execute(text(f"SELECT FROM {kind} WHERE code = :code FOR UPDATE"), {"code": code})


def codes(connection: Connection, table: str) -> list[str]:
    """Every code of a reference table (a fixed name, never input), sorted."""
    return list(connection.scalars(text(f"SELECT code FROM {table} ORDER BY code")))


def names_zh(connection: Connection, table: str) -> dict[str, str]:
    """Chinese names by code of `categories` or `issue_types`."""
    rows = connection.execute(text(f"SELECT code, name_zh FROM {table}"))
    return {code: name for code, name in rows}
