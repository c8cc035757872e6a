"""Satisfaction index (ACSI / ECSI) of a stored survey: a PLS path model on its items.

The indicators are the survey instrument's items whose ``role`` is
``csi_<construct>_<position>`` (see the ``satisfaction-index`` instrument): each construct
of the chosen model gets the items of its role, in position order. The models
(:data:`cxgap.stats.pls.models.ACSI`, :data:`~cxgap.stats.pls.models.ECSI`):

- ``acsi``: EXPE -> QUAL, VAL, SAT; QUAL -> VAL, SAT; VAL -> SAT; SAT -> COMP, LOY;
  COMP -> LOY (the American index, no image);
- ``ecsi``: IMAG -> EXPE, SAT, LOY; EXPE -> QUAL, VAL, SAT; QUAL -> VAL, SAT; VAL -> SAT;
  SAT -> LOY (the European index, no complaints).

Estimation: reflective (Mode A) blocks, path weighting scheme, standardised indicators.
Missing answers are replaced by the item mean by default (``missing="mean"``; the
alternative ``"listwise"`` drops every respondent with a missing indicator). Index scores
are 0-100: the weighted mean of a construct's indicators, rescaled from the items' answer
scale (e.g. 1..10).

``to_dict()`` gives the JSON document written by ``cxgap index --json``::

    {"schema": "cxgap.index/1",
     "survey": "heating-2026q3", "instrument": {"id": ..., "version": ...},
     "model": "acsi", "n": 192, "missing": "mean", "indicator_range": [1, 10],
     "constructs": [{"construct": "SAT", "meaning": ..., "index": 63.1, "r2": 0.61,
                     "indicators": [{"column": "csi_sat1", "role": "csi_sat_1",
                                     "weight": ..., "loading": ...}, ...]}, ...],
     "index_scores": {"EXPE": 73.9, ...},          # 0-100
     "paths": [{"from": "QUAL", "to": "SAT", "estimate": 0.47,
                # with a bootstrap, also:
                "se": ..., "t": ..., "p": ...,
                "percentile": [lower, upper], "bca": [lower, upper]}, ...],
     "r2": {"QUAL": ..., ...},                     # endogenous constructs
     "reliability": {"SAT": {"alpha": ..., "rho_a": ..., "rho_c": ..., "ave": ...}, ...},
     "gof": 0.52, "converged": true, "iterations": 5,
     "bootstrap": null | {"resamples": 5000, "valid": 5000, "confidence": 0.95, "seed": 1},
     "warnings": []}

Numbers that cannot be computed are ``null``.
"""

from __future__ import annotations

import dataclasses
import warnings
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from cxgap.engine import SurveyData, load_survey
from cxgap.errors import ValidationError
from cxgap.instruments import Instrument
from cxgap.stats.pls import ACSI, ECSI, PLSBootstrap, PLSFit, PLSPathModel, StandardModel
from cxgap.stats.pls.models import INDEX_CONSTRUCTS, index_role, parse_index_role
from cxgap.stats.result import to_jsonable

IndexModel = Literal["acsi", "ecsi"]
MissingRule = Literal["mean", "listwise"]
SCHEMA = "cxgap.index/1"
MODELS: dict[str, StandardModel] = {"acsi": ACSI, "ecsi": ECSI}


