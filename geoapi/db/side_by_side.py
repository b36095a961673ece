"""The read-only queries of one answer run side by side, each on a pooled connection of its
own, so the answer waits for its slowest query rather than for their sum (the database works
on one query per connection)."""

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from types import TracebackType
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

P = ParamSpec("P")
T = TypeVar("T")


class SideBySide:
    """`submit(query, *args)` runs `query(connection, *args)`: on a connection of `engine` in a
    worker thread while its pool has one to spare, else at once on `connection`, the answer's
    own (also always without `engine`: a caller whose transaction holds rows the others
    would not see). Results and errors come back through the returned future."""

    def __init__(self, connection: Connection, engine: Engine | None, workers: int = 3) -> None:
        self._connection = connection
        self._engine = engine
        self._workers = ThreadPoolExecutor(workers) if engine is not None else None

    def __enter__(self) -> "SideBySide":
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._workers is not None:
            self._workers.shutdown(wait=True, cancel_futures=True)

    def submit(
        self, query: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> "Future[T]":
        """Start `query`; its result (or error) is the future's."""
        if self._workers is None or not self._spare_connection():
            done: Future[T] = Future()
            try:
                done.set_result(query(self._connection, *args, **kwargs))
            except Exception as error:  # raised again by .result(), as from a worker
                done.set_exception(error)
            return done
        return self._workers.submit(partial(self._on_own_connection, query, *args, **kwargs))

    def _on_own_connection(
        self, query: Callable[Concatenate[Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        assert self._engine is not None
        with self._engine.connect() as connection:
            return query(connection, *args, **kwargs)

    def _spare_connection(self) -> bool:
        """The pool has an idle or unopened connection below its size: borrowing one makes
        no request wait (under load the answer's queries run one after another instead)."""
        pool = self._engine.pool if self._engine is not None else None
        return isinstance(pool, QueuePool) and pool.checkedout() < pool.size()


def engine_of(session: Session) -> Engine | None:
    """The engine a request's session draws from, whose pool can lend an answer more
    connections; None for a session on a caller's connection (its rows unseen elsewhere)."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else None
