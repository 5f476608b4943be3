"""Exceptions of the trusted checker (standard library only)."""

from __future__ import annotations


class CheckerError(Exception):
    """Base class of every error the checker reports as one line."""


class CertificateInvalid(CheckerError):
    """Raised when a certificate fails a check; ``str()`` is ``"<step>: <message>"``.

    ``step`` names the failed check (``format``, ``claim``, ``problem``, ``center``, ``radius``, ``mu``,
    ``evidence``, ``pattern``, ``sign stability``, ``hessian bound``, ``gradient bound``, ``curvature``,
    ``curve``, ``regions``, ``origin``, ``limits``); the checker stops at the first failure.
    """

    def __init__(self, step: str, message: str):
        self.step = step
        self.message = message
        super().__init__(f"{step}: {message}")


class CertificateUnreadable(CheckerError):
    """Raised when a certificate or problem file cannot be read, is not JSON, or the expected problem is
    not a valid problem (exit code 2)."""
