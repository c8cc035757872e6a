"""Survey answers as a Parquet dataset (the "lake"), read by DuckDB or Spark through Ibis.

Layout (``docs/scaling.md``): ``DIR/survey=KEY/wave=WAVE/part-0.parquet`` holds one row per
stored answer row (one item, or one option of an item) in the long layout of
:data:`LONG_COLUMNS`, with the respondent's attributes repeated on each row;
``DIR/_surveys/KEY.json`` holds the survey's name, wave, period and instrument definition.

The grouped expressions are written once with Ibis and run on whichever backend holds
the data: DuckDB over the Parquet files, Spark (local or a cluster), or PostgreSQL and
the embedded SQLite file (Ibis's SQLite backend uses Python's ``sqlite3``, the one SQLite
library a writing process may load).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from cxgap import segments
from cxgap.engine.frames import RESPONDENT_COLUMNS, SurveyData
from cxgap.errors import DataError, ValidationError
from cxgap.instruments import Instrument, parse_instrument
from cxgap.instruments.model import NUMERIC_FIELDS

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

EngineName = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")
SURVEYS_FOLDER = "_surveys"
DUCKDB_MEMORY_LIMIT = "1GB"
"""DuckDB's working memory when it reads a lake (larger aggregations spill to disk)."""
PIVOT_SLICE_ROWS = 8_000_000
"""Most answer rows of a survey pivoted at once (see :func:`load_lake_survey`)."""
SLOT = "cxgap_slot"
"""Column of a row's answer slot number in the pivot (:func:`wide_expression`)."""
ATTRIBUTES = "attributes"
"""Column of the organisation's own customer attributes (a JSON object, or null)."""
LONG_COLUMNS: tuple[str, ...] = (
    "response_id",
    *RESPONDENT_COLUMNS,
    ATTRIBUTES,
    "item",
    "option",
    *NUMERIC_FIELDS,
)
"""Columns of every Parquet file (``survey`` and ``wave`` are the partition folders)."""


@dataclass(frozen=True)
class LakeSurvey:
    """One survey's description in a lake (``_surveys/KEY.json``)."""

    key: str
    name: str
    wave: str | None
    period_start: dt.date | None
    instrument: Instrument
    definition: dict[str, Any]

    @property
    def partition(self) -> str:
        """The survey's ``wave=`` folder name."""
        return self.wave or self.key


