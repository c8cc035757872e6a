"""The fitted PLS path model: estimates as labelled pandas objects."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxgap.stats.pls import quality
from cxgap.stats.pls.algorithm import BatchEstimate, Layout, total_effects
from cxgap.stats.pls.spec import ModelSpec
from cxgap.stats.result import StatResult, to_jsonable

if TYPE_CHECKING:
    from cxgap.stats.pls.bootstrap import PLSBootstrap
    from cxgap.stats.pls.path_model import PLSPathModel

_HIDDEN: dict[str, Any] = {"serialise": False}


class SerialiseMixin:
    """``to_dict`` that leaves out fields marked ``metadata={"serialise": False}``."""

    def to_dict(self) -> dict[str, Any]:
        """Fields as JSON-compatible values, without internal arrays and model objects."""
        return {
            f.name: to_jsonable(getattr(self, f.name))
            for f in dataclasses.fields(self)  # type: ignore[arg-type]
            if f.metadata.get("serialise", True)
        }


@dataclasses.dataclass(frozen=True)
class PLSFit(SerialiseMixin, StatResult):
    """Estimates of a PLS path model (see :class:`~cxgap.stats.pls.PLSPathModel`).

    ``summary`` has one row per construct with columns ``type`` (exogenous/endogenous),
    ``mode``, ``n_indicators``, ``r2``, ``r2_adj``, ``block_communality``,
    ``mean_redundancy``, ``ave``, ``alpha``, ``rho_a``, ``rho_c`` and ``index``.
    ``rho_a`` is 1 by convention for formative (Mode B) and single-indicator blocks (as
    seminr reports it): reliability belongs to reflective blocks.
    """

    n_obs_: int
    n_iter_: int
    converged_: bool
    gof_: float
    scheme_: str
    scaled_: bool
    path_coefficients_: pd.DataFrame  # rows predictors, columns outcomes
    outer_weights_: pd.Series
    loadings_: pd.Series
    crossloadings_: pd.DataFrame
    outer_model_: pd.DataFrame  # weight, loading, communality, redundancy per indicator
    r2_: pd.Series
    r2_adj_: pd.Series
    scores_: pd.DataFrame
    effects_: pd.DataFrame  # long form: from, to, direct, indirect, total
    total_effects_: pd.DataFrame  # rows from, columns to
    indirect_effects_: pd.DataFrame
    reliability_: pd.DataFrame  # alpha, rho_a, rho_c, ave per construct
    htmt_: pd.DataFrame
    index_scores_: pd.Series
    model_: PLSPathModel = dataclasses.field(repr=False, metadata=_HIDDEN)
    data_: np.ndarray = dataclasses.field(repr=False, metadata=_HIDDEN)

    def bootstrap(
        self,
        n: int = 5000,
        *,
        seed: int | None = None,
        confidence: float = 0.95,
        batch_size: int = 1000,
        bca: bool = True,
    ) -> PLSBootstrap:
        """Bootstrap SE, t, p and intervals (:func:`cxgap.stats.pls.bootstrap.bootstrap`)."""
        from cxgap.stats.pls.bootstrap import bootstrap

        return bootstrap(
            self, n=n, seed=seed, confidence=confidence, batch_size=batch_size, bca=bca
        )


def assemble_fit(
    model: PLSPathModel,
    spec: ModelSpec,
    layout: Layout,
    est: BatchEstimate,
    X: np.ndarray,
    raw: pd.DataFrame,
    index: pd.Index,
) -> PLSFit:
    """Label the estimate of one fit (batch of one) and derive the quality measures.

    ``X`` is the treated (centred, and standardised when scaled) indicator matrix and
    ``raw`` the indicators after missing-value handling, on their original scale.
    """
    names, items = list(spec.constructs), list(spec.indicators)
    n = X.shape[0]
    w = est.weights[0]
    scores = pd.DataFrame(
        np.column_stack(
            [X[:, layout.block == j] @ w[layout.block == j] for j in range(len(names))]
        ),
        index=index,
        columns=names,
    )
    paths = pd.DataFrame(est.paths[0].T, index=names, columns=names)
    total = pd.DataFrame(total_effects(est.paths[0]).T, index=names, columns=names)
    indirect = total - paths
    endo = list(spec.endogenous)
    r2 = pd.Series(est.r2[0], index=names)
    n_pred = pd.Series({c: len(spec.structural.get(c, ())) for c in names})
    r2_adj = 1.0 - (1.0 - r2) * (n - 1) / (n - n_pred - 1)

    weights = pd.Series(w, index=items, name="weight")
    loadings = pd.Series(est.loadings[0], index=items, name="loading")
    communality = loadings**2
    r2_of_item = pd.Series(r2.to_numpy()[layout.block], index=items)
    outer = pd.DataFrame(
        {
            "construct": [names[j] for j in layout.block],
            "weight": weights,
            "loading": loadings,
            "communality": communality,
            "redundancy": communality * r2_of_item,
        }
    )
    cross = pd.DataFrame(est.crossloadings[0], index=items, columns=names)

    corr = raw.corr()
    sd = raw.std(ddof=0)
    std_weights = weights * sd if not model.scaled else weights
    raw_weights = weights / sd if model.scaled else weights
    rel = pd.DataFrame(index=names, columns=["alpha", "rho_a", "rho_c", "ave"], dtype=float)
    for c in names:
        block = list(spec.measurement[c])
        R = corr.loc[block, block].to_numpy()
        rel.loc[c] = [
            quality.cronbach_alpha_standardised(R),
            quality.rho_a(R, std_weights.loc[block].to_numpy(), formative=spec.modes[c] == "B"),
            quality.composite_reliability(loadings.loc[block].to_numpy()),
            float(communality.loc[block].mean()),
        ]
    low, high = model.indicator_range or (None, None)
    index_scores = quality.index_scores(
        raw_weights,
        raw.mean(),
        raw.min() if low is None else pd.Series(float(low), index=items),
        raw.max() if high is None else pd.Series(float(high), index=items),
        spec.measurement,
    )
    gof = quality.goodness_of_fit(communality, r2.loc[endo], spec.measurement)
    summary = pd.DataFrame(
        {
            "type": ["endogenous" if c in endo else "exogenous" for c in names],
            "mode": [spec.modes[c] for c in names],
            "n_indicators": [len(spec.measurement[c]) for c in names],
            "r2": r2.where(r2.index.isin(endo)),
            "r2_adj": r2_adj.where(r2.index.isin(endo)),
            "block_communality": communality.groupby(outer["construct"]).mean().loc[names],
            "mean_redundancy": outer["redundancy"].groupby(outer["construct"]).mean().loc[names],
            "ave": rel["ave"],
            "alpha": rel["alpha"],
            "rho_a": rel["rho_a"],
            "rho_c": rel["rho_c"],
            "index": index_scores,
        },
        index=pd.Index(names, name="construct"),
    )
    return PLSFit(
        summary=summary,
        n_obs_=n,
        n_iter_=int(est.n_iter[0]),
        converged_=bool(est.converged[0]),
        gof_=gof,
        scheme_=model.scheme,
        scaled_=model.scaled,
        path_coefficients_=paths,
        outer_weights_=weights,
        loadings_=loadings,
        crossloadings_=cross,
        outer_model_=outer,
        r2_=r2.loc[endo].rename("r2"),
        r2_adj_=r2_adj.loc[endo].rename("r2_adj"),
        scores_=scores,
        effects_=_effects_table(paths, indirect, total),
        total_effects_=total,
        indirect_effects_=indirect,
        reliability_=rel,
        htmt_=quality.htmt(corr, spec.measurement),
        index_scores_=index_scores,
        model_=model,
        data_=X,
    )


def _effects_table(
    paths: pd.DataFrame, indirect: pd.DataFrame, total: pd.DataFrame
) -> pd.DataFrame:
    """Long table of every pair with an effect, as plspm's ``$effects``."""
    rows = [
        {
            "from": a,
            "to": b,
            "direct": paths.loc[a, b],
            "indirect": indirect.loc[a, b],
            "total": total.loc[a, b],
        }
        for a in paths.index
        for b in paths.columns
        if a != b and (paths.loc[a, b] != 0 or total.loc[a, b] != 0)
    ]
    frame = pd.DataFrame(rows, columns=["from", "to", "direct", "indirect", "total"])
    frame.index = pd.Index([f"{r['from']} -> {r['to']}" for r in rows], name="effect")
    return frame
