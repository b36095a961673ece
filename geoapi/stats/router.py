"""`/stats/...`: figures, weekly series and rankings as JSON or a CSV download."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import Connection

from geoapi import areas
from geoapi.auth.dependency import PrincipalDep
from geoapi.auth.principal import Principal
from geoapi.db.engine import ReportSessionDep
from geoapi.db.side_by_side import engine_of
from geoapi.downloads import csv_download
from geoapi.errors import Forbidden, InvalidParameter
from geoapi.instants import Day
from geoapi.reference import queries as reference_queries
from geoapi.stats import bulletin, figures, periods, service, work
from geoapi.stats.figures import Filters

router = APIRouter(prefix="/stats", tags=["Figures and rankings (周通报, 赛马)"])
Format = Annotated[Literal["json", "csv"], Query(description="csv: a download for spreadsheets")]
CSV_TOO: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/json": {}, "text/csv": {}}}  # f=csv
}


def _period(
    request: Request,
    week: Annotated[
        str | None, Query(description="ISO week, e.g. 2026-W47 (default: this week)")
    ] = None,
    first: Annotated[Day | None, Query(alias="from", description="First day (with to)")] = None,
    last: Annotated[Day | None, Query(alias="to", description="Last day, included")] = None,
) -> periods.Period:
    settings = request.app.state.settings
    return periods.choose(week, first, last, settings.today(), settings.zone)


PeriodDep = Annotated[periods.Period, Depends(_period)]


def filters_of(
    connection: Connection,
    area: str | None,
    unit: str | None,
    category: str | None,
    issue_type: str | None,
) -> Filters:
    """Filters from request values, each checked against the database (400 when unknown)."""
    for name, value, table in (
        ("unit", unit, "units"),
        ("category", category, "categories"),
        ("type", issue_type, "issue_types"),
    ):
        if value is not None and reference_queries.missing(connection, table, [value]):
            raise InvalidParameter(f"{name}: unknown {name} {value!r}")
    place = areas.resolve(connection, area) if area else None
    return Filters(area=place, unit=unit, category=category, type=issue_type)


def _stats_caller(principal: PrincipalDep) -> Principal:
    """The caller, once it holds `stats` (401/403 before any database work)."""
    principal.require("stats")
    return principal


StatsCallerDep = Annotated[Principal, Depends(_stats_caller)]


OWN_FIGURES = ("unit", "inspector")  # roles that read their own unit's or area's figures


def _figures_caller(principal: PrincipalDep) -> Principal:
    """The office's roles, or a unit or inspector reading its own figures."""
    principal.require("read" if principal.role in OWN_FIGURES else "stats")
    return principal


def _own_filters(
    caller: Annotated[Principal, Depends(_figures_caller)],
    session: ReportSessionDep,
    area: Annotated[str | None, Query(description="Area code, any level")] = None,
    unit: str | None = None,
    category: str | None = None,
    issue_type: Annotated[str | None, Query(alias="type")] = None,
) -> Filters:
    """The filters, a unit's own unit and an inspector's own area put in (403 for another)."""
    if caller.role == "unit":
        if unit not in (None, caller.unit_code):
            raise Forbidden(f"unit: a unit reads its own figures ({caller.unit_code})")
        unit = caller.unit_code
    if caller.role == "inspector" and caller.area_code is not None:
        if area not in (None, caller.area_code):
            raise Forbidden(f"area: an inspector reads the figures of {caller.area_code}")
        area = caller.area_code
    return filters_of(session.connection(), area, unit, category, issue_type)


OwnFiltersDep = Annotated[Filters, Depends(_own_filters)]


def _csv(rows: list[dict[str, Any]], filename: str) -> Response:
    """Rows as CSV, a period written as its label."""
    flat = [{k: (v["label"] if k == "period" else v) for k, v in row.items()} for row in rows]
    return csv_download(flat, filename)


@router.get("/figures", operation_id="getFigures", responses=CSV_TOO)
def get_figures(
    session: ReportSessionDep,
    period: PeriodDep,
    filters: OwnFiltersDep,
    f: Format = "json",
) -> Any:
    """Open, overdue, closed, closure and on-time rates, rework, time to close, score rate
    (a unit: its own; an inspector: its area's)."""
    result = service.headline(session.connection(), period, filters)
    return _csv([result], f"figures-{period.label}.csv") if f == "csv" else result


@router.get("/weekly", operation_id="getWeeklySeries", responses=CSV_TOO)
def get_weekly(
    request: Request,
    session: ReportSessionDep,
    filters: OwnFiltersDep,
    until: Annotated[str | None, Query(description="Last ISO week (default: this week)")] = None,
    weeks: Annotated[int, Query(ge=1, le=104)] = 12,
    f: Format = "json",
) -> Any:
    """The figures week by week, oldest first."""
    settings = request.app.state.settings
    last = (
        periods.iso_week(until, settings.zone, "until")
        if until
        else periods.week_of(settings.today(), settings.zone)
    )
    series = service.weekly(session.connection(), periods.weeks_until(last, weeks), filters)
    return _csv(series, f"weekly-{last.label}.csv") if f == "csv" else series


@router.get("/rankings", operation_id="getRankings", responses=CSV_TOO)
def get_rankings(
    session: ReportSessionDep,
    _: StatsCallerDep,
    period: PeriodDep,
    filters: OwnFiltersDep,
    by: Annotated[
        Literal["street", "community", "grid", "unit", "team", "inspector"], Query()
    ] = "street",
    metric: Annotated[
        str | None,
        Query(
            description=f"{', '.join(figures.METRICS)} (default closure_rate); for team and "
            f"inspector: {', '.join(work.WORK_METRICS)} (default visits)"
        ),
    ] = None,
    f: Format = "json",
) -> Any:
    """Streets, communities, grids or units ranked (赛马) by their figures, or teams and
    inspectors by their work, best first, with the change against the period before; `area`
    limits them to those inside it."""
    if by in work.GROUPS:
        metric = metric or "visits"
        rows = service.work_ranking(session.connection(), period, filters, by, metric)
    else:
        metric = metric or "closure_rate"
        rows = service.ranking(session.connection(), period, filters, by, metric)
    if f == "csv":
        return _csv(rows, f"ranking-{by}-{period.label}.csv")
    return {
        "period": period.label,
        "previous": period.previous().label,
        "by": by,
        "metric": metric,
        "rows": rows,
    }


bulletins = APIRouter(prefix="/bulletins", tags=["Figures and rankings (周通报, 赛马)"])


@bulletins.get(
    "/{week}",
    operation_id="getBulletin",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}},
)
def get_bulletin(
    request: Request,
    week: Annotated[str, Path(description="ISO week, e.g. 2026-W47")],
    session: ReportSessionDep,
    principal: PrincipalDep,
    area: Annotated[
        str | None, Query(description="An area's own bulletin (a street's: its communities)")
    ] = None,
) -> HTMLResponse:
    """The weekly bulletin (周通报): figures, rankings of the areas one level down and of the
    units, 红黑榜, overdue and reworked lists, charts, map. It circulates to every unit and
    inspector, as the printed one does (any staff role reads it)."""
    principal.require("read")
    connection = session.connection()
    where = areas.resolve(connection, area) if area else None
    settings = request.app.state.settings
    return HTMLResponse(
        bulletin.build(connection, week, settings, where, engine=engine_of(session))
    )
