import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from geoapi.auth import lookup
from geoapi.cli import app
from geoapi.db import migrate
from geoapi.demo import load
from geoapi.settings import Settings
from tests.factories import make_area_tree, make_issue
from tests.integration.serving import needs_chromium

runner = CliRunner()


@pytest.fixture
def cli_env(settings: Settings, engine: Engine, monkeypatch) -> Iterator[Engine]:
    """The CLI commits to the test database; every row it wrote is removed afterwards."""
    monkeypatch.setenv("GEOAPI_DATABASE_URL", str(settings.database_url))
    yield engine
    with engine.begin() as connection:
        load.clear(connection)


def run(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_db_current_shows_the_revision(cli_env):
    result = run("db", "current")
    assert result.exit_code == 0
    assert migrate.head() in result.output


def test_db_upgrade_tells_of_events_outside_every_months_table(cli_env):
    assert "outside" not in run("db", "upgrade").output
    with cli_env.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO issue_events (issue_id, at, actor, action, from_status, to_status) "
                "VALUES (:i, '2099-01-01', 'office', 'note', 'reported', 'reported')"
            ),
            {"i": make_issue(connection)},
        )
    result = run("db", "upgrade")
    assert result.exit_code == 0
    assert "events outside every month's table: 1" in result.output


def test_bad_file_exits_1_with_row_messages_and_writes_nothing(cli_env, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,name,category,lon,lat\nA,a,market,117,36\nB,b,zoo,117,36\n", "utf-8")
    result = run("import", "points", str(path))
    assert result.exit_code == 1
    assert "unknown category 'zoo'" in result.output
    with cli_env.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM points")) == 0


def test_skip_invalid_writes_rejects_file(cli_env, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,name,category,lon,lat\nA,a,market,117,36\nB,b,zoo,117,36\n", "utf-8")
    rejects = tmp_path / "rejects.csv"
    result = run("import", "points", str(path), "--skip-invalid", "--rejects", str(rejects))
    assert result.exit_code == 0, result.output
    assert "1 inserted, 0 updated, 1 rejected" in result.output
    assert "unknown category 'zoo'" in rejects.read_text("utf-8")


def test_demo_load_export_and_idempotent_reload(cli_env, tmp_path):
    result = run("demo", "load", "--scale", "0.02", "--as-of", "2026-11-20")
    assert result.exit_code == 0, result.output
    assert "points" in result.output and "demo-inspector" in result.output
    with cli_env.connect() as connection:
        inspector = lookup.principal_for_key(connection, "demo-inspector")
        unit = lookup.principal_for_key(connection, "demo-unit")
    assert inspector.role == "inspector" and inspector.area_level == "street"
    assert unit.role == "unit" and unit.unit_code
    again = run("demo", "load", "--scale", "0.02")
    assert again.exit_code == 1 and "--replace" in again.output
    assert run("demo", "load", "--if-empty").exit_code == 0
    out = tmp_path / "markets.geojson"
    exported = run(
        "export", "points", "--format", "geojson", "--out", str(out), "--category", "market"
    )
    assert exported.exit_code == 0, exported.output
    assert '"category": "market"' in out.read_text("utf-8")


def test_unknown_export_format_is_refused(cli_env, tmp_path):
    result = run("export", "points", "--format", "kml", "--out", str(tmp_path / "x.kml"))
    assert result.exit_code == 2 and "unknown format 'kml'" in result.output


def test_users_cli_adds_lists_and_revokes(cli_env):
    with cli_env.begin() as connection:
        make_area_tree(connection)
    added = run("users", "add", "zhang", "--role", "inspector", "--area", "A")
    assert added.exit_code == 0
    key = added.output.strip().splitlines()[-1]
    assert key.startswith("gk_")
    with cli_env.connect() as connection:
        stored = connection.scalar(text("SELECT key_hash FROM api_keys"))
        assert key not in stored and lookup.principal_for_key(connection, key).area_code == "A"
    listed = run("users", "list")
    assert "zhang" in listed.output and "inspector" in listed.output and key[:9] in listed.output
    assert run("users", "add", "li", "--role", "boss").exit_code == 2
    assert run("users", "add", "unit-x", "--role", "unit").exit_code == 2
    assert run("users", "revoke", "zhang").exit_code == 0
    with cli_env.connect() as connection:
        assert lookup.principal_for_key(connection, key) is None
    assert run("users", "revoke", "nobody").exit_code == 2


def test_map_command_writes_a_standalone_page(cli_env, tmp_path):
    assert run("demo", "load", "--scale", "0.02", "--as-of", "2026-11-20").exit_code == 0
    out = tmp_path / "city.html"
    result = run("map", "--out", str(out), "--category", "market", "--basemap", "blank")
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert '<script src="/static' not in html and "L.heatLayer" in html
    assert "category=market" in html and len(html) > 300_000  # Leaflet and plugins inside
    # The layers button and the fullscreen icon are in the file, not at addresses it lacks.
    assert not re.search(r"url\(['\"]?(images/|icon-)", html)
    assert "url(data:image/png;base64," in html and "url(data:image/svg+xml;base64," in html
    assert "(null === null ?" in html  # no link without --base-url (it would open file:///…)
    linked = tmp_path / "linked.html"
    result = run("map", "--out", str(linked), "--basemap", "blank", "--base-url", "https://x.cn/")
    assert result.exit_code == 0 and '"https://x.cn" +' in linked.read_text("utf-8")
    bad = run("map", "--out", str(out), "--area", "NOPE")
    assert bad.exit_code == 2 and "no area with code 'NOPE'" in bad.output


@needs_chromium
def test_map_command_prints_a_wall_poster_on_one_sheet(cli_env, tmp_path):
    from pypdf import PdfReader

    assert run("demo", "load", "--scale", "0.02", "--as-of", "2026-11-20").exit_code == 0
    pdf, png = tmp_path / "wall.pdf", tmp_path / "wall.png"
    result = run("map", "--print", "a3", "--basemap", "blank", "--out", str(pdf))
    assert result.exit_code == 0, result.output
    pages = PdfReader(pdf).pages
    width, height = float(pages[0].mediabox.width), float(pages[0].mediabox.height)
    assert len(pages) == 1  # the poster is one sheet, not a map cut across pages
    assert (width, height) == pytest.approx((420 / 25.4 * 72, 297 / 25.4 * 72), abs=2)
    assert "和平街道" in pages[0].extract_text()  # the worst-streets table is text, not pixels
    result = run("map", "--print", "a4", "--basemap", "blank", "--out", str(png))
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[16:24] == (1123).to_bytes(4, "big") + (794).to_bytes(4, "big")
    assert run("map", "--out", str(pdf)).exit_code == 2  # a PDF needs a sheet
    assert run("map", "--print", "b5", "--out", str(pdf)).exit_code == 2


def _serve_once(settings: Settings, **variables: str) -> str:
    """Start `geoapi serve` with these GEOAPI_* variables, fetch /health once, stop it: its log."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = os.environ | {"GEOAPI_DATABASE_URL": str(settings.database_url)} | variables
    command = [sys.executable, "-m", "geoapi.cli", "serve", "--port", str(port)]
    server = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as r:
                    assert r.status == 200
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("geoapi serve did not answer")
    finally:
        server.terminate()
        log, _ = server.communicate(timeout=10)
    return log


@pytest.mark.parametrize("access_log", ["true", "false"])
def test_serve_answers_and_logs_requests_only_when_asked(settings: Settings, access_log: str):
    log = _serve_once(settings, GEOAPI_ACCESS_LOG=access_log)
    assert ('"GET /health HTTP/1.1" 200' in log) == (access_log == "true"), log


def test_serve_runs_the_workers_asked_for(settings: Settings):
    log = _serve_once(settings, GEOAPI_WORKERS="2")
    workers = set(re.findall(r"Started server process \[(\d+)\]", log))
    assert len(workers) == 2, log


def test_serve_refuses_reload_with_several_workers():
    result = run("serve", "--reload", "--workers", "2")
    assert result.exit_code == 2 and "--reload runs a single process" in result.output


def test_reference_rows_are_listed_and_put_from_the_command_line(cli_env):
    try:
        added = run("units", "put", "parks_cli", "--name", "园林绿化局")
        assert added.exit_code == 0, added.output
        listed = run("units", "list")
        assert "parks_cli" in listed.output and "园林绿化局" in listed.output
        typed = run("types", "put", "noise_cli", "--name-zh", "噪声", "--name-en", "Noise",
                    "--days", "3", "--default-unit", "parks_cli",
                    "--category", "market")  # fmt: skip
        assert typed.exit_code == 0, typed.output
        market = run("categories", "list").output
        assert "noise_cli" in market
        bad = run("types", "put", "x", "--name-zh", "x", "--name-en", "x", "--days", "3",
                  "--category", "nowhere")  # fmt: skip
        assert bad.exit_code == 2 and "'nowhere'" in bad.output
    finally:
        with cli_env.begin() as connection:
            connection.execute(text("DELETE FROM issue_types WHERE code = 'noise_cli'"))
