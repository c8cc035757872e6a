"""Engine benchmark: the complete analysis of a large Parquet dataset, in memory, on DuckDB
and on Spark (local mode).

Writes synthetic answers of the 22-item zone-of-tolerance questionnaire of the demo
(``heating-cx``: adequate, desired and perceived per item, NPS, overall satisfaction;
respondents in regions and age bands) as a Parquet dataset in the layout of
``cxgap export --lake`` (``docs/scaling.md``): ``--waves`` surveys of equal size whose
answer rows add up to ``--rows``. Then, each in a fresh process, it analyses the last wave
the way ``cxgap analyze --source DIR --engine E --by region --json`` does (tolerance zone,
overall gap, reliability, importance, NPS/CSAT, segments, the trend over every wave):

- ``memory``: every answer row of the dataset read into pandas with PyArrow, pivoted there,
  the trend from the in-memory respondent tables (what one process did before engines);
- ``duckdb``: ``cxgap.services.lake.analyze_source(engine="duckdb")``;
- ``spark``: the same with ``engine="spark"`` (``local[*]``).

Reported per size and engine: seconds, answer rows per second, peak RSS of the process
(for Spark, of the Python driver and, separately, the JVM), and the growth of the time
from one size to the next; then each phase's own peak RSS and seconds (``start``:
imports, reading the dataset's descriptions, connecting; ``pivot``: the analysed wave's
respondent table; ``trend sums``: the earlier waves' sums; ``statistics``; ``other``:
what lies between, e.g. closing the engine). The JSON results of the engines are
compared (numbers to 1e-9).

    python benchmarks/engine_bench.py [--rows 10000000 30000000 100000000] [--waves 4]
        [--engines memory duckdb spark] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

INSTRUMENT = "heating-cx"
REGIONS = ["north", "south", "east", "west", "centre"]
AGE_BANDS = ["18-34", "35-54", "55+"]
CHUNK = 200_000
"""Respondents generated and written at a time (bounded memory while writing)."""


def write_dataset(folder: Path, rows: int, waves: int, seed: int = 1) -> tuple[int, list[str]]:
    """A synthetic lake of about ``rows`` answer rows in ``waves`` surveys; returns the
    answer rows written and the survey keys (oldest first)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cxgap.engine import lake
    from cxgap.instruments import get_instrument

    instrument = get_instrument(INSTRUMENT)
    definition = instrument.model_dump(mode="json")
    slots: dict[tuple[str, str], list[str]] = {}
    for column in instrument.answer_columns():
        if column.field in lake.NUMERIC_FIELDS:
            slots.setdefault((column.item, column.option), []).append(column.field)
    per_respondent = len(slots)
    respondents = max(1, rows // (per_respondent * waves))
    rng = np.random.default_rng(seed)
    (folder / lake.SURVEYS_FOLDER).mkdir(parents=True, exist_ok=True)
    schema = lake.parquet_schema()
    keys, written = [], 0
    for w in range(waves):
        key = f"bench-w{w + 1}"
        keys.append(key)
        target = folder / f"survey={key}" / f"wave=W{w + 1}"
        target.mkdir(parents=True, exist_ok=True)
        (folder / lake.SURVEYS_FOLDER / f"{key}.json").write_text(
            json.dumps(
                {
                    "key": key,
                    "name": f"Benchmark wave {w + 1}",
                    "wave": f"W{w + 1}",
                    "period_start": f"{2027 + w // 4}-{1 + 3 * (w % 4):02d}-01",
                    "instrument": definition,
                }
            ),
            encoding="utf-8",
        )
        for part, start in enumerate(range(0, respondents, CHUNK)):
            n = min(CHUNK, respondents - start)
            table = _chunk(instrument, slots, rng, start + w * respondents, n, w)
            pq.write_table(
                pa.Table.from_pydict(table, schema=schema),
                target / f"part-{part}.parquet",
                row_group_size=1_000_000,
            )
            written += len(table["response_id"])
    return written, keys


def _chunk(
    instrument: Any,
    slots: dict[tuple[str, str], list[str]],
    rng: Any,
    first: int,
    n: int,
    wave: int,
) -> dict[str, Any]:
    from cxgap.engine import lake

    ids = np.arange(first + 1, first + n + 1, dtype=np.int64)
    level = rng.normal(0.0, 0.8, n) - 0.1 * wave
    region = rng.integers(0, len(REGIONS), n)
    age = rng.integers(0, len(AGE_BANDS), n)
    k = len(slots)
    out: dict[str, Any] = {name: [] for name in lake.LONG_COLUMNS}
    numeric = {f: np.full((n, k), np.nan) for f in lake.NUMERIC_FIELDS}
    for j, ((item_id, _option), fields) in enumerate(slots.items()):
        item = instrument.item(item_id)
        scale = instrument.item_scale(item)
        lo, hi = (float(scale.min), float(scale.max)) if scale else (1.0, 5.0)
        mid = (lo + hi) / 2
        if item.format == "tolerance_zone":
            adequate = np.clip(np.rint(mid - 1 + rng.normal(0, 1.2, n)), lo, hi)
            desired = np.clip(adequate + rng.integers(0, 3, n), lo, hi)
            perceived = np.clip(np.rint(mid + level + rng.normal(0, 1.1, n)), lo, hi)
            numeric["adequate"][:, j] = adequate
            numeric["desired"][:, j] = desired
            numeric["perceived"][:, j] = perceived
            continue
        for field in fields:
            numeric[field][:, j] = np.clip(
                np.rint(mid + 1.5 * level + rng.normal(0, 1.5, n)), lo, hi
            )
    item_ids = np.array([i for i, _ in slots], dtype=object)
    options = np.array([o for _, o in slots], dtype=object)
    out["response_id"] = np.repeat(ids, k)
    out["respondent_id"] = np.repeat(ids.astype(str).astype(object), k)
    out["customer_id"] = [None] * (n * k)
    for name in lake.RESPONDENT_COLUMNS:
        if name in ("response_id", "respondent_id", "customer_id", "submitted_at"):
            continue
        out[name] = [None] * (n * k)
    out["region"] = np.repeat(np.array(REGIONS, dtype=object)[region], k)
    out["age_band"] = np.repeat(np.array(AGE_BANDS, dtype=object)[age], k)
    out["submitted_at"] = np.repeat(
        np.datetime64("2027-01-01T00:00:00", "us") + np.arange(n).astype("timedelta64[s]"), k
    )
    out[lake.ATTRIBUTES] = [None] * (n * k)
    out["item"] = np.tile(item_ids, n)
    out["option"] = np.tile(options, n)
    for f in lake.NUMERIC_FIELDS:
        out[f] = numeric[f].reshape(-1)
    return out


def in_memory(folder: Path, survey: str) -> dict[str, Any]:
    """The analysis with every answer row in pandas (no engine)."""
    import pandas as pd
    import pyarrow.dataset as ds

    from cxgap.engine import lake
    from cxgap.engine.frames import SurveyData
    from cxgap.services.analysis import analyze_data, dimension_scores, trend_groups
    from cxgap.stats import Moments

    surveys = lake.lake_surveys(folder)
    table = ds.dataset(folder, format="parquet", partitioning="hive").to_table()
    frame = table.to_pandas()
    del table
    tables = {}
    for info in surveys:
        rows = frame[frame["survey"] == info.key]
        wide = rows.pivot_table(
            index="response_id",
            columns=["item", "option"],
            values=list(lake.NUMERIC_FIELDS),
            aggfunc="first",
        )
        columns = {}
        for column in info.instrument.answer_columns():
            if (column.field, column.item, column.option) in wide.columns:
                columns[column.name] = wide[(column.field, column.item, column.option)].to_numpy()
        respondents = rows.groupby("response_id")[["region", "age_band"]].first()
        data_frame = pd.concat([respondents.reset_index(drop=True), pd.DataFrame(columns)], axis=1)
        tables[info.key] = SurveyData(
            info.key, info.name, info.wave, info.period_start, info.instrument, data_frame
        )
    del frame
    target = tables[survey]
    trend_groups(target.instrument)
    waves = [
        (
            s.key,
            s.wave or s.key,
            Moments.from_arrays(dimension_scores(tables[s.key].frame, s.instrument, "perceived")),
        )
        for s in surveys
    ]
    return analyze_data(target, lambda: waves, by=["region"]).to_dict()


def _children_peak_mib() -> float:
    """Peak RSS of this process's running children (Spark's JVM), from /proc."""
    import os

    peak = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) != os.getpid():
                continue
            for line in (stat.parent / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak += int(line.split()[1]) / 1024
        except (OSError, IndexError, ValueError):
            continue
    return peak


class Phases:
    """Peak RSS and seconds of each phase of one analysis: the peak (``VmHWM``) is read
    and reset (``/proc/self/clear_refs``) where a phase begins and ends, so each phase
    reports its own peak; the process's peak is the largest of them."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self.current = "start"
        self.began = time.perf_counter()
        self.resets = True

    def _peak_mib(self) -> float:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def close(self, following: str) -> None:
        """End the current phase; ``following`` begins."""
        now = time.perf_counter()
        self.rows.append((self.current, self._peak_mib(), now - self.began))
        self.current, self.began = following, now
        if self.resets:
            try:
                Path("/proc/self/clear_refs").write_text("5")
            except OSError:
                self.resets = False

    def wrap(self, module: Any, name: str, label: str) -> None:
        """Time ``module.name`` as the phase ``label`` (what follows it is "other")."""
        inner = getattr(module, name)

        def measured(*args: Any, **kwargs: Any) -> Any:
            self.close(label)
            try:
                return inner(*args, **kwargs)
            finally:
                self.close("other")

        setattr(module, name, measured)

    def peak_mib(self) -> float:
        return max(peak for _, peak, _ in self.rows)


def run_one(engine: str, folder: Path, survey: str, out: Path) -> None:
    """One measured analysis (run in its own process)."""
    phases = Phases()
    start = time.perf_counter()
    if engine == "memory":
        result = in_memory(folder, survey)
    else:
        from cxgap.engine import aggregate, lake
        from cxgap.services import lake as lake_service

        phases.wrap(lake, "load_lake_survey", "pivot")
        phases.wrap(aggregate, "score_moments", "trend sums")
        phases.wrap(lake_service, "analyze_data", "statistics")
        result = lake_service.analyze_source(folder, survey, engine=engine, by=["region"]).to_dict()
    seconds = time.perf_counter() - start
    phases.close("")
    jvm = _children_peak_mib()
    out.write_text(
        json.dumps(
            {
                "seconds": seconds,
                "rss_mib": phases.peak_mib(),
                "jvm_mib": jvm,
                "phases": phases.rows,
                "result": result,
            }
        ),
        encoding="utf-8",
    )


def _close(a: Any, b: Any) -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.pinned.test_analysis_output import differences

    return differences(a, b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[10_000_000, 30_000_000, 100_000_000]
    )
    parser.add_argument("--waves", type=int, default=4)
    parser.add_argument("--engines", nargs="+", default=["memory", "duckdb", "spark"])
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        engine, folder, out = args.one
        keys = sorted(p.name.removeprefix("survey=") for p in Path(folder).glob("survey=*"))
        run_one(engine, Path(folder), keys[-1], Path(out))
        return
    base = args.dir or Path(tempfile.mkdtemp(prefix="cxgap-engine-bench-"))
    previous: dict[str, tuple[int, float]] = {}
    for rows in args.rows:
        folder = base / f"rows-{rows}"
        if not (folder / "_surveys").is_dir():
            began = time.perf_counter()
            written, _ = write_dataset(folder, rows, args.waves)
            print(
                f"wrote {written:,} answer rows to {folder} in {time.perf_counter() - began:.1f} s",
                flush=True,
            )
        written = sum(
            __import__("pyarrow.parquet").parquet.ParquetFile(p).metadata.num_rows
            for p in folder.glob("survey=*/wave=*/*.parquet")
        )
        results = {}
        for engine in args.engines:
            out = base / f"result-{rows}-{engine}.json"  # not in the dataset's folder
            done = subprocess.run(
                [sys.executable, __file__, "--one", engine, str(folder), str(out)],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                print(f"{written:>12,} rows  {engine:<7} failed: {done.stderr.strip()[-400:]}")
                continue
            figures = json.loads(out.read_text(encoding="utf-8"))
            results[engine] = figures["result"]
            growth = ""
            if engine in previous:
                size, seconds = previous[engine]
                exponent = math.log(figures["seconds"] / seconds) / math.log(written / size)
                growth = f"  time ~ rows^{exponent:.2f}"
            previous[engine] = (written, figures["seconds"])
            jvm = f", JVM {figures['jvm_mib']:.0f} MiB" if engine == "spark" else ""
            print(
                f"{written:>12,} rows  {engine:<7} {figures['seconds']:7.1f} s  "
                f"{written / figures['seconds']:>12,.0f} rows/s  peak RSS "
                f"{figures['rss_mib']:.0f} MiB{jvm}{growth}",
                flush=True,
            )
            print(
                "    phases (peak RSS, seconds): "
                + ", ".join(
                    f"{name} {peak:.0f} MiB {took:.1f} s" for name, peak, took in figures["phases"]
                ),
                flush=True,
            )
        names = list(results)
        for other in names[1:]:
            found = _close(results[names[0]], results[other])
            print(f"  {other} vs {names[0]}: {'equal' if not found else found[:3]}")


if __name__ == "__main__":
    main()
