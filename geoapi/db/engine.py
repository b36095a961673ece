"""Engine and session factories; the app and the CLI both build theirs here."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager
from typing import Annotated, Any, TypeVar

import psycopg2.extensions
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.orm import Session

from geoapi.settings import Settings

# `json` values as the UTF-8 bytes PostgreSQL sent, for statements that pass JSON through.
JSON_AS_BYTES = psycopg2.extensions.new_type((114,), "JSON_AS_BYTES", psycopg2.extensions.BYTES)


def make_engine(settings: Settings) -> Engine:
    """A pooled engine that checks connections before use (the DB may restart under us)."""
    engine = create_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": settings.db_connect_timeout,
            "application_name": "geoapi",
            "options": session_options(settings),
        },
    )
    event.listen(engine, "before_cursor_execute", _json_as_bytes)
    return engine


def _json_as_bytes(
    connection: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    """With the execution option `json_as_bytes`, this cursor returns `json` undecoded."""
    if context is not None and context.execution_options.get("json_as_bytes"):
        psycopg2.extensions.register_type(JSON_AS_BYTES, cursor)


def session_options(settings: Settings) -> str:
    """Per-connection PostgreSQL settings: UTC timestamps in PostGIS-made JSON, planner limits."""
    return " ".join(
        [
            "-c timezone=UTC",
            f"-c max_parallel_workers_per_gather={settings.db_parallel_workers}",
            f"-c jit={'on' if settings.db_jit else 'off'}",
        ]
    )


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, bound to the app's engine.

    Creating a Session does no I/O, so it happens on the event loop; the connection is checked
    out in the handler's thread on first use, and closing (rollback, return to the pool) goes
    to the thread pool. Two thread hops a request instead of four.
    """
    session = Session(request.app.state.engine)
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:  # never touched the database (a cached key, say): nothing to give back
            session.close()


SessionDep = Annotated[Session, Depends(get_session)]
T = TypeVar("T")


class Reader:
    """Runs read-only work on a connection in one worker-thread hop: check-out, query, return.

    For the hot read paths (feature pages, tiles): the event loop never waits on a second
    hop to give the connection back.
    """

    def __init__(self, connect: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._connect = connect

    async def __call__(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)`'s result, computed off the event loop."""

        def run() -> T:
            with self._connect() as connection:
                return work(connection)

        return await run_in_threadpool(run)


async def get_reader(request: Request) -> Reader:
    """A Reader on the app's pool."""
    return Reader(request.app.state.engine.connect)


ReaderDep = Annotated[Reader, Depends(get_reader)]
