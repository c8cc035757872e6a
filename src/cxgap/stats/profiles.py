"""Expectation profiles: data-driven groups of customers with similar expectations.

A Gaussian mixture on the standardised expectation components finds groups of customers
who expect similar things; each profile is then described by what it expects more or less
than average and, optionally, by the segment attributes (gender, age band, region...) that
are over-represented in it. This is the data-driven counterpart of segmenting by
expectation components.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps
from sklearn.mixture import GaussianMixture

from cxgap.errors import DataError
from cxgap.stats._validate import as_matrix
from cxgap.stats.result import StatResult
from cxgap.stats.segments import fdr_bh, segment_codes
from cxgap.text import counted

__all__ = ["DISTINCT_Z", "N_DISTINCT", "ExpectationProfiles", "expectation_profiles"]

DISTINCT_Z = 0.5
"""A component is distinctive for a profile when its mean differs from the overall mean by
at least this many overall standard deviations (a medium difference)..."""
N_DISTINCT = 3
"""...and it is among the profile's ``N_DISTINCT`` largest absolute differences."""

_OVER_COLUMNS = [
    "attribute",
    "level",
    "profile",
    "count",
    "profile_n",
    "share_in_profile",
    "share_overall",
    "lift",
    "p",
    "p_adj",
    "over_represented",
]


@dataclass(frozen=True)
class ExpectationProfiles(StatResult):
    """Customer profiles found from expectation components.

    ``summary`` (index: profile 0..K-1, largest first): ``n``, ``share``, ``mean_<component>``
    (original scale) per component, and ``distinctive`` (the flagged components with their
    signed z-differences, e.g. ``"price +1.20; speed -0.80"``).

    ``labels_``: profile of each input row, -1 for rows left out (missing components).
    ``bic``: one row per number of profiles tried: ``n_profiles``, ``bic``, ``aic``,
    ``log_likelihood``, ``converged``, ``chosen``.
    ``distinctive``: one row per profile and component: ``profile``, ``component``,
    ``mean``, ``overall_mean``, ``z_diff`` (difference in overall SDs), ``rank`` (by
    ``|z_diff|`` within the profile) and ``flagged``.
    ``over_represented``: one row per attribute level and profile: ``attribute``,
    ``level``, ``profile``, ``count``, ``profile_n``, ``share_in_profile``,
    ``share_overall``, ``lift`` (ratio of the two shares), ``p`` (one-sided Fisher exact
    test of over-representation), ``p_adj`` (Benjamini-Hochberg over all rows) and
    ``over_represented`` (``p_adj < alpha`` and ``lift > 1``). Empty without attributes.
    """

    n_profiles: int
    n: int
    n_excluded: int
    seed: int
    labels_: np.ndarray
    bic: pd.DataFrame
    distinctive: pd.DataFrame
    over_represented: pd.DataFrame


