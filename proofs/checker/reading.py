"""Strict reading of certificates and problems: JSON, canonical rationals, shapes.

Every number in a certificate is a canonical rational string (``"-3/4"``, ``"5"``); anything else is a
``format`` failure naming its JSON path. A problem file given with ``--problem`` is the user's own input
and is read by the problem format's lenient rules (decimals, JSON numbers read as the literal written); its faults
are ``CertificateUnreadable``.

Limits
------
A certificate is small text, but exact arithmetic on it can be made arbitrarily expensive. So the cheap
structural checks come first, and every quantity that drives the cost is bounded; exceeding a bound is
the one line ``INVALID: limits: …`` (exit 1), or ``Error: …`` (exit 2) for a file too large to read.
The bounds are set from what real certificates need, with a wide margin:

- ``MAX_BYTES`` = 20 MB per file (real certificates: a few KB to a few hundred KB);
- ``MAX_DIGITS`` = 10,000 decimal digits per numerator or denominator (snapped centres: under 300);
- ``MAX_PARAMETERS`` = 3,000 (the exact Hessian has ``P²`` entries: 9·10⁶ integers at most; the
  networks pscert certifies have up to a few hundred parameters);
- ``MAX_HIDDEN_LAYERS`` = 8 (the a-priori bounds and the curve degree grow with depth; real: 1–3);
- ``MAX_CURVE_DEGREE`` = 64 for each curve polynomial (real curves: degree ≤ 4);
- ``MAX_WORK`` = 10¹⁰ limb operations for everything that grows faster than the input: forward passes,
  Hessians, eliminations, congruences, curve polynomials (``arith.Budget`` charges each before it runs,
  at a schoolbook over-estimate). Measured: the committed certificates need at most 7·10⁶ (``kink_ball``
  on the trained XOR net, 16 pieces), a 33-parameter network on 20 samples with 53-bit entries about
  1.5·10⁸; at 2–6 ns per unit the limit is about a minute of CPU. The generator writes ``ldl`` witnesses
  only up to 12×12 and short ``congruence`` witnesses beyond, which is what keeps real checks cheap.
"""

from __future__ import annotations

import json
import math
import re
import sys
from fractions import Fraction
from typing import Any, NoReturn

from .exceptions import CertificateInvalid, CertificateUnreadable
from .network import Problem

MAX_BYTES = 20_000_000
MAX_DIGITS = 10_000
MAX_PARAMETERS = 3_000
MAX_HIDDEN_LAYERS = 8
MAX_CURVE_DEGREE = 64
MAX_WORK = 10 ** 10

CERTIFICATE_FORMAT = "pscert.certificate/1"
PROBLEM_FORMAT = "pscert.problem/1"

# Python's own 4300-digit guard would reject long exact integers we must print; MAX_DIGITS replaces it.
sys.set_int_max_str_digits(0)

# [0-9], not \d: \d also matches non-ASCII digits that int() would happily accept.
_CANONICAL = re.compile(r"(-?)(0|[1-9][0-9]*)(?:/([1-9][0-9]*))?", re.ASCII)
_RATIO = re.compile(r"([+-]?)([0-9]+)/([0-9]+)", re.ASCII)
_DECIMAL = re.compile(r"([+-]?)([0-9]*)(?:\.([0-9]*))?(?:[eE]([+-]?[0-9]+))?", re.ASCII)


class JsonDecimal(str):
    """A JSON number with a fraction or exponent in a problem file, kept as the literal written."""


def fail(where: str, what: str) -> NoReturn:
    """Raise a ``format`` failure at a JSON path."""
    raise CertificateInvalid("format", f"{where}: {what}" if where else what)


