"""Databases of their own beside the test database, for tests that migrate or compare two."""

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, make_url, text

from geoapi.db import migrate
from geoapi.settings import Settings


@contextmanager
def database_beside(settings: Settings, name: str, revision: str = "head") -> Iterator[Engine]:
    """A new database `name` on the test server, migrated to `revision`; dropped after."""
    server = make_url(settings.sqlalchemy_url)
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine = create_engine(server.set(database=name))
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE EXTENSION postgis; CREATE EXTENSION pgrouting"))
        migrate.upgrade(engine, revision)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))
        admin.dispose()
