"""Benchmark the office's bulk work: the ledger (台账) files, the cards, a batch of moves.

    GEOAPI_DATABASE_URL=…/geoapi_scale_100 .venv/bin/python bench/office.py [--runs 3]

Times `/issues?f=csv|xlsx`, the cards' worklist, digest and printed card, and the pages a map
popup opens, through the ASGI app as a planner, and a unit rectifying a 69-problem notice in
one `transition_all`, and a notice for a street's problems whose deadline moves the earlier
ones (both rolled back, so the database is left as it was).
"""

import argparse
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from planner_key import BENCH_KEY, ensure_bench_planner
from timed import timed_get
from sqlalchemy import Connection, text

from geoapi.app import create_app
from geoapi.auth.principal import Principal
from geoapi.db.engine import make_engine
from geoapi.issues import service
from geoapi.issues.schemas import BatchMove
from geoapi.notices import service as notices
from geoapi.notices.schemas import NoticeCreate
from geoapi.settings import Settings

LEDGERS = {
    "`/issues?f=csv` (every problem)": "/issues?f=csv",
    "`/issues?f=csv&overdue=true`": "/issues?f=csv&overdue=true",
    "`/issues?f=xlsx&overdue=true`": "/issues?f=xlsx&overdue=true",
    "`/issues?f=html&overdue=true` (printed, first 1,000)": "/issues?f=html&overdue=true",
}
NOTICE_SIZE = 69  # the largest notice the campaign reports describe


@contextmanager
def rolled_back(settings: Settings) -> Iterator[Connection]:
    """A connection whose work is undone afterwards: the database is left as it was."""
    engine = make_engine(settings)
    with engine.connect() as connection, connection.begin() as transaction:
        yield connection
        transaction.rollback()
    engine.dispose()


def notice_seconds(settings: Settings) -> tuple[int, int, float]:
    """A notice for the unit with the most dispatched problems in one street, with a deadline
    a week ahead that moves the earlier ones (rolled back): problems, moved, seconds."""
    with rolled_back(settings) as connection:
        unit, street = connection.execute(
            text(
                "SELECT i.unit_code, a.code FROM issues i JOIN areas a ON a.id = i.street_id "
                "WHERE i.status IN ('dispatched', 'rectifying') "
                "GROUP BY 1, 2 ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
        now = datetime.now(UTC)
        body = NoticeCreate(unit=unit, area=street, deadline=now + timedelta(days=7))
        before = connection.scalar(text("SELECT count(*) FROM issue_events"))
        started = time.perf_counter()
        notice_id = notices.issue_notice(
            connection, body, settings, Principal("bench", "planner"), now
        )
        seconds = time.perf_counter() - started
        listed = connection.scalar(
            text("SELECT count(*) FROM notice_issues WHERE notice_id = :n"), {"n": notice_id}
        )
        moved = connection.scalar(text("SELECT count(*) FROM issue_events")) - before
    return listed, moved, seconds


def batch_seconds(settings: Settings) -> tuple[int, float]:
    """A unit rectifying NOTICE_SIZE of its dispatched problems at once, rolled back."""
    with rolled_back(settings) as connection:
        unit = connection.scalar(
            text(
                "SELECT unit_code FROM issues WHERE status = 'dispatched' "
                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            )
        )
        ids = list(
            connection.scalars(
                text(
                    "SELECT id FROM issues WHERE status = 'dispatched' AND unit_code = :u "
                    "AND dispatched_at < now() LIMIT :n"
                ),
                {"u": unit, "n": NOTICE_SIZE},
            )
        )
        connection.execute(  # each with its after photo, as the evidence rule asks
            text(
                "UPDATE issues SET photos = jsonb_build_array(jsonb_build_object("
                "'sha256', md5(CAST(id AS text)), 'tag', 'after', 'round', (SELECT count(*) "
                "FROM issue_events e WHERE e.issue_id = issues.id AND e.action = 'reopen'))) "
                "WHERE id = ANY(:ids)"
            ),
            {"ids": ids},
        )
        moves = [BatchMove(id=i, action="rectify", note="bench") for i in ids]
        started = time.perf_counter()
        service.transition_all(
            connection, moves, settings, Principal("bench", "unit", unit_code=unit)
        )
        seconds = time.perf_counter() - started
    return len(ids), seconds


def card_answers(settings: Settings) -> dict[str, str]:
    """The cards' answers for the unit with the most cards, in the week of the latest card."""
    engine = make_engine(settings)
    with engine.connect() as connection:
        unit, card, week = connection.execute(
            text(
                "SELECT unit_code, max(id), to_char(max(at), 'IYYY-\"W\"IW') FROM escalations "
                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
            )
        ).one()
    engine.dispose()
    return {
        "`/escalations` (office worklist, newest 5,000)": "/escalations",
        "`/escalations?state=open&level=supervision`": "/escalations?state=open&level=supervision",
        f"`/escalations?unit=…&week={week}&f=csv` (a unit's digest)": (
            f"/escalations?unit={unit}&week={week}&f=csv"
        ),
        "`/escalations/{id}?f=html` (printed card)": f"/escalations/{card}?f=html",
    }


def pages_to_read(settings: Settings) -> tuple[str, str]:
    """The point with the most open problems and the problem with the longest history."""
    engine = make_engine(settings)
    with engine.connect() as connection:
        point = connection.scalar(
            text(
                "SELECT p.code FROM points p JOIN issues i ON i.point_id = p.id "
                "AND i.status = 'dispatched' GROUP BY p.code ORDER BY count(*) DESC LIMIT 1"
            )
        )
        issue = connection.scalar(
            text("SELECT issue_id FROM issue_events GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
        )
    engine.dispose()
    return point, str(issue)


def main() -> None:
    """Print each answer's median time and size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    settings = Settings(map_basemap="blank")
    engine = make_engine(settings)
    with engine.begin() as connection:
        ensure_bench_planner(connection)
        problems = connection.scalar(text("SELECT count(*) FROM issues"))
    engine.dispose()
    print(f"{problems:,} problems\n\n| answer | p50 s | size MB |\n|---|---|---|")
    with TestClient(create_app(settings), headers={"X-API-Key": BENCH_KEY}) as client:
        for name, path in (LEDGERS | card_answers(settings)).items():
            seconds, response = timed_get(client, path, args.runs)
            print(
                f"| {name} | {statistics.median(seconds):.3f} | {len(response.content) / 1e6:.2f} |"
            )
        point, issue = pages_to_read(settings)
        for path in (f"/points/{point}", f"/issues/{issue}"):
            seconds, response = timed_get(client, path, args.runs, Accept="text/html")
            name = f"`{path.split('/')[1]}` page to read (popup link)"
            print(
                f"| {name} | {statistics.median(seconds):.3f} | {len(response.content) / 1e6:.3f} |"
            )
    moved, seconds = batch_seconds(settings)
    print(f"| `POST /issues/transitions` ({moved} rectify moves) | {seconds:.2f} | |")
    listed, rescheduled, seconds = notice_seconds(settings)
    print(
        f"| `POST /notices` (a street's {listed} problems, {rescheduled} deadlines moved) "
        f"| {seconds:.2f} | |"
    )


if __name__ == "__main__":
    main()
