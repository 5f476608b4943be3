"""Exact rational numbers as pscert reads and writes them.

Problem files may write a number as a JSON integer, a JSON number with a fraction or exponent (read as
the decimal literal written, never as a binary float), or a string: ``"7"``, ``"-3/4"``, ``"0.25"``,
``"1e-3"``. Certificates use only canonical strings (see :func:`canonical`).

Numerators and denominators are limited to :data:`MAX_DIGITS` decimal digits by default so that a
malicious or mistaken file cannot make the tool spend unbounded time.
"""

from __future__ import annotations

import json
import re
import sys
from fractions import Fraction
from typing import Any

from .exceptions import ProblemError

MAX_DIGITS = 10_000
"""Default limit on the decimal digits of a numerator or denominator read from a file."""

# CPython limits int<->str conversion to 4300 digits; our own, documented limit replaces it, and
# exact computations legitimately produce longer integers that must still print.
sys.set_int_max_str_digits(0)

_INTEGER = re.compile(r"[+-]?\d+\Z")
_RATIO = re.compile(r"([+-]?\d+)/(\d+)\Z")
_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\Z")


class JsonDecimal(str):
    """A JSON number with a fraction or exponent, kept as the literal text written."""


def loads(text: str) -> Any:
    """Parse JSON text, keeping non-integer numbers as :class:`JsonDecimal` literals.

    ``NaN`` and ``Infinity`` raise :class:`ProblemError`; so does text that is not JSON.
    """

    def reject(name: str) -> Any:
        raise ProblemError("", f"{name} is not a number pscert accepts")

    try:
        return json.loads(text, parse_float=JsonDecimal, parse_constant=reject)
    except json.JSONDecodeError as err:
        raise ProblemError("", f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}")
    except RecursionError:
        raise ProblemError("", "not valid JSON: nested too deeply")


def parse_rational(value: Any, path: str, max_digits: int = MAX_DIGITS) -> Fraction:
    """Read one exact number.

    Parameters
    ----------
    value
        A JSON value: ``int``, :class:`JsonDecimal`, or ``str``.
    path
        The JSON path of the value, for error messages.
    max_digits
        Largest number of decimal digits allowed in a numerator or denominator.

    Returns
    -------
    Fraction
        The exact value.

    Raises
    ------
    ProblemError
        If the value is not a number, is ``NaN``/infinite, has a zero denominator, or is too long.

    Examples
    --------
    >>> parse_rational("0.25", "x")
    Fraction(1, 4)
    >>> parse_rational(JsonDecimal("0.1"), "x")
    Fraction(1, 10)
    """
    if isinstance(value, bool) or value is None or not isinstance(value, (int, str)):
        raise ProblemError(path, f"must be a number (got {_show(value)})")
    if isinstance(value, int) and not isinstance(value, str):
        if _digits(abs(value)) > max_digits:
            raise ProblemError(path, f"must have at most {max_digits} digits (got {_digits(abs(value))})")
        return Fraction(value)
    text = value.strip()
    if len(text) > 2 * max_digits + 32:
        raise ProblemError(path, f"must have at most {max_digits} digits (got {len(text)} characters)")
    if _INTEGER.match(text):
        _check_digits(text.lstrip("+-"), path, max_digits)
        return Fraction(int(text))
    m = _RATIO.match(text)
    if m:
        _check_digits(m.group(1).lstrip("+-"), path, max_digits)
        _check_digits(m.group(2), path, max_digits)
        if int(m.group(2)) == 0:
            raise ProblemError(path, f"denominator must be nonzero (got {_show(value)})")
        return Fraction(int(m.group(1)), int(m.group(2)))
    m = _DECIMAL.match(text)
    if m and (m.group(2) or m.group(3)):
        sign, whole, frac, exp = m.group(1), m.group(2) or "0", m.group(3) or "", m.group(4)
        e = int(exp) if exp else 0
        if abs(e) > max_digits:
            raise ProblemError(path, f"exponent must be at most {max_digits} in size (got {e})")
        digits = (whole + frac).lstrip("0") or "0"
        _check_digits(digits, path, max_digits)
        q = Fraction(int(whole + frac), 10 ** len(frac)) * Fraction(10) ** e
        if _digits(q.numerator) > max_digits or _digits(q.denominator) > max_digits:
            raise ProblemError(path, f"must have at most {max_digits} digits (got {_show(value)})")
        return -q if sign == "-" else q
    raise ProblemError(path, f"must be an integer, p/q or decimal (got {_show(value)})")


def canonical(q: Fraction | int) -> str:
    """The canonical text of a rational: ``"p"`` or ``"p/q"`` in lowest terms with ``q > 1``.

    >>> canonical(Fraction(-6, 8))
    '-3/4'
    """
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def _digits(n: int) -> int:
    return len(str(n)) if n else 1


def _check_digits(digits: str, path: str, max_digits: int) -> None:
    n = len(digits.lstrip("0")) or 1
    if n > max_digits:
        raise ProblemError(path, f"must have at most {max_digits} digits (got {n})")


def _show(value: Any) -> str:
    """A short rendering of a bad value for an error message."""
    text = value if isinstance(value, str) and not isinstance(value, JsonDecimal) else None
    shown = json.dumps(text) if text is not None else (str(value) if value is not None else "null")
    if isinstance(value, (list, dict)):
        shown = type(value).__name__ if not isinstance(value, list) else f"a list of {len(value)}"
        shown = "an object" if isinstance(value, dict) else shown
    return shown if len(shown) <= 40 else shown[:37] + "..."
