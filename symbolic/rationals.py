"""Exact rational numbers as pscert reads and writes them.

Problem files are lenient input. A number may be a JSON integer, a JSON number with a fraction or
exponent (read as the decimal literal written, never as a binary float: ``0.1`` is ``1/10``, ``1e-3``
is ``1/1000``, ``-0.0`` is ``0``), or a string: ``"7"``, ``"+7"``, ``"-3/4"``, ``"0.25"``, ``".5"``,
``"1E2"``, with optional surrounding whitespace. Only ASCII digits count. ``NaN``, ``Infinity``, empty
strings, a zero denominator, a signed denominator (``"1/-2"``) and anything else are errors naming
the JSON path.

Certificates are strict: they use only canonical strings (see :func:`canonical`), and their checker
rejects ``"+1"``, ``"2/4"``, ``"1.0"`` and JSON numbers with its own, independent reader.

Numerators and denominators are limited to :data:`MAX_DIGITS` decimal digits by default (of the
value in lowest terms, and of the digits written), so that a malicious or mistaken file cannot make
the tool spend unbounded time; long integer literals are never converted before that check.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from fractions import Fraction
from typing import Any

from .exceptions import ProblemError

MAX_DIGITS = 10_000
"""Default limit on the decimal digits of a numerator or denominator read from a file."""

# CPython limits int<->str conversion to 4300 digits; our own, documented limit replaces it, and
# exact computations legitimately produce longer integers that must still print.
sys.set_int_max_str_digits(0)

# ASCII only: int() would accept other scripts' digits ("١"), which no one means in a problem file.
_INTEGER = re.compile(r"[+-]?\d+\Z", re.ASCII)
_RATIO = re.compile(r"([+-]?\d+)/(\d+)\Z", re.ASCII)
_DECIMAL = re.compile(r"([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?\Z", re.ASCII)

# Longer JSON integer literals stay text until parse_rational has checked their length: str -> int
# is quadratic in CPython 3.11, and the limit above is switched off.
_EAGER_INT_DIGITS = 1000


class JsonDecimal(str):
    """A JSON number with a fraction or exponent (or a long integer), kept as the literal written."""


class JsonConstant(str):
    """``NaN``, ``Infinity`` or ``-Infinity`` as written in JSON: never a number pscert accepts."""


class JsonObject(dict[str, Any]):
    """A decoded JSON object that remembers the keys written more than once (the last value wins)."""

    duplicates: tuple[str, ...] = ()


def loads(text: str) -> Any:
    """Parse JSON text, keeping non-integer numbers as :class:`JsonDecimal` literals.

    ``NaN`` and ``Infinity`` become :class:`JsonConstant` so that the validator rejects them with
    their JSON path; objects are :class:`JsonObject` so that it can reject repeated keys.

    Raises
    ------
    ProblemError
        If the text is not JSON (with the line and column of the fault) or is nested too deeply.

    Examples
    --------
    >>> obj = loads('{"a": 0.1, "b": 7, "c": NaN}')
    >>> obj["a"], obj["b"], type(obj["c"]).__name__
    ('0.1', 7, 'JsonConstant')
    """
    try:
        return json.loads(text, parse_float=JsonDecimal, parse_int=_parse_int, parse_constant=JsonConstant,
                          object_pairs_hook=_json_object)
    except json.JSONDecodeError as err:
        raise ProblemError("", f"not valid JSON: {err.msg} (line {err.lineno}, column {err.colno})")
    except RecursionError:
        raise ProblemError("", "not valid JSON: nested too deeply")


def _parse_int(text: str) -> int | str:
    return int(text) if len(text) <= _EAGER_INT_DIGITS else JsonDecimal(text)


def _json_object(pairs: list[tuple[str, Any]]) -> JsonObject:
    obj = JsonObject(pairs)
    if len(obj) < len(pairs):
        counts = Counter(key for key, _ in pairs)
        obj.duplicates = tuple(key for key, n in counts.items() if n > 1)
    return obj


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
    if isinstance(value, JsonConstant):
        raise ProblemError(path, f"must be a finite number (got {value})")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ProblemError(path, f"must be a number (got {describe(value)})")
    if isinstance(value, int):
        _check_int(value, path, max_digits)
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
            raise ProblemError(path, f"denominator must be nonzero (got {describe(value)})")
        return Fraction(int(m.group(1)), int(m.group(2)))
    m = _DECIMAL.match(text)
    if m and (m.group(2) or m.group(3)):
        sign, whole, frac, exp = m.group(1), m.group(2) or "0", m.group(3) or "", m.group(4)
        e = int(exp) if exp else 0
        if abs(e) > max_digits:
            raise ProblemError(path, f"exponent must be at most {max_digits} in size (got {describe(e)})")
        _check_digits(whole + frac, path, max_digits)
        q = Fraction(int(whole + frac), 10 ** len(frac)) * Fraction(10) ** e
        _check_int(q.numerator, path, max_digits)
        _check_int(q.denominator, path, max_digits)
        return -q if sign == "-" else q
    raise ProblemError(path, f"must be an integer, p/q or decimal (got {describe(value)})")


def canonical(q: Fraction | int) -> str:
    """The canonical text of a rational: ``"p"`` or ``"p/q"`` in lowest terms with ``q > 1``.

    >>> canonical(Fraction(-6, 8))
    '-3/4'
    """
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def describe(value: Any) -> str:
    r"""A short, one-line rendering of a JSON value for an error message.

    >>> describe(True), describe(None), describe([1, 2]), describe({}), describe("a\nb")
    ('true', 'null', 'a list of 2', 'an object', '"a\\nb"')
    """
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (JsonDecimal, JsonConstant)):
        text = str(value)
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, int) and value.bit_length() > 256:
        text = f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    else:
        text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _check_int(n: int, path: str, max_digits: int) -> None:
    # 16**m > 10**m: past 4 bits a digit, |n| has too many digits; skip the (quadratic) str(n).
    bits = abs(n).bit_length()
    if bits > 4 * max_digits:
        raise ProblemError(path, f"must have at most {max_digits} digits (got about {int(bits * 0.30103)} digits)")
    digits = len(str(abs(n)))
    if digits > max_digits:
        raise ProblemError(path, f"must have at most {max_digits} digits (got {digits} digits)")


def _check_digits(digits: str, path: str, max_digits: int) -> None:
    n = len(digits.lstrip("0")) or 1
    if n > max_digits:
        raise ProblemError(path, f"must have at most {max_digits} digits (got {n} digits)")
