"""Benchmark: 5,000-resample bootstrap of the ECSI model, cxgap against its Python peers.

Peers (installed from PyPI into benchmarks/.venv-peers, created here when missing):

* ``plspm`` 0.5.7 - the Python port of R plspm (Google). Its ``scaled=True`` divides all
  indicators by one pooled SD, so it is run in plspm's raw-data setting
  (``scaled=False``, centroid scheme), the setting of the plspm reference outputs.
* ``seminr`` 0.2.1 - the Python port of R seminr. It always standardises indicators and
  its default inner scheme is the path scheme, so it is compared with cxgap run with
  ``scheme="path", scaled=True``.

Each peer is timed on fewer resamples and the time scaled linearly to 5,000 from the
per-resample slope between two runs (so fixed start-up costs are counted once); the
output says so. All timings use one thread (BLAS/OpenMP threads pinned to 1) and one
process. Point estimates (paths, loadings, outer weights, R^2) of each peer are compared
with cxgap's at a tight convergence tolerance (and, for information, at each tool's
default tolerance, where the stopping rules differ).

Usage: ``python benchmarks/pls_bench.py [--resamples 5000] [--peer-resamples 100 300]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import venv
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import pandas as pd  # noqa: E402

from cxgap.stats.pls import ECSI, ecsi_model  # noqa: E402

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-peers"
DATA = HERE.parent / "tests" / "reference" / "ecsi-bank" / "satisfaction.csv"
PEERS = {"plspm": "plspm==0.5.7", "seminr": "seminr==0.2.1"}
# plspm 0.5.7 indexes DataFrames in a way pandas 3 rejects: keep the peers on pandas 2
PEER_EXTRAS = ["pandas>=2,<3"]
SETTINGS = {
    "plspm": {"scheme": "centroid", "scaled": False},
    "seminr": {"scheme": "path", "scaled": True},
}

PEER_RUNNER = r"""
import json, sys, time
import numpy as np, pandas as pd
cfg = json.load(sys.stdin)
structural, measurement = cfg["structural"], cfg["measurement"]
order = cfg["order"]
data = pd.read_csv(cfg["data"], index_col=0)[[i for lv in order for i in measurement[lv]]]
n = len(data)
out = {}

def record(paths, loadings, weights, r2):
    return {"paths": paths, "loadings": loadings, "weights": weights, "r2": r2}

if cfg["peer"] == "plspm":
    import plspm.config as c
    from plspm.plspm import Plspm
    from plspm.scheme import Scheme
    from plspm.mode import Mode
    path = pd.DataFrame(0, index=order, columns=order)
    for outcome, preds in structural.items():
        for p in preds:
            path.loc[outcome, p] = 1
    def config():
        conf = c.Config(path, scaled=False)
        for lv in order:
            conf.add_lv(lv, Mode.A, *[c.MV(i) for i in measurement[lv]])
        return conf
    def fit(tol, **kw):
        return Plspm(data, config(), Scheme.CENTROID, tolerance=tol, **kw)
    res = fit(cfg["tight_tol"])
    pc = res.path_coefficients()
    om = res.outer_model()
    out["estimates"] = record(
        {f"{p} -> {o}": float(pc.loc[o, p]) for o, ps in structural.items() for p in ps},
        {k: float(v) for k, v in om["loading"].items()},
        {k: float(v) for k, v in om["weight"].items()},
        {k: float(res.inner_summary().loc[k, "r_squared"]) for k in structural},
    )
    times = []
    for b in cfg["resamples"]:
        t0 = time.perf_counter(); fit(1e-6); base = time.perf_counter() - t0
        t0 = time.perf_counter()
        fit(1e-6, bootstrap=True, bootstrap_iterations=b, processes=1)
        times.append(time.perf_counter() - t0 - base)
    out["times"] = times
else:
    import seminr
    mm = seminr.constructs(*[seminr.composite(lv, measurement[lv]) for lv in order])
    sm = seminr.relationships(*[seminr.paths(from_=ps, to=o) for o, ps in structural.items()])
    model = seminr.estimate_pls(data, mm, sm, stop_criterion=cfg["tight_stop"])
    out["estimates"] = record(
        {f"{p} -> {o}": float(model.path_coef.get(p, o))
         for o, ps in structural.items() for p in ps},
        {i: float(model.outer_loadings.get(i, lv)) for lv in order for i in measurement[lv]},
        {i: float(model.outer_weights.get(i, lv)) for lv in order for i in measurement[lv]},
        {o: float(model.r_squared.get("Rsq", o)) for o in structural},
    )
    default = seminr.estimate_pls(data, mm, sm)
    times = []
    for b in cfg["resamples"]:
        t0 = time.perf_counter()
        seminr.bootstrap_model(default, nboot=b, seed=1)
        times.append(time.perf_counter() - t0)
    out["times"] = times
