"""An answer's queries side by side: each on a pooled connection of its own while the pool
has one to spare, else on the answer's connection; nothing lost either way."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine, text

from geoapi.db.side_by_side import SideBySide

BACKEND = text("SELECT pg_backend_pid()")


def backend(connection: Connection) -> int:
    return int(connection.scalar(BACKEND))


def sleeping_backend(connection: Connection, seconds: float) -> int:
    connection.execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
    return backend(connection)


@pytest.fixture
def small_engine(engine: Engine) -> Iterator[Engine]:
    """A pool of three, so a test can hold all of it."""
    pooled = create_engine(engine.url, pool_size=3, max_overflow=0, pool_timeout=30)
    yield pooled
    pooled.dispose()


def test_queries_run_at_once_on_connections_of_their_own(small_engine: Engine) -> None:
    with small_engine.connect() as own, SideBySide(own, small_engine, workers=2) as side:
        slow = side.submit(sleeping_backend, 0.5)
        quick = side.submit(backend)
        assert quick.result(timeout=5) != backend(own)
        assert not slow.done()  # the quick one did not wait for the slow one
        assert slow.result(timeout=5) not in (backend(own), quick.result())


def test_without_an_engine_queries_run_on_the_callers_connection(connection: Connection) -> None:
    connection.execute(text("CREATE TEMP TABLE only_here (n int)"))
    connection.execute(text("INSERT INTO only_here VALUES (7)"))
    with SideBySide(connection, None) as side:
        seen = side.submit(lambda c: c.scalar(text("SELECT n FROM only_here")))
        assert seen.result() == 7
        assert side.submit(backend).result() == backend(connection)


def test_with_the_pool_held_queries_run_on_the_callers_connection(small_engine: Engine) -> None:
    with (
        small_engine.connect() as own,
        small_engine.connect(),
        small_engine.connect(),  # the whole pool held
        SideBySide(own, small_engine) as side,
    ):
        ran = side.submit(backend)
        assert ran.done()  # at once, without waiting for a connection
        assert ran.result() == backend(own)


@pytest.mark.parametrize("engine_given", [True, False])
def test_a_failing_query_raises_from_its_result(small_engine: Engine, engine_given) -> None:
    with (
        small_engine.connect() as own,
        SideBySide(own, small_engine if engine_given else None) as side,
    ):
        failed = side.submit(lambda c: c.execute(text("SELECT 1/0")))
        with pytest.raises(Exception, match="division by zero"):
            failed.result(timeout=5)