def _check_count(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise DataError(f"{name}: got {value!r}; allowed: a whole number >= {low}")
    return int(value)


def _fit_mixtures(
    z: np.ndarray, candidates: list[int], seed: int
) -> tuple[GaussianMixture, pd.DataFrame]:
    rows = []
    models = {}
    for k in candidates:
        model = GaussianMixture(
            n_components=k, covariance_type="full", n_init=3, random_state=seed
        ).fit(z)
        models[k] = model
        rows.append(
            {
                "n_profiles": k,
                "bic": model.bic(z),
                "aic": model.aic(z),
                "log_likelihood": model.score(z) * z.shape[0],
                "converged": bool(model.converged_),
            }
        )
    table = pd.DataFrame(rows)
    best = candidates[int(np.argmin(table["bic"].to_numpy()))]
    table["chosen"] = table["n_profiles"] == best
    return models[best], table


def _describe(
    x: np.ndarray, z: np.ndarray, labels: np.ndarray, k: int, components: list[Any]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = np.bincount(labels, minlength=k)
    one_hot = np.zeros((labels.size, k))
    one_hot[np.arange(labels.size), labels] = 1.0
    means = (one_hot.T @ x) / n[:, None]
    z_diff = (one_hot.T @ z) / n[:, None]  # z has overall mean 0 and SD 1
    order = np.argsort(-np.abs(z_diff), axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(k)[:, None], order] = np.arange(1, len(components) + 1)
    flagged = (rank <= N_DISTINCT) & (np.abs(z_diff) >= DISTINCT_Z)
    distinctive = pd.DataFrame(
        {
            "profile": np.repeat(np.arange(k), len(components)),
            "component": components * k,
            "mean": means.ravel(),
            "overall_mean": np.tile(x.mean(axis=0), k),
            "z_diff": z_diff.ravel(),
            "rank": rank.ravel(),
            "flagged": flagged.ravel(),
        }
    )
    summary = pd.DataFrame(
        {"n": n, "share": n / labels.size}, index=pd.Index(range(k), name="profile")
    )
    for j, component in enumerate(components):
        summary[f"mean_{component}"] = means[:, j]
    text = []
    for p in range(k):
        top = [j for j in order[p] if flagged[p, j]]
        text.append("; ".join(f"{components[j]} {z_diff[p, j]:+.2f}" for j in top))
    summary["distinctive"] = text
    return summary, distinctive


def _over_representation(
    attributes: Any,
    complete: np.ndarray,
    index: pd.Index | None,
    labels: np.ndarray,
    k: int,
    alpha: float,
) -> pd.DataFrame:
    if isinstance(attributes, pd.Series):
        attributes = attributes.to_frame()
    if not isinstance(attributes, pd.DataFrame):
        array = np.asarray(attributes, dtype=object)
        if array.ndim not in (1, 2):
            raise DataError(
                f"attributes: got {array.ndim} dimensions; allowed: a respondents x "
                "attributes table"
            )
        attributes = pd.DataFrame(array.reshape(array.shape[0], -1))
        index = None  # positions only: nothing to compare with the expectations' index
    frames = []
    for column in attributes.columns:
        codes, levels = segment_codes(
            attributes[column], n_rows=complete.size, index=index, name="attributes"
        )
        codes = codes[complete]
        has = codes >= 0
        if not has.any():
            continue
        table = np.zeros((len(levels), k), dtype=np.int64)
        np.add.at(table, (codes[has], labels[has]), 1)
        total = int(has.sum())
        level_n = table.sum(axis=1, keepdims=True)
        profile_n = table.sum(axis=0, keepdims=True)
        # One-sided Fisher exact test: P(X >= count) for the hypergeometric count.
        p = sps.hypergeom.sf(table - 1, total, level_n, profile_n)
        with np.errstate(invalid="ignore", divide="ignore"):
            share_in = table / profile_n
        share_all = np.broadcast_to(level_n / total, table.shape)
        frames.append(
            pd.DataFrame(
                {
                    "attribute": column,
                    "level": np.repeat(np.asarray(levels, dtype=object), k),
                    "profile": np.tile(np.arange(k), len(levels)),
                    "count": table.ravel(),
                    "profile_n": np.broadcast_to(profile_n, table.shape).ravel(),
                    "share_in_profile": share_in.ravel(),
                    "share_overall": share_all.ravel(),
                    "lift": (share_in / share_all).ravel(),
                    "p": np.clip(p, 0.0, 1.0).ravel(),
                }
            )
        )
    if not frames:
        return pd.DataFrame(columns=_OVER_COLUMNS)
    out = pd.concat(frames, ignore_index=True)
    out["p_adj"] = fdr_bh(out["p"].to_numpy())
    out["over_represented"] = (out["p_adj"] < alpha) & (out["lift"] > 1)
    return out[_OVER_COLUMNS]


def expectation_profiles(
    expectations: Any,
    *,
    n_profiles: int | None = None,
    seed: int = 0,
    attributes: Any = None,
    max_profiles: int = 8,
    alpha: float = 0.05,
    scale: tuple[float, float] | None = None,
) -> ExpectationProfiles:
    r"""Find customer profiles from expectation components with a Gaussian mixture.

    Components are standardised, :math:`z_{ij} = (x_{ij} - \bar x_j)/s_j`, and a Gaussian
    mixture with full covariances is fitted (scikit-learn, 3 starts, ``seed``). Without
    ``n_profiles`` the number :math:`K \in \{1..\text{max\_profiles}\}` minimising

    .. math:: \mathrm{BIC}_K = -2 \log L_K + m_K \log n

    (:math:`m_K` free parameters) is chosen (Fraley & Raftery, 2002). Each respondent goes
    to the profile of highest posterior probability; profiles are numbered by size and
    empty ones dropped. A profile's distinctive components have the largest
    :math:`|\bar z_{pj}|` (see :data:`DISTINCT_Z`, :data:`N_DISTINCT`). For an attribute
    level with :math:`a` members in profile :math:`p` (size :math:`n_p`), :math:`n_\ell`
    overall among :math:`N`, lift :math:`= (a/n_p)/(n_\ell/N)` and the one-sided Fisher
    exact p-value :math:`P(X \ge a)`, :math:`X \sim \mathrm{Hypergeom}(N, n_\ell, n_p)`,
    Benjamini-Hochberg adjusted over all levels and profiles.

    Args:
        expectations: respondents x expectation components (e.g. dimension scores).
        n_profiles: fixed number of profiles; ``None`` chooses it by BIC.
        seed: random seed of the mixture fits (results are reproducible).
        attributes: optional respondents x segment attributes (gender, age_band, ...),
            same rows as ``expectations``; missing levels are left out per attribute.
        max_profiles: largest number of profiles tried when choosing by BIC.
        alpha: false discovery rate for flagging over-represented levels.
        scale: optional ``(low, high)`` scale of the components; values outside are rejected.

    Missing values: respondents with any missing component are left out (label -1).

    References:
        Fraley, C., & Raftery, A. E. (2002). Model-based clustering, discriminant analysis
        and density estimation. *JASA*, 97(458), 611-631. Wedel, M., & Kamakura, W. A.
        (2000). *Market Segmentation: Conceptual and Methodological Foundations*, 2nd ed.

    Example:
        >>> rng = np.random.default_rng(0)
        >>> x = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(6, 1, (60, 2))])
        >>> expectation_profiles(x, max_profiles=4).n_profiles
        2
    """
    seed = _check_count(seed, "seed", 0)
    max_profiles = _check_count(max_profiles, "max_profiles", 1)
    if not 0 < alpha < 1:
        raise DataError(f"alpha: got {alpha!r}; allowed: a number between 0 and 1")
    if n_profiles is not None:
        n_profiles = _check_count(n_profiles, "n_profiles", 1)
    candidates = [n_profiles] if n_profiles is not None else list(range(1, max_profiles + 1))
    matrix = as_matrix(expectations, name="expectations", scale=scale)
    complete = ~np.isnan(matrix.values).any(axis=1)
    x = matrix.values[complete]
    n = x.shape[0]
    needed = max(10, 5 * max(candidates))
    if n < needed:
        raise DataError(
            f"expectations: {counted(n, 'complete respondent')}; at least {needed:,} are "
            f"needed for up to {counted(max(candidates), 'profile')} (5 per profile, 10 at "
            "least); lower "
            "max_profiles / n_profiles or add respondents"
        )
    sd = x.std(axis=0)
    constant = [c for c, s in zip(matrix.columns, sd, strict=True) if s == 0]
    if constant:
        raise DataError(
            f"expectations: component(s) {constant!r} do not vary; allowed: components with "
            "a non-zero variance"
        )
    z = (x - x.mean(axis=0)) / sd
    model, bic = _fit_mixtures(z, candidates, seed)
    raw = model.predict(z)
    # Number profiles by size (largest first), dropping components that got nobody.
    sizes = np.bincount(raw, minlength=model.n_components)
    order = [c for c in np.argsort(-sizes, kind="stable") if sizes[c] > 0]
    relabel = np.full(model.n_components, -1)
    relabel[order] = np.arange(len(order))
    labels = relabel[raw]
    k = len(order)
    components = list(matrix.columns)
    summary, distinctive = _describe(x, z, labels, k, components)
    labels_all = np.full(matrix.n_rows, -1)
    labels_all[complete] = labels
    if attributes is None:
        over = pd.DataFrame(columns=_OVER_COLUMNS)
    else:
        over = _over_representation(attributes, complete, matrix.index, labels, k, alpha)
    return ExpectationProfiles(
        summary,
        k,
        n,
        int(matrix.n_rows - n),
        seed,
        labels_all,
        bic,
        distinctive,
        over,
    )
