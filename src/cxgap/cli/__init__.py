"""The ``cxgap`` command: thin, hands every job to a service.

User mistakes end with a one-paragraph message and a non-zero exit code, never a
traceback.
"""

from __future__ import annotations

import sys

import cxgap.cli.accounts_cmd
import cxgap.cli.actions_cmd
import cxgap.cli.analyze_cmd
import cxgap.cli.cases_cmd
import cxgap.cli.gaps_cmd
import cxgap.cli.index_cmd
import cxgap.cli.kpi_cmd
import cxgap.cli.recognition_cmd
import cxgap.cli.report_cmd
import cxgap.cli.serve_cmd
import cxgap.cli.settings_cmd  # noqa: F401
from cxgap.cli.app import app, console_err
from cxgap.cli.output import shown
from cxgap.errors import CxgapError


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``cxgap`` command."""
    try:
        app(args=argv, prog_name="cxgap")
    except CxgapError as exc:
        # an error may list its problems one per line
        console_err.print(
            f"[bold red]error:[/] {shown(exc.message, multiline=True)}", highlight=False
        )
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console_err.print("interrupted; nothing half-done was kept")
        sys.exit(130)


__all__ = ["app", "main"]