@dataclasses.dataclass(frozen=True)
class IndexResult:
    """A fitted satisfaction index: the PLS estimates and, when asked, their bootstrap."""

    survey: str
    instrument: str
    instrument_version: int
    model: IndexModel
    missing: MissingRule
    indicator_range: tuple[float, float]
    indicators: dict[str, list[str]]
    """Construct -> indicator columns (item ids), in position order."""
    roles: dict[str, str]
    """Indicator column -> its role."""
    fit: PLSFit
    boot: PLSBootstrap | None
    notes: tuple[str, ...] = ()
    """Warnings raised while estimating (no convergence, dropped resamples)."""

    @property
    def n(self) -> int:
        return self.fit.n_obs_

    def paths_table(self) -> pd.DataFrame:
        """One row per structural path (``from``, ``to``, ``estimate``; with a bootstrap
        also ``se``, ``t``, ``p``, ``perc_lower``, ``perc_upper``, ``bca_lower``,
        ``bca_upper``), in the model's construct order."""
        spec = self.fit.model_.spec
        pairs = [(p, c) for c in spec.constructs for p in spec.structural.get(c, ())]
        table = pd.DataFrame(
            {
                "from": [p for p, _ in pairs],
                "to": [c for _, c in pairs],
                "estimate": [self.fit.path_coefficients_.loc[p, c] for p, c in pairs],
            },
            index=pd.Index([f"{p} -> {c}" for p, c in pairs], name="path"),
        )
        if self.boot is not None:
            cols = ["se", "t", "p", "perc_lower", "perc_upper", "bca_lower", "bca_upper"]
            table = table.join(self.boot.table("path")[cols])
        return table

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON structure (see the module docstring)."""
        fit = self.fit
        paths = []
        for _, row in self.paths_table().iterrows():
            entry: dict[str, Any] = {
                "from": row["from"],
                "to": row["to"],
                "estimate": row["estimate"],
            }
            if self.boot is not None:
                entry |= {
                    "se": row["se"],
                    "t": row["t"],
                    "p": row["p"],
                    "percentile": [row["perc_lower"], row["perc_upper"]],
                    "bca": [row["bca_lower"], row["bca_upper"]],
                }
            paths.append(entry)
        constructs = [
            {
                "construct": c,
                "meaning": INDEX_CONSTRUCTS.get(c, ""),
                "index": fit.index_scores_[c],
                "r2": fit.r2_.get(c, np.nan),
                "indicators": [
                    {
                        "column": col,
                        "role": self.roles[col],
                        "weight": fit.outer_weights_[col],
                        "loading": fit.loadings_[col],
                    }
                    for col in self.indicators[c]
                ],
            }
            for c in fit.model_.spec.constructs
        ]
        boot = (
            None
            if self.boot is None
            else {
                "resamples": self.boot.n_resamples,
                "valid": self.boot.n_valid,
                "confidence": self.boot.confidence,
                "seed": self.boot.seed,
            }
        )
        out = {
            "schema": SCHEMA,
            "survey": self.survey,
            "instrument": {"id": self.instrument, "version": self.instrument_version},
            "model": self.model,
            "n": self.n,
            "missing": self.missing,
            "indicator_range": list(self.indicator_range),
            "constructs": constructs,
            "index_scores": fit.index_scores_,
            "paths": paths,
            "r2": fit.r2_,
            "reliability": {c: dict(row) for c, row in fit.reliability_.iterrows()},
            "gof": fit.gof_,
            "converged": fit.converged_,
            "iterations": fit.n_iter_,
            "bootstrap": boot,
            "warnings": list(self.notes),
        }
        return dict(to_jsonable(out))


def index_indicators(
    instrument: Instrument, model: IndexModel, *, survey: str = ""
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """``(construct -> item ids, item id -> role)`` for ``model`` from the items' roles.

    Raises :class:`~cxgap.errors.ValidationError` naming the constructs the model needs
    that have no item, and the roles expected for them.
    """
    spec = _standard(model)
    found: dict[str, list[tuple[int, str]]] = {}
    roles: dict[str, str] = {}
    for item in instrument.items:
        parsed = parse_index_role(item.role)
        if parsed is None or parsed[0] not in spec.measurement:
            continue
        if item.format not in ("rating", "disconfirmation"):
            raise ValidationError(
                f"item {item.id!r} of instrument {instrument.id!r} has role {item.role!r} "
                f"but format {item.format!r}; satisfaction-index items must be 'rating' items"
            )
        found.setdefault(parsed[0], []).append((parsed[1], item.id))
        roles[item.id] = str(item.role)
    missing = [c for c in spec.measurement if c not in found]
    if missing:
        where = (
            f"survey {survey!r} (instrument {instrument.id!r})"
            if survey
            else (f"instrument {instrument.id!r}")
        )
        expected = "; ".join(f"{c} ({index_role(c, 1)}, {index_role(c, 2)}, ...)" for c in missing)
        raise ValidationError(
            f"{where} cannot give the {spec.name}: no items for construct(s) "
            f"{', '.join(missing)}. The model needs rating items whose role names the "
            f"construct and position, csi_<construct>_<n>: {expected}. The built-in "
            "'satisfaction-index' instrument has them (add it to an instrument with "
            "`use: [{instrument: satisfaction-index}]`)"
        )
    blocks = {c: [i for _, i in sorted(found[c])] for c in spec.measurement}
    return blocks, roles


def _standard(model: str) -> StandardModel:
    if model not in MODELS:
        raise ValidationError(
            f"model={model!r} is not a satisfaction-index model; use one of {list(MODELS)}"
        )
    return MODELS[model]


def _indicator_range(instrument: Instrument, items: list[str]) -> tuple[float, float]:
    """The answer scale shared by the indicators (for the 0-100 rescaling)."""
    ranges = {}
    for item_id in items:
        scale = instrument.item_scale(instrument.item(item_id))
        if scale is not None:
            ranges[item_id] = (float(scale.min), float(scale.max))
    if len(set(ranges.values())) != 1 or len(ranges) != len(items):
        raise ValidationError(
            f"the satisfaction-index items of instrument {instrument.id!r} must share one "
            f"answer scale for 0-100 index scores; found {ranges}"
        )
    return next(iter(ranges.values()))


def _indicator_frame(data: SurveyData, columns: list[str]) -> pd.DataFrame:
    """The indicators of the respondents who answered at least one of them."""
    answered = data.frame[columns].notna().any(axis=1)
    return data.frame.loc[answered, columns].astype(float)


def respondent_index_scores(
    result: IndexResult, data: SurveyData, *, construct: str = "SAT"
) -> pd.Series:
    r"""Each respondent's 0-100 score on ``construct``: the index formula
    (:func:`cxgap.stats.pls.quality.index_scores`) applied to the respondent's own answers
    instead of the item means, with the fitted weights and the same missing-value rule.

    .. math::

        I_r = 100\,\frac{\sum_i \tilde w_i x_{ri} - x^{\min}}{x^{\max} - x^{\min}}

    The formula is linear in the answers, so the scores' mean is the construct's index
    score; their standard error (weights held fixed) gives the index an interval.
    ``data`` is the survey the index was fitted to.
    """
    if construct not in result.indicators:
        raise ValidationError(
            f"construct {construct!r} is not in the {result.model} model; "
            f"allowed: {', '.join(result.indicators)}"
        )
    columns = [i for block in result.indicators.values() for i in block]
    answers = result.fit.model_.prepare(_indicator_frame(data, columns))
    weights = result.fit.outer_weights_
    if result.fit.scaled_:
        weights = weights / answers.std(ddof=0)
    block = result.indicators[construct]
    share = weights.loc[block] / weights.loc[block].sum()
    low, high = result.indicator_range
    return (100.0 * (answers[block] @ share - low) / (high - low)).rename(construct)


def index_from_survey(
    data: SurveyData,
    *,
    model: IndexModel = "acsi",
    bootstrap: int = 0,
    seed: int | None = 1,
    confidence: float = 0.95,
    missing: MissingRule = "mean",
) -> IndexResult:
    """Fit the index to loaded survey data (see :func:`fit_index`)."""
    spec = _standard(model)
    if missing not in get_args(MissingRule):
        raise ValidationError(f"missing={missing!r} is not allowed; use 'mean' or 'listwise'")
    if not (isinstance(bootstrap, int) and (bootstrap == 0 or bootstrap >= 2)):
        raise ValidationError(
            f"bootstrap={bootstrap!r}: give the number of resamples (at least 2; e.g. 5000), "
            "or 0 for none"
        )
    if not (0.0 < confidence < 1.0):
        raise ValidationError(f"confidence={confidence!r} must lie strictly between 0 and 1")
    blocks, roles = index_indicators(data.instrument, model, survey=data.key)
    columns = [i for block in blocks.values() for i in block]
    low_high = _indicator_range(data.instrument, columns)
    frame = _indicator_frame(data, columns)
    pls = PLSPathModel(
        spec.structural,
        blocks,
        scheme="path",
        scaled=True,
        missing=missing,
        indicator_range=low_high,
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = pls.fit(frame)
        boot = fit.bootstrap(n=bootstrap, seed=seed, confidence=confidence) if bootstrap else None
    return IndexResult(
        survey=data.key,
        instrument=data.instrument.id,
        instrument_version=data.instrument.version,
        model=model,
        missing=missing,
        indicator_range=low_high,
        indicators=blocks,
        roles=roles,
        fit=fit,
        boot=boot,
        notes=tuple(dict.fromkeys(str(w.message) for w in caught)),
    )


def fit_index(
    engine: Engine,
    survey: str,
    *,
    model: IndexModel = "acsi",
    bootstrap: int = 0,
    seed: int | None = 1,
    confidence: float = 0.95,
    missing: MissingRule = "mean",
) -> IndexResult:
    """Fit the ACSI or ECSI model to a stored survey; optionally bootstrap it.

    Respondents who answered none of the index items are left out; other missing answers
    follow ``missing`` (``"mean"``: item mean; ``"listwise"``: drop the respondent).
    ``bootstrap`` resamples (0 = none) give SE, t, p, percentile and BCa intervals at
    ``confidence``; ``seed`` makes them reproducible.

    Example: ``fit_index(engine, "heating-2026q3", model="ecsi", bootstrap=5000).to_dict()``.
    """
    _standard(model)
    return index_from_survey(
        load_survey(engine, survey),
        model=model,
        bootstrap=bootstrap,
        seed=seed,
        confidence=confidence,
        missing=missing,
    )