def brief(value: Any) -> str:
    """A short description of a JSON value for messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, JsonDecimal):
        text = f"the JSON number {value}"
    elif isinstance(value, (int, float)):
        text = f"the JSON number {value!r}"
    else:
        text = json.dumps(value) if isinstance(value, str) else type(value).__name__
    return text if len(text) <= 48 else text[:45] + "..."


def show(value: Fraction | int) -> str:
    """A rational for a message: exact when short, else rounded with its exact length (not a claim)."""
    text = str(value)
    if len(text) <= 60:
        return text
    try:
        rough = f"≈ {float(value):.6g}"
    except OverflowError:
        rough = "huge"
    return f"{rough} (exactly {len(text)} characters long)"


def load_json(text: str, *, problem_file: bool = False, max_digits: int = MAX_DIGITS) -> Any:
    """Decode JSON strictly: no duplicate keys, no NaN/Infinity, bounded integers.

    In a certificate a JSON number with a fraction or exponent is a ``format`` failure (floats are never
    exact); in a problem file (``problem_file=True``) it is kept as a :class:`JsonDecimal`.
    Text that is not JSON raises :class:`CertificateUnreadable`.
    """

    def on_float(literal: str) -> Any:
        if problem_file:
            return JsonDecimal(literal)
        fail("", f"the JSON number {literal} is not allowed: exact rationals are strings such as \"-3/4\"")

    def on_int(literal: str) -> int:
        if len(literal.lstrip("-")) > max_digits:
            fail("", f"a JSON integer has {len(literal.lstrip('-'))} digits, must have at most {max_digits}")
        return int(literal)

    def on_constant(name: str) -> Any:
        fail("", f"{name} is not a number pscert accepts")

    def on_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:  # json keeps the last one silently; a reader of the file might see the first
                fail("", f"duplicate key {json.dumps(key)} in a JSON object")
            out[key] = value
        return out

    try:
        return json.loads(text, parse_float=on_float, parse_int=on_int, parse_constant=on_constant,
                          object_pairs_hook=on_pairs)
    except json.JSONDecodeError as err:
        raise CertificateUnreadable(f"not valid JSON: {err.msg} at line {err.lineno} column {err.colno}")
    except RecursionError:
        raise CertificateUnreadable("not valid JSON: nested too deeply")


def parse_rational_strict(text: Any, where: str, max_digits: int = MAX_DIGITS) -> Fraction:
    """Read one canonical rational string: ``"p"`` or ``"p/q"``, lowest terms, ``q > 1``.

    Parameters
    ----------
    text
        The JSON value; anything but a ``str`` is rejected (JSON numbers included).
    where
        Its JSON path, for the message.
    max_digits
        Most decimal digits allowed in the numerator and in the denominator.

    Returns
    -------
    Fraction

    Raises
    ------
    CertificateInvalid
        Step ``format``, e.g. ``radius: must be in lowest terms (got "2/4")``.

    Examples
    --------
    >>> parse_rational_strict("-3/4", "mu")
    Fraction(-3, 4)
    """
    if not isinstance(text, str) or isinstance(text, JsonDecimal):
        fail(where, f"must be a rational string such as \"-3/4\" (got {brief(text)})")
    match = _CANONICAL.fullmatch(text)
    if match is None:
        fail(where, f"must be a canonical rational \"p\" or \"p/q\" (got {brief(text)})")
    sign, num, den = match.groups()
    for part, digits in (("numerator", num), ("denominator", den or "")):
        if len(digits) > max_digits:
            fail(where, f"{part} has {len(digits)} digits, must have at most {max_digits}")
    if sign and num == "0":
        fail(where, f"must be \"0\" (got {brief(text)})")
    if den is None:
        return Fraction(int(sign + num))
    p, q = int(num), int(den)
    if q == 1 or p == 0 or math.gcd(p, q) != 1:
        value = Fraction(int(sign + num), q)
        fail(where, f"must be in lowest terms, written \"{value}\" (got {brief(text)})")
    return Fraction(int(sign + num), q)


def parse_number_lenient(value: Any, where: str, max_digits: int = MAX_DIGITS) -> Fraction:
    """Read a number as a problem file may write it (``proofs/FORMAT.md``): int, ``"p/q"``, decimal, JSON decimal."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        fail(where, f"must be a number (got {brief(value)})")
    if isinstance(value, int):
        return Fraction(value)
    match = _RATIO.fullmatch(value)
    if match:
        sign, num, den = match.groups()
        if max(len(num), len(den)) > max_digits:
            fail(where, f"has more than {max_digits} digits in its numerator or denominator")
        if int(den) == 0:
            fail(where, f"has a zero denominator (got {brief(value)})")
        return Fraction(int(sign + num), int(den))
    match = _DECIMAL.fullmatch(value)
    if match is None or not (match.group(2) or match.group(3)):
        fail(where, f"must be a number such as \"-3/4\" or \"0.25\" (got {brief(value)})")
    sign, whole, frac, exp = match.groups()
    digits = (whole + (frac or "")).lstrip("0") or "0"
    shift = int(exp or "0") - len(frac or "")
    if len(exp or "") > 6 or len(digits) + abs(shift) > max_digits:
        fail(where, f"has more than {max_digits} digits in its numerator or denominator")
    mantissa = int(sign + digits)
    return Fraction(mantissa * 10 ** shift) if shift >= 0 else Fraction(mantissa, 10 ** -shift)


