"""Exceptions shared by every layer, each with a message a person can act on."""

from __future__ import annotations


class OpenIRUError(Exception):
    """Base class: the CLI prints the message and exits non-zero."""

    exit_code = 1


class ConfigError(OpenIRUError):
    """Settings or arguments that cannot work."""


class FormatError(OpenIRUError):
    """An input file whose format is unknown or unsupported."""


class RecordError(OpenIRUError):
    """A malformed record: names the file, the line or JSON path, and the reason."""

    def __init__(self, file: str, location: str, reason: str) -> None:
        self.file = file
        self.location = location
        self.reason = reason
        super().__init__(f"{file}:{location}: {reason}")


class NotFoundError(OpenIRUError):
    """An object that does not exist (or that the actor may not see)."""


class PermissionDenied(OpenIRUError):
    """The acting user is unknown or acts outside their role."""

    exit_code = 3


class TransitionError(OpenIRUError):
    """A workflow transition that the state machine does not allow."""
