"""Bulk loading with COPY: the fast path for demo data and large imports."""

import io
import queue
import threading
from collections.abc import Callable

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection

CHUNK_ROWS = 20_000  # rows formatted at a time: up to four chunks are held at once
READ_BYTES = 1 << 20  # what psycopg2 sends at a time


def ewkb_hex(geoms: pd.Series) -> pd.Series:
    """Geometries as hex EWKB with SRID 4326, the text form PostGIS reads fastest."""
    values = geoms.to_numpy(dtype=object)
    present = ~pd.isna(values)
    out = np.full(len(values), None, dtype=object)
    if present.any():
        with_srid = shapely.set_srid(values[present].astype(object), 4326)
        out[present] = shapely.to_wkb(with_srid, hex=True, include_srid=True)
    return pd.Series(out, index=geoms.index)


def copy_frame(
    connection: Connection,
    table: str,
    frame: pd.DataFrame,
    on_rows: Callable[[int], None] = lambda _: None,
    spell: Callable[[pd.DataFrame], pd.DataFrame] | None = None,
) -> int:
    """COPY `frame` into `table` (columns by name); geometries (shapely, SRID 4326, or EWKB
    hex already) and times are turned into text chunk by chunk, each chunk first through
    `spell` when given (a compact frame's chunk → the table's columns).

    One COPY per table, fed while a thread formats the next chunks as CSV: the database
    parses one chunk while Python writes the next (psycopg2 lets go of the GIL as it sends).
    `table` and the column names come from our own code, never from a request.
    """
    columns = ", ".join((spell(frame.iloc[:0]) if spell else frame).columns)
    chunks = _CsvChunks(frame, spell)
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.copy_expert(
            f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '')",
            chunks.reader(on_rows),
            size=READ_BYTES,
        )
    finally:
        chunks.stop()
        cursor.close()
    return len(frame)


class _CsvChunks:
    """A frame's CSV, CHUNK_ROWS rows at a time, formatted ahead on a thread (two chunks at
    most waiting); stopped when the COPY ends, however it ends."""

    def __init__(
        self, frame: pd.DataFrame, spell: Callable[[pd.DataFrame], pd.DataFrame] | None
    ) -> None:
        self._frame = frame
        self._spell = spell
        self._ready: queue.Queue[tuple[bytes, int] | BaseException | None] = queue.Queue(2)
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._format, daemon=True)
        self._thread.start()

    def _format(self) -> None:
        try:
            for start in range(0, len(self._frame), CHUNK_ROWS):
                chunk = self._frame.iloc[start : start + CHUNK_ROWS]
                chunk = _as_text(self._spell(chunk) if self._spell else chunk)
                text = chunk.to_csv(index=False, header=False, na_rep="").encode()
                if not self._put((text, len(chunk))):
                    return
        except BaseException as error:  # raised again on the COPY's side
            self._put(error)
            return
        self._put(None)

    def _put(self, item: tuple[bytes, int] | BaseException | None) -> bool:
        while not self._stopped.is_set():
            try:
                self._ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def reader(self, on_rows: Callable[[int], None]) -> "_ChunkReader":
        return _ChunkReader(self._ready, on_rows)

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()


class _ChunkReader(io.RawIOBase):
    """What psycopg2 reads the COPY's data from: the formatted chunks, in order."""

    def __init__(
        self,
        ready: "queue.Queue[tuple[bytes, int] | BaseException | None]",
        on_rows: Callable[[int], None],
    ) -> None:
        self._ready = ready
        self._on_rows = on_rows
        self._buffer = memoryview(b"")
        self._rows = 0
        self._done = False

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while not self._buffer and not self._done:
            if self._rows:
                self._on_rows(self._rows)  # the previous chunk is sent
                self._rows = 0
            item = self._ready.get()
            if item is None:
                self._done = True
            elif isinstance(item, BaseException):
                raise item
            else:
                self._buffer, self._rows = memoryview(item[0]), item[1]
        if not self._buffer:
            return b""
        size = len(self._buffer) if size < 0 else size
        piece, self._buffer = self._buffer[:size], self._buffer[size:]
        return bytes(piece)


def _as_text(chunk: pd.DataFrame) -> pd.DataFrame:
    """Geometries as EWKB hex and zoned times as ISO 8601 in UTC, column by column, by shapely
    and numpy: pandas would format times value by value (two thirds of a large COPY's time),
    and a frame need not hold a second, text copy of its geometries."""
    converted = {}
    for column in chunk.columns:
        values = chunk[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            converted[column] = _iso_utc(values)
        elif values.dtype == object and _holds_geometries(values):
            converted[column] = ewkb_hex(values)
    return chunk.assign(**converted) if converted else chunk


def _holds_geometries(values: pd.Series) -> bool:
    present = values.dropna()
    return len(present) > 0 and bool(shapely.is_geometry(present.to_numpy()).all())


def _iso_utc(values: pd.Series) -> pd.Series:
    instants = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]")
    text = np.datetime_as_string(instants, unit="us", timezone="UTC").astype(object)
    text[np.isnat(instants)] = None
    return pd.Series(text, index=values.index)