def expect_object(value: Any, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
    """Check a JSON object's keys: every key allowed, every required key present."""
    if not isinstance(value, dict):
        fail(where or "top level", f"must be an object (got {brief(value)})")
    for key in value:
        if key not in allowed:
            fail(join(where, key), f"unknown key (allowed: {', '.join(sorted(allowed))})")
    for key in sorted(required):
        if key not in value:
            fail(join(where, key), "missing required field")
    return value


def expect_list(value: Any, where: str, length: int | None = None) -> list[Any]:
    """Check a JSON list, of a given length when ``length`` is not None."""
    if not isinstance(value, list):
        fail(where, f"must be a list (got {brief(value)})")
    if length is not None and len(value) != length:
        fail(where, f"must have {length} entr{'y' if length == 1 else 'ies'} (got {len(value)})")
    return value


def join(where: str, key: str | int) -> str:
    """The JSON path of a member or an element."""
    if isinstance(key, int):
        return f"{where}[{key}]"
    if not key.isascii() or not all(part.isidentifier() for part in key.split(".")):  # quoted, escaped: a path stays one printable line
        return f"{where}[{json.dumps(key)}]"
    return f"{where}.{key}" if where else key


def read_problem(obj: Any, where: str = "problem", *, strict: bool = True,
                 max_digits: int = MAX_DIGITS) -> Problem:
    """Validate a ``pscert.problem/1`` object (``proofs/FORMAT.md``) and return the exact :class:`Problem`.

    ``strict=True`` is a certificate's embedded, normalised problem: canonical rational strings and no
    ``point``. ``strict=False`` is a user's problem file: any number the problem format allows, and
    ``point`` is ignored here (``read_point`` reads it).

    Examples
    --------
    >>> p = read_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"reduction": "mean", "weight_decay": "1/4"}, "data": {"inputs": [["1"]], "targets": [["1"]]}})
    >>> p.count, p.weight_decay
    (2, Fraction(1, 4))
    """

    def number(value: Any, path: str) -> Fraction:
        if strict:
            return parse_rational_strict(value, path, max_digits)
        return parse_number_lenient(value, path, max_digits)

    def matrix(value: Any, path: str, rows: int | None, cols: int) -> list[list[Fraction]]:
        out = []
        for i, row in enumerate(expect_list(value, path, rows)):
            rpath = join(path, i)
            out.append([number(v, join(rpath, c)) for c, v in enumerate(expect_list(row, rpath, cols))])
        return out

    keys = {"format", "name", "network", "loss", "data"}
    top = expect_object(obj, where, keys if strict else keys | {"point"}, {"format", "network", "loss", "data"})
    if top["format"] != PROBLEM_FORMAT:
        fail(join(where, "format"), f"must be \"{PROBLEM_FORMAT}\" (got {brief(top['format'])})")
    if not isinstance(top.get("name", ""), str):
        fail(join(where, "name"), f"must be a string (got {brief(top['name'])})")
    net = expect_object(top["network"], join(where, "network"),
                        {"widths", "biases", "decay_biases", "activation"}, {"widths"})
    widths = expect_list(net["widths"], join(where, "network.widths"))
    if len(widths) < 2:
        fail(join(where, "network.widths"), f"must list at least 2 widths (got {len(widths)})")
    for i, w in enumerate(widths):
        if isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= 100_000:
            fail(join(where, f"network.widths[{i}]"), f"must be a positive integer (got {brief(w)})")
    count = sum(widths[k + 1] * (widths[k] + 1) for k in range(len(widths) - 1))
    for what, got, most in (("hidden layers", len(widths) - 2, MAX_HIDDEN_LAYERS),
                            ("parameters", count, MAX_PARAMETERS)):
        if got > most:  # checked before any list of that size is built
            raise CertificateInvalid("limits", f"{join(where, 'network.widths')}: must give at most {most} {what} "
                                     f"(got {got})")
    flags = []
    for key in ("biases", "decay_biases"):
        flag = net.get(key, True)
        if not isinstance(flag, bool):
            fail(join(where, f"network.{key}"), f"must be true or false (got {brief(flag)})")
        flags.append(flag)
    activation = net.get("activation", "relu")
    if activation not in ("relu", "identity"):
        fail(join(where, "network.activation"), f"must be \"relu\" or \"identity\" (got {brief(activation)})")
    loss = expect_object(top["loss"], join(where, "loss"), {"reduction", "weight_decay"}, {"weight_decay"})
    reduction = loss.get("reduction", "mean")
    if reduction not in ("mean", "sum"):
        fail(join(where, "loss.reduction"), f"must be \"mean\" or \"sum\" (got {brief(reduction)})")
    lam = number(loss["weight_decay"], join(where, "loss.weight_decay"))
    if lam < 0:
        fail(join(where, "loss.weight_decay"), f"must be non-negative (got {lam})")
    data = expect_object(top["data"], join(where, "data"), {"inputs", "targets"}, {"inputs", "targets"})
    inputs = matrix(data["inputs"], join(where, "data.inputs"), None, widths[0])
    if not inputs:
        fail(join(where, "data.inputs"), "must hold at least one sample (got 0)")
    targets = matrix(data["targets"], join(where, "data.targets"), len(inputs), widths[-1])
    return Problem(widths, flags[0], flags[0] and flags[1], activation, reduction, lam, inputs, targets)


def read_point(obj: Any, problem: Problem, where: str, max_digits: int = MAX_DIGITS, *,
               lenient: bool = False) -> list[Fraction]:
    """Validate a point ``{"weights", "biases"}`` in the problem's layout; return ``θ`` in canonical order.
    ``lenient`` reads a user's problem file (any number of FORMAT.md's problem format)."""
    number = parse_number_lenient if lenient else parse_rational_strict
    pt = expect_object(obj, where, {"weights", "biases"}, {"weights"})
    layers = len(problem.widths) - 1
    weights = expect_list(pt["weights"], join(where, "weights"), layers)
    biases: list[Any] = []
    if problem.biases:
        biases = expect_list(pt.get("biases"), join(where, "biases"), layers)
    elif pt.get("biases") is not None:
        fail(join(where, "biases"), f"must be absent or null without biases (got {brief(pt['biases'])})")
    theta: list[Fraction] = []
    for k in range(layers):
        rows, cols = problem.widths[k + 1], problem.widths[k]
        wpath = join(join(where, "weights"), k)
        for i, row in enumerate(expect_list(weights[k], wpath, rows)):
            rpath = join(wpath, i)
            theta += [number(v, join(rpath, c), max_digits) for c, v in enumerate(expect_list(row, rpath, cols))]
        if problem.biases:
            bpath = join(join(where, "biases"), k)
            theta += [number(v, join(bpath, i), max_digits) for i, v in enumerate(expect_list(biases[k], bpath, rows))]
    return theta


def read_pattern(obj: Any, problem: Problem, where: str) -> list[list[tuple[int, ...]]]:
    """Validate a pattern: per sample, per hidden layer, a string of ``'1'`` (active) / ``'0'``."""
    hidden = problem.widths[1:-1]
    out = []
    for j, per_sample in enumerate(expect_list(obj, where, len(problem.inputs))):
        spath = join(where, j)
        row = []
        for k, bits in enumerate(expect_list(per_sample, spath, len(hidden))):
            kpath = join(spath, k)
            if not isinstance(bits, str) or len(bits) != hidden[k] or set(bits) - {"0", "1"}:
                fail(kpath, f"must be a string of {hidden[k]} characters '0'/'1' (got {brief(bits)})")
            if problem.activation == "identity" and "0" in bits:
                fail(kpath, f"must be all '1' for the identity activation (got {brief(bits)})")
            row.append(tuple(int(b) for b in bits))
        out.append(row)
    return out


def read_vector(obj: Any, where: str, length: int | None, max_digits: int = MAX_DIGITS) -> list[Fraction]:
    """A list of canonical rationals (of the given length unless None). The exact string ``"0"`` (a plain
    ``str``, not a JSON number) is read without the general parser: most entries of sparse vectors are 0."""
    return [ZERO if type(v) is str and v == "0" else parse_rational_strict(v, join(where, i), max_digits)
            for i, v in enumerate(expect_list(obj, where, length))]


ZERO = Fraction(0)
"""The value :func:`read_vector` gives every ``"0"`` (one shared object, so zeros are found by identity)."""


def read_poly(obj: Any, where: str, max_digits: int = MAX_DIGITS) -> list[Fraction]:
    """Validate a polynomial: a non-empty list of rational coefficients, lowest degree first."""
    coeffs = expect_list(obj, where)
    if not coeffs:
        fail(where, "must have at least one coefficient (got 0)")
    if len(coeffs) > MAX_CURVE_DEGREE + 1:
        raise CertificateInvalid("limits", f"{where}: degree {len(coeffs) - 1} exceeds {MAX_CURVE_DEGREE}")
    return read_vector(coeffs, where, None, max_digits)
