"""The import procedure shared by points and areas: validate, decide, upsert."""

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
from sqlalchemy import Connection

from geoapi.transfer.problems import ImportRejected, RowProblem

Validator = Callable[[Connection, gpd.GeoDataFrame, set[int]], list[RowProblem]]


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    inserted: int
    updated: int
    rejected: list[RowProblem] = field(default_factory=list)
    new_units: list[str] = field(default_factory=list)


def run_import(
    connection: Connection,
    frame: gpd.GeoDataFrame,
    read_problems: list[RowProblem],
    validate: Validator,
    upsert: Callable[[Connection, gpd.GeoDataFrame], ImportReport],
    skip_invalid: bool = False,
) -> ImportReport:
    """Validate every row; all-or-nothing unless `skip_invalid`, then upsert the good rows.

    When skipping, rows are validated again without the rejected ones until nothing new
    fails, so a row whose parent was rejected is rejected too (never half-linked).
    """
    problems = list(read_problems)
    unreadable = {p.row for p in read_problems}
    keep = list(range(len(frame)))
    while True:
        subset = frame.iloc[keep].reset_index(drop=True)
        skipped = {n for n, i in enumerate(keep, 1) if i + 1 in unreadable}
        found = [
            RowProblem(keep[p.row - 1] + 1, p.field, p.problem)
            for p in validate(connection, subset, skipped)
        ]
        problems += found
        if not found or not skip_invalid:
            break
        bad = {p.row for p in problems}
        keep = [i for i in range(len(frame)) if i + 1 not in bad]
    if problems and not skip_invalid:
        raise ImportRejected(problems)
    bad = {p.row for p in problems}
    good = frame.iloc[[i for i in range(len(frame)) if i + 1 not in bad]]
    report = upsert(connection, good) if len(good) else ImportReport(0, 0)
    return ImportReport(report.inserted, report.updated, sorted(problems), report.new_units)
