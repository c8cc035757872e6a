"""PLS path models for satisfaction indices (ACSI, ECSI), with a vectorised bootstrap.

Example::

    from cxgap.stats.pls import PLSPathModel
    model = PLSPathModel(
        structural={"SAT": ["IMAG", "QUAL"]},
        measurement={"IMAG": ["imag1", "imag2"], "QUAL": ["qual1", "qual2"],
                     "SAT": ["sat1", "sat2"]},
    )
    fit = model.fit(df)
    boot = fit.bootstrap(n=5000, seed=1)
    boot.table("path")
"""

from cxgap.stats.pls.bootstrap import PLSBootstrap, bootstrap, resample_indices
from cxgap.stats.pls.models import ACSI, ECSI, StandardModel, acsi_model, ecsi_model, standard_model
from cxgap.stats.pls.path_model import ConvergenceWarning, PLSPathModel
from cxgap.stats.pls.results import PLSFit
from cxgap.stats.pls.spec import ModelSpec, parse_model_text

__all__ = [
    "ACSI",
    "ECSI",
    "ConvergenceWarning",
    "ModelSpec",
    "PLSBootstrap",
    "PLSFit",
    "PLSPathModel",
    "StandardModel",
    "acsi_model",
    "bootstrap",
    "ecsi_model",
    "parse_model_text",
    "resample_indices",
    "standard_model",
]
