"""A bounded HTTP/1.1 load generator: many keep-alive connections on loopback, for a fixed time.

Used by the hardening tests (no error, no stall) and `bench/hardening.py` (req/s, p99).
Each connection sends its requests one after another and stops at the deadline; nothing is
sent anywhere but the given loopback address.
"""

import asyncio
import itertools
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import h11


@dataclass
class LoadResult:
    """What the clients saw: statuses, latencies (s) and the connections that never got one."""

    seconds: float
    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    idle_connections: int = 0

    @property
    def requests(self) -> int:
        """Requests answered."""
        return sum(self.statuses.values())

    def percentile(self, p: float) -> float:
        """The p-th percentile latency in seconds (0 with no answers)."""
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))] if ordered else 0.0

    def summary(self) -> str:
        """One line for a benchmark or a failing assertion."""
        return (
            f"{self.requests} answered in {self.seconds:.1f} s ({self.requests / self.seconds:.0f}"
            f" req/s), p50 {self.percentile(50) * 1000:.0f} ms, p99 "
            f"{self.percentile(99) * 1000:.0f} ms, max {max(self.latencies, default=0) * 1000:.0f}"
            f" ms, statuses {dict(self.statuses)}, errors {dict(self.errors)}, idle connections "
            f"{self.idle_connections}"
        )


def run_load(
    base_url: str,
    paths: list[str],
    connections: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> LoadResult:
    """`connections` keep-alive clients cycling through `paths` for `seconds`."""
    return asyncio.run(_load(base_url, paths, connections, seconds, headers or {}, timeout))


async def _load(
    base_url: str,
    paths: list[str],
    connections: int,
    seconds: float,
    headers: dict[str, str],
    timeout: float,
) -> LoadResult:
    parts = urlsplit(base_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(f"load is only sent to loopback, not {host}")
    result = LoadResult(seconds)
    started = time.monotonic()
    deadline = started + seconds
    answered = await asyncio.gather(
        *(
            _client(host, port, paths, n, deadline, headers, timeout, result)
            for n in range(connections)
        )
    )
    result.seconds = time.monotonic() - started
    result.idle_connections = sum(1 for count in answered if count == 0)
    return result


async def _client(
    host: str,
    port: int,
    paths: list[str],
    offset: int,
    deadline: float,
    headers: dict[str, str],
    timeout: float,
    result: LoadResult,
) -> int:
    """One keep-alive connection; reconnects when the server closes it. Returns its answers."""
    answered = 0
    order = itertools.islice(itertools.cycle(paths), offset % len(paths), None)
    reader = writer = None
    connection = h11.Connection(h11.CLIENT)
    while time.monotonic() < deadline:
        path = next(order)
        try:
            if writer is None or connection.our_state is h11.MUST_CLOSE:
                if writer is not None:
                    writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                connection = h11.Connection(h11.CLIENT)
            begun = time.monotonic()
            status = await asyncio.wait_for(
                _exchange(connection, reader, writer, host, path, headers), timeout
            )
            result.latencies.append(time.monotonic() - begun)
            result.statuses[status] += 1
            answered += 1
            connection.start_next_cycle()
        except (OSError, TimeoutError, h11.ProtocolError, asyncio.IncompleteReadError) as exc:
            result.errors[type(exc).__name__] += 1
            if writer is not None:
                writer.close()
            writer = None
    if writer is not None:
        writer.close()
    return answered


async def _exchange(
    connection: h11.Connection,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    host: str,
    path: str,
    headers: dict[str, str],
) -> int:
    request = h11.Request(method="GET", target=path, headers=[("Host", host), *headers.items()])
    writer.write(connection.send(request) + connection.send(h11.EndOfMessage()))
    await writer.drain()
    status = 0
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(65536)
            if not data:
                raise asyncio.IncompleteReadError(b"", None)
            connection.receive_data(data)
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.EndOfMessage):
            return status
