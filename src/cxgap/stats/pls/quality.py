"""Measurement-quality statistics of a PLS path model: reliability, HTMT, GoF, 0-100 indices."""

from __future__ import annotations

import numpy as np
import pandas as pd


def cronbach_alpha_standardised(R: np.ndarray) -> float:
    """Standardised Cronbach's alpha of a block from its indicator correlation matrix.

    .. math::

        \\alpha = \\frac{k \\bar r}{1 + (k - 1) \\bar r}

    with :math:`\\bar r` the mean off-diagonal correlation (plspm's ``unidim`` convention).
    Reference: Cronbach, L. J. (1951). *Psychometrika* 16, 297-334.
    """
    k = R.shape[0]
    if k == 1:
        return 1.0
    r_bar = (R.sum() - np.trace(R)) / (k * (k - 1))
    return float(k * r_bar / (1.0 + (k - 1) * r_bar))


def composite_reliability(loadings: np.ndarray) -> float:
    """Composite reliability (Dillon-Goldstein / Jöreskog rho_C) from standardised loadings.

    .. math::

        \\rho_C = \\frac{(\\sum_i \\lambda_i)^2}
                      {(\\sum_i \\lambda_i)^2 + \\sum_i (1 - \\lambda_i^2)}

    Reference: Werts, Linn & Jöreskog (1974). *Educational and Psychological Measurement*
    34, 25-33. Example: ``composite_reliability(np.array([0.8, 0.8]))`` is 0.7805.
    """
    lam = np.asarray(loadings, dtype=float)
    top = lam.sum() ** 2
    return float(top / (top + (1.0 - lam**2).sum()))


def rho_a(R: np.ndarray, weights: np.ndarray, *, formative: bool = False) -> float:
    """Dijkstra-Henseler rho_A of a block.

    rho_A is a reliability of reflective (Mode A) blocks. For a formative (Mode B) block,
    ``formative=True``, and for a single-indicator block it is 1 by convention, as in
    seminr (the formula does not apply: with regression weights it can leave [0, 1]).

    With ``w`` the weights that give a unit-variance score of the standardised indicators
    and ``R`` their correlation matrix:

    .. math::

        \\rho_A = (w^\\top w)^2 \\,
        \\frac{w^\\top (R - \\operatorname{diag} R) w}
             {w^\\top (w w^\\top - \\operatorname{diag}(w w^\\top)) w}

    Reference: Dijkstra, T. K. & Henseler, J. (2015). Consistent partial least squares
    path modeling. *MIS Quarterly* 39(2), 297-316 (as computed by seminr's ``rho_A``).
    """
    w = np.asarray(weights, dtype=float)
    if formative or w.size == 1:
        return 1.0
    outer = np.outer(w, w)
    num = w @ (R - np.diag(np.diag(R))) @ w
    den = w @ (outer - np.diag(np.diag(outer))) @ w
    return float((w @ w) ** 2 * num / den)


def htmt(R: pd.DataFrame, measurement: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations for every pair of constructs.

    .. math::

        \\mathrm{HTMT}_{ij} =
            \\frac{\\overline{r}_{ij}}{\\sqrt{\\overline{r}_{ii}\\,\\overline{r}_{jj}}}

    with :math:`\\overline{r}_{ij}` the mean correlation between indicators of blocks
    ``i`` and ``j`` and :math:`\\overline{r}_{ii}` the mean off-diagonal correlation
    within block ``i`` (NaN for single-item blocks). Reference: Henseler, Ringle &
    Sarstedt (2015). *Journal of the Academy of Marketing Science* 43, 115-135.
    """
    names = list(measurement)
    values = R.to_numpy()
    pos = {c: R.index.get_indexer(pd.Index(measurement[c])) for c in names}
    mono = {}
    for c in names:
        block = values[np.ix_(pos[c], pos[c])]
        k = block.shape[0]
        mono[c] = (block.sum() - np.trace(block)) / (k * (k - 1)) if k > 1 else np.nan
    out = pd.DataFrame(np.nan, index=names, columns=names)
    for a in names:
        for b in names:
            if a != b:
                hetero = values[np.ix_(pos[a], pos[b])].mean()
                with np.errstate(invalid="ignore"):  # NaN when a block's mean r is < 0
                    out.loc[a, b] = hetero / np.sqrt(mono[a] * mono[b])
    return out


def goodness_of_fit(
    communality: pd.Series, r2: pd.Series, measurement: dict[str, tuple[str, ...]]
) -> float:
    """Tenenhaus GoF as plspm computes it.

    .. math::

        \\mathrm{GoF} = \\sqrt{\\overline{\\text{communality}} \\times \\overline{R^2}}

    where the mean communality is over the indicators of blocks with more than one
    indicator and the mean :math:`R^2` is over the endogenous constructs.
    Reference: Tenenhaus et al. (2005), *Computational Statistics & Data Analysis* 48.
    """
    items = [i for block in measurement.values() if len(block) > 1 for i in block]
    if not items or r2.empty:
        return float("nan")
    return float(np.sqrt(communality.loc[items].mean() * r2.mean()))


def index_scores(
    raw_weights: pd.Series,
    means: pd.Series,
    low: pd.Series,
    high: pd.Series,
    measurement: dict[str, tuple[str, ...]],
) -> pd.Series:
    """ACSI-style 0-100 construct indices from unstandardised outer weights.

    .. math::

        I_j = 100\\,\\frac{\\sum_i \\tilde w_i \\bar x_i - \\sum_i \\tilde w_i x_i^{\\min}}
                           {\\sum_i \\tilde w_i x_i^{\\max} - \\sum_i \\tilde w_i x_i^{\\min}},
        \\qquad \\tilde w_i = \\frac{w_i}{\\sum_{k \\in j} w_k}

    with :math:`w_i` the weights of the indicators on their original scale.
    Reference: Fornell, Johnson, Anderson, Cha & Bryant (1996). The American Customer
    Satisfaction Index. *Journal of Marketing* 60(4), 7-18.
    """
    out = {}
    for c, block in measurement.items():
        w = raw_weights.loc[list(block)]
        w = w / w.sum()
        lo = float((w * low.loc[list(block)]).sum())
        hi = float((w * high.loc[list(block)]).sum())
        out[c] = 100.0 * (float((w * means.loc[list(block)]).sum()) - lo) / (hi - lo)
    return pd.Series(out, name="index")
