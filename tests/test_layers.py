"""The import contract: which layer of ``cxgap`` may import which.

Every module under ``src/cxgap`` is parsed with :mod:`ast` (nothing is imported to check
it), and each ``import`` of a ``cxgap`` module is compared with the table below.

================  ===================================================================
layer             may import (besides itself and the ``cxgap`` package root)
================  ===================================================================
``errors``        nothing
``text``          ``errors``                                              (pure)
``stats``         ``errors``, ``text`` (counts in messages)               (pure)
``calendars``     ``errors``      (business-calendar arithmetic)          (pure)
``segments``      ``errors``      (the segment attributes: vocabulary every layer uses)
``times``         nothing         (how stored times are read: every layer may use it)
``locale``        ``text``        (the gettext catalogue of every text people read)
``settings``      ``errors``
``instruments``   ``errors``, ``text``
``ingest``        ``errors``, ``text``, ``instruments``, ``segments``   (no database)
``demo``          ``errors``, ``instruments``, ``stats``
``store``         ``errors``, ``settings``
``engine``        ``errors``, ``text``, ``stats``, ``settings``, ``instruments``,
                  ``segments``, ``store``
``services``      every layer above but ``locale``: the only way into the data for what
                  follows
``reports``       ``errors``, ``text``, ``stats``, ``segments``, ``times``, ``settings``,
                  ``instruments``, ``locale``, ``services``
``web``           as ``reports``, and ``reports``
``cli``           as ``web``, and ``web`` (``cxgap serve``)
``__main__``      ``cli``
================  ===================================================================

So ``stats`` <- ``engine`` <- ``services`` <- {``web``, ``cli``, ``reports``}, and
``store`` is imported only by ``engine`` and ``services``. ``stats``, ``text``,
``segments``, ``times`` and ``calendars`` are pure besides: the standard library without
its I/O modules, numpy, scipy, pandas and scikit-learn, and no call that reads or writes
files.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import cxgap
import cxgap.stats

PACKAGE_DIR = Path(cxgap.__file__).parent

BASE = {"errors"}
BELOW_SERVICES = {
    "errors", "text", "stats", "calendars", "segments", "times", "settings", "instruments",
    "ingest", "demo", "store", "engine",
}  # fmt: skip
PRESENTATION = {
    "errors", "text", "stats", "calendars", "segments", "times", "settings", "instruments",
    "locale", "services",
}  # fmt: skip
MAY_IMPORT: dict[str, set[str]] = {
    "errors": set(),
    "text": BASE,
    "stats": {"errors", "text"},
    "calendars": BASE,
    "segments": BASE,
    "times": set(),
    "locale": {"text"},
    "settings": BASE,
    "instruments": {"errors", "text"},
    "ingest": {"errors", "text", "instruments", "segments"},
    "demo": {"errors", "instruments", "stats"},
    "store": {"errors", "settings"},
    "engine": {"errors", "text", "stats", "segments", "settings", "instruments", "store"},
    "services": BELOW_SERVICES,
    "reports": PRESENTATION,
    "web": PRESENTATION | {"reports"},
    "cli": PRESENTATION | {"reports", "web"},
    "__main__": {"cli"},
    "__init__": set(),
}
"""Layer -> the other layers it may import (the table above)."""
EVERYWHERE = {"times"}
"""Layers every layer may import."""

EXCEPTIONS: dict[str, set[str]] = {}
"""Module file (relative to ``src/cxgap``) -> imports it may still make against the table
while it is being moved onto the services; empty once every layer keeps the rule.
``test_exceptions_are_still_needed`` fails when an entry is no longer used."""

PURE = ("stats", "text", "segments", "times", "calendars")
THIRD_PARTY = {"numpy", "scipy", "pandas", "sklearn"}
IO_MODULES = {
    "asyncio", "csv", "ftplib", "glob", "http", "importlib", "io", "mmap", "os", "pathlib",
    "pickle", "shelve", "shutil", "smtplib", "socket", "sqlite3", "ssl", "subprocess", "sys",
    "tarfile", "tempfile", "urllib", "zipfile",
}  # fmt: skip
ALLOWED_IN_PURE = (set(sys.stdlib_module_names) - IO_MODULES) | THIRD_PARTY
IO_FUNCTIONS = {"open", "__import__", "exec", "eval", "input"}
IO_METHODS = {
    "read_csv", "read_excel", "read_feather", "read_hdf", "read_json", "read_parquet",
    "read_pickle", "read_sql", "read_sql_query", "read_sql_table", "read_table", "to_csv",
    "to_excel", "to_feather", "to_hdf", "to_parquet", "to_pickle", "to_sql", "tofile",
    "urlopen", "write_text", "write_bytes", "read_text", "read_bytes",
}  # fmt: skip
NUMPY_IO = {"load", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt",
            "fromfile", "memmap"}  # fmt: skip


def _absolute(node: ast.ImportFrom, module_name: str) -> str:
    if node.level == 0:
        return node.module or ""
    parts = module_name.split(".")
    base = parts[: len(parts) - node.level]
    return ".".join(base + ([node.module] if node.module else []))


def imported(tree: ast.AST, module_name: str) -> list[tuple[int, str]]:
    """(line, module) of every import; ``from cxgap import stats`` names ``cxgap.stats``."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            name = _absolute(node, module_name)
            if name == "cxgap":
                found += [(node.lineno, f"cxgap.{alias.name}") for alias in node.names]
            else:
                found.append((node.lineno, name))
    return found