def write_survey(directory: Path, data: SurveyData, definition: dict[str, Any]) -> int:
    """Write one survey's answers (its wide table) in the long layout; returns the answer
    rows written. An earlier copy of the same survey in ``directory`` is replaced."""
    frame = data.frame
    own = [c for c in frame.columns if segments.custom_attribute(str(c)) is not None]
    attributes = [
        json.dumps(
            {
                segments.custom_attribute(c): v
                for c, v in zip(own, row, strict=True)
                if v is not None
            }
        )
        if any(v is not None for v in row)
        else None
        for row in (frame[own].itertuples(index=False) if own else [()] * len(frame))
    ]
    respondents = {
        "response_id": np.arange(1, len(frame) + 1, dtype=np.int64),
        **{
            name: frame[name].astype(object).where(frame[name].notna(), None)
            for name in RESPONDENT_COLUMNS
            if name != "submitted_at"
        },
        "submitted_at": pd.to_datetime(frame["submitted_at"], utc=True),
        ATTRIBUTES: attributes,
    }
    slots: dict[tuple[str, str], dict[str, str]] = {}
    for column in data.instrument.answer_columns():
        if column.field in NUMERIC_FIELDS:
            slots.setdefault((column.item, column.option), {})[column.field] = column.name
    parts = []
    for (item, option), fields in slots.items():
        values = {
            f: frame[fields[f]].astype("float64") if f in fields else np.nan for f in NUMERIC_FIELDS
        }
        block = pd.DataFrame(values, index=frame.index)
        answered = block.notna().any(axis=1).to_numpy()
        part = pd.DataFrame(
            {
                k: np.asarray(v)[answered] if not np.isscalar(v) else v
                for k, v in respondents.items()
            }
        )
        part["item"], part["option"] = item, option
        for f in NUMERIC_FIELDS:
            part[f] = block[f].to_numpy()[answered]
        parts.append(part)
    long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LONG_COLUMNS)
    long = long.sort_values(["response_id", "item", "option"], kind="stable")[list(LONG_COLUMNS)]
    folder = directory / f"survey={data.key}"
    if folder.exists():
        for old in sorted(folder.rglob("*"), reverse=True):
            old.unlink() if old.is_file() else old.rmdir()
    target = folder / f"wave={data.wave or data.key}"
    target.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(long, schema=parquet_schema(), preserve_index=False)
    pq.write_table(table, target / "part-0.parquet", row_group_size=1_000_000)
    meta = directory / SURVEYS_FOLDER
    meta.mkdir(parents=True, exist_ok=True)
    (meta / f"{data.key}.json").write_text(
        json.dumps(
            {
                "key": data.key,
                "name": data.name,
                "wave": data.wave,
                "period_start": data.period_start.isoformat() if data.period_start else None,
                "instrument": definition,
            },
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    return len(long)


def parquet_schema() -> pa.Schema:
    """The Arrow schema of the lake's Parquet files (:data:`LONG_COLUMNS`)."""
    text = [(name, pa.string()) for name in ("respondent_id", "customer_id", *segments.NAMES)]
    return pa.schema(
        [
            ("response_id", pa.int64()),
            *text,
            ("submitted_at", pa.timestamp("us", tz="UTC")),
            (ATTRIBUTES, pa.string()),
            ("item", pa.string()),
            ("option", pa.string()),
            *((f, pa.float64()) for f in NUMERIC_FIELDS),
        ]
    )


def lake_surveys(directory: Path) -> list[LakeSurvey]:
    """The surveys of a lake, oldest period first (then by key)."""
    meta = directory / SURVEYS_FOLDER
    if not meta.is_dir():
        raise ValidationError(
            f"{directory}: not a cxgap Parquet dataset (no {SURVEYS_FOLDER}/ folder); allowed: "
            "a folder written by cxgap export --lake"
        )
    found = []
    for path in sorted(meta.glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        found.append(
            LakeSurvey(
                key=raw["key"],
                name=raw["name"],
                wave=raw["wave"],
                period_start=dt.date.fromisoformat(raw["period_start"])
                if raw["period_start"]
                else None,
                instrument=parse_instrument(raw["instrument"], source=str(path)),
                definition=raw["instrument"],
            )
        )
    return sorted(found, key=lambda s: (s.period_start or dt.date.min, s.key))


@contextmanager
def connect(engine: EngineName, *, spark_master: str = "local[*]") -> Iterator[BaseBackend]:
    """An Ibis backend for reading lakes: an in-process DuckDB, or a Spark session
    (``local[*]``, ``spark://HOST:PORT`` or a Spark Connect ``sc://HOST:PORT`` address)."""
    import ibis

    if engine == "duckdb":
        con = ibis.duckdb.connect(memory_limit=DUCKDB_MEMORY_LIMIT, preserve_insertion_order=False)
        try:
            yield con
        finally:
            con.disconnect()
    elif engine == "spark":
        yield ibis.pyspark.connect(spark_session(spark_master))
    else:
        raise ValidationError(f"engine: got {engine!r}; allowed: {', '.join(ENGINES)}")


def spark_session(master: str = "local[*]") -> Any:
    """The process's Spark session for ``master`` (created once, then reused)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ValidationError(
            "engine spark: PySpark is not installed; install it with pip install 'cxgap[spark]'"
        ) from exc
    if master.startswith("sc://"):
        return SparkSession.builder.remote(master).getOrCreate()
    if not master.startswith(("local", "spark://", "yarn", "k8s://")):
        raise ValidationError(
            f"--spark-master: got {master!r}; allowed: local[*], local[N], spark://HOST:PORT, "
            "sc://HOST:PORT (Spark Connect), yarn or k8s://URL"
        )
    return (
        SparkSession.builder.master(master)
        .appName("cxgap")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "8")
        .getOrCreate()
    )


def answers(con: BaseBackend, directory: Path) -> ir.Table:
    """The lake's answer rows as one Ibis table (``survey`` and ``wave`` from the folders)."""
    files = sorted(directory.glob("survey=*/wave=*/*.parquet"))
    if not files:
        raise ValidationError(f"{directory}: no Parquet files under survey=*/wave=*/")
    pattern = directory / "survey=*" / "wave=*" / "*.parquet"
    if con.name == "duckdb":
        return con.read_parquet(str(pattern), hive_partitioning=True)
    # Spark: only the data files (other files in the folder are not Parquet), with the
    # partition columns taken from the folder names below ``directory``
    frame = con._session.read.option("basePath", str(directory)).parquet(str(pattern))
    name = f"cxgap_lake_{abs(hash(str(directory.resolve())))}"
    frame.createOrReplaceTempView(name)
    return con.table(name)


def wide_expression(long: ir.Table, instrument: Instrument) -> ir.Table:
    """One row per response: the respondent columns, then one column per numeric answer
    slot of the instrument (the pivot of the long layout, run by the backend).

    Each row's slot is numbered once, by a join with the instrument's (short) list of
    slots, so that the pivot's many conditional aggregates compare numbers rather than
    text. The respondent columns are the same on every row of a response (the layout
    repeats them), so any non-missing one is taken."""
    import ibis

    columns = [c for c in instrument.answer_columns() if c.field in NUMERIC_FIELDS]
    slots = list(dict.fromkeys((c.item, c.option) for c in columns))
    measures: dict[str, Any] = {
        name: long[name].arbitrary() for name in (*RESPONDENT_COLUMNS, ATTRIBUTES)
    }
    if slots:
        numbered = pa.table(
            {
                "item": pa.array([item for item, _ in slots], pa.string()),
                "option": pa.array([option for _, option in slots], pa.string()),
                SLOT: pa.array(range(len(slots)), pa.int64()),
            }
        )
        long = long.left_join(ibis.memtable(numbered), ["item", "option"])
    for column in columns:
        slot = slots.index((column.item, column.option))
        measures[column.name] = ibis.ifelse(
            long[SLOT] == slot, long[column.field], ibis.null()
        ).max()
    return long.group_by("response_id").aggregate(**measures).order_by("response_id")


def load_lake_survey(con: BaseBackend, directory: Path, survey: LakeSurvey) -> SurveyData:
    """One survey of a lake as the respondent table the analyses take (see
    :mod:`cxgap.engine.frames`), pivoted by the backend.

    A survey of more than :data:`PIVOT_SLICE_ROWS` answer rows is pivoted in slices of
    consecutive response ids (in order, so the rows come in response order). Each slice
    arrives as an Arrow table whose answer columns are moved one at a time into one
    float64 block sized for every response: beside the block the backend holds one
    slice's working memory and result, and no pandas copy is made."""
    long = answers(con, directory)
    long = long.filter(long.survey == survey.key)
    extent = con.to_pyarrow(
        long.aggregate(
            rows=long.count(),
            n=long.response_id.nunique(),
            low=long.response_id.min(),
            high=long.response_id.max(),
        )
    ).to_pylist()[0]
    n = int(extent["n"] or 0)
    if n == 0:
        raise DataError(f"survey {survey.key!r}: no answers in {directory}")
    low, high = int(extent["low"]), int(extent["high"]) + 1
    slices = min(n, max(1, -(-int(extent["rows"]) // PIVOT_SLICE_ROWS)))
    edges = [low + (high - low) * i // slices for i in range(slices + 1)]
    front = [ATTRIBUTES, *RESPONDENT_COLUMNS]
    parts: list[pa.Table] = []
    block: np.ndarray | None = None
    names: list[str] = []
    done = 0
    for first, last in itertools.pairwise(edges):
        part = long if slices == 1 else long.filter(long.response_id.between(first, last - 1))
        table = con.to_pyarrow(wide_expression(part, survey.instrument))
        parts.append(table.select(front))
        table = table.select([c for c in table.column_names if c not in {"response_id", *front}])
        if block is None:
            names = list(table.column_names)
            block = np.empty((n, len(names)), dtype=np.float64, order="F")
        if done + table.num_rows > n:
            raise _changed(survey, directory)
        _move_into(block, done, table)
        done += table.num_rows
    if block is None or done != n:
        raise _changed(survey, directory)
    table = pa.concat_tables(parts)
    own = _custom_columns(table.column(ATTRIBUTES).to_pylist())
    respondents = pd.DataFrame(
        {name: _respondent_column(table.column(name)) for name in RESPONDENT_COLUMNS}
    )
    numbers = pd.DataFrame(block, columns=names, copy=False)
    return SurveyData(
        key=survey.key,
        name=survey.name,
        wave=survey.wave,
        period_start=survey.period_start,
        instrument=survey.instrument,
        frame=pd.concat([respondents, own, numbers], axis=1),
    )


def _changed(survey: LakeSurvey, directory: Path) -> DataError:
    return DataError(
        f"survey {survey.key!r}: its answers in {directory} changed while they were read "
        "(or some have no response_id); allowed: a dataset that is not written to during "
        "the analysis, every answer row with its response_id"
    )


def _move_into(block: np.ndarray, row: int, table: pa.Table) -> None:
    """Copy ``table``'s columns into ``block`` from ``row`` down, as float64 (nulls become
    NaN), letting go of each column's Arrow memory once it is copied."""
    for j in range(table.num_columns):
        column, table = table.column(0), table.remove_column(0)
        start = row
        for chunk in column.chunks:
            values = chunk.cast(pa.float64()).to_numpy(zero_copy_only=False)
            block[start : start + len(values), j] = values
            start += len(values)
        del column


def _respondent_column(column: pa.ChunkedArray) -> pd.Series:
    """A respondent column as the stored table has it: text as objects (None where
    missing), ``submitted_at`` as UTC times."""
    values = column.to_pandas()
    if pa.types.is_timestamp(column.type):
        return values
    return values.astype(object).where(values.notna(), None)


def _custom_columns(attributes: list[Any]) -> pd.DataFrame:
    found = [json.loads(v) if isinstance(v, str) else None for v in attributes]
    names = sorted({name for one in found if one for name in one})
    return pd.DataFrame(
        {
            segments.custom_segment(name): [
                (None if one is None or one.get(name) is None else str(one[name])) for one in found
            ]
            for name in names
        },
        index=pd.RangeIndex(len(found)),
        dtype=object,
    )
