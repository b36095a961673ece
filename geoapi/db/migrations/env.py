"""Alembic environment: URL and connection come from geoapi (settings or a caller's engine)."""

from alembic import context
from geoalchemy2 import alembic_helpers
from sqlalchemy import Connection, create_engine, pool

from geoapi.db import migrate
from geoapi.db.models import Base
from geoapi.settings import Settings

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_object=migrate.include_object,
        process_revision_directives=alembic_helpers.writer,
        render_item=alembic_helpers.render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run on the connection the caller passed in, or on a fresh one from settings."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = create_engine(Settings().sqlalchemy_url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        _configure(connection)


run_migrations_online()
