"""One request timed several times through the ASGI app: the helper the benchmarks share."""

import time
from typing import Any


def timed_get(client: Any, path: str, runs: int, **headers: str) -> tuple[list[float], Any]:
    """Seconds of each of `runs` GETs of `path` and the last response; exits on a non-200."""
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path, headers=headers)
        seconds.append(time.perf_counter() - started)
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code} {response.text[:300]}")
    return seconds, response