print(json.dumps(out))
"""


def ensure_peers() -> dict[str, str]:
    """Create the peers' virtual environment and install each peer; return failures."""
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} ...", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
        (VENV / ".gitignore").write_text("*\n")
    failures = {}
    for name, requirement in PEERS.items():
        check = subprocess.run(
            [
                str(python),
                "-c",
                f"import {name}, importlib.metadata as m; "
                f"assert m.version('{name}') == '{requirement.split('==')[1]}'; "
                "import pandas; assert int(pandas.__version__.split('.')[0]) < 3",
            ],
            capture_output=True,
        )
        if check.returncode == 0:
            continue
        print(f"installing {requirement} into {VENV} ...", flush=True)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", requirement, *PEER_EXTRAS],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            failures[name] = (done.stderr or done.stdout).strip().splitlines()[-1:]
    return {k: " ".join(v) for k, v in failures.items()}


def run_peer(peer: str, resamples: list[int]) -> dict:
    """Fit and time one peer in the peers' environment."""
    cfg = {
        "peer": peer,
        "data": str(DATA),
        "structural": ECSI.structural,
        "measurement": ECSI.measurement,
        "order": list(ecsi_model().spec.constructs),
        "resamples": resamples,
        "tight_tol": 1e-14,
        "tight_stop": 12,
    }
    done = subprocess.run(
        [str(VENV / "bin" / "python"), "-c", PEER_RUNNER],
        input=json.dumps(cfg),
        capture_output=True,
        text=True,
        env=os.environ.copy(),
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    return json.loads(done.stdout.strip().splitlines()[-1])


def cxgap_estimates(fit) -> dict:
    paths = fit.path_coefficients_
    return {
        "paths": {
            f"{p} -> {o}": float(paths.loc[p, o]) for o, ps in ECSI.structural.items() for p in ps
        },
        "loadings": fit.loadings_.to_dict(),
        "weights": fit.outer_weights_.to_dict(),
        "r2": fit.r2_.to_dict(),
    }


def max_diff(a: dict, b: dict) -> float:
    return max(abs(a[kind][k] - b[kind][k]) for kind in a for k in a[kind])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=5000)
    parser.add_argument("--peer-resamples", type=int, nargs=2, default=[100, 300])
    args = parser.parse_args()
    data = pd.read_csv(DATA, index_col=0)
    B = args.resamples
    print(f"data: {DATA.name}, n={len(data)}; ECSI model, {B} bootstrap resamples; 1 thread")
    failures = ensure_peers()
    fastest: tuple[str, float] | None = None
    rows = []
    for peer, setting in SETTINGS.items():
        model = ecsi_model(**setting)
        fit = model.fit(data)
        model.fit(data).bootstrap(n=50, seed=0, bca=False)  # warm-up
        t0 = time.perf_counter()
        fit.bootstrap(n=B, seed=1, bca=False)
        t_cx = time.perf_counter() - t0
        t0 = time.perf_counter()
        fit.bootstrap(n=B, seed=1, bca=True)
        t_cx_bca = time.perf_counter() - t0
        print(f"\n[{peer} setting: scheme={setting['scheme']}, scaled={setting['scaled']}]")
        print(
            f"  cxgap  : {t_cx:8.3f} s for {B} resamples (percentile); "
            f"{t_cx_bca:.3f} s with BCa (+ {len(data)} jackknife fits)"
        )
        if peer in failures:
            print(f"  {peer:7s}: NOT INSTALLED - {failures[peer]}; skipped")
            continue
        try:
            result = run_peer(peer, list(args.peer_resamples))
        except RuntimeError as err:
            print(f"  {peer:7s}: FAILED to run - {err}; skipped")
            continue
        b1, b2 = args.peer_resamples
        t1, t2 = result["times"]
        slope = (t2 - t1) / (b2 - b1)
        t_peer = t1 + slope * (B - b1)
        tight = ecsi_model(**setting, tol=1e-14).fit(data)
        diff = max_diff(cxgap_estimates(tight), result["estimates"])
        diff_default = max_diff(cxgap_estimates(fit), result["estimates"])
        print(
            f"  {peer:7s}: {t_peer:8.3f} s for {B} resamples (timed on {b1} and {b2} "
            f"resamples: {t1:.2f} s, {t2:.2f} s; scaled linearly)"
        )
        print(f"  speed-up: {t_peer / t_cx:.1f}x (percentile), {t_peer / t_cx_bca:.1f}x (with BCa)")
        print(
            f"  point estimates (paths, loadings, weights, R^2): max |cxgap - {peer}| = "
            f"{diff:.2e} at tight tolerance; {diff_default:.2e} with default tolerances"
        )
        rows.append((peer, t_peer, t_cx, diff))
        if fastest is None or t_peer < fastest[1]:
            fastest = (peer, t_peer)
    if fastest is not None:
        peer, t_peer, t_cx, diff = next(r for r in rows if r[0] == fastest[0])
        print(
            f"\nfastest peer: {peer} ({t_peer:.2f} s); cxgap {t_cx:.3f} s in the same "
            f"setting: {t_peer / t_cx:.1f}x faster (target >= 20x)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
