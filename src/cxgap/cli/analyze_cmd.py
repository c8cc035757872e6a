"""``cxgap analyze``: every analysis of a survey, as readable tables or documented JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from cxgap.cli.app import app, console
from cxgap.cli.context import state


def _fmt(value: Any, digits: int = 2) -> str:
    number = float(value)
    return "-" if number != number else f"{number:.{digits}f}"


@app.command()
def analyze(
    survey: Annotated[str, typer.Option(help="Survey to analyse.")],
    by: Annotated[
        list[str] | None,
        typer.Option(
            help="Compare expectations across this respondent attribute (repeatable): gender, "
            "age_band, income_band, region, channel."
        ),
    ] = None,
    json_file: Annotated[
        Path | None,
        typer.Option(
            "--json", help="Also write the full result as JSON (schema cxgap.analysis/1)."
        ),
    ] = None,
    confidence: Annotated[
        float, typer.Option(min=0.5, max=0.999, help="Level of every interval.")
    ] = 0.95,
) -> None:
    """Run every analysis the survey's instrument supports and print a summary."""
    from cxgap.services.analysis import analyze_survey

    with console.status(f"analysing {survey}..."):
        result = analyze_survey(state.engine(), survey, by=by, confidence=confidence)
    info = result.survey
    console.print(
        f"[bold]{info['name']}[/] ({info['key']}, {info['instrument']} "
        f"v{info['version']}): {info['n_responses']:,} responses"
    )
    pct = f"{confidence:.0%}"
    if result.nps is not None or result.csat is not None:
        table = Table("measure", "value", f"{pct} interval", "n", title="Loyalty")
        if result.nps is not None:
            n = result.nps
            table.add_row(
                "NPS", _fmt(n.nps, 1), f"{_fmt(n.ci_low, 1)} .. {_fmt(n.ci_high, 1)}", f"{n.n:,}"
            )
        if result.csat is not None:
            c = result.csat
            table.add_row(
                "CSAT (top box)",
                f"{c.top_box_share:.1%}",
                f"{c.top_box_ci_low:.1%} .. {c.top_box_ci_high:.1%}",
                f"{c.n:,}",
            )
        if result.ces is not None:
            e = result.ces
            table.add_row(
                "CES (mean)",
                _fmt(e.mean),
                f"{_fmt(e.mean_ci_low)} .. {_fmt(e.mean_ci_high)}",
                f"{e.n:,}",
            )
        console.print(table)
    if result.tolerance_zone is not None:
        summary = result.tolerance_zone.summary
        dims = summary[summary["level"] == "dimension"]
        table = Table(
            "dimension",
            "adequate",
            "desired",
            "perceived",
            "MSA",
            "MSS",
            "below adequate",
            "position",
            title="Zone of tolerance",
        )
        for row in dims.to_dict(orient="records"):
            table.add_row(
                str(row["name"]),
                _fmt(row["mean_adequate"]),
                _fmt(row["mean_desired"]),
                _fmt(row["mean_perceived"]),
                _fmt(row["msa"]),
                _fmt(row["mss"]),
                f"{row['share_below_adequate']:.0%}",
                str(row["position"]),
            )
        console.print(table)
    if result.gaps is not None:
        summary = result.gaps.summary
        table = Table(
            "level", "name", "P", "E", "gap", f"{pct} interval", "p (t)", title="Gap scores (P - E)"
        )
        for row in summary[summary["level"] != "item"].to_dict(orient="records"):
            table.add_row(
                str(row["level"]),
                str(row["name"]),
                _fmt(row["mean_perceived"]),
                _fmt(row["mean_expected"]),
                _fmt(row["mean_gap"]),
                f"{_fmt(row['ci_low'])} .. {_fmt(row['ci_high'])}",
                _fmt(row["p_t"], 4),
            )
        console.print(table)
    if result.reliability:
        table = Table("dimension", "alpha", f"{pct} interval", "items", title="Reliability")
        for dim_name, alpha in result.reliability.items():
            table.add_row(
                dim_name,
                _fmt(alpha.alpha, 3),
                f"{_fmt(alpha.ci_low, 3)} .. {_fmt(alpha.ci_high, 3)}",
                str(alpha.k),
            )
        console.print(table)
    if result.ipa is not None and result.importance is not None:
        table = Table(
            "dimension",
            "importance share",
            "performance",
            "quadrant",
            title=f"Drivers (R\u00b2 = {result.importance.r2:.2f})",
        )
        for dim, ipa_row in result.ipa.summary.iterrows():
            table.add_row(
                str(dim),
                f"{ipa_row['importance']:.0%}",
                _fmt(ipa_row["performance"]),
                str(ipa_row["quadrant"]),
            )
        console.print(table)
    if result.kano is not None:
        table = Table("feature", "category", "better", "worse", "significant", title="Kano")
        for feature, kano_row in result.kano.summary.iterrows():
            table.add_row(
                str(feature),
                str(kano_row["category"]),
                _fmt(kano_row["better"]),
                _fmt(kano_row["worse"]),
                "yes" if kano_row["fong_significant"] else "no",
            )
        console.print(table)
    if result.findings:
        console.print("[bold]Findings[/]")
        for finding in result.findings:
            console.print("  - " + describe_finding(finding), highlight=False)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)
    if json_file is not None:
        json_file.write_text(
            json.dumps(result.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8"
        )
        console.print(f"JSON written to {json_file}")


def describe_finding(finding: dict[str, Any]) -> str:
    """One line of plain language for a finding."""
    kind = finding["kind"]
    if kind == "below_adequate":
        return (
            f"{finding['item']} ({finding['dimension']}) is delivered below the adequate "
            f"level: MSA {float(finding['msa']):.2f}"
        )
    if kind == "key_driver":
        return (
            f"{finding['dimension']} is the key driver of satisfaction "
            f"({float(finding['share']):.0%} of explained variance)"
        )
    if kind == "attractive_feature":
        return f"{finding['feature']} is an attractive feature (Kano A)"
    if kind == "segment_difference":
        return (
            f"{finding['column']} differs by {finding['attribute']}: highest for "
            f"{finding['highest']}"
        )
    if kind == "worsening_dimension":
        return f"{finding['dimension']} perception is falling over {', '.join(finding['waves'])}"
    return str(finding)
