"""The ``cxgap`` command: thin, hands every job to a service.

User mistakes end with a one-paragraph message and a non-zero exit code, never a
traceback.
"""

from __future__ import annotations

import sys

from cxgap.cli.app import app, console_err
from cxgap.errors import CxgapError


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``cxgap`` command."""
    try:
        app(args=argv, standalone_mode=False)
    except CxgapError as exc:
        console_err.print(f"[bold red]error:[/] {exc.message}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console_err.print("interrupted; nothing half-done was kept")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and aborts
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(1)
        raise


__all__ = ["app", "main"]
