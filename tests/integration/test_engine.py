from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, text

from geoapi.db.engine import Reader, make_engine, make_read_engine
from geoapi.settings import Settings


def _show(engine: Engine, name: str) -> str:
    with engine.connect() as connection:
        return connection.scalar(text(f"SHOW {name}"))


def test_service_connections_start_no_parallel_workers_or_jit(engine: Engine):
    assert _show(engine, "max_parallel_workers_per_gather") == "0"
    assert _show(engine, "jit") == "off"
    assert _show(engine, "timezone") == "UTC"


def test_parallel_workers_and_jit_follow_the_settings(settings: Settings):
    tuned = make_engine(settings.model_copy(update={"db_parallel_workers": 2, "db_jit": True}))
    try:
        assert _show(tuned, "max_parallel_workers_per_gather") == "2"
        assert _show(tuned, "jit") == "on"
    finally:
        tuned.dispose()


def test_text_arrives_as_utf8_bytes_only_when_asked(engine: Engine):
    statement = text("SELECT json_build_object('name', '农贸市场')::text, 7")
    with engine.connect() as connection:
        passed_through = connection.execute(statement.execution_options(text_as_bytes=True))
        assert tuple(passed_through.one()) == ('{"name" : "农贸市场"}'.encode(), 7)
        assert tuple(connection.execute(statement).one()) == ('{"name" : "农贸市场"}', 7)


@pytest.fixture
def reader(settings: Settings) -> Iterator[Reader]:
    """A Reader on its own read pool, as the service's readers are."""
    engine = make_read_engine(settings)
    yield Reader(engine.connect)
    engine.dispose()


def _no_open_transaction(connection: Connection) -> bool:
    connection.execute(text("SELECT 1"))
    return connection.scalar(text("SELECT now() = statement_timestamp()"))


def test_reads_hold_no_transaction_open(reader: Reader, engine: Engine):
    assert reader.run(_no_open_transaction)  # each statement commits on its own
    assert not Reader(engine.connect).run(_no_open_transaction)  # sessions' pool: in one


def test_a_read_survives_its_connection_being_killed(reader: Reader, engine: Engine):
    backend = reader.run(lambda connection: connection.scalar(text("SELECT pg_backend_pid()")))
    with engine.connect() as admin:
        assert admin.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": backend})
    again = reader.run(lambda connection: connection.scalar(text("SELECT pg_backend_pid()")))
    assert again != backend
