"""Figures, weekly series and rankings as plain rows, for JSON, CSV and the bulletin."""

from typing import Any

from sqlalchemy import Connection

from geoapi.errors import InvalidParameter
from geoapi.stats import figures, work
from geoapi.stats.figures import FIGURE_NAMES, Filters
from geoapi.stats.periods import Period


def _figures(row: Any) -> dict[str, Any]:
    return {name: row[name] for name in FIGURE_NAMES}


def headline(connection: Connection, period: Period, filters: Filters) -> dict[str, Any]:
    """The figures of one period over everything the filters admit."""
    (row,) = figures.compute(connection, [period], filters)
    return {"period": _period(period), **_figures(row)}


def weekly(connection: Connection, weeks: list[Period], filters: Filters) -> list[dict[str, Any]]:
    """The figures week by week, oldest first."""
    rows = {r["label"]: r for r in figures.compute(connection, weeks, filters)}
    return [{"period": _period(w), **_figures(rows[w.label])} for w in weeks]


def breakdown(
    connection: Connection, period: Period, filters: Filters, by: str
) -> list[dict[str, Any]]:
    """The figures of one period per group (category, type, …), in the universe's order."""
    _check_by(by)
    labels = figures.names(connection, by, filters.area.id if filters.area else None)
    rows = figures.compute(connection, [period], filters, by)
    return sorted(
        (
            {**labels.get(r["grp"], {"code": r["grp"], "name": r["grp"]}), **_figures(r)}
            for r in rows
        ),
        key=lambda r: r["code"] or "",
    )


def ranking(
    connection: Connection, period: Period, filters: Filters, by: str, metric: str
) -> list[dict[str, Any]]:
    """Streets or units ranked by `metric` (赛马), with their rank in the previous period."""
    _check_by(by)
    if metric not in figures.METRICS:
        raise InvalidParameter(f"metric: one of {', '.join(figures.METRICS)}")
    previous = period.previous()
    rows = figures.compute(connection, [previous, period], filters, by, metric)
    before = {r["grp"]: r["rank"] for r in rows if r["label"] == previous.label}
    labels = figures.names(connection, by, filters.area.id if filters.area else None)
    ranked = []
    for row in sorted((r for r in rows if r["label"] == period.label), key=lambda r: r["rank"]):
        earlier = before.get(row["grp"])
        ranked.append(
            {
                "rank": row["rank"],
                "previous_rank": earlier,
                "change": None if earlier is None else earlier - row["rank"],  # + moved up
                **labels[row["grp"]],
                **_figures(row),
            }
        )
    return ranked


def work_ranking(
    connection: Connection, period: Period, filters: Filters, by: str, metric: str
) -> list[dict[str, Any]]:
    """Teams or inspectors ranked by their work (visits, points, problems found,
    verifications, score rate), with their rank in the previous period."""
    if metric not in work.WORK_METRICS:
        raise InvalidParameter(f"metric: for by={by}, one of {', '.join(work.WORK_METRICS)}")
    if filters.unit or filters.category or filters.type:
        raise InvalidParameter(f"by={by}: only area narrows the work of teams and inspectors")
    previous = period.previous()
    rows = work.compute(connection, [previous, period], by, filters.area, metric)
    before = {r["grp"]: r["rank"] for r in rows if r["label"] == previous.label}
    labels = work.names(connection, by)
    return [
        {
            "rank": row["rank"],
            "previous_rank": before.get(row["grp"]),
            "change": before[row["grp"]] - row["rank"] if row["grp"] in before else None,
            **labels[row["grp"]],
            **{name: row[name] for name in work.WORK_NAMES},
        }
        for row in sorted((r for r in rows if r["label"] == period.label), key=lambda r: r["rank"])
    ]


def _check_by(by: str) -> None:
    if by not in figures.GROUPS or by == "none":
        raise InvalidParameter(f"by: one of {', '.join(g for g in figures.GROUPS if g != 'none')}")


def _period(period: Period) -> dict[str, str]:
    return {"label": period.label, "start": period.start.isoformat(), "end": period.end.isoformat()}
