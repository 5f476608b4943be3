"""Shared pieces of certificate generation: the verdict, certificate assembly, the checker gate,
and the ball parameters (radius, δ, sign stability) computed with the checker's own bounds.

Each evidence method builds its own evidence in :mod:`proofs.methods`; what they all need is here."""

from __future__ import annotations

import math
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from symbolic.problem import Problem, params_to_json, per_problem, problem_to_json
from symbolic.rationals import canonical

from . import checker, replay
from .checker.network import Bounds, null_sample
from .checker.network import forward as checker_forward

if TYPE_CHECKING:  # flint is imported lazily at run time
    from flint import fmpq_mat

    from symbolic.derivatives import PieceDerivatives

CERT_FORMAT = "pscert.certificate/1"


@dataclass
class Verdict:
    """What ``certify`` decided: status, claim, a one-line reason, the certificate and key numbers."""

    status: str
    reason: str
    claim: str | None = None
    certificate: dict[str, Any] | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"status": self.status, "claim": self.claim, "reason": self.reason, "facts": self.facts,
                "certificate": self.certificate}


def certificate(problem: Problem, status: str, claim: str, theta: Sequence[Fraction], rho: Fraction,
                 evidence: dict[str, Any], mu: Fraction | None = None) -> dict[str, Any]:
    cert: dict[str, Any] = {"format": CERT_FORMAT, "status": status, "claim": claim,
                            "problem": problem_to_json(problem, with_point=False),
                            "center": params_to_json(problem.unflatten(list(theta))), "radius": canonical(rho)}
    if mu is not None:
        cert["mu"] = canonical(mu)
    cert["evidence"] = evidence
    cert["producer"] = {"tool": "pscert", "version": version()}
    return cert


NOT_RECHECKED = "not_rechecked"
"""``facts["checker"]`` of a verdict whose certificate the checker has not run on (``certify --no-check``)."""

_RECHECK: ContextVar[bool] = ContextVar("pscert_recheck", default=True)


@contextmanager
def without_recheck() -> Iterator[None]:
    """Within the block, :func:`checked` does not run the checker: a verdict stands as the generator found
    it and its facts say ``checker: not_rechecked``. For runs whose certificates are checked afterwards
    (``certify --no-check``, then ``pscert check``); the checker's run is about a third of certify."""
    token = _RECHECK.set(False)
    try:
        yield
    finally:
        _RECHECK.reset(token)


def rechecking() -> bool:
    """Whether :func:`checked` runs the checker here (it does unless inside :func:`without_recheck`)."""
    return _RECHECK.get()


def checked(v: Verdict) -> Verdict:
    """Run the independent checker; a rejected certificate becomes UNKNOWN, never a verdict (unless inside
    :func:`without_recheck`, where the facts say ``not_rechecked`` instead)."""
    if not rechecking():
        v.facts["checker"] = NOT_RECHECKED
        return v
    try:
        line = checker.check_certificate(v.certificate)
    except checker.CertificateInvalid as err:
        return Verdict("UNKNOWN", f"internal error: the generated certificate was rejected by the checker ({err})")
    v.facts["checker"] = line
    return v


def delta(problem: Problem, theta: Sequence[Fraction], rho: Fraction) -> Fraction:
    """A short dyadic δ with δ² ≥ P³·K²·ρ² (the checker's Hessian-variation bound)."""
    return sqrt_above(ball_bounds(problem, theta, rho).delta_squared)


def ball_bounds(problem: Problem, theta: Sequence[Fraction], rho: Fraction) -> Bounds:
    """The checker's a-priori bounds on the box of half-width ``ρ`` about ``θ`` (computed by its own code); the
    last ones are remembered (:func:`delta` and :func:`sign_stable` ask for the same ball in turn)."""
    c = list(theta)
    for seen, c_seen, rho_seen, b in _LAST_BALL:
        if seen is problem and rho_seen == rho and c_seen == c:
            return b
    b = replay.derivative_bounds(checker_problem(problem), c, rho)
    _LAST_BALL[:] = [(problem, c, rho, b)]
    return b


_LAST_BALL: list[tuple[Problem, list[Fraction], Fraction, Bounds]] = []


def sign_stable(problem: Problem, theta: Sequence[Fraction], rho: Fraction, first_layer: bool = True) -> bool:
    """Every hidden pre-activation keeps its strict sign on the ball (the checker's rule; the first
    layer is skipped when ``first_layer`` is false: boundary certificates treat it exactly).

    With the checker's own integer forward pass and bounds: ``z² > F1(k)²·P_k·ρ²`` is compared as
    ``Z²·den > num·s_k²`` for ``z = Z/s_k`` and ``F1(k)²·P_k·ρ² = num/den``, without a Fraction per unit."""
    if problem.depth == 0 or problem.activation != "relu":
        return True
    cp = checker_problem(problem)
    c = list(theta)
    b = ball_bounds(problem, c, rho)
    run = checker_forward(cp, c, None)
    for j, sample in enumerate(run.pre):
        if null_sample(cp, j):
            continue
        for m, layer in enumerate(sample):
            if m == 0 and not first_layer:
                # kinks are treated exactly: the layer is off on the ball where z² > ρ²‖x̃‖² and z < 0
                xt2 = sum(v * v for v in cp.inputs[j]) + (1 if cp.biases else 0)
                need = rho * rho * xt2 * run.s[1] ** 2
                if cp.biases or not all(z < 0 and z * z * need.denominator > need.numerator for z in layer):
                    continue
                break       # a null input for the layers above (the checker's rule)
            need = b.F1[m + 1] ** 2 * b.prefix[m + 1] * rho * rho * run.s[m + 1] ** 2
            num, den = need.numerator, need.denominator
            if any(z * z * den <= num for z in layer):
                return False
            if not cp.biases and all(z < 0 for z in layer):
                break       # the layers above see an input that is 0 on the ball: z ≡ 0 there, no boundary
    return True


