"""The import procedure shared by points and areas: validate, decide, upsert."""

from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
from sqlalchemy import Connection

from geoapi.transfer.row_errors import ImportRejected, RowError

Validator = Callable[[Connection, gpd.GeoDataFrame, set[int]], list[RowError]]


@dataclass(frozen=True)
class ImportReport:
    """What an import did."""

    inserted: int
    updated: int
    rejected: list[RowError] = field(default_factory=list)
    new_units: list[str] = field(default_factory=list)


def run_import(
    connection: Connection,
    frame: gpd.GeoDataFrame,
    read_errors: list[RowError],
    validate: Validator,
    upsert: Callable[[Connection, gpd.GeoDataFrame], ImportReport],
    skip_invalid: bool = False,
    cascades: bool = True,
) -> ImportReport:
    """Validate every row; all-or-nothing unless `skip_invalid`, then upsert the good rows.

    When skipping, rows are validated again without the rejected ones until nothing new
    fails, so a row whose parent was rejected is rejected too (never half-linked); a kind
    whose rows do not refer to each other (`cascades=False`) is decided in one pass.
    """
    errors = list(read_errors)
    unreadable = {p.row for p in read_errors}
    keep = list(range(len(frame)))
    while True:
        subset = frame.iloc[keep].reset_index(drop=True)
        skipped = {n for n, i in enumerate(keep, 1) if i + 1 in unreadable}
        found = [
            RowError(keep[p.row - 1] + 1, p.field, p.message)
            for p in validate(connection, subset, skipped)
        ]
        errors += found
        if not found or not skip_invalid or not cascades:
            break
        bad = {p.row for p in errors}
        keep = [i for i in range(len(frame)) if i + 1 not in bad]
    if errors and not skip_invalid:
        raise ImportRejected(errors)
    bad = {p.row for p in errors}
    good = frame.iloc[[i for i in range(len(frame)) if i + 1 not in bad]].reset_index(drop=True)
    report = upsert(connection, good) if len(good) else ImportReport(0, 0)
    return ImportReport(report.inserted, report.updated, sorted(errors), report.new_units)
