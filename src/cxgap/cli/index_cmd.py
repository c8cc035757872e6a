"""``cxgap index``: the ACSI / ECSI satisfaction index of a stored survey."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich import box
from rich.table import Table

from cxgap.cli.app import app, console
from cxgap.cli.checks import output_file
from cxgap.cli.context import state
from cxgap.errors import ConfigurationError

# the choices of cxgap.services.satisfaction_index, repeated here so that the command
# line starts without importing the statistics stack
IndexModel = Literal["acsi", "ecsi"]
MissingRule = Literal["mean", "listwise"]


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{float(value):.{digits}f}"


def _p(value: Any) -> str:
    from cxgap.reports.i18n import Texts  # the one way p values are written

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return Texts("en").p_value(float(value))


def index(
    survey: Annotated[str, typer.Option(help="Survey to analyse, e.g. heating-2026q3.")],
    model: Annotated[
        IndexModel,
        typer.Option(
            help="acsi: expectations, quality, value -> satisfaction -> complaints, loyalty; "
            "ecsi: with image, without complaints."
        ),
    ] = "acsi",
    bootstrap: Annotated[
        int,
        typer.Option(
            min=0, help="Bootstrap resamples for SE, p and intervals (0: none; e.g. 5000)."
        ),
    ] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap resamples.")] = 1,
    confidence: Annotated[
        float, typer.Option(help="Confidence level of the bootstrap intervals.")
    ] = 0.95,
    missing: Annotated[
        MissingRule,
        typer.Option(help="Missing answers: mean (item mean) or listwise (drop respondent)."),
    ] = "mean",
    json_file: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the result as JSON (schema cxgap.index/1)."),
    ] = None,
) -> None:
    """Fit the ACSI or ECSI model to a survey: 0-100 index scores, paths, R², reliability."""
    from cxgap.services.satisfaction_index import fit_index

    if json_file is not None:
        output_file(json_file, "--json", suffixes=(".json",))
    engine = state.engine()
    label = model.upper()
    if bootstrap:
        with console.status(f"fitting {label} and bootstrapping {bootstrap:,} resamples ..."):
            result = fit_index(
                engine,
                survey,
                model=model,
                bootstrap=bootstrap,
                seed=seed,
                confidence=confidence,
                missing=missing,
            )
    else:
        result = fit_index(
            engine,
            survey,
            model=model,
            missing=missing,
        )
    data = result.to_dict()
    how = "item means" if result.missing == "mean" else "respondents dropped (listwise)"
    console.print(
        f"[bold]{label}[/] on survey [bold]{result.survey}[/] (instrument "
        f"{result.instrument} v{result.instrument_version}): n = {result.n:,}, missing answers: "
        f"{how}; {'converged' if data['converged'] else '[red]not converged[/]'} in "
        f"{data['iterations']} iterations"
    )

    scores = Table(title="Index scores (0-100) and R²")
    for name, justify in (("construct", "left"), ("meaning", "left"), ("items", "right")):
        scores.add_column(name, justify=justify)  # type: ignore[arg-type]
    scores.add_column("index", justify="right")
    scores.add_column("R²", justify="right")
    for c in data["constructs"]:
        scores.add_row(
            c["construct"],
            c["meaning"],
            str(len(c["indicators"])),
            _num(c["index"], 1),
            _num(c["r2"]),
        )
    console.print(scores)

    paths = Table(title="Structural paths", box=box.SIMPLE_HEAD, pad_edge=False)
    paths.add_column("path", no_wrap=True)
    paths.add_column("estimate", justify="right", no_wrap=True)
    boot = data["bootstrap"]
    if boot:
        level = f"{boot['confidence']:.0%}"
        for name in ("SE", "p", f"{level} percentile", f"{level} BCa"):
            paths.add_column(name, justify="right", no_wrap=True)
    for p in data["paths"]:
        row = [f"{p['from']} -> {p['to']}", _num(p["estimate"])]
        if boot:
            row += [
                _num(p["se"]),
                _p(p["p"]),
                f"[{_num(p['percentile'][0])}, {_num(p['percentile'][1])}]",
                f"[{_num(p['bca'][0])}, {_num(p['bca'][1])}]",
            ]
        paths.add_row(*row)
    console.print(paths)
    if boot:
        console.print(
            f"bootstrap: {boot['valid']:,} of {boot['resamples']:,} resamples used, seed "
            f"{boot['seed']}"
        )

    reliability = Table(title="Reliability and convergent validity")
    reliability.add_column("construct")
    for name in ("alpha", "rho_A", "rho_C", "AVE"):
        reliability.add_column(name, justify="right")
    for construct, r in data["reliability"].items():
        reliability.add_row(
            construct, _num(r["alpha"]), _num(r["rho_a"]), _num(r["rho_c"]), _num(r["ave"])
        )
    console.print(reliability)
    console.print(f"goodness of fit (GoF): {_num(data['gof'])}")
    for note in data["warnings"]:
        console.print(f"[yellow]warning:[/] {note}", markup=True, highlight=False)

    if json_file is not None:
        try:
            json_file.write_text(
                json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
        except OSError as exc:
            raise ConfigurationError(
                f"cannot write --json file {str(json_file)!r}: {exc.strerror or exc}"
            ) from None
        console.print(f"result written to {json_file}")


app.command("index")(index)
