"""COPY from frames: every value arrives as written across chunks, and a row the database
refuses ends the COPY with its error and nothing written."""

import threading

import numpy as np
import pandas as pd
import pytest
import shapely
from psycopg2 import DataError
from sqlalchemy import Connection, text

from geoapi.db import copy

ROWS = 2 * copy.CHUNK_ROWS + 7  # three chunks, the last a short one


@pytest.fixture
def scratch(connection: Connection) -> str:
    connection.execute(
        text(
            "CREATE TEMP TABLE copy_scratch "
            "(n int, at timestamptz, note text, score float8, geom geometry(Point, 4326))"
        )
    )
    return "copy_scratch"


def frame(rows: int) -> pd.DataFrame:
    n = np.arange(rows)
    at = pd.Series(pd.to_datetime(1_764_000_000_123_456 + n * 1_000_003, unit="us", utc=True))
    at = at.dt.tz_convert("Asia/Shanghai")  # a zoned column, written as UTC instants
    at[n % 5 == 0] = pd.NaT
    note = pd.Series([f'第{i}行, "quoted"' if i % 3 else None for i in n], dtype=object)
    geom = shapely.points(120 + n / 1e6, 30 + n / 2e6).astype(object)
    geom[n % 4 == 1] = None
    return pd.DataFrame({"n": n, "at": at, "note": note, "score": n / 7, "geom": geom})


def test_a_frame_of_several_chunks_arrives_value_for_value(connection: Connection, scratch):
    written = frame(ROWS)
    reported: list[int] = []
    assert copy.copy_frame(connection, scratch, written, reported.append) == ROWS
    read = pd.read_sql(
        text(f"SELECT *, ST_X(geom) AS x, ST_Y(geom) AS y FROM {scratch} ORDER BY n"), connection
    )
    assert reported == [copy.CHUNK_ROWS, copy.CHUNK_ROWS, 7]
    assert read["n"].tolist() == written["n"].tolist()
    pd.testing.assert_series_equal(
        read["at"].dt.tz_convert("UTC"), written["at"].dt.tz_convert("UTC"), check_dtype=False
    )
    assert read["note"].isna().tolist() == written["note"].isna().tolist()  # NULL where None
    assert read["note"].dropna().tolist() == written["note"].dropna().tolist()
    assert np.allclose(read["score"], written["score"])
    xy = shapely.get_coordinates(written["geom"].to_numpy())  # the points that are there
    assert np.array_equal(read[["x", "y"]].dropna().to_numpy(), xy)  # shapely objects in


def test_a_refused_row_ends_the_copy_with_the_databases_error(connection: Connection, scratch):
    bad = frame(ROWS).astype({"n": object})
    bad.loc[ROWS - 3, "n"] = "not a number"  # in the last chunk
    before = threading.active_count()
    with pytest.raises(DataError, match="not a number"):
        copy.copy_frame(connection, scratch, bad)
    assert threading.active_count() == before  # the formatting thread has ended


def test_a_compact_frame_is_spelt_out_chunk_by_chunk(connection: Connection, scratch):
    compact = pd.DataFrame({"n": np.arange(ROWS), "lon": 120 + np.arange(ROWS) / 1e6})
    chunks: list[int] = []

    def spell(chunk: pd.DataFrame) -> pd.DataFrame:
        chunks.append(len(chunk))
        lon = chunk["lon"].to_numpy()
        return chunk.drop(columns="lon").assign(
            note="第" + chunk["n"].astype(str) + "行",
            geom=shapely.points(lon, np.full(len(lon), 30.0)),
        )

    assert copy.copy_frame(connection, scratch, compact, spell=spell) == ROWS
    assert max(chunks) == copy.CHUNK_ROWS  # never the whole frame at once
    read = pd.read_sql(
        text(f"SELECT n, note, ST_X(geom) AS x FROM {scratch} ORDER BY n"), connection
    )
    assert read["n"].tolist() == compact["n"].tolist()
    assert read["note"].tolist() == [f"第{i}行" for i in range(ROWS)]
    assert np.allclose(read["x"], compact["lon"])
