"""Engine and session factories; the app and the CLI both build theirs here."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractContextManager, asynccontextmanager
from typing import Annotated, Any, TypeVar

import anyio
import psycopg2.extensions
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from geoapi.settings import Settings


def make_engine(settings: Settings, statement_timeout_s: float | None = None) -> Engine:
    """The engine of sessions (writes, reads of several statements): transactions, and
    connections pinged before use (the database may have restarted under us).

    The service passes its `db_statement_timeout_s`; the command line (imports, demo loads)
    runs without one.
    """
    return _pooled(settings, settings.sqlalchemy_url, statement_timeout_s, pool_pre_ping=True)


def make_report_engine(settings: Settings, statement_timeout_s: float | None = None) -> Engine:
    """Sessions for reads of several statements (figures, bulletins, the map): on the read
    replica when there is one (`read_database_url`), else the same database as writes."""
    return _pooled(settings, settings.sqlalchemy_read_url, statement_timeout_s, pool_pre_ping=True)


def make_read_engine(settings: Settings) -> Engine:
    """The engine of `Reader`s: one-statement reads on autocommit connections, unpinged.

    A feature page over a pinged connection in a transaction makes four round trips (ping,
    BEGIN, the query, ROLLBACK on return); here it makes one. A connection found dead is
    replaced and the read retried once (`Reader`): a database restart costs a retry, not
    an error.
    """
    return _pooled(
        settings,
        settings.sqlalchemy_read_url,
        settings.db_read_timeout_s,
        pool_pre_ping=False,
        isolation_level="AUTOCOMMIT",
    )


def _pooled(
    settings: Settings, url: str, statement_timeout_s: float | None, **options: Any
) -> Engine:
    """A pool whose wait for a free connection is bounded (`db_pool_timeout_s`, then 503)."""
    engine = create_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_timeout=settings.db_pool_timeout_s,
        connect_args={
            "connect_timeout": settings.db_connect_timeout,
            "application_name": "geoapi",
            "options": session_options(settings, statement_timeout_s),
        },
        **options,
    )
    event.listen(engine, "before_cursor_execute", _text_as_bytes)
    return engine


def _text_as_bytes(
    connection: Connection, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
) -> None:
    """With the execution option `text_as_bytes`, this cursor returns `text` undecoded: the
    UTF-8 bytes PostgreSQL sent, copied by psycopg2's C caster.

    For statements whose JSON goes out as it came (cast to text in SQL: a caster of our own
    for `json` would run in Python, decoding and re-encoding every page).
    """
    if context is not None and context.execution_options.get("text_as_bytes"):
        psycopg2.extensions.register_type(psycopg2.extensions.BYTES, cursor)


def session_options(settings: Settings, statement_timeout_s: float | None = None) -> str:
    """Per-connection PostgreSQL settings: UTC timestamps in PostGIS-made JSON, planner limits,
    and the statement timeout that keeps one request from holding a backend for minutes."""
    options = [
        "-c timezone=UTC",
        f"-c max_parallel_workers_per_gather={settings.db_parallel_workers}",
        f"-c jit={'on' if settings.db_jit else 'off'}",
    ]
    if statement_timeout_s:
        options.append(f"-c statement_timeout={round(statement_timeout_s * 1000)}")
    return " ".join(options)


@asynccontextmanager
async def _session_on(engine: Engine) -> AsyncIterator[Session]:
    """One session per request, bound to `engine`.

    Creating a Session does no I/O, so it happens on the event loop; the connection is checked
    out in the handler's thread on first use. Closing (rollback, return to the pool) runs in a
    thread of its own limiter, never waiting for a token of the shared thread pool: when every
    token is held by a handler waiting for a connection, the close that frees one must still
    run (FastAPI's `contextmanager_in_threadpool` does the same for its exits).
    """
    session = Session(engine)
    try:
        yield session
    finally:
        if session.in_transaction():
            await anyio.to_thread.run_sync(session.close, limiter=anyio.CapacityLimiter(1))
        else:  # never touched the database (a cached key, say): nothing to give back
            session.close()


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session on the database, for writes and the reads that go with them."""
    async with _session_on(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


async def get_report_session(request: Request) -> AsyncIterator[Session]:
    """A session for reads only, on the replica when there is one (`make_report_engine`)."""
    async with _session_on(request.app.state.report_engine) as session:
        yield session


ReportSessionDep = Annotated[Session, Depends(get_report_session)]
T = TypeVar("T")


class Reader:
    """Runs a read-only piece of work on a connection in one worker-thread hop: check-out,
    query, return. The hot read paths (feature pages, tiles, API keys) use it.

    The work runs again, once, on a fresh connection when its connection turns out to be
    dead (a database restart): reads can be repeated, and the pool is not pinged per use.
    """

    def __init__(self, connect: Callable[[], AbstractContextManager[Connection]]) -> None:
        self._connect = connect

    async def __call__(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)`'s result, computed off the event loop."""
        return await run_in_threadpool(self.run, work)

    def run(self, work: Callable[[Connection], T]) -> T:
        """`work(connection)`'s result, in the calling thread."""
        try:
            with self._connect() as connection:
                return work(connection)
        except DBAPIError as exc:
            if not exc.connection_invalidated:
                raise
        with self._connect() as connection:
            return work(connection)


async def get_reader(request: Request) -> Reader:
    """A Reader on the app's read pool."""
    return Reader(request.app.state.read_engine.connect)


ReaderDep = Annotated[Reader, Depends(get_reader)]
