"""Alembic driven from Python: `geoapi db ...` and the test suite migrate through here."""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from geoalchemy2 import alembic_helpers
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    """An Alembic config pointing at our migrations; bound to `engine` when given."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def _run(engine: Engine, action: str, revision: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database up to `revision`."""
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str = "-1") -> None:
    """Migrate the database down to `revision` (default: one step)."""
    _run(engine, "downgrade", revision)


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    """The newest revision the code ships."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision is not None
    return revision


def include_object(
    item: Any, name: str | None, kind: str, reflected: bool, compare_to: Any
) -> bool:
    """What autogenerate compares: geoalchemy2's choice, less the partitions of a partitioned
    table (its monthly tables are made at run time, not declared)."""
    if kind == "table":
        table = name
    elif kind == "foreign_key_constraint":  # one per partition, pointing at it
        table = item.referred_table.name
    else:
        table = getattr(getattr(item, "table", None), "name", None)
    if reflected and compare_to is None and table is not None and _is_partition(table):
        return False
    return bool(alembic_helpers.include_object(item, name, kind, reflected, compare_to))


def _is_partition(table: str) -> bool:
    from geoapi.db.models import Base

    return any(
        table.startswith(f"{parent.name}_")
        for parent in Base.metadata.tables.values()
        if parent.dialect_options["postgresql"]["partition_by"]
    )
