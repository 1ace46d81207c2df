"""One exception family for everything a user can get wrong.

Each message is a single line a person can act on. The CLI prints it and exits 1;
the server answers 4xx with the same text.
"""

from __future__ import annotations


class SyntheraError(Exception):
    """Base class of every error caused by user input or user files."""


class TableReadError(SyntheraError):
    """A table could not be read: missing, empty, malformed or unsupported file."""


class TableWriteError(SyntheraError):
    """A table could not be written (for example: it would overwrite the input)."""


class SchemaError(SyntheraError):
    """The schema is invalid or does not match the table."""


class ColumnNotFoundError(SchemaError):
    """A column named by the user does not exist in the table."""


class ModelFileError(SyntheraError):
    """A saved model directory is missing, corrupt, tampered with or from a newer version."""


class UnknownModelError(SyntheraError):
    """No synthesizer is registered under the requested name."""


class NotFittedError(SyntheraError):
    """A synthesizer was used before `fit`."""


class ParameterError(SyntheraError):
    """A model or command parameter has an invalid value."""


class ConditionError(SyntheraError):
    """A sampling condition cannot be met."""


def one_line(message: str) -> str:
    """Collapse a message to one line, so every error prints as a single line."""
    return " ".join(message.split())
