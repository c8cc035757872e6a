"""The examples in the docstrings of the pure cores (``cxgap.stats``, ``cxgap.text``) run.

Every module of the two packages is searched for ``>>>`` examples; each module with
examples is one test, so a wrong example fails the suite like any other test.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
from types import ModuleType

import pytest

import cxgap.stats
import cxgap.text

PACKAGES: tuple[ModuleType, ...] = (cxgap.stats, cxgap.text)
FLAGS = doctest.ELLIPSIS


def _modules() -> list[str]:
    names: list[str] = []
    for package in PACKAGES:
        names.append(package.__name__)
        prefix = package.__name__ + "."
        names += [m.name for m in pkgutil.walk_packages(package.__path__, prefix)]
    return names


def _doctests(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder().find(module) if t.examples]


WITH_EXAMPLES = [name for name in _modules() if _doctests(name)]


def test_examples_are_found_in_both_cores() -> None:
    # A finder that silently finds nothing would make the tests below vanish.
    for expected in ("cxgap.stats.gaps", "cxgap.stats.kano", "cxgap.text.control"):
        assert expected in WITH_EXAMPLES
    assert sum(len(t.examples) for n in WITH_EXAMPLES for t in _doctests(n)) >= 20


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples(name: str) -> None:
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    report: list[str] = []
    for test in _doctests(name):
        runner.run(test, out=report.append)
    results = runner.summarize(verbose=False)
    assert results.attempted > 0
    assert results.failed == 0, "".join(report)
