"""Typesetting exact numbers and user text for the LaTeX proofs (``pscert latex``).

Every number printed by a proof is exact or an honest truncation: a short rational is written in full;
a long integer keeps its first six and last three digits and its digit count
(``313\\,371\\ldots551_{\\langle 76\\rangle}``); a power of two or ten is written as one. A decimal that
ends in ``\\ldots`` is truncated toward zero, never rounded. Long values abbreviated in the body are
collected by :class:`Numbers` and printed in full in the appendix, with a line-break opportunity every
:data:`BREAK_EVERY` digits (``\\seqsplit`` is not in base TeX Live).

User-provided strings (problem names, file names) go through :func:`escape_text`, which renders every
character literally in the typewriter font: no LaTeX command can be smuggled in.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Callable, Sequence

from symbolic.exceptions import PscertError

SHORT_DIGITS = 20
"""Integers with at most this many digits are written in full."""

BREAK_EVERY = 60
"""Digits between two line-break opportunities in the appendix."""

_TT_SLOT = {39: 13, 96: 18}
_PLAIN = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def escape_text(text: str, run: int = 24) -> str:
    r"""``text`` as literal typewriter LaTeX: safe against injection, every character visible.

    Letters and digits stay; every other printable ASCII character becomes ``{\char N}`` (the
    typewriter font has all of them at their ASCII codes); spaces become control spaces; control
    characters become spaces; other characters are written as ``<U+XXXX>``. Runs of more than ``run``
    characters without a space get a line-break opportunity every ``run`` characters.

    Examples
    --------
    >>> escape_text(r"a_b \input{x}")
    '\\texttt{a{\\char95}b\\ {\\char92}input{\\char123}x{\\char125}}'
    >>> escape_text("λ")
    '\\texttt{{\\char60}U+03BB{\\char62}}'
    """
    out: list[str] = []
    since_space = 0
    for ch in text:
        code = ord(ch)
        if ch in _PLAIN:
            piece = ch
        elif ch == " " or code < 32 or code == 127:
            out.append("\\ ")
            since_space = 0
            continue
        elif code < 127:
            # cmtt has upright quotes at 13 and 18; its 39 and 96 are curly
            piece = f"{{\\char{_TT_SLOT.get(code, code)}}}"
        else:
            piece = f"{{\\char60}}U+{code:04X}{{\\char62}}"
        if since_space and since_space % run == 0:
            out.append("\\allowbreak{}")
        out.append(piece)
        since_space += 1
    return "\\texttt{" + "".join(out) + "}"


def group_digits(digits: str) -> str:
    r"""Thin spaces between groups of three digits (from the right) when there are five or more.

    >>> group_digits("1234567"), group_digits("1234")
    ('1\\,234\\,567', '1234')
    """
    if len(digits) < 5:
        return digits
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return "\\,".join(parts)


def _power(n: int) -> str | None:
    """``2^{k}`` or ``10^{k}`` when ``n > 0`` is such a power and long enough to be worth it."""
    if n >= 1024 and n & (n - 1) == 0:
        return f"2^{{{n.bit_length() - 1}}}"
    text = str(n)
    if len(text) > 6 and text == "1" + "0" * (len(text) - 1):
        return f"10^{{{len(text) - 1}}}"
    return None


def integer(n: int) -> str:
    r"""A non-negative integer in math mode: exact, a power, or abbreviated with its digit count.

    >>> integer(12345), integer(2 ** 100)
    ('12\\,345', '2^{100}')
    >>> integer(3 ** 80)
    '147\\,808\\ldots601_{\\langle 39\\rangle}'
    """
    power = _power(n)
    if power is not None:
        return power
    text = str(n)
    if len(text) <= SHORT_DIGITS:
        return group_digits(text)
    return f"{group_digits(text[:6])}\\ldots{text[-3:]}_{{\\langle {len(text)}\\rangle}}"


def is_long(q: Fraction) -> bool:
    """Whether :func:`rational` abbreviates ``q`` (it then belongs in the appendix)."""
    return any(_power(n) is None and len(str(n)) > SHORT_DIGITS for n in (abs(q.numerator), q.denominator))


def rational(q: Fraction, inline: bool = False) -> str:
    r"""A rational in math mode: ``\frac{p}{q}`` (``p/q`` when ``inline``), parts as in :func:`integer`.

    >>> rational(Fraction(-3, 4)), rational(Fraction(1, 2 ** 40), inline=True)
    ('-\\frac{3}{4}', '1/2^{40}')
    """
    sign = "-" if q < 0 else ""
    num, den = integer(abs(q.numerator)), integer(q.denominator)
    if q.denominator == 1:
        return sign + num
    if inline:
        return f"{sign}{num}/{den}"
    return f"{sign}\\frac{{{num}}}{{{den}}}"


def decimal(q: Fraction, digits: int = 6) -> str:
    r"""``q`` in math mode to ``digits`` significant digits, truncated toward zero (``\ldots`` if inexact).

    >>> decimal(Fraction(2, 3)), decimal(Fraction(1, 4)), decimal(Fraction(-1, 3 * 10 ** 9))
    ('0.666\\,666\\ldots', '0.25', '-3.333\\,33\\ldots\\cdot 10^{-10}')
    """
    if q == 0:
        return "0"
    sign = "-" if q < 0 else ""
    a = abs(q)
    e = len(str(a.numerator)) - len(str(a.denominator))
    if a < Fraction(10) ** e:
        e -= 1
    scaled = a * Fraction(10) ** (digits - 1 - e)
    d = scaled.numerator // scaled.denominator
    exact = d == scaled
    text = str(d)
    if exact:
        text = text.rstrip("0") or "0"
    dots = "" if exact else "\\ldots"
    if -4 <= e < 6 and (exact or e < digits):  # padding zeros before "…" would pretend to be digits
        if e >= 0:
            whole, frac = text[: e + 1].ljust(e + 1, "0"), text[e + 1:]
        else:
            whole, frac = "0", "0" * (-e - 1) + text
        return sign + group_digits(whole) + (("." + _group_right(frac)) if frac else "") + dots
    mantissa = text[0] + ("." + _group_right(text[1:]) if len(text) > 1 else "")
    return f"{sign}{mantissa}{dots}\\cdot 10^{{{e}}}"


def _group_right(frac: str) -> str:
    """Digits after the decimal point in groups of three from the left."""
    return "\\,".join(frac[i:i + 3] for i in range(0, len(frac), 3))


def digit_string(text: str) -> str:
    """A long string of digits (text mode) with ``\\allowbreak`` every :data:`BREAK_EVERY` characters."""
    return "\\allowbreak ".join(text[i:i + BREAK_EVERY] for i in range(0, len(text), BREAK_EVERY))


def vector(values: Sequence[str]) -> str:
    r"""An inline tuple of already typeset entries, breakable after each comma.

    >>> vector(["1", "-2"])
    '(1,\\allowbreak\\ -2)'
    """
    return "(" + ",\\allowbreak\\ ".join(values) + ")"


def poly(coefficients: Sequence[Fraction], var: str = "t", fmt: Callable[[Fraction], str] | None = None,
         max_terms: int = 8) -> str:
    r"""A polynomial (coefficients lowest degree first) in math mode; long ones keep their end terms.

    >>> poly([Fraction(0), Fraction(-3, 2), Fraction(0), Fraction(1)])
    '-\\frac{3}{2}t + t^{3}'
    >>> poly([])
    '0'
    """
    terms = _terms(coefficients, var, fmt or rational, max_terms)
    if not terms:
        return "0"
    out = ("-" if terms[0][0] == "-" else "") + terms[0][1]
    for s, body in terms[1:]:
        out += f" {s} {body}"
    return out


def poly_display(lhs: str, coefficients: Sequence[Fraction], var: str = "t",
                 fmt: Callable[[Fraction], str] | None = None, per_line: int = 2) -> str:
    r"""``lhs = p(t)`` as displayed math, two terms per line when long (an ``align*``).

    >>> poly_display("q(t)", [Fraction(1), Fraction(1)])
    '\\[ q(t) = 1 + t. \\]'
    """
    terms = _terms(coefficients, var, fmt or rational, 8)
    if len(terms) <= per_line + 1:
        return f"\\[ {lhs} = {poly(coefficients, var, fmt)}. \\]"
    lines = []
    for n in range(0, len(terms), per_line):
        chunk = terms[n:n + per_line]
        text = " ".join(f"{s} {body}" for s, body in chunk)
        if n == 0:
            text = text[2:] if chunk[0][0] == "+" else "-" + text[1:]
            lines.append(f"{lhs} &= {text}")
        else:
            lines.append(f"&\\quad {text}")
    return "\\begin{align*}\n" + " \\\\\n".join(lines) + ".\n\\end{align*}"


def _terms(coefficients: Sequence[Fraction], var: str, fmt: Callable[[Fraction], str],
           max_terms: int) -> list[tuple[str, str]]:
    """``(sign, |coefficient|·monomial)`` for the nonzero terms; the middle ones elided past ``max_terms``."""
    terms = []
    for k, c in enumerate(coefficients):
        if not c:
            continue
        mono = "" if k == 0 else (var if k == 1 else f"{var}^{{{k}}}")
        mag = abs(c)
        body = fmt(mag) if (mag != 1 or not mono) else ""
        terms.append(("-" if c < 0 else "+", body + mono))
    if len(terms) > max_terms:
        terms = terms[:3] + [("+", "\\cdots")] + terms[-2:]
    return terms


class Numbers:
    """The abbreviated values of a document, for its appendix of exact values.

    :meth:`show` returns math-mode text for a rational; a long one is abbreviated and, when it has a
    description, gets an entry ``(E1)``, ``(E2)``, … printed in full by :meth:`appendix`.
    """

    def __init__(self) -> None:
        self.entries: list[tuple[str, str, Fraction]] = []
        self._seen: dict[tuple[str, Fraction], str] = {}

    def show(self, q: Fraction, what: str | None = None, inline: bool = False, approx: bool = True) -> str:
        """``q`` in math mode; long values get ``= 0.866\\ldots`` (if ``approx``) and an ``(E n)`` tag."""
        text = rational(q, inline)
        if not is_long(q):
            return text
        if approx:
            text += f" = {decimal(q)}"
        if what is None:
            return text
        key = (what, q)
        if key not in self._seen:
            self._seen[key] = f"E{len(self.entries) + 1}"
            self.entries.append((self._seen[key], what, q))
        return f"{text}\\ \\text{{({self._seen[key]})}}"

    def appendix(self) -> str:
        """The list of exact values in full (empty string if nothing was abbreviated)."""
        if not self.entries:
            return ""
        lines = ["\\begin{description}\\raggedright"]
        for label, what, q in self.entries:
            sign = "$-$" if q < 0 else ""
            num = digit_string(str(abs(q.numerator)))
            value = sign + num + ("" if q.denominator == 1 else " $/$ \\allowbreak " + digit_string(str(q.denominator)))
            lines.append(f"\\item[({label})] {what}: {value}")
        lines.append("\\end{description}")
        return "\n".join(lines)


class LatexError(PscertError):
    """Raised when a proof cannot be written: ``pdflatex`` is missing or fails, or a statement the proof
    would make does not hold (a certificate that was not checked)."""
