"""Time a complete in-memory SERVQUAL analysis against a numpy floor.

Usage: ``python benchmarks/stats_bench.py [--n 1000000] [--repeat 1] [--seed 0]``

Data: n respondents x 22 items in the SERVQUAL layout (tangibles 4, reliability 5,
responsiveness 4, assurance 5, empathy 4), answered on 1-7 as expected, adequate, desired
and perceived levels, plus a 0-10 recommendation score and a 1-10 overall satisfaction.

Analysis: ``gap_scores`` (items, dimensions, unweighted and weighted overall, t and
Wilcoxon tests), ``tolerance_zone``, ``cronbach_alpha`` per dimension, ``nps`` and, when
:mod:`cxgap.stats.importance` is available, the derived importance of the five dimensions
for overall satisfaction.

Floor: one numpy pass computing the mean and the variance of every column of the input
tables (4 x 22 item columns and the 2 single scores). The table printed gives the seconds
of each step's first run (which pays for fresh memory: the operating system hands out
large blocks page by page) and of its best of ``--repeat`` runs, with two ratios:
``first/floor`` (first run over the floor's first run) and ``best/floor`` (best over the
floor's best). The target (``--target``, 5x) applies to the complete analysis' best of
``--repeat`` ratio, the steadier of the two on a shared machine; the first-run ratio is
reported beside it and should stay in the same range. The target is set for the default
1,000,000 respondents: with few respondents fixed costs (and SciPy's exact tests) dominate
and the ratio says nothing. Nothing is written to disk.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from cxgap.stats import cronbach_alpha, gap_scores, nps, tolerance_zone

LAYOUT = {"tangibles": 4, "reliability": 5, "responsiveness": 4, "assurance": 5, "empathy": 4}
WEIGHTS = {"tangibles": 11, "reliability": 32, "responsiveness": 22, "assurance": 19, "empathy": 16}


def make_data(n: int, seed: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    items = [f"{dim[:3]}{j + 1}" for dim, k in LAYOUT.items() for j in range(k)]
    dims = {item: dim for dim, k in LAYOUT.items() for item in items if item.startswith(dim[:3])}
    shape = (n, len(items))

    def likert(centre: np.ndarray | float, spread: float) -> np.ndarray:
        raw = centre + rng.normal(scale=spread, size=shape).astype(np.float32)
        return np.clip(np.rint(raw), 1, 7).astype(np.float64)

    person = rng.normal(size=(n, 1)).astype(np.float32)  # respondent-level leniency
    expected = likert(5.6 + 0.6 * person, 1.0)
    adequate = likert(4.2 + 0.6 * person, 1.0)
    desired = likert(6.0 + 0.5 * person, 0.8)  # some answers end up below adequate
    perceived = likert(5.0 + 0.9 * person, 1.1)
    recommend = rng.integers(0, 11, size=n)
    satisfaction = np.clip(np.rint(5.5 + 2.0 * person[:, 0] + rng.normal(size=n)), 1, 10)

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, columns=items)

    return {
        "items": items,
        "dims": dims,
        "expected": frame(expected),
        "adequate": frame(adequate),
        "desired": frame(desired),
        "perceived": frame(perceived),
        "recommend": recommend,
        "satisfaction": satisfaction,
    }


def floor(data: dict[str, Any]) -> None:
    for name in ("expected", "adequate", "desired", "perceived"):
        values = data[name].to_numpy()
        values.mean(axis=0)
        values.var(axis=0)
    for name in ("recommend", "satisfaction"):
        data[name].mean()
        data[name].var()


def analysis_steps(data: dict[str, Any]) -> list[tuple[str, Callable[[], Any]]]:
    dims = data["dims"]
    groups = {dim: [i for i, d in dims.items() if d == dim] for dim in LAYOUT}
    steps: list[tuple[str, Callable[[], Any]]] = [
        (
            "gap_scores",
            lambda: gap_scores(
                data["perceived"], data["expected"], dimensions=dims, weights=WEIGHTS, scale=(1, 7)
            ),
        ),
        (
            "tolerance_zone",
            lambda: tolerance_zone(
                data["adequate"], data["desired"], data["perceived"], dimensions=dims, scale=(1, 7)
            ),
        ),
        (
            "cronbach_alpha x5",
            lambda: [cronbach_alpha(data["perceived"][cols]) for cols in groups.values()],
        ),
        ("nps", lambda: nps(data["recommend"])),
    ]
    if importlib.util.find_spec("cxgap.stats.importance") is not None:
        from cxgap.stats.importance import importance

        def driver_importance() -> Any:
            perceived = data["perceived"]
            by_dimension = pd.DataFrame(
                {dim: perceived[cols].mean(axis=1) for dim, cols in groups.items()}
            )
            return importance(by_dimension, data["satisfaction"])

        steps.append(("importance", driver_importance))
    return steps


def timed(func: Callable[[], Any], repeat: int) -> tuple[float, float]:
    """Seconds of the first run and best of ``repeat`` runs."""
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        runs.append(time.perf_counter() - start)
    return runs[0], min(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="respondents")
    parser.add_argument("--repeat", type=int, default=3, help="runs per step (best is kept)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--target", type=float, default=5.0, help="allowed best/floor of the complete analysis"
    )
    args = parser.parse_args()
    data = make_data(args.n, args.seed)
    floor_first, floor_best = timed(lambda: floor(data), args.repeat)
    steps = analysis_steps(data)
    if not any(name == "importance" for name, _ in steps):
        print("importance: cxgap.stats.importance not available, skipped")
    rows = [(name, *timed(func, args.repeat)) for name, func in steps]
    rows.append(("complete analysis", sum(r[1] for r in rows), sum(r[2] for r in rows)))
    print(f"{args.n:,} respondents x {len(data['items'])} items, 5 dimensions")
    print(f"{'step':<26}{'first s':>9}{'best s':>9}{'first/floor':>13}{'best/floor':>12}")
    for name, first, best in [("floor (numpy mean+var)", floor_first, floor_best), *rows]:
        print(
            f"{name:<26}{first:>9.3f}{best:>9.3f}"
            f"{first / floor_first:>13.2f}{best / floor_best:>12.2f}"
        )
    _, first, best = rows[-1]
    verdict = "met" if best / floor_best <= args.target else "NOT met"
    print(
        f"target: complete analysis best of {args.repeat} <= {args.target:g}x floor: {verdict} "
        f"({best / floor_best:.2f}x; first run {first / floor_first:.2f}x)"
    )


if __name__ == "__main__":
    main()
