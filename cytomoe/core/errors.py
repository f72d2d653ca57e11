"""Errors a user can cause. Their message is one plain sentence the CLI and GUI show as is."""

from pathlib import Path


class CytomoeError(Exception):
    """Base class of every error cytomoe reports to the user without a traceback."""


class InputError(CytomoeError):
    """Bad input: a missing file, an unknown marker, a label column that does not exist..."""


class FcsReadError(CytomoeError):
    """An FCS (or event table) file that cannot be read; the message names the file."""

    def __init__(self, path: str | Path, problem: str):
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{self.path.name}: {problem}")


class OutputExistsError(CytomoeError):
    """Refusing to overwrite an existing output without being asked."""


class Cancelled(CytomoeError):
    """Long work stopped because the user asked it to."""