@per_problem
def checker_problem(problem: Problem) -> checker.Problem:
    """The checker's own reading of the problem (so that bounds are computed exactly as it will)."""
    return checker.read_problem(problem_to_json(problem, with_point=False))


def radius_for(g2: Fraction, mu: Fraction) -> Fraction | None:
    """The smallest ``ρ = 2^-k ≥ 2‖g‖/μ`` (so that ‖g‖² < μ²ρ²), or ``None`` if that is not tiny."""
    if g2 == 0:
        return Fraction(1, 2 ** 40)
    est = 2 * math.sqrt(float(g2)) / float(mu) if float(g2) > 0 else 2 * sqrt_above(g2) / mu
    if est > 1e-12 or est == 0:
        return None
    k = max(0, -math.floor(math.log2(est)))
    rho = Fraction(1, 2 ** k)
    while g2 >= mu * mu * rho * rho:
        rho *= 2
    return rho


def sqrt_above(x: Fraction, bits: int = 30) -> Fraction:
    """A dyadic rational ``s ≥ √x`` with about ``bits`` significant bits."""
    if x <= 0:
        return Fraction(0)
    e = bits - (x.numerator.bit_length() - x.denominator.bit_length()) // 2
    scale2 = Fraction(4) ** e if e >= 0 else Fraction(1, 4 ** -e)
    target = x * scale2
    n = math.isqrt(math.ceil(target))
    while n * n < target:
        n += 1
    return Fraction(n) / (Fraction(2) ** e)


def rational_below(x: float) -> Fraction:
    """A simple rational in ``(0, x]`` for ``x > 0`` (two significant binary-decimal digits)."""
    q = Fraction(x)
    e = math.floor(math.log10(x)) - 1
    step = Fraction(10) ** e
    r = math.floor(q / step) * step
    return r if r > 0 else q


def identity(n: int) -> fmpq_mat:
    from flint import fmpq_mat

    return fmpq_mat(n, n, [1 if i == j else 0 for i in range(n) for j in range(n)])


def hessian_of(d: PieceDerivatives) -> fmpq_mat:
    """``d.hessian``, present because ``piece_derivatives`` was not asked to skip it."""
    assert d.hessian is not None, "piece_derivatives was called with hessian=False"
    return d.hessian


def short(q: Fraction, toward: str = "down") -> str:
    """``q`` for a status line: exact when short, else ``≈`` and three significant digits rounded *toward*
    ``"down"`` (−∞) or ``"up"`` (+∞), so that the shown number never claims more than was proved (a
    radius or modulus rounds down, a distance bound up). Plain decimals from 10⁻⁴ to 10⁶, else ``≈d.dde±k``.

    >>> short(Fraction(1, 3) * Fraction(1, 10**30)), short(Fraction(1, 3) * Fraction(1, 10**30), "up")
    ('≈3.33e-31', '≈3.34e-31')
    >>> short(Fraction(26438, 10000) + Fraction(1, 10**30)), short(-Fraction(2, 3) - Fraction(1, 10**30))
    ('≈2.64', '≈-0.667')
    """
    text = canonical(q)
    if len(text) <= 24 or q == 0:
        return text
    e = len(str(abs(q.numerator))) - len(str(q.denominator))  # 10^e is within a factor 10 of |q|
    while abs(q) >= Fraction(10) ** (e + 1):
        e += 1
    while abs(q) < Fraction(10) ** e:
        e -= 1
    plain = -4 <= e < 6
    shift = max(0, 2 - e) if plain else 2 - e
    m = q * Fraction(10) ** shift
    n = math.floor(m) if toward == "down" else math.ceil(m)
    sign, digits = "-" if n < 0 else "", str(abs(n))
    if plain:
        whole, frac = (digits[:-shift] or "0", digits[-shift:].rjust(shift, "0")) if shift else (digits, "")
        return f"≈{sign}{whole}{'.' + frac if frac else ''}"
    if len(digits) == 4:  # rounding reached the next power of ten
        digits, e = digits[:3], e + 1
    return f"≈{sign}{digits[0]}.{digits[1:]}e{e}"


def version() -> str:
    try:
        from importlib.metadata import version

        return version("pscert")
    except Exception:  # not installed (running from a checkout)
        return "0.1.0"
