"""Exceptions raised by nlpkit."""

__all__ = [
    "NotFittedError",
    "DataFormatError",
    "IntegrityError",
    "MissingDependencyError",
    "OfflineError",
]


class NotFittedError(ValueError):
    """Raised when a pipeline method that needs a fitted model is called before `fit`."""


class DataFormatError(ValueError):
    """Raised for a malformed data file; the message names the file and the line."""

    def __init__(self, path, line: int | None, message: str):
        self.path = str(path)
        self.line = line
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class IntegrityError(ValueError):
    """Raised when a saved model's file is missing, truncated, corrupt or changed since saving,
    or does not fit the rest of the model (e.g. vocabulary size against embedding rows).
    The message names the file."""


class MissingDependencyError(ImportError):
    """Raised when an optional dependency is missing; says which extra installs it."""

    def __init__(self, package: str, extra: str, feature: str):
        super().__init__(
            f"{feature} needs the optional package `{package}`, which is not installed. "
            f'Install it with: pip install "nlpkit[{extra}]"'
        )


class OfflineError(RuntimeError):
    """Raised when something would need a download that the user did not allow."""
