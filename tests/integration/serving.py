"""`geoapi serve` in its own process, for clients that need a real server (GDAL, Chromium)."""

import http.server
import io
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
from PIL import Image
from sqlalchemy import Connection, Engine

from geoapi.demo import load
from geoapi.demo.generate import generate
from geoapi.reference.model import read_reference
from geoapi.settings import Settings

AS_OF = datetime(2026, 11, 20, 12, tzinfo=UTC)  # tests.conftest.DEMO_AS_OF
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def committed_city(
    engine: Engine, scale: float, seed: int, prepare: Callable[[Connection], T]
) -> Iterator[T]:
    """A demo city committed to the test database for a server process to read, with what
    `prepare` adds to it (users, keys) in the same transaction; removed afterwards."""
    with engine.begin() as connection:
        load.clear(connection)  # the test database only; a crashed earlier run may have left rows
        city = generate(scale, seed, AS_OF, read_reference(connection))
        load.load(connection, load.plan(city))
        prepared = prepare(connection)
    try:
        yield prepared
    finally:
        with engine.begin() as connection:
            load.clear(connection)


@contextmanager
def running_server(settings: Settings, **env: str) -> Iterator[str]:
    """The server's base URL while it runs; extra GEOAPI_* settings as keyword arguments.

    A separate process, as in production: GDAL holds the GIL while it fetches, so a server
    thread in the test process could never answer it.
    """
    port = free_port()
    environment = (
        os.environ
        | env
        | {
            "GEOAPI_DATABASE_URL": str(settings.database_url),
            "GEOAPI_LAYERS_DIR": str(settings.layers_dir),
        }
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "geoapi.cli", "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_healthy(url, process)
        yield url
    finally:
        process.terminate()  # uvicorn finishes the requests in flight, then exits
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()  # a test is about what was answered, not about a slow goodbye
            process.wait(10)


def _wait_until_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {process.stderr.read().decode()[-2000:]}")
        try:
            with urllib.request.urlopen(url + "health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("server did not become healthy in 30 s")


CHROMIUM = "/usr/bin/chromium"
# Browser tests run where Debian's chromium is installed (./scripts/test installs it); under CI
# its absence fails them instead of skipping.
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not os.environ.get("CI"),
    reason="Debian's chromium is not installed (./scripts/test installs it)",
)


@dataclass
class TileServer:
    """A basemap tile server on the loopback: one plain PNG for every tile, and each tile
    path asked for, in order."""

    template: str
    asked: list[str] = field(default_factory=list)


@contextmanager
def tile_server() -> Iterator[TileServer]:
    """Serve `{z}/{x}/{y}.png` on a free loopback port while the block runs."""
    picture = io.BytesIO()
    Image.new("RGB", (256, 256), (225, 235, 220)).save(picture, "PNG")
    png = picture.getvalue()
    port = free_port()
    server = TileServer(f"http://127.0.0.1:{port}/{{z}}/{{x}}/{{y}}.png")

    class Tiles(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            server.asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Tiles)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.shutdown()
        httpd.server_close()
