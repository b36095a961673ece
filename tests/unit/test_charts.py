"""The bulletin's charts: drawn on worker threads (several planners open the bulletin at
once on Monday morning), each picture is the one drawn alone."""

from concurrent.futures import ThreadPoolExecutor

from geoapi.stats import charts


def _series(offset: int) -> list[dict]:
    return [
        {
            "period": {"label": f"2026-W{week:02d}"},
            "reported": 10 * week + offset,
            "closed": 7 * week,
            "closure_rate": 0.7,
        }
        for week in range(37, 49)
    ]


def _rows(offset: int) -> list[dict]:
    return [{"name": f"第{i}街道", "closure_rate": (i + offset) % 10 / 10} for i in range(9)]


def test_charts_drawn_at_once_are_the_charts_drawn_alone():
    jobs = [(charts.weekly_chart, (_series(n),)) for n in range(4)]
    jobs += [(charts.ranking_chart, (_rows(n), "closure_rate", "各街道结案率")) for n in range(4)]
    alone = [draw(*arguments) for draw, arguments in jobs]
    assert len(set(alone)) == len(jobs)  # eight different pictures
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            together = [pool.submit(draw, *arguments) for draw, arguments in jobs]
            assert [job.result() for job in together] == alone
