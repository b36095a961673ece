"""Row-level errors found in an import file, and how they are reported."""

from dataclasses import dataclass
from pathlib import Path

import pandas as pd


@dataclass(frozen=True, order=True)
class RowError:
    """One thing wrong with one row: row numbers count data rows from 1 in file order."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


class ImportRejected(Exception):
    """The file has invalid rows and all-or-nothing mode is on: nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors)
        rows = len({p.row for p in errors})
        super().__init__(f"{rows} invalid row(s), nothing imported")


def write_rejects(path: Path, original: pd.DataFrame, errors: list[RowError]) -> int:
    """Write the rejected rows with their reasons as CSV; returns how many rows were written."""
    by_row: dict[int, list[str]] = {}
    for p in sorted(errors):
        by_row.setdefault(p.row, []).append(f"{p.field}: {p.message}")
    rows = sorted(by_row)
    rejected = original.iloc[[r - 1 for r in rows]].copy()
    rejected.insert(0, "errors", ["; ".join(by_row[r]) for r in rows])
    rejected.insert(0, "row", rows)
    rejected.to_csv(path, index=False, encoding="utf-8")
    return len(rows)
