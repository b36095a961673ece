"""The service under load and through a database restart, as a real server on loopback:
no stall, no error, and no acknowledged write lost or doubled."""

import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from geoapi.auth import lookup
from geoapi.db import migrate
from geoapi.settings import Settings
from tests.factories import make_point, make_unit
from tests.integration.serving import committed_city, free_port, running_server
from tests.loadgen import run_load


@pytest.fixture(scope="module")
def served_city(settings: Settings, engine: Engine) -> Iterator[tuple[str, str, list[str]]]:
    """A small committed city behind `geoapi serve` with small pools (4 + 4 connections), so
    clients outnumber connections sixteen to one."""

    def prepare(connection) -> tuple[str, list[str]]:
        key = lookup.add_user(connection, "load-planner", "planner")
        return key, list(connection.scalars(text("SELECT code FROM points ORDER BY id LIMIT 20")))

    with (
        committed_city(engine, 0.03, 5, prepare) as (key, codes),
        running_server(settings, GEOAPI_ACCESS_LOG="false", GEOAPI_DB_POOL_SIZE="4") as url,
    ):
        yield url, key, codes


def test_128_keep_alive_clients_get_answers_without_error_or_stall(served_city):
    url, key, codes = served_city
    paths = [f"/points/{code}" for code in codes]  # a session per request
    paths += ["/issues?limit=5", "/collections/points/items?limit=5"]  # reads
    result = run_load(url, paths, connections=128, seconds=8, headers={"X-API-Key": key})
    assert result.errors == {} and set(result.statuses) == {200}, result.summary()
    assert result.idle_connections == 0, result.summary()
    # Within the bounded pool wait: before, clients froze for the whole 30 s pool timeout.
    assert max(result.latencies) < 5.0, result.summary()


@dataclass
class Cluster:
    """A PostgreSQL cluster of the test's own, on a free port."""

    bin: Path
    data: Path
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/geoapi_restart"

    @property
    def engine_url(self) -> str:
        return self.url.replace("postgresql://", "postgresql+psycopg2://")

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            [
                *_as_postgres(),
                str(self.bin / "pg_ctl"),
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-w",
                *args,
            ],
            check=True,
            capture_output=True,
        )


def _as_postgres() -> list[str]:
    """PostgreSQL refuses to run as root: as root, run its tools as the postgres user."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not versions:
        pytest.fail("no PostgreSQL server binaries under /usr/lib/postgresql")
    root = Path(tempfile.mkdtemp(prefix="geoapi-pg-"))
    root.chmod(0o777)
    made = Cluster(versions[-1].parent, root / "data", free_port(), root / "server.log")
    subprocess.run(
        [
            *_as_postgres(),
            str(made.bin / "initdb"),
            "-D",
            str(made.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        ],
        check=True,
        capture_output=True,
    )
    options = f"-p {made.port} -k {root} -c listen_addresses=127.0.0.1"
    made.pg_ctl("-o", options, "start")
    try:
        admin = create_engine(
            made.engine_url.replace("geoapi_restart", "postgres"), isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE geoapi_restart"))
        admin.dispose()
        yield made
    finally:
        made.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Writers:
    """Clients reporting problems with ids of their own, retrying each until acknowledged."""

    url: str
    key: str
    acknowledged: list[str] = field(default_factory=list)
    statuses: Counter[int | str] = field(default_factory=Counter)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self) -> None:
        while not self.stop.is_set():
            issue_id = str(uuid.uuid4())
            body = {
                "id": issue_id,
                "type": "clutter",
                "source": "inspection",
                "lon": 117.0501,
                "lat": 36.6601,
            }
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:  # a device retries until it hears back
                status = self._post(body)
                with self.lock:
                    self.statuses[status] += 1
                if status in (200, 201):
                    with self.lock:
                        self.acknowledged.append(issue_id)
                    break
                time.sleep(0.05)

    def _post(self, body: dict) -> int | str:
        request = urllib.request.Request(
            self.url + "issues",
            data=json.dumps(body).encode(),
            headers={"X-API-Key": self.key, "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code
        except OSError as exc:
            return type(exc).__name__


def test_no_acknowledged_write_is_lost_or_doubled_across_a_database_crash(settings, cluster):
    engine = create_engine(cluster.engine_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE EXTENSION postgis"))
    migrate.upgrade(engine)
    with engine.begin() as connection:
        key = lookup.add_user(connection, "restart-admin", "admin")
        make_unit(connection, "market_reg")
        make_point(connection, "MK-1", lon=117.05, lat=36.66, category="market")
    engine.dispose()  # its connections die with the crash below
    own = settings.model_copy(update={"database_url": cluster.url})
    with running_server(own, GEOAPI_ACCESS_LOG="false") as url:
        writers = Writers(url, key)
        threads = [threading.Thread(target=writers.run) for _ in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(2)
        before_crash = len(writers.acknowledged)
        cluster.pg_ctl("-m", "immediate", "restart")  # as a crash: no clean shutdown
        time.sleep(4)
        writers.stop.set()
        for thread in threads:
            thread.join(90)
    with engine.connect() as connection:
        stored = Counter(str(i) for i in connection.scalars(text("SELECT id FROM issues")))
        reports = Counter(
            str(i)
            for i in connection.scalars(
                text("SELECT issue_id FROM issue_events WHERE action = 'report'")
            )
        )
    engine.dispose()
    acknowledged = Counter(writers.acknowledged)
    assert before_crash > 0 and len(acknowledged) > before_crash, writers.statuses
    assert all(stored[i] == 1 and reports[i] == 1 for i in acknowledged), writers.statuses
    assert set(stored) <= set(acknowledged) | set(stored)  # unacknowledged ones may exist once
    assert max(stored.values()) == 1
    server_errors = {s for s in writers.statuses if isinstance(s, int) and s >= 500 and s != 503}
    assert not server_errors, writers.statuses


def test_a_url_past_what_the_http_parser_reads_is_answered_problem_json(served_city):
    url, _, _ = served_city
    request = urllib.request.Request(url + "collections/points/items?name=" + "x" * 70_000)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 400
    assert refused.value.headers["content-type"] == "application/problem+json"
    assert "64 KiB" in json.loads(refused.value.read())["detail"]
    with urllib.request.urlopen(url + "health", timeout=10) as response:
        assert response.status == 200
