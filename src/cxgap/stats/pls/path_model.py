"""PLSPathModel: specify a PLS path model, then ``fit`` it to survey data."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from cxgap.errors import ConvergenceError, DataError, ModelError
from cxgap.stats.pls.algorithm import SCHEMES, Layout, Scheme, estimate_batch
from cxgap.stats.pls.results import PLSFit, assemble_fit
from cxgap.stats.pls.spec import ModelSpec, build_spec, parse_model_text

Missing = Literal["mean", "listwise", "error"]
_MISSING: tuple[str, ...] = ("mean", "listwise", "error")


class ConvergenceWarning(UserWarning):
    """The PLS iterations stopped at ``max_iter`` before the outer weights settled."""


class PLSPathModel:
    """A PLS path model (the estimation behind ACSI/ECSI satisfaction indices).

    ``structural`` maps each outcome construct to its predictors, ``measurement`` each
    construct to its indicators (data columns). :meth:`fit` runs Lohmöller's variant of
    Wold's PLS algorithm exactly as R plspm does (initial unit weights, inner weights by
    ``scheme``, Mode A or B outer weights, convergence on the squared change of the
    absolute outer weights below ``tol``, scores rescaled to unit variance, block signs
    fixed so most indicators correlate positively with their score), then path
    coefficients by OLS on the scores.

    .. math::

        \\hat\\xi_j = X_j w_j,\\quad \\operatorname{Var}(\\hat\\xi_j) = 1,\\qquad
        \\hat\\xi_k = \\sum_{j \\to k} \\beta_{kj} \\hat\\xi_j + \\zeta_k

    Options: ``modes`` ("A" reflective, the default, or "B" formative, per construct);
    ``scheme`` ("path", "centroid" or "factorial"); ``scaled`` (standardise indicators
    with the divide-by-n standard deviation, else only centre them); ``missing``
    ("mean": replace missing values by the column mean, before any bootstrap resampling;
    "listwise": drop incomplete rows; "error": refuse them); ``missing_values`` (codes that
    mean missing, e.g. ``(-99,)``); ``indicator_range`` (the answer scale's (min, max) for
    the 0-100 indices, default the observed range of each indicator); ``strict`` (raise
    :class:`~cxgap.errors.ConvergenceError` instead of warning when not converged).

    References: Wold, H. (1982). Soft modeling. In Jöreskog & Wold (eds.), *Systems under
    indirect observation* II, 1-54. Lohmöller (1989). Sanchez, G. (2013). *PLS Path
    Modeling with R* (the plspm package).

    Example::

        model = PLSPathModel.from_text('''
            SAT ~ IMAG + QUAL
            IMAG =~ imag1 + imag2
            QUAL =~ qual1 + qual2
            SAT  =~ sat1 + sat2
        ''', scheme="centroid")
        fit = model.fit(df)
        fit.path_coefficients_.loc["QUAL", "SAT"]
    """

    def __init__(
        self,
        structural: Mapping[str, Sequence[str]],
        measurement: Mapping[str, Sequence[str]],
        *,
        modes: Mapping[str, str] | None = None,
        scheme: Scheme = "path",
        scaled: bool = True,
        missing: Missing = "mean",
        missing_values: Sequence[float] = (),
        tol: float = 1e-6,
        max_iter: int = 300,
        indicator_range: tuple[float, float] | None = None,
        strict: bool = False,
    ) -> None:
        if scheme not in SCHEMES:
            raise ModelError(f"scheme={scheme!r} is not allowed; use one of {list(SCHEMES)}")
        if missing not in _MISSING:
            raise DataError(f"missing={missing!r} is not allowed; use one of {list(_MISSING)}")
        if not (isinstance(tol, int | float) and tol > 0):
            raise ModelError(f"tol must be a positive number, got {tol!r}")
        if not (isinstance(max_iter, int) and max_iter >= 1):
            raise ModelError(f"max_iter must be a positive integer, got {max_iter!r}")
        if indicator_range is not None and not (
            len(indicator_range) == 2 and float(indicator_range[0]) < float(indicator_range[1])
        ):
            raise DataError(
                f"indicator_range must be (min, max) with min < max, got {indicator_range!r}"
            )
        self.spec: ModelSpec = build_spec(structural, measurement, modes)
        self.scheme: Scheme = scheme
        self.scaled = bool(scaled)
        self.missing: Missing = missing
        self.missing_values = tuple(missing_values)
        self.tol = float(tol)
        self.max_iter = max_iter
        self.indicator_range = indicator_range
        self.strict = strict
        self.layout = Layout(
            block=self.spec.block_index(),
            mode_b=np.array([self.spec.modes[c] == "B" for c in self.spec.constructs]),
            path=self.spec.path_matrix(),
        )

    @classmethod
    def from_text(cls, text: str, **options: Any) -> PLSPathModel:
        """Build a model from the text syntax (see :mod:`cxgap.stats.pls.spec`).

        Modes come from the operators (``=~`` Mode A, ``<~`` Mode B) unless ``modes`` is
        given. Example: ``PLSPathModel.from_text("Y ~ X\\nX =~ x1 + x2\\nY =~ y1")``.
        """
        structural, measurement, modes = parse_model_text(text)
        options.setdefault("modes", modes)
        return cls(structural, measurement, **options)

    def __repr__(self) -> str:
        paths = "; ".join(f"{k} ~ {' + '.join(v)}" for k, v in self.spec.structural.items())
        return f"PLSPathModel({paths}; scheme={self.scheme!r}, scaled={self.scaled})"

    def prepare(self, data: pd.DataFrame) -> pd.DataFrame:
        """The model's indicator columns as floats after missing-value handling."""
        if not isinstance(data, pd.DataFrame):
            raise DataError(f"data must be a pandas DataFrame, got {type(data).__name__}")
        owner = {i: c for c, block in self.spec.measurement.items() for i in block}
        unknown = [i for i in self.spec.indicators if i not in data.columns]
        if unknown:
            raise ModelError(
                f"indicator {unknown[0]!r} of construct {owner[unknown[0]]!r} is not a column "
                f"of the data (missing columns: {unknown})"
            )
        frame = data.loc[:, list(self.spec.indicators)]
        for column in frame.columns:
            if not pd.api.types.is_numeric_dtype(frame[column]) or pd.api.types.is_bool_dtype(
                frame[column]
            ):
                raise DataError(
                    f"indicator column {column!r} must be numeric, got dtype {frame[column].dtype}"
                )
        frame = frame.astype(float)
        if self.missing_values:
            frame = frame.mask(frame.isin([float(v) for v in self.missing_values]))
        n_missing = frame.isna().sum()
        if n_missing.any():
            if self.missing == "error":
                bad = n_missing[n_missing > 0]
                raise DataError(
                    f"indicator column {bad.index[0]!r} has {int(bad.iloc[0])} missing values "
                    f"(columns with missing values: {bad.to_dict()}); use missing='mean' or "
                    "missing='listwise'"
                )
            if self.missing == "listwise":
                frame = frame.dropna()
            else:
                empty = n_missing[n_missing == len(frame)]
                if not empty.empty:
                    raise DataError(f"indicator column {empty.index[0]!r} has no values at all")
                frame = frame.fillna(frame.mean())
        if len(frame) < 3:
            raise DataError(f"PLS needs at least 3 complete cases, got {len(frame)}")
        sd = frame.std(ddof=0)
        flat = sd[~(sd > 1e-12 * (1.0 + frame.abs().max()))]
        if not flat.empty:
            raise ModelError(
                f"indicator {flat.index[0]!r} of construct {owner[flat.index[0]]!r} has zero "
                "variance; drop it from the block"
            )
        return frame

    def treat(self, frame: pd.DataFrame) -> np.ndarray:
        """Centre the indicators, and standardise them (divide-by-n SD) when scaled."""
        X = frame.to_numpy(dtype=float)
        X = X - X.mean(axis=0)
        if self.scaled:
            X = X / X.std(axis=0)
        return X

    def fit(self, data: pd.DataFrame) -> PLSFit:
        """Estimate the model on ``data`` (one row per respondent) and return a :class:`PLSFit`."""
        frame = self.prepare(data)
        X = self.treat(frame)
        S = (X.T @ X / X.shape[0])[None]
        est = estimate_batch(
            S,
            np.array([float(X.shape[0])]),
            self.layout,
            scheme=self.scheme,
            tol=self.tol,
            max_iter=self.max_iter,
        )
        if not est.converged[0]:
            message = (
                f"PLS did not converge in max_iter={self.max_iter} iterations (tol={self.tol}); "
                "estimates are from the last iteration"
            )
            if self.strict:
                raise ConvergenceError(message)
            warnings.warn(message, ConvergenceWarning, stacklevel=2)
        return assemble_fit(self, self.spec, self.layout, est, X, frame, frame.index)