def _layer(name: str) -> str | None:
    """The layer of a ``cxgap`` module, or ``None`` for the package root's own names."""
    parts = name.split(".")
    if len(parts) < 2:
        return None
    layer = parts[1]
    return layer if layer in MAY_IMPORT else None


def layer_violations(source: str, module_name: str) -> list[str]:
    """Imports of module ``module_name`` that its layer may not make."""
    own = _layer(module_name) or "__init__"
    found = []
    for line, name in imported(ast.parse(source), module_name):
        if name.split(".")[0] != "cxgap":
            continue
        other = _layer(name)
        if other is None or other == own:
            continue
        if other not in MAY_IMPORT[own] | EVERYWHERE:
            found.append(f"line {line}: {own} imports {name}")
    return found


def purity_violations(source: str, module_name: str) -> list[str]:
    """Imports beyond the pure set, and calls that do I/O, in a pure layer's module."""
    tree = ast.parse(source)
    found = []
    for line, name in imported(tree, module_name):
        top = name.split(".")[0]
        if top not in ALLOWED_IN_PURE | {"cxgap", "__future__"}:
            found.append(f"line {line}: imports {name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in IO_FUNCTIONS:
                found.append(f"line {node.lineno}: calls {func.id}()")
            elif isinstance(func, ast.Attribute):
                owner = func.value.id if isinstance(func.value, ast.Name) else ""
                if func.attr in IO_METHODS or (owner in {"np", "numpy"} and func.attr in NUMPY_IO):
                    found.append(f"line {node.lineno}: calls .{func.attr}()")
    return found


def modules() -> list[tuple[str, str]]:
    """(path relative to ``src/cxgap``, module name) of every module."""
    out = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        relative = path.relative_to(PACKAGE_DIR)
        parts = ["cxgap", *relative.with_suffix("").parts]
        out.append((relative.as_posix(), ".".join(parts)))  # __init__ kept: relative imports
    return out


def _source(relative: str) -> str:
    return (PACKAGE_DIR / relative).read_text(encoding="utf-8")


def test_every_layer_is_in_the_table() -> None:
    layers = {Path(relative).parts[0].removesuffix(".py") for relative, _ in modules()}
    assert layers - set(MAY_IMPORT) == set()
    assert {"web", "cli", "reports", "services", "engine", "store", "stats"} <= layers


@pytest.mark.parametrize(("relative", "module"), modules(), ids=lambda v: str(v)[-50:])
def test_module_keeps_the_layer_rule(relative: str, module: str) -> None:
    found = layer_violations(_source(relative), module)
    allowed = EXCEPTIONS.get(relative, set())
    assert [f for f in found if f.split(" imports ")[1] not in allowed] == []


def test_exceptions_are_still_needed() -> None:
    for relative, names in EXCEPTIONS.items():
        found = {f.split(" imports ")[1] for f in layer_violations(_source(relative), "cxgap.x")}
        assert names <= found, f"{relative}: drop {sorted(names - found)} from EXCEPTIONS"


@pytest.mark.parametrize(
    ("relative", "module"),
    [(r, m) for r, m in modules() if Path(r).parts[0].removesuffix(".py") in PURE],
    ids=lambda v: str(v)[-50:],
)
def test_pure_layer_module_is_pure(relative: str, module: str) -> None:
    assert purity_violations(_source(relative), module) == []


OPENS_A_TRANSACTION = ("transaction(", "session_factory(", ".commit(", ".begin(")
OTHER_TRANSACTION_FORMS = {"services/collection/storing.py": {"store_batch"}}
"""Public service functions that own a transaction without taking an ``Engine``."""


def transaction_forms(source: str) -> list[tuple[str, str | None, bool]]:
    """(name, first parameter, whether it opens a transaction) of each public function."""
    found = []
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name[0] != "_":
            params = [*node.args.posonlyargs, *node.args.args]
            body = ast.unparse(node)
            opens = any(marker in body for marker in OPENS_A_TRANSACTION)
            found.append((node.name, params[0].arg if params else None, opens))
    return found


@pytest.mark.parametrize(
    "relative",
    [r for r, _ in modules() if Path(r).parts[0] == "services"],
    ids=lambda v: str(v),
)
def test_service_functions_follow_the_transaction_convention(relative: str) -> None:
    """``engine`` first: the function owns its transaction; ``session`` first: it runs in
    its caller's and never opens or commits one (``cxgap.services`` explains)."""
    exceptions = OTHER_TRANSACTION_FORMS.get(relative, set())
    for name, first, opens in transaction_forms(_source(relative)):
        if name in exceptions:
            continue
        assert not (first == "session" and opens), f"{name} takes a session but opens one"
        assert not (opens and first != "engine"), f"{name} opens a transaction: take an engine"


def test_transaction_convention_checker_finds_what_it_should() -> None:
    source = """
def good(engine, key):
    with transaction(engine) as session:
        return step(session, key)
def step(session, key):
    session.add(key)
def bad(session, key):
    session.commit()
def worse(key):
    with transaction(get_engine()) as session:
        pass
def _private(session):
    session.commit()
"""
    assert transaction_forms(source) == [
        ("good", "engine", True),
        ("step", "session", False),
        ("bad", "session", True),
        ("worse", "key", True),
    ]


def test_layer_scanner_finds_what_it_should() -> None:
    source = """
from cxgap.store.database import transaction
from cxgap import engine, services
from ...store import models
from cxgap.services.accounts import User
from . import common
import cxgap.engine.frames
"""
    assert layer_violations(source, "cxgap.web.dashboard.browse") == [
        "line 2: web imports cxgap.store.database",
        "line 3: web imports cxgap.engine",
        "line 4: web imports cxgap.store",
        "line 7: web imports cxgap.engine.frames",
    ]
    assert layer_violations(source, "cxgap.services.example") == []
    assert layer_violations("from cxgap.services import surveys\n", "cxgap.engine.x") == [
        "line 1: engine imports cxgap.services"
    ]


def test_purity_scanner_finds_what_it_should() -> None:
    source = """
import os
import statsmodels.api as sm
from cxgap.stats import result
from . import gaps
import numpy as np
import pandas as pd
np.save("x.npy", 1)
pd.read_csv("x.csv")
frame.to_parquet("x.parquet")
with open("x") as fh:
    pass
"""
    assert purity_violations(source, "cxgap.stats.example") == [
        "line 2: imports os",
        "line 3: imports statsmodels.api",
        "line 8: calls .save()",
        "line 9: calls .read_csv()",
        "line 10: calls .to_parquet()",
        "line 11: calls open()",
    ]


def test_every_stats_module_imports() -> None:
    names = [
        info.name for info in pkgutil.walk_packages(cxgap.stats.__path__, prefix="cxgap.stats.")
    ]
    assert "cxgap.stats.gaps" in names
    for name in names:
        importlib.import_module(name)


@pytest.mark.parametrize("layer", PURE)
def test_importing_a_pure_layer_loads_no_other_layer(layer: str) -> None:
    code = (
        f"import pkgutil, importlib, sys, cxgap.{layer} as s\n"
        f"for m in pkgutil.walk_packages(getattr(s, '__path__', []), prefix='cxgap.{layer}.'):\n"
        "    importlib.import_module(m.name)\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith('cxgap'))))\n"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    allowed = {layer, *MAY_IMPORT[layer]}  # e.g. stats words its counts with text.counted
    others = [m for m in loaded if m != "cxgap" and m.split(".")[1] not in allowed]
    assert f"cxgap.{layer}" in loaded
    assert others == []
