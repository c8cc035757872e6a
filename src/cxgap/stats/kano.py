"""Kano classification of features from functional / dysfunctional answer pairs.

Answer coding (both questions): 1 = like, 2 = must-be (expect it), 3 = neutral,
4 = live with, 5 = dislike. Each respondent's pair is classified with the evaluation table
of Berger et al. (1993) into A (attractive), O (one-dimensional), M (must-be),
I (indifferent), R (reverse) or Q (questionable).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxgap.errors import DataError
from cxgap.stats._validate import as_matrix, check_integer_values, match_matrices
from cxgap.stats.result import StatResult

__all__ = [
    "ANSWERS",
    "CATEGORIES",
    "EVALUATION_TABLE",
    "KanoResult",
    "kano",
    "kano_coefficients",
    "kano_from_pairs",
]

ANSWERS = ("like", "must-be", "neutral", "live with", "dislike")
"""Meaning of the answer codes 1..5."""

CATEGORIES = ("A", "O", "M", "I", "R", "Q")
"""Kano categories: attractive, one-dimensional, must-be, indifferent, reverse, questionable."""

# Rows: functional answer 1..5; columns: dysfunctional answer 1..5 (Berger et al., 1993).
EVALUATION_TABLE = (
    ("Q", "A", "A", "A", "O"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "I", "I", "I", "M"),
    ("R", "R", "R", "R", "Q"),
)
"""Kano evaluation table: ``EVALUATION_TABLE[functional - 1][dysfunctional - 1]``."""

# Order used to break ties of the most frequent category (Matzler et al., 1996: M > O > A > I).
_TIE_ORDER = ("M", "O", "A", "I", "R", "Q")
_FONG_Z = 1.65
_CODE = np.array([[CATEGORIES.index(c) for c in row] for row in EVALUATION_TABLE])


@dataclass(frozen=True)
class KanoResult(StatResult):
    """Kano classification per feature.

    ``summary`` (index: feature) columns:

    - ``n``: classified answer pairs; ``A, O, M, I, R, Q``: counts;
      ``share_A`` ... ``share_Q``: counts / n.
    - ``category``: the most frequent category; ties broken by M > O > A > I > R > Q.
    - ``tie``: the tied most frequent categories joined by ``"/"`` (``""`` if none).
    - ``fong_statistic`` :math:`|a-b|` of the two most frequent counts, ``fong_critical``,
      ``fong_significant`` (``fong_statistic >= fong_critical``).
    - ``better``, ``worse``: satisfaction coefficients.
    - ``category_strength``: share of the top category minus share of the second.
    - ``total_strength``: share of A + O + M.

    A feature nobody answered (``n`` 0) has an empty ``category`` and NaN shares,
    coefficients and strengths; ``better`` and ``worse`` are NaN when no answer is A, O, M
    or I (only reverse or questionable answers).

    ``classes`` (respondents x features, only from :func:`kano`) holds each answer pair's
    category, ``None`` where the pair is missing.
    """

    n_features: int
    classes: pd.DataFrame | None = None


def _counts_frame(counts: Any) -> pd.DataFrame:
    if isinstance(counts, pd.DataFrame):
        frame = counts
    elif isinstance(counts, Mapping):
        frame = pd.DataFrame([dict(counts)], index=pd.Index([0], name="feature"))
    else:
        raise DataError(
            f"counts: got {type(counts).__name__}; allowed: a mapping {{'A': n, ...}} or a "
            "DataFrame with columns among A, O, M, I, R, Q (one row per feature)"
        )
    unknown = [c for c in frame.columns if c not in CATEGORIES]
    if unknown:
        raise DataError(
            f"counts: unknown column(s) {unknown!r}; allowed: the categories A, O, M, I, R, Q "
            "(a category left out counts as 0)"
        )
    # Published tables often give only A, O, M and I: an absent category counts as zero.
    frame = frame.reindex(columns=list(CATEGORIES), fill_value=0)
    matrix = as_matrix(frame, name="counts")
    values = matrix.values
    bad = np.isnan(values) | (values < 0) | (values != np.round(values))
    if bad.any():
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise DataError(
            f"counts: {matrix.where(i, j)}: value "
            f"{values[i, j]!r} is not allowed; allowed: whole numbers >= 0"
        )
    return pd.DataFrame(values.astype(np.int64), index=frame.index, columns=list(CATEGORIES))


def kano_coefficients(counts: Any) -> KanoResult:
    r"""Kano summary statistics from category counts per feature.

    With counts :math:`A, O, M, I, R, Q` and :math:`n` their total:

    .. math::
        \text{Better} = \frac{A+O}{A+O+M+I}, \qquad
        \text{Worse} = -\frac{O+M}{A+O+M+I}

    (Berger et al., 1993). Fong's (1996) test compares the two most frequent counts
    :math:`a \ge b`; the difference is significant at about the 10% level when

    .. math:: |a-b| \ge 1.65 \sqrt{\frac{(a+b)(2n-a-b)}{2n}} .

    Category strength is the share of the most frequent category minus that of the
    second; total strength is the share of A + O + M (Lee & Newcomb, 1997).

    Args:
        counts: a mapping ``{"A": 10, "O": 5, ...}`` (one feature) or a DataFrame with
            columns among A, O, M, I, R, Q and one row per feature; a category that is
            left out counts as 0 (tables that give only A, O, M and I are accepted).

    References:
        Berger, C., Blauth, R., Boger, D., et al. (1993). Kano's methods for understanding
        customer-defined quality. *Center for Quality of Management Journal*, 2(4), 3-36.
        Fong, D. (1996). Using the self-stated importance questionnaire to interpret Kano
        questionnaire results. *Center for Quality of Management Journal*, 5(3), 21-24.
        Lee, M. C., & Newcomb, J. F. (1997). Applying the Kano methodology to meet customer
        requirements: NASA's microgravity science program. *Quality Management Journal*,
        4(3), 95-110. Matzler, K., Hinterhuber, H. H., Bailom, F., & Sauerwein, E. (1996).
        How to delight your customers. *Journal of Product & Brand Management*, 5(2), 6-18.

    Example:
        >>> res = kano_coefficients({"A": 45, "O": 123, "M": 95, "I": 33})
        >>> round(float(res.summary["better"].iloc[0]), 3)
        0.568
    """
    frame = _counts_frame(counts)
    c = frame.to_numpy(dtype=np.float64)
    n = c.sum(axis=1)
    a, o, m, i = c[:, :4].T
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = c / n[:, None]
        base = a + o + m + i
        better = np.where(base > 0, (a + o) / base, np.nan)
        worse = np.where(base > 0, -(o + m) / base, np.nan)
    top_two = -np.sort(-c, axis=1)[:, :2]
    first, second = top_two[:, 0], top_two[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        critical = _FONG_Z * np.sqrt((first + second) * (2 * n - first - second) / (2 * n))
        category_strength = (first - second) / n
    statistic = first - second
    categories: list[str] = []
    ties: list[str] = []
    for row, total in zip(c, n, strict=True):
        best = [cat for cat, v in zip(CATEGORIES, row, strict=True) if v == row.max()]
        if total == 0:
            categories.append("")
            ties.append("")
            continue
        categories.append(min(best, key=_TIE_ORDER.index))
        ties.append("/".join(best) if len(best) > 1 else "")
    summary = pd.DataFrame(index=frame.index)
    summary["n"] = n.astype(np.int64)
    for cat in CATEGORIES:
        summary[cat] = frame[cat].to_numpy()
    for j, cat in enumerate(CATEGORIES):
        summary[f"share_{cat}"] = shares[:, j]
    summary["category"] = categories
    summary["tie"] = ties
    summary["fong_statistic"] = statistic
    summary["fong_critical"] = critical
    summary["fong_significant"] = (statistic >= critical) & (n > 0)
    summary["better"] = better
    summary["worse"] = worse
    summary["category_strength"] = category_strength
    summary["total_strength"] = shares[:, :3].sum(axis=1)
    if summary.index.name is None:
        summary.index.name = "feature"
    return KanoResult(summary, len(summary))


def kano(
    functional: Any,
    dysfunctional: Any,
    *,
    features: list[Hashable] | None = None,
) -> KanoResult:
    r"""Classify Kano answer pairs and summarise each feature.

    Each respondent's answers to the functional question ("if the feature is present")
    and the dysfunctional one ("if it is absent"), both coded 1 = like, 2 = must-be,
    3 = neutral, 4 = live with, 5 = dislike, give a category from the evaluation table of
    Berger et al. (1993) (rows: functional, columns: dysfunctional):

    ========== ==== ======= ======= ========= =======
    F \\ D     like must-be neutral live with dislike
    ========== ==== ======= ======= ========= =======
    like       Q    A       A       A         O
    must-be    R    I       I       I         M
    neutral    R    I       I       I         M
    live with  R    I       I       I         M
    dislike    R    R       R       R         Q
    ========== ==== ======= ======= ========= =======

    The counts per feature are then summarised by :func:`kano_coefficients` (Better,
    Worse, Fong's test, category and total strength).

    Args:
        functional: respondents x features answers to the functional questions
            (DataFrame or 2-D array).
        dysfunctional: the same respondents x features for the dysfunctional questions;
            DataFrame columns are matched by label.
        features: names for the features (default: the DataFrame columns, else 0..k-1).

    Missing values: a pair with either answer missing is skipped for that feature.

    Reference: Berger, C., et al. (1993). Kano's methods for understanding
    customer-defined quality. *Center for Quality of Management Journal*, 2(4), 3-36.

    Example:
        >>> f = pd.DataFrame({"app": [1, 1, 2, 1]})
        >>> d = pd.DataFrame({"app": [3, 5, 5, 4]})
        >>> res = kano(f, d)
        >>> res.summary.loc["app", "category"], res.summary.loc["app", "tie"]
        ('A', '')
    """
    func = as_matrix(functional, name="functional", scale=(1, 5))
    dysf = as_matrix(dysfunctional, name="dysfunctional", scale=(1, 5))
    func, dysf = match_matrices(func, dysf)
    check_integer_values(func, low=1, high=5)
    check_integer_values(dysf, low=1, high=5)
    names = list(func.columns)
    if features is not None:
        if len(features) != len(names):
            raise DataError(
                f"features: got {len(features)} names for {len(names)} feature columns; "
                "allowed: one name per column"
            )
        names = list(features)
    valid = ~(np.isnan(func.values) | np.isnan(dysf.values))
    fi = np.where(valid, func.values, 1).astype(np.intp) - 1
    di = np.where(valid, dysf.values, 1).astype(np.intp) - 1
    code = np.where(valid, _CODE[fi, di], -1)
    # Count per feature and category in one pass: offset each feature's codes.
    k = code.shape[1]
    flat = (code + np.arange(k) * len(CATEGORIES))[valid]
    counts = np.bincount(flat, minlength=k * len(CATEGORIES)).reshape(k, len(CATEGORIES))
    index = pd.Index(names, name="feature")
    result = kano_coefficients(pd.DataFrame(counts, index=index, columns=list(CATEGORIES)))
    labels = np.array([*CATEGORIES, None], dtype=object)[code]
    classes = pd.DataFrame(labels, columns=index, index=func.index)
    return KanoResult(result.summary, result.n_features, classes)


def kano_from_pairs(
    pairs: pd.DataFrame,
    *,
    features: Mapping[Hashable, Hashable] | None = None,
    feature: str = "feature",
    count: str = "count",
) -> KanoResult:
    """:func:`kano` from how often each answer pair occurs (formed elsewhere, e.g. by a
    database), with the same summary: ``pairs`` has one row per feature and pair, with
    the columns ``feature``, ``functional``, ``dysfunctional`` (codes 1..5) and ``count``.
    ``features`` names the features in their order (key: the value in the ``feature``
    column; default: the order of first appearance). The per-respondent ``classes`` need
    the rows and are not formed.

    Example:
        >>> pairs = pd.DataFrame({"feature": ["app"] * 3, "functional": [1, 1, 2],
        ...                       "dysfunctional": [3, 5, 5], "count": [2, 1, 1]})
        >>> kano_from_pairs(pairs).summary.loc["app", "category"]
        'A'
    """
    needed = [c for c in (feature, "functional", "dysfunctional", count) if c not in pairs]
    if needed:
        raise DataError(
            f"Kano pair counts: missing column(s) {needed!r}; allowed: a table with "
            f"{feature!r}, 'functional', 'dysfunctional' and {count!r}"
        )
    codes = pairs[["functional", "dysfunctional"]].to_numpy(dtype=np.float64)
    bad = ~np.isin(codes, np.arange(1.0, 6.0)).all(axis=1)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"Kano pair counts: row {row + 1} has the answers "
            f"{codes[row, 0]:g}/{codes[row, 1]:g}; allowed: whole numbers 1..5"
        )
    order = list(features) if features is not None else list(dict.fromkeys(pairs[feature]))
    position = {name: j for j, name in enumerate(order)}
    unknown = [name for name in pairs[feature] if name not in position]
    if unknown:
        raise DataError(f"Kano pair counts: feature {unknown[0]!r} is not among {order!r}")
    rows = np.array([position[name] for name in pairs[feature]], dtype=np.intp)
    category = _CODE[codes[:, 0].astype(np.intp) - 1, codes[:, 1].astype(np.intp) - 1]
    counts = np.zeros((len(order), len(CATEGORIES)), dtype=np.int64)
    np.add.at(counts, (rows, category), pairs[count].to_numpy(dtype=np.int64))
    names = [features[name] for name in order] if features is not None else order
    index = pd.Index(names, name="feature")
    return kano_coefficients(pd.DataFrame(counts, index=index, columns=list(CATEGORIES)))
