"""Exceptions raised by the exact mathematics of pscert."""

from __future__ import annotations


class PscertError(Exception):
    """Base class of every error pscert reports to a user as one line."""


class ProblemError(PscertError):
    """Raised when a problem file is unreadable or malformed.

    The message has the shape ``<json path>: <what> (got <actual>)``; ``source`` names the file.
    """

    def __init__(self, path: str, what: str, source: str | None = None):
        self.path = path
        self.what = what
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.path}: {self.what}" if self.path else f"{where}{self.what}"

    def with_source(self, source: str) -> "ProblemError":
        """A copy of this error that names the file it came from."""
        return ProblemError(self.path, self.what, source)


class PatternError(PscertError):
    """Raised when an activation pattern does not fit the network (wrong shape or values)."""


class SelectionError(PscertError):
    """Raised when a sample, output or parameter index lies outside the problem (e.g. sample 7 of 4)."""


class RegionError(PscertError):
    """Raised when a region-graph request does not fit the problem (e.g. --global with two hidden layers)."""
