"""Tables as downloads: CSV that spreadsheet programs open with the Chinese intact."""

import csv
import io
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Response


def csv_download(
    rows: Sequence[Mapping[str, Any]] | Sequence[Any],
    filename: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Rows as a CSV attachment (UTF-8 with BOM); `headers` renames columns for people
    (e.g. Chinese headings) and picks which to write, in its order."""
    columns = list(headers) if headers else list(rows[0]) if rows else ["empty"]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([headers[c] for c in columns] if headers else columns)
    writer.writerows([row.get(c) for c in columns] for row in rows)
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
