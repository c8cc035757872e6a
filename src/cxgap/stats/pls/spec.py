"""PLS path model specification: the structural and measurement model, checked.

A specification names constructs, the paths between them (``structural`` maps each outcome to
its predictors) and the indicators of each construct (``measurement``). It can be written as
text, one equation a line, in the lavaan-like syntax used by seminr and cSEM::

    # structural model: outcome ~ predictors
    SAT ~ IMAG + EXPE + QUAL + VAL
    LOY ~ IMAG + SAT
    # measurement model: reflective (Mode A) with =~, formative (Mode B) with <~
    IMAG =~ imag1 + imag2 + imag3
    VAL  <~ val1 + val2
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from cxgap.errors import ModelError

Mode = Literal["A", "B"]
MODES: tuple[str, ...] = ("A", "B")

_NAME = r"[A-Za-z_][A-Za-z0-9_.]*"
_LINE = re.compile(rf"^\s*({_NAME})\s*(=~|<~|~)\s*(.+?)\s*$")


@dataclass(frozen=True)
class ModelSpec:
    """A validated PLS path model.

    ``constructs`` is in a topological order of the structural model (predictors first);
    ``indicators`` lists the indicators block by block in that order.
    """

    structural: dict[str, tuple[str, ...]]
    measurement: dict[str, tuple[str, ...]]
    modes: dict[str, Mode]
    constructs: tuple[str, ...]

    @property
    def indicators(self) -> tuple[str, ...]:
        """All indicators, block by block in construct order."""
        return tuple(item for c in self.constructs for item in self.measurement[c])

    @property
    def endogenous(self) -> tuple[str, ...]:
        """Constructs with at least one predictor, in construct order."""
        return tuple(c for c in self.constructs if self.structural.get(c))

    def path_matrix(self) -> np.ndarray:
        """``P[k, j] = 1`` when construct ``j`` predicts construct ``k`` (plspm's layout)."""
        index = {c: i for i, c in enumerate(self.constructs)}
        path = np.zeros((len(self.constructs), len(self.constructs)))
        for outcome, predictors in self.structural.items():
            for predictor in predictors:
                path[index[outcome], index[predictor]] = 1.0
        return path

    def block_index(self) -> np.ndarray:
        """Position of each indicator's construct, aligned with :attr:`indicators`."""
        return np.array(
            [j for j, c in enumerate(self.constructs) for _ in self.measurement[c]], dtype=np.intp
        )


def build_spec(
    structural: Mapping[str, Sequence[str]],
    measurement: Mapping[str, Sequence[str]],
    modes: Mapping[str, str] | None = None,
) -> ModelSpec:
    """Check a model and put its constructs in topological order.

    Raises :class:`~cxgap.errors.ModelError` naming the offending construct or indicator for:
    a construct without indicators, an indicator in two blocks (or twice in one), a cycle or
    self-loop in the structural model, a mode other than ``"A"``/``"B"``, a construct that
    takes part in no path.
    """
    if isinstance(structural, str) or not isinstance(structural, Mapping):
        raise ModelError(
            f"structural must map each outcome to a list of predictors, got {structural!r}"
        )
    if isinstance(measurement, str) or not isinstance(measurement, Mapping):
        raise ModelError(
            f"measurement must map each construct to a list of indicators, got {measurement!r}"
        )
    paths: dict[str, tuple[str, ...]] = {}
    for outcome, predictors in structural.items():
        preds = (predictors,) if isinstance(predictors, str) else tuple(predictors)
        if outcome in preds:
            raise ModelError(f"construct {outcome!r} predicts itself in the structural model")
        if len(set(preds)) != len(preds):
            raise ModelError(f"construct {outcome!r} lists a predictor twice: {list(preds)}")
        paths[str(outcome)] = tuple(str(p) for p in preds)
    in_paths = set(paths) | {p for preds in paths.values() for p in preds}

    blocks: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for construct, items in measurement.items():
        block = (items,) if isinstance(items, str) else tuple(str(i) for i in items)
        if not block:
            raise ModelError(f"construct {construct!r} has no indicators in measurement")
        for item in block:
            if item in owner:
                raise ModelError(
                    f"indicator {item!r} is in two blocks: {owner[item]!r} and {construct!r}; "
                    "each indicator may measure one construct only"
                )
            owner[item] = construct
        blocks[str(construct)] = block
    missing = [c for c in in_paths if c not in blocks]
    if missing:
        raise ModelError(
            f"construct {sorted(missing)[0]!r} has no indicators: add it to measurement "
            f"(constructs without indicators: {sorted(missing)})"
        )
    unused = [c for c in blocks if c not in in_paths]
    if unused:
        raise ModelError(
            f"construct {unused[0]!r} takes part in no structural path; every construct "
            "needs at least one path"
        )

    chosen: dict[str, Mode] = {c: "A" for c in blocks}
    for construct, mode in (modes or {}).items():
        if construct not in blocks:
            raise ModelError(f"modes names unknown construct {construct!r}; known: {list(blocks)}")
        if mode not in MODES:
            raise ModelError(
                f"modes[{construct!r}] = {mode!r} is not allowed; use 'A' (reflective) or "
                "'B' (formative)"
            )
        chosen[construct] = mode  # type: ignore[assignment]

    order = _topological_order(list(blocks), paths)
    return ModelSpec(
        structural={c: paths[c] for c in order if c in paths},
        measurement={c: blocks[c] for c in order},
        modes={c: chosen[c] for c in order},
        constructs=tuple(order),
    )


def _topological_order(constructs: list[str], paths: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Kahn's algorithm, stable with respect to the given construct order."""
    remaining = {c: set(paths.get(c, ())) for c in constructs}
    order: list[str] = []
    while remaining:
        ready = [c for c in constructs if c in remaining and not remaining[c]]
        if not ready:
            cycle = _find_cycle(remaining)
            raise ModelError(
                "the structural model has a cycle: "
                + " -> ".join(cycle)
                + "; PLS path models must be recursive (acyclic)"
            )
        for c in ready:
            del remaining[c]
            order.append(c)
        for preds in remaining.values():
            preds.difference_update(ready)
    return order


def _find_cycle(remaining: Mapping[str, set[str]]) -> list[str]:
    """One cycle among constructs that all still have unresolved predictors."""
    start = next(iter(remaining))
    seen: list[str] = [start]
    current = start
    while True:
        current = sorted(remaining[current])[0]
        if current in seen:
            return [*seen[seen.index(current) :], current][::-1]
        seen.append(current)


def parse_model_text(
    text: str,
) -> tuple[dict[str, list[str]], dict[str, list[str]], dict[str, Mode]]:
    """Parse the text syntax into ``(structural, measurement, modes)``.

    ``Y ~ X1 + X2`` adds paths X1 -> Y and X2 -> Y; ``C =~ x1 + x2`` declares a reflective
    (Mode A) block and ``C <~ x1 + x2`` a formative (Mode B) one. ``#`` starts a comment;
    ``;`` separates equations on one line. Repeated equations for one outcome are merged.
    """
    if not isinstance(text, str):
        raise ModelError(f"model text must be a string, got {type(text).__name__}")
    structural: dict[str, list[str]] = {}
    measurement: dict[str, list[str]] = {}
    modes: dict[str, Mode] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        for part in raw.split("#", 1)[0].split(";"):
            if not part.strip():
                continue
            match = _LINE.match(part)
            if match is None:
                raise ModelError(
                    f"line {number} of the model text is not an equation: {part.strip()!r}; "
                    "write 'Y ~ X1 + X2', 'C =~ x1 + x2' or 'C <~ x1 + x2'"
                )
            lhs, op, rhs = match.groups()
            terms = [t.strip() for t in rhs.split("+")]
            bad = [t for t in terms if not re.fullmatch(_NAME, t)]
            if bad:
                raise ModelError(f"line {number} of the model text has a bad name: {bad[0]!r}")
            if op == "~":
                structural.setdefault(lhs, []).extend(terms)
                continue
            mode: Mode = "A" if op == "=~" else "B"
            if lhs in modes and modes[lhs] != mode:
                raise ModelError(
                    f"line {number}: construct {lhs!r} is declared both reflective (=~) and "
                    "formative (<~)"
                )
            modes[lhs] = mode
            measurement.setdefault(lhs, []).extend(terms)
    if not structural:
        raise ModelError("the model text has no structural equation ('Y ~ X1 + X2')")
    return structural, measurement, modes
