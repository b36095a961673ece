import pytest
from sqlalchemy import Engine, inspect, text

from geoapi.db import migrate
from geoapi.db.models import Base

TABLES = set(Base.metadata.tables)


def test_downgrade_to_base_and_upgrade_to_head(engine: Engine):
    migrate.downgrade(engine, "base")
    try:
        assert migrate.current(engine) is None
        assert TABLES.isdisjoint(inspect(engine).get_table_names())
    finally:
        migrate.upgrade(engine)
    assert migrate.current(engine) == migrate.head()
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_schema_matches_the_models(engine: Engine):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_object": migrate.include_object,
                "compare_type": True,
            },
        )
        assert compare_metadata(context, Base.metadata) == []


def test_reference_vocabularies_are_seeded(engine: Engine):
    with engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM categories")) == 10
        assert (
            connection.scalar(
                text("SELECT name_zh FROM issue_types WHERE code = 'flying_wire_charging'")
            )
            == "飞线充电"
        )


@pytest.mark.parametrize("table", ["areas", "points", "issues", "inspections"])
def test_every_geometry_has_a_gist_index(engine: Engine, table: str):
    with engine.connect() as connection:
        geometry_columns = set(
            connection.scalars(
                text(
                    "SELECT f_geometry_column FROM geometry_columns "
                    "WHERE f_table_schema = 'public' AND f_table_name = :t"
                ),
                {"t": table},
            )
        )
        indexed = set(
            connection.scalars(
                text(
                    "SELECT a.attname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                    "JOIN pg_am am ON am.oid = c.relam "
                    "JOIN pg_attribute a ON a.attrelid = i.indrelid "
                    "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = CAST(:t AS regclass) "
                    "AND am.amname = 'gist'"
                ),
                {"t": table},
            )
        )
    assert geometry_columns and geometry_columns <= indexed
