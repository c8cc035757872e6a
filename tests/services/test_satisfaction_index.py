"""The ACSI / ECSI satisfaction index of a stored survey, on the demo organisation.

The demo's ``csi_*`` items come from a latent path model with known standardised paths
(``planted_truths()["satisfaction_index"]``); the PLS estimates must recover them.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import Engine
from tests.databases import database_option, load_demo_copy

from cxgap.demo import planted_truths
from cxgap.engine import load_survey
from cxgap.errors import ValidationError
from cxgap.instruments import get_instrument, parse_instrument
from cxgap.services.satisfaction_index import SCHEMA, fit_index, index_indicators
from cxgap.stats.pls.models import index_role, parse_index_role

SURVEY = "heating-2026q4"
SEED = 3
# PLS scores are weighted sums of indicators with measurement error, so structural paths
# come out attenuated (by about 0.05-0.1 here: 2-3 indicators with loadings 0.85-0.92) and
# vary by about 0.06 between samples of 192 respondents. A simulation over 12 demo seeds
# gave estimates within 0.2 of the planted paths for every path of both models.
TOLERANCE = 0.2


@pytest.fixture
def demo(engine: Engine) -> Engine:
    load_demo_copy(engine, seed=SEED, customers=800)
    return engine


def test_roles_name_constructs_and_positions() -> None:
    assert parse_index_role("csi_qual_3") == ("QUAL", 3)
    assert parse_index_role(index_role("COMP", 1)) == ("COMP", 1)
    for role in (None, "nps", "csi_qual", "csi_foo_1", "csi_qual_0", "xcsi_qual_1"):
        assert parse_index_role(role) is None, role
    instrument = get_instrument("satisfaction-index")
    roles = [parse_index_role(i.role) for i in instrument.items]
    counts = Counter(r[0] for r in roles if r is not None)
    assert counts == {"IMAG": 3, "EXPE": 3, "QUAL": 3, "VAL": 2, "SAT": 3, "COMP": 1, "LOY": 2}
    for item in instrument.items:
        scale = instrument.item_scale(item)
        assert item.format == "rating" and scale is not None
        assert (scale.min, scale.max) == (1, 10)
        assert {1, 10} <= {p.value for p in scale.points}
        construct, position = parse_index_role(item.role) or ("", 0)
        assert item.id == f"csi_{construct.lower()}{position}"


def test_indicators_are_found_by_role_not_by_id() -> None:
    raw = get_instrument("satisfaction-index").model_dump(mode="json", exclude_none=True)
    # other ids, items listed in reverse order: the blocks still follow the roles
    rename = {item["id"]: f"q{k}" for k, item in enumerate(raw["items"])}
    raw["items"] = [{**item, "id": rename[item["id"]]} for item in reversed(raw["items"])]
    raw["sections"] = [{**s, "items": [rename[i] for i in s["items"]]} for s in raw["sections"]]
    blocks, roles = index_indicators(parse_instrument(raw), "acsi")
    assert blocks == {
        "EXPE": ["q3", "q4", "q5"],
        "QUAL": ["q6", "q7", "q8"],
        "VAL": ["q9", "q10"],
        "SAT": ["q11", "q12", "q13"],
        "COMP": ["q14"],
        "LOY": ["q15", "q16"],
    }
    assert roles["q14"] == "csi_comp_1" and "q0" not in roles  # no image in the ACSI


@pytest.mark.parametrize("model", ["acsi", "ecsi"])
def test_index_recovers_the_planted_paths(demo: Engine, model: str) -> None:
    truth = planted_truths(SEED)["satisfaction_index"]
    implied = truth["implied_paths"][model]
    result = fit_index(demo, SURVEY, model=model)  # type: ignore[arg-type]
    paths = result.paths_table()
    assert set(paths.index) == set(implied)
    assert result.n == 192 and result.fit.converged_
    for name, value in implied.items():
        estimate = paths.loc[name, "estimate"]
        assert abs(estimate - value) < TOLERANCE, (name, estimate, value)
        if value >= 0.25:
            assert estimate > 0.15, (name, estimate)
    drivers = paths[paths["to"] == "SAT"].set_index("from")["estimate"]
    assert drivers.idxmax() == truth["strongest_driver_of_satisfaction"] == "QUAL"
    assert drivers["QUAL"] > 1.5 * drivers.drop("QUAL").max()

    # 0-100 indices: the planted item means, rescaled from the 1..10 answer scale; the
    # outer weights are nearly equal, so the index is close to the plain item mean
    frame = load_survey(demo, SURVEY).frame
    for construct, columns in result.indicators.items():
        index = result.fit.index_scores_[construct]
        plain = (np.nanmean(frame[columns].to_numpy()) - 1) / 9 * 100
        planted = (truth["indicator_means"][construct] - 1) / 9 * 100
        assert 0 < index < 100
        assert abs(index - plain) < 1.5, (construct, index, plain)
        assert abs(index - planted) < 5, (construct, index, planted)
    assert set(result.fit.r2_.index) == set(result.fit.model_.spec.endogenous)
    assert ((result.fit.r2_ > 0) & (result.fit.r2_ < 1)).all()
    assert (result.fit.reliability_["rho_c"] > 0.8).all()


def test_bootstrap_intervals_and_json(demo: Engine) -> None:
    result = fit_index(demo, SURVEY, model="ecsi", bootstrap=200, seed=5)
    data = result.to_dict()
    text = json.dumps(data, allow_nan=False)  # strict JSON: no NaN
    assert json.loads(text) == data
    assert data["schema"] == SCHEMA == "cxgap.index/1"
    assert {"survey", "model", "n", "index_scores", "paths", "r2", "reliability", "gof"} <= set(
        data
    )
    assert (data["survey"], data["model"], data["n"]) == (SURVEY, "ecsi", 192)
    assert data["converged"] is True and 0 < data["gof"] < 1
    assert set(data["index_scores"]) == {"IMAG", "EXPE", "QUAL", "VAL", "SAT", "LOY"}
    assert set(data["r2"]) == {"EXPE", "QUAL", "VAL", "SAT", "LOY"}
    assert set(data["reliability"]["SAT"]) == {"alpha", "rho_a", "rho_c", "ave"}
    assert data["bootstrap"] == {"resamples": 200, "valid": 200, "confidence": 0.95, "seed": 5}
    assert len(data["paths"]) == 10
    for path in data["paths"]:
        low, high = path["percentile"]
        assert low < path["estimate"] < high, path
        low, high = path["bca"]
        assert low < path["estimate"] < high, path
        assert path["se"] > 0 and 0 <= path["p"] <= 1
    by_name = {f"{p['from']} -> {p['to']}": p for p in data["paths"]}
    assert by_name["QUAL -> SAT"]["p"] < 0.001 and by_name["SAT -> LOY"]["p"] < 0.001
    sat = next(c for c in data["constructs"] if c["construct"] == "SAT")
    assert [i["column"] for i in sat["indicators"]] == ["csi_sat1", "csi_sat2", "csi_sat3"]
    assert [i["role"] for i in sat["indicators"]] == ["csi_sat_1", "csi_sat_2", "csi_sat_3"]
    # the same seed gives the same intervals
    again = fit_index(demo, SURVEY, model="ecsi", bootstrap=200, seed=5).to_dict()
    assert again["paths"] == data["paths"]
    plain = fit_index(demo, SURVEY, model="ecsi").to_dict()
    assert plain["bootstrap"] is None and "se" not in plain["paths"][0]
    assert plain["index_scores"] == data["index_scores"]


def test_missing_answers_mean_or_listwise(demo: Engine) -> None:
    frame = load_survey(demo, SURVEY).frame
    columns = [c for c in frame.columns if c.startswith("csi_") and not c.startswith("csi_imag")]
    complete = int(frame[columns].notna().all(axis=1).sum())
    assert 100 < complete < 192  # the demo leaves about 2 % of answers blank
    listwise = fit_index(demo, SURVEY, model="acsi", missing="listwise")
    assert listwise.n == complete and listwise.to_dict()["missing"] == "listwise"
    mean = fit_index(demo, SURVEY, model="acsi")
    assert mean.n == 192
    estimates = [r.paths_table()["estimate"].to_numpy(dtype=float) for r in (listwise, mean)]
    assert not np.allclose(estimates[0], estimates[1])


def test_survey_without_index_items_gets_a_clear_error(demo: Engine) -> None:
    with pytest.raises(ValidationError) as caught:
        fit_index(demo, "management-2026q4", model="ecsi")
    message = str(caught.value)
    assert "'management-2026q4'" in message and "'servqual-management'" in message
    assert "IMAG, EXPE, QUAL, VAL, SAT, LOY" in message
    assert "csi_imag_1" in message and "csi_loy_1" in message
    with pytest.raises(ValidationError, match="use one of \\['acsi', 'ecsi'\\]"):
        fit_index(demo, SURVEY, model="scsi")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="bootstrap=1"):
        fit_index(demo, SURVEY, bootstrap=1)


def test_cli_prints_the_tables_and_writes_json(
    demo: Engine, cli: Callable[..., tuple[int, str, str]], tmp_path: Path
) -> None:
    db = database_option(demo)
    out = tmp_path / "index.json"
    code, stdout, _ = cli(
        "--db", db, "index", "--survey", SURVEY, "--model", "ecsi",
        "--bootstrap", "100", "--seed", "2", "--json", out,
    )  # fmt: skip
    assert code == 0, stdout
    for text in ("ECSI", "Index scores (0-100)", "QUAL -> SAT", "95% percentile", "95% BCa"):
        assert text in stdout, text
    for text in ("rho_A", "rho_C", "AVE", "goodness of fit (GoF)", "100 of 100 resamples"):
        assert text in stdout, text
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["schema"] == "cxgap.index/1" and saved["model"] == "ecsi"
    assert saved["bootstrap"]["seed"] == 2
    sat = saved["index_scores"]["SAT"]
    assert f"{sat:.1f}" in stdout

    code, stdout, _ = cli("--db", db, "index", "--survey", SURVEY)
    assert code == 0 and "ACSI" in stdout and "SAT -> COMP" in stdout
    assert "percentile" not in stdout

    code, _, err = cli("--db", db, "index", "--survey", "management-2026q4")
    assert code == 3 and "no items for construct(s)" in err and "Traceback" not in err
    code, _, err = cli("--db", db, "index", "--survey", "nope")
    assert code == 4 and "'nope' does not exist" in err
    code, _, err = cli("--db", db, "index", "--survey", SURVEY, "--json", tmp_path / "no/x.json")
    assert code == 2 and "does not exist" in err and "--json" in err
