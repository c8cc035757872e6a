"""One exception hierarchy for cxgap.

Services raise these; the CLI turns them into a one-paragraph message and a non-zero exit
code, the web layer into an HTTP status. Every message says what was given, where, and what
is allowed.
"""

from __future__ import annotations


class CxgapError(Exception):
    """Base of every error cxgap raises on purpose."""

    exit_code: int = 1

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        params: dict[str, str] | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        """A stable name of the problem, for texts in other languages (``None``: none)."""
        self.params = params or {}
        """The values the texts of ``code`` fill in."""
        self.field = field
        """The input refused, by the name its caller gave it (a query parameter, a form or
        file field: ``channel``, ``file``); ``None`` when no single input is to blame. The
        API's error body carries it as ``field``."""

    def __str__(self) -> str:
        return self.message


class ConfigurationError(CxgapError):
    """A setting or command-line option is invalid."""

    exit_code = 2


class ValidationError(CxgapError, ValueError):
    """Input data is invalid (wrong type, out of range, inconsistent).

    Also a ``ValueError`` so that library users can catch it the usual way.
    """

    exit_code = 3


class DataError(ValidationError):
    """Statistical input is unusable: unequal lengths, non-numeric values, too few cases."""


class InstrumentError(ValidationError):
    """An instrument (questionnaire) definition is invalid."""


class IngestError(ValidationError):
    """A file cannot be imported at all (unreadable, unknown format, no usable columns)."""


class NotFoundError(CxgapError, LookupError):
    """A named object (survey, instrument, customer) does not exist."""

    exit_code = 4


class ConflictError(CxgapError):
    """The request conflicts with what is stored (duplicate key, already exists)."""

    exit_code = 5


class ModelError(ValidationError):
    """A statistical model specification is invalid (e.g. a PLS path model)."""


class ConvergenceError(CxgapError):
    """An iterative estimate did not converge within its limit."""

    exit_code = 6


class AuthenticationError(CxgapError):
    """Credentials are missing, wrong, expired or revoked."""

    exit_code = 7


class PermissionDeniedError(CxgapError):
    """The signed-in user's role does not allow the action."""

    exit_code = 8
