"""The evidence methods: one function per method, registered in :data:`METHODS`.

Each method receives the parsed top level (:class:`Context`), re-checks its lemmas in order and raises
:class:`CertificateInvalid` at the first failure; on success it returns a short summary for the
``VALID:`` line. Adding a method is adding one function with ``@method("name")`` and listing it in
:data:`CLAIMS`.
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm
from operator import mul
from typing import Any, Callable, NamedTuple

from .exceptions import CertificateInvalid
from .network import (Bounds, Pattern, Problem, bounds, curve_loss, derivatives, dominated_on, forward, germ_sign,
                      null_sample, poly_add)
from .reading import brief, expect_list, expect_object, fail, join, parse_rational_strict, read_pattern, read_poly


class Context(NamedTuple):
    """The checked top level of a certificate."""

    claim: str
    problem: Problem
    center: list[Fraction]
    radius: Fraction
    mu: Fraction | None
    evidence: dict[str, Any]
    max_digits: int
    top: dict[str, Any]


class Claim(NamedTuple):
    """A claim kind: the status it must carry, whether it is a minimum claim, its evidence methods."""

    status: str
    minimum: bool
    methods: tuple[str, ...]


# SPEC §3. not_isolated is implied by not_a_local_minimum ("or the above"), so it accepts its evidence too.
CLAIMS = {
    "isolated_local_minimum": Claim("CERTIFIED", True, ("interior_ball", "boundary_ball", "kink_ball",
                                                        "collapsed_layer")),
    "piecewise_strong_convexity": Claim("CERTIFIED", True, ("lemma_a_norm_box",)),
    "not_a_local_minimum": Claim("REFUTED", False, ("negative_curvature", "curve")),
    "not_isolated": Claim("REFUTED", False, ("curve", "negative_curvature")),
}

METHODS: dict[str, Callable[[Context], str]] = {}


def method(name: str) -> Callable[[Callable[[Context], str]], Callable[[Context], str]]:
    """Register an evidence method."""

    def register(check: Callable[[Context], str]) -> Callable[[Context], str]:
        METHODS[name] = check
        return check

    return register


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


def _positive_radius(ctx: Context, name: str) -> None:
    if ctx.radius <= 0:
        raise CertificateInvalid("radius", f"must be positive for {name} (got {ctx.radius})")


def _region(ctx: Context, delta_text: Any) -> tuple[list[list[tuple[int, ...]]], Fraction, Bounds]:
    """Lemma 1 and the δ bound: the pattern is the centre's, every unit keeps its sign on the ball, and
    ``δ ≥ P^{3/2}·K·ρ ≥ sup_ball ‖∇²L_P − ∇²L_P(c)‖₂``. Returns the pattern, ``δ`` and the bounds."""
    problem, ev = ctx.problem, ctx.evidence
    pattern = read_pattern(ev["pattern"], problem, "evidence.pattern")
    delta = parse_rational_strict(delta_text, "evidence.delta", ctx.max_digits)
    bd = bounds(problem, ctx.center, ctx.radius)
    if problem.activation == "relu":
        run = forward(problem, ctx.center, pattern)
        rho2 = ctx.radius * ctx.radius
        for k in range(1, problem.depth + 1):
            need = bd.F1[k] ** 2 * bd.prefix[k] * rho2
            scale2 = run.s[k] ** 2
            for j, sample in enumerate(run.pre):
                for i, z in enumerate(sample[k - 1]):
                    where = f"evidence.pattern[{j}][{k - 1}] unit {i}"
                    active = pattern[j][k - 1][i]
                    if null_sample(problem, j) and not active:
                        continue  # z ≡ 0 in θ: no boundary, and D = 0 is exact there
                    if (z > 0) != bool(active) or z == 0:
                        want = "positive (pattern '1')" if active else "negative (pattern '0')"
                        raise CertificateInvalid("pattern", f"{where}: pre-activation at the centre is "
                                                 f"{show(Fraction(z, run.s[k]))}, must be {want}")
                    if Fraction(z * z, scale2) <= need:
                        raise CertificateInvalid("sign stability", f"{where}: z² = {show(Fraction(z * z, scale2))} "
                                                 f"must exceed F1({k})²·P_{k}·ρ² = {show(need)}")
    if delta < 0 or delta * delta < bd.delta_squared:
        raise CertificateInvalid("hessian bound", f"delta must be ≥ 0 with delta² ≥ P³K²ρ² = "
                                 f"{show(bd.delta_squared)} (got delta {show(delta)})")
    return pattern, delta, bd


def _shifted_hessian(ctx: Context, pattern: Pattern, shift: Fraction) -> tuple[list[list[int]], int, list[Fraction]]:
    """``(A_num, S, grad)`` with ``∇²L_P(c) − shift·I = A_num / S`` (``S > 0``) and the exact gradient."""
    d = derivatives(ctx.problem, ctx.center, forward(ctx.problem, ctx.center, pattern))
    S = lcm(d.hess_den, shift.denominator)
    up, sub = S // d.hess_den, shift.numerator * (S // shift.denominator)
    A = [[v * up for v in row] for row in d.hess_num]
    for i in range(len(A)):
        A[i][i] -= sub
    return A, S, d.grad


def _ldl(A: list[list[int]], S: int, where: str = "") -> None:
    """All LDLᵀ pivots of ``A/S`` positive; fraction-free (Bareiss) on the lower triangle; A is mutated."""
    n, prev = len(A), 1
    for k in range(n):
        pivot = A[k][k]
        if pivot <= 0:
            raise CertificateInvalid("hessian bound", f"{where}pivot {k + 1} of {n} of ∇²L_P(c) − (mu+delta)·I is "
                                     f"{show(Fraction(pivot, prev * S))}, must be positive")
        column = [A[i][k] for i in range(k + 1, n)]
        for i in range(k + 1, n):
            row, aik = A[i], A[i][k]
            # Bareiss: the division by the previous pivot is exact.
            row[k + 1: i + 1] = [(pivot * x - aik * y) // prev for x, y in zip(row[k + 1: i + 1], column)]
        prev = pivot


def _congruence(A: list[list[int]], S: int, T_text: Any, max_digits: int, name: str = "evidence.pd.T") -> None:
    """``C = T·A·Tᵀ`` strictly diagonally dominant with ``T`` lower triangular, positive diagonal."""
    n = len(A)
    T: list[list[Fraction]] = []
    for i, row in enumerate(expect_list(T_text, name, n)):
        path = join(name, i)
        values = [parse_rational_strict(v, join(path, j), max_digits) for j, v in enumerate(expect_list(row, path, n))]
        if any(values[i + 1:]):
            j = next(j for j in range(i + 1, n) if values[j])
            fail(join(path, j), f"must be 0 above the diagonal (got \"{values[j]}\")")
        if values[i] <= 0:
            raise CertificateInvalid("hessian bound", f"{join(path, i)}: the diagonal of T must be positive "
                                     f"(got {values[i]})")
        T.append(values)
    # One common denominator for all of T: C is then scaled by a positive constant, which keeps dominance.
    den = lcm(*(v.denominator for row in T for v in row))
    Ti = [[v.numerator * (den // v.denominator) for v in row[: i + 1]] for i, row in enumerate(T)]
    TA = [[sum(map(mul, Ti[i], A[m])) for m in range(n)] for i in range(n)]
    C = [[sum(map(mul, TA[i], Ti[m])) for m in range(i + 1)] for i in range(n)]
    for i in range(n):
        off = sum(abs(C[i][m]) for m in range(i)) + sum(abs(C[m][i]) for m in range(i + 1, n))
        if C[i][i] <= off:
            scale = S * den * den
            where = "" if name == "evidence.pd.T" else f"{name}: "
            raise CertificateInvalid("hessian bound", f"{where}row {i} of C = T·(∇²L_P(c) − (mu+delta)·I)·Tᵀ is not "
                                     f"diagonally dominant: C[{i}][{i}] = {show(Fraction(C[i][i], scale))} must "
                                     f"exceed the sum of |C[{i}][j]|, j ≠ {i}, = {show(Fraction(off, scale))}")


def positive_definite(A: list[list[int]], S: int, pd: dict[str, Any], where: str, max_digits: int) -> None:
    """``A/S ≻ 0`` by the witness ``pd`` (``ldl``, or ``congruence`` with ``T``) at JSON path ``where``;
    ``A`` may be mutated."""
    prefix = "" if where == "evidence" else f"{where}: "
    if pd.get("method") == "ldl" and "T" not in pd:
        _ldl(A, S, prefix)
    elif pd.get("method") == "congruence" and "T" in pd:
        _congruence(A, S, pd["T"], max_digits, f"{where}.pd.T")
    else:
        fail(f"{where}.pd", "must be {\"method\": \"ldl\"} or {\"method\": \"congruence\", \"T\": [...]} "
             f"(got method {brief(pd.get('method'))}{' with T' if 'T' in pd else ''})")


@method("interior_ball")
def interior_ball(ctx: Context) -> str:
    """SPEC §4 interior case: sign stability, ``∇²L_P ⪰ μI`` on the ball, ``‖∇L_P(c)‖ < μρ``."""
    expect_object(ctx.evidence, "evidence", {"method", "pattern", "delta", "pd"}, {"method", "pattern", "delta", "pd"})
    _positive_radius(ctx, "interior_ball")
    if ctx.mu is None:  # unreachable: the top level requires mu for minimum claims
        raise CertificateInvalid("mu", "missing")
    pattern, delta, _ = _region(ctx, ctx.evidence["delta"])
    pd = expect_object(ctx.evidence["pd"], "evidence.pd", {"method", "T"}, {"method"})
    A, S, grad = _shifted_hessian(ctx, pattern, ctx.mu + delta)
    positive_definite(A, S, pd, "evidence", ctx.max_digits)
    g2, bound = sum(v * v for v in grad), (ctx.mu * ctx.radius) ** 2
    if g2 >= bound:
        raise CertificateInvalid("gradient bound", f"‖∇L_P(c)‖² = {show(g2)} must be less than "
                                 f"(mu·radius)² = {show(bound)}")
    return f"interior_ball, delta {show(delta)}, pd {pd['method']}, {ctx.problem.count} parameters"


@method("negative_curvature")
def negative_curvature(ctx: Context) -> str:
    """``dᵀ∇²L_P(c)d + δ‖d‖² < 0`` on a sign-stable ball: no local minimum in the open ball."""
    keys = {"method", "pattern", "delta", "direction"}
    expect_object(ctx.evidence, "evidence", keys, keys)
    _positive_radius(ctx, "negative_curvature")
    pattern, delta, _ = _region(ctx, ctx.evidence["delta"])
    d = [parse_rational_strict(v, join("evidence.direction", i), ctx.max_digits)
         for i, v in enumerate(expect_list(ctx.evidence["direction"], "evidence.direction", ctx.problem.count))]
    A, S, _ = _shifted_hessian(ctx, pattern, Fraction(0))
    dd, den = _common(d)
    curvature = Fraction(sum(x * sum(map(mul, row, dd)) for x, row in zip(dd, A)), S * den * den)
    norm2 = sum(v * v for v in d)
    if curvature + delta * norm2 >= 0:
        raise CertificateInvalid("curvature", f"dᵀ∇²L_P(c)d + delta·‖d‖² = {show(curvature + delta * norm2)} "
                                 "must be negative")
    return f"negative_curvature, delta {show(delta)}, dᵀHd {show(curvature)}"


def _common(values: list[Fraction]) -> tuple[list[int], int]:
    den = lcm(*(v.denominator for v in values))
    return [v.numerator * (den // v.denominator) for v in values], den


@method("curve")
def curve(ctx: Context) -> str:
    """An exact rational curve ``γ`` with ``γ(0) = c``: descent (``L(γ(t)) < L(c)`` on ``(0, t0]``) or
    constant (``L(γ(t)) = L(c)`` on ``[0, t0]``, ``γ`` not constant)."""
    keys = {"method", "kind", "numerators", "denominator", "t0"}
    ev = expect_object(ctx.evidence, "evidence", keys, keys)
    if ctx.radius != 0:
        raise CertificateInvalid("radius", f"must be 0 for a curve about the exact centre (got {ctx.radius})")
    kind = ev["kind"]
    allowed = ("descent", "constant") if ctx.claim == "not_isolated" else ("descent",)
    if kind not in allowed:
        raise CertificateInvalid("evidence", f"curve kind {brief(kind)} does not prove {ctx.claim} "
                                 f"(allowed: {', '.join(allowed)})")
    P, mx = ctx.problem.count, ctx.max_digits
    nums = [read_poly(p, join("evidence.numerators", i), mx)
            for i, p in enumerate(expect_list(ev["numerators"], "evidence.numerators", P))]
    q = read_poly(ev["denominator"], "evidence.denominator", mx)
    t0 = parse_rational_strict(ev["t0"], "evidence.t0", mx)
    if t0 <= 0:
        raise CertificateInvalid("curve", f"t0 must be positive (got {t0})")
    if q[0] <= 0 or not dominated_on(q, t0):
        raise CertificateInvalid("curve", "the denominator must be positive on [0, t0]: q(0) > 0 dominating "
                                 "Σ_{k≥1} |q_k|·t0^k")
    for i, (num, c) in enumerate(zip(nums, ctx.center)):
        if num[0] != c * q[0]:
            raise CertificateInvalid("curve", f"γ(0) must be the centre: parameter {i} is "
                                     f"{show(num[0] / q[0])} at t = 0 (centre {show(c)})")
    result = curve_loss(ctx.problem, ctx.center, nums, q)
    if ctx.problem.activation == "relu":
        for where, z in result.hidden:
            if not dominated_on(z, t0):
                raise CertificateInvalid("curve", f"{where}: the pre-activation's sign is not decided on (0, t0]: "
                                         "its lowest nonzero coefficient must dominate")
    Lam = result.Lambda
    if Lam and Lam[0]:
        raise CertificateInvalid("curve", f"Λ(0) must be 0 (got {show(Lam[0])})")
    if kind == "constant":
        if Lam:
            m = next(i for i, c in enumerate(Lam) if c)
            raise CertificateInvalid("curve", f"the loss is not constant along γ: coefficient {m} of "
                                     f"q^{2 * (ctx.problem.depth + 1)}·(L(γ(t)) − L(c)) is {show(Lam[m])}, must be 0")
        if all(not any(poly_add(num, [-c * x for x in q])) for num, c in zip(nums, ctx.center)):
            raise CertificateInvalid("curve", "γ must not be constant: some numerator must differ from "
                                     "centre·denominator")
        return f"constant curve, t0 {t0}"
    if not Lam or germ_sign(Lam) > 0:
        what = "≡ 0" if not Lam else "positive near 0"
        raise CertificateInvalid("curve", f"L(γ(t)) − L(c) must be negative on (0, t0] (it is {what})")
    if not dominated_on(Lam, t0):
        m = next(i for i, c in enumerate(Lam) if c)
        raise CertificateInvalid("curve", f"the leading term {show(Lam[m])}·t^{m} of q^{2 * (ctx.problem.depth + 1)}"
                                 f"·(L(γ(t)) − L(c)) must dominate the higher terms on (0, t0] (t0 = {t0})")
    m = next(i for i, c in enumerate(Lam) if c)
    return f"descent curve, t0 {t0}, leading term {show(Lam[m])}·t^{m}"
