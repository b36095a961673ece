"""Engine and session factories; the app and the CLI both build theirs here."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from geoapi.settings import Settings


def make_engine(settings: Settings) -> Engine:
    """A pooled engine that checks connections before use (the DB may restart under us)."""
    return create_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        connect_args={
            "connect_timeout": settings.db_connect_timeout,
            "application_name": "geoapi",
            "options": "-c timezone=UTC",  # timestamps in JSON made by PostgreSQL read as UTC
        },
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
        await run_in_threadpool(session.close)


SessionDep = Annotated[Session, Depends(get_session)]
