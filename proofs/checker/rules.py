"""The evidence methods: each a short composition of :mod:`lemmas`, and the one table of them.

A rule receives the checked top level (:class:`Context`), reads its evidence strictly, verifies the
hypotheses of its lemmas in order and raises :class:`CertificateInvalid` at the first failure; on success
it returns a short summary for the ``VALID:`` line. What each rule proves is stated in the package
docstring. :data:`RULES` is the only list of methods; :data:`CLAIMS` and :data:`METHODS` derive from it.
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm
from typing import Any, Callable, NamedTuple

from . import lemmas
from .arith import Budget, Sparse, matrix_over_common, pseudo_inverse_columns, quadratic_form
from .exceptions import CertificateInvalid
from .network import (Pass, Pattern, Problem, bounds, curve_loss, derivatives, forward, germ_sign, normal, null_sample,
                      poly_add, twins)
from .reading import (brief, expect_list, expect_object, fail, join, parse_rational_strict,
                      read_pattern, read_poly, read_vector, show)


class Context(NamedTuple):
    """The checked top level of a certificate."""

    claim: str
    problem: Problem
    center: list[Fraction]
    radius: Fraction
    mu: Fraction          # 0 for refutations, which carry none
    evidence: dict[str, Any]
    max_digits: int
    top: dict[str, Any]
    budget: Budget

    def evidence_keys(self, keys: set[str]) -> dict[str, Any]:
        """The evidence object, with exactly these keys."""
        return expect_object(self.evidence, "evidence", keys, keys)

    def number(self, where: str) -> Fraction:
        return parse_rational_strict(self.evidence[where], f"evidence.{where}", self.max_digits)

    def positive_radius(self, name: str) -> None:
        if self.radius <= 0:
            raise CertificateInvalid("radius", f"must be positive for {name} (got {self.radius})")

    def shifted_hessian(self, pattern: Pattern, shift: Fraction, run: Pass | None = None
                        ) -> tuple[list[list[int]], int, list[Fraction]]:
        """``(A, S, ∇L_P(c))`` with ``∇²L_P(c) − shift·I = A/S``, ``S > 0`` (``run``: the forward pass at the
        centre with ``pattern``, when the caller has it)."""
        run = run or forward(self.problem, self.center, pattern, self.budget)
        d = derivatives(self.problem, self.center, run, self.budget)
        S = lcm(d.hess_den, shift.denominator)
        up, sub = S // d.hess_den, shift.numerator * (S // shift.denominator)
        A = d.hess_num   # a fresh matrix: scaled in place
        if up != 1:
            for row in A:
                row[:] = [v * up for v in row]
        for i in range(len(A)):
            A[i][i] -= sub
        return A, S, d.grad


def interior_ball(ctx: Context) -> str:
    """Sign stability, Hessian variation, positive definiteness of ``∇²L_P(c) − (μ+δ)I``, gradient bound."""
    ctx.evidence_keys({"method", "pattern", "delta", "pd"})
    ctx.positive_radius("interior_ball")
    pattern, delta, run = _stable_region(ctx)
    A, S, grad = ctx.shifted_hessian(pattern, ctx.mu + delta, run)
    lemmas.positive_definite(A, S, ctx.evidence["pd"], "evidence", ctx.max_digits, ctx.budget)
    lemmas.gradient_bound(grad, (ctx.mu * ctx.radius) ** 2, "‖∇L_P(c)‖²", "(mu·radius)²")
    return f"interior_ball, delta {show(delta)}, pd {ctx.evidence['pd']['method']}, {ctx.problem.count} parameters"


def negative_curvature(ctx: Context) -> str:
    """Sign stability, Hessian variation and ``dᵀ∇²L_P(c)d + δ‖d‖² < 0``: then ``dᵀ∇²L_P(θ)d < 0`` on
    ``B̄``, so no point of the open ball is a local minimum."""
    ctx.evidence_keys({"method", "pattern", "delta", "direction"})
    ctx.positive_radius("negative_curvature")
    pattern, delta, run = _stable_region(ctx)
    d = read_vector(ctx.evidence["direction"], "evidence.direction", ctx.problem.count, ctx.max_digits)
    A, S, _ = ctx.shifted_hessian(pattern, Fraction(0), run)
    curvature = quadratic_form(A, S, d)
    value = curvature + delta * sum(v * v for v in d)
    if value >= 0:
        raise CertificateInvalid("curvature", f"dᵀ∇²L_P(c)d + delta·‖d‖² = {show(value)} must be negative")
    return f"negative_curvature, delta {show(delta)}, dᵀHd {show(curvature)}"


def _stable_region(ctx: Context) -> tuple[Pattern, Fraction, Pass | None]:
    """The pattern, ``δ`` and the forward pass at the centre with the pattern (shared with the Hessian)."""
    pattern = read_pattern(ctx.evidence["pattern"], ctx.problem, "evidence.pattern")
    delta = ctx.number("delta")
    bd = bounds(ctx.problem, ctx.center, ctx.radius)
    run = lemmas.sign_stability(ctx.problem, ctx.center, ctx.radius, pattern, bd, ctx.budget)
    lemmas.hessian_variation(bd, delta)
    return pattern, delta, run


def curve(ctx: Context) -> str:
    """An exact rational curve ``γ = N/q`` through ``c`` along which every hidden sign is decided and the
    loss change ``Λ`` is negative (descent) or identically 0 with ``γ`` not constant (constant)."""
    ev = ctx.evidence_keys({"method", "kind", "numerators", "denominator", "t0"})
    if ctx.radius != 0:
        raise CertificateInvalid("radius", f"must be 0 for a curve about the exact centre (got {ctx.radius})")
    kind, problem = ev["kind"], ctx.problem
    allowed = ("descent", "constant") if ctx.claim == "not_isolated" else ("descent",)
    if kind not in allowed:
        raise CertificateInvalid("evidence", f"curve kind {brief(kind)} does not prove {ctx.claim} "
                                 f"(allowed: {', '.join(allowed)})")
    nums = [read_poly(p, join("evidence.numerators", i), ctx.max_digits)
            for i, p in enumerate(expect_list(ev["numerators"], "evidence.numerators", problem.count))]
    q = read_poly(ev["denominator"], "evidence.denominator", ctx.max_digits)
    t0 = ctx.number("t0")
    if t0 <= 0:
        raise CertificateInvalid("curve", f"t0 must be positive (got {t0})")
    if q[0] <= 0 or not lemmas.dominates(q, t0):
        raise CertificateInvalid("curve", "the denominator must be positive on [0, t0]: q(0) > 0 dominating "
                                 "Σ_{k≥1} |q_k|·t0^k")
    for i, (num, c) in enumerate(zip(nums, ctx.center)):
        if num[0] != c * q[0]:
            raise CertificateInvalid("curve", f"γ(0) must be the centre: parameter {i} is "
                                     f"{show(num[0] / q[0])} at t = 0 (centre {show(c)})")
    # Λ has degree ≤ 2(H+1)·deg with coefficients of about 2(H+1) times the input's bits; each sample costs
    # ≤ P products of such polynomials (schoolbook).
    layers = 2 * (problem.depth + 1)
    degree = layers * (max(len(p) for p in nums + [q]) - 1) + 1
    size = max(c.numerator.bit_length() + c.denominator.bit_length() for p in nums + [q, ctx.center] for c in p)
    ctx.budget.charge(len(problem.inputs) * problem.count * degree * degree, layers * size, "the loss along the curve")
    result = curve_loss(problem, ctx.center, nums, q)
    for where, z in result.hidden if problem.activation == "relu" else []:
        if not lemmas.dominates(z, t0):
            raise CertificateInvalid("curve", f"{where}: the pre-activation's sign is not decided on (0, t0]: "
                                     "its lowest nonzero coefficient must dominate")
    Lam, power = result.Lambda, f"q^{2 * (problem.depth + 1)}·(L(γ(t)) − L(c))"
    if Lam and Lam[0]:
        raise CertificateInvalid("curve", f"Λ(0) must be 0 (got {show(Lam[0])})")
    m = next((i for i, c in enumerate(Lam) if c), 0)
    if kind == "constant":
        if Lam:
            raise CertificateInvalid("curve", f"the loss is not constant along γ: coefficient {m} of {power} is "
                                     f"{show(Lam[m])}, must be 0")
        if all(not any(poly_add(num, [-c * x for x in q])) for num, c in zip(nums, ctx.center)):
            raise CertificateInvalid("curve", "γ must not be constant: some numerator must differ from "
                                     "centre·denominator")
        return f"constant curve, t0 {t0}"
    if not Lam or germ_sign(Lam) > 0:
        raise CertificateInvalid("curve", "L(γ(t)) − L(c) must be negative on (0, t0] "
                                 f"(it is {'≡ 0' if not Lam else 'positive near 0'})")
    if not lemmas.dominates(Lam, t0):
        raise CertificateInvalid("curve", f"the leading term {show(Lam[m])}·t^{m} of {power} must dominate the "
                                 f"higher terms on (0, t0] (t0 = {t0})")
    return f"descent curve, t0 {t0}, leading term {show(Lam[m])}·t^{m}"


def _kinks(ctx: Context, name: str, extra: set[str]) -> tuple[Pattern, Fraction, list[tuple[int, int]], list[Sparse]]:
    """What both kink rules share: evidence keys, ``ρ > 0``, a ReLU network, the pattern, the constraints
    (exactly the vanishing first-layer pre-activations, the rest sign-stable), ``δ`` and the normals.

    A sample with the same input as a constraint's sample (a *twin*, :func:`.network.twins`) vanishes with
    it for every ``θ``: it is accepted at ``z = 0`` unlisted, and every piece gives it the constraint's sign
    (:func:`_piece`), so ``L = L_P`` on each closed piece as before. Listing it too would repeat a normal."""
    ctx.evidence_keys({"method", "pattern", "constraints", "delta"} | extra)
    ctx.positive_radius(name)
    problem = ctx.problem
    if problem.activation != "relu" or problem.depth < 1:
        raise CertificateInvalid("evidence", f"{name} needs a ReLU network with a hidden layer")
    pattern = read_pattern(ctx.evidence["pattern"], problem, "evidence.pattern")
    delta = ctx.number("delta")
    cons: list[tuple[int, int]] = []
    items = expect_list(ctx.evidence["constraints"], "evidence.constraints")
    if not items:
        fail("evidence.constraints", "must list at least one constraint (got none)")
    for m, item in enumerate(items):
        path = join("evidence.constraints", m)
        j, i = expect_list(item, path, 2)
        inside = all(type(v) is int for v in (j, i)) and 0 <= j < len(problem.inputs) and 0 <= i < problem.widths[1]
        if not inside:
            fail(path, f"must be [sample, first-layer unit] within the problem (got {item})")
        if null_sample(problem, j):  # a_m = 0: Gordan would "exclude" every cell; never a kink
            raise CertificateInvalid("regions", f"{path}: x̃_{j} = 0, so z ≡ 0 there: not a kink")
        if (j, i) in cons:
            fail(path, f"repeats constraint {[j, i]}")
        cons.append((j, i))
    if name in ("kink_ball", "rotation_kink_orbit") and len(cons) > 16:
        fail("evidence.constraints", f"{name} lists every sign combination: at most 16 constraints "
             f"(got {len(cons)})")
    bd = bounds(problem, ctx.center, ctx.radius)
    # a twin (a sample with the same input as a constraint's) vanishes with it: the same hyperplane
    same = twins(problem, cons)
    lemmas.sign_stability(problem, ctx.center, ctx.radius, pattern, bd, ctx.budget, cons + list(same))
    for j, i in cons + list(same):
        if pattern[j][0][i]:
            raise CertificateInvalid("pattern", f"constraint {[j, i]}: the pattern entry must be '0' (σ(0) = 0)")
    lemmas.hessian_variation(bd, delta)
    return pattern, delta, cons, [normal(problem, j, i) for j, i in cons]


def _piece(problem: Problem, pattern: Pattern, cons: list[tuple[int, int]], signs: str) -> Pattern:
    """The pattern of the closed piece with kink signs ``signs``: each constraint and its twins (same input,
    :func:`.network.twins`) take the constraint's sign, which on that piece is theirs too."""
    piece = [[list(layer) for layer in sample] for sample in pattern]
    for (j, i), s in zip(cons, signs):
        piece[j][0][i] = int(s == "1")
    for (k, i), m in twins(problem, cons).items():
        piece[k][0][i] = int(signs[m] == "1")
    return piece


def _signs(entry: dict[str, Any], where: str, n: int, seen: set[str]) -> str:
    signs = entry["signs"]
    if not isinstance(signs, str) or len(signs) != n or set(signs) - {"0", "1"} or signs in seen:
        fail(f"{where}.signs", f"must be a new string of {n} characters 0 or 1 (got {signs!r})")
    seen.add(signs)
    return signs


def boundary_ball(ctx: Context) -> str:
    """Every region meeting the ball listed or excluded by Gordan; each piece ``μ``-strongly convex on the
    ball (positive definiteness + Hessian variation) with multipliers ``ν ≥ 0``, ``‖e‖ < μρ/2``."""
    pattern, delta, cons, normals = _kinks(ctx, "boundary_ball", {"pieces", "empty"})
    empty = lemmas.gordan_empty(ctx.evidence["empty"], normals, ctx.max_digits, ctx.budget)
    keys, seen, pieces = {"signs", "pd", "multipliers"}, set[str](), []
    for k, item in enumerate(expect_list(ctx.evidence["pieces"], "evidence.pieces")):
        where = join("evidence.pieces", k)
        pieces.append((where, _signs(expect_object(item, where, keys, keys), where, len(cons), seen), item))
    if not pieces:  # with nonzero normals some cell always meets the ball; a safety net
        raise CertificateInvalid("regions", "evidence.pieces must list at least one region (got none)")
    lemmas.regions_covered(seen, empty, len(cons), ctx.budget)
    for where, signs, entry in pieces:
        A, S, grad = ctx.shifted_hessian(_piece(ctx.problem, pattern, cons, signs), ctx.mu + delta)
        lemmas.positive_definite(A, S, entry["pd"], where, ctx.max_digits, ctx.budget)
        nu = read_vector(entry["multipliers"], f"{where}.multipliers", len(cons), ctx.max_digits)
        for m, v in enumerate(nu):
            if v < 0:
                raise CertificateInvalid("gradient bound", f"{where}.multipliers[{m}] must be ≥ 0 (got {show(v)})")
        lemmas.gradient_bound(lemmas.kkt_residual(grad, nu, signs, normals), (ctx.mu * ctx.radius) ** 2 / 4,
                              f"{where}: ‖∇L_P(c) − Σ ν_m s_m a_m‖²", "(mu·radius/2)²")
    return (f"boundary_ball, {len(cons)} kink constraint(s), {len(pieces)} region(s), {len(empty)} excluded, "
            f"delta {show(delta)}")


def kink_ball(ctx: Context) -> str:
    """Independent, strictly complementary kinks: all ``2^|Z|`` pieces listed; per piece the least-squares
    multipliers exceed their drift ``r_m(h+δ)ρ``, ``τ²‖A‖_F²ρ² ≤ κ²`` and ``∇²L_P(c) + τAᵀA − (μ+δ)I ≻ 0``."""
    pattern, delta, cons, normals = _kinks(ctx, "kink_ball", {"pieces", "row_norms"})
    count, _ = kink_pieces(ctx, pattern, delta, cons, normals)
    return f"kink_ball, {len(cons)} independent kink constraint(s), {count} region(s), delta {show(delta)}"


def kink_pieces(ctx: Context, pattern: Pattern, delta: Fraction, cons: list[tuple[int, int]], normals: list[Sparse],
                extra: list[list[Fraction]] | None = None) -> tuple[int, Fraction]:
    """The piece checks of ``kink_ball`` (``row_norms`` and every one of the ``2^|Z|`` ``pieces``), with an
    optional symmetric ``extra`` term added to every piece's matrix ``∇²L_P(c) + τAᵀA − (μ+δ)I``
    (``rotation_kink_orbit``'s ``κTTᵀ − μI``); returns the number of pieces and the least margin
    ``min_s κ_s = min_{s,m} (ν_{s,m} − Δ_{s,m})``."""
    mx, rho, P = ctx.max_digits, ctx.radius, ctx.problem.count
    pinv = pseudo_inverse_columns(normals, P)
    r = read_vector(ctx.evidence["row_norms"], "evidence.row_norms", len(cons), mx)
    for m, (rm, col) in enumerate(zip(r, pinv)):
        if rm < 0 or rm * rm < sum(v * v for v in col):
            raise CertificateInvalid("gradient bound", f"evidence.row_norms[{m}] must bound ‖A⁺e_{m}‖ "
                                     f"(its square is {show(sum(v * v for v in col))}, got {show(rm)})")
    a_frob2 = sum((v * v for a in normals for v in a.values()), Fraction(0))
    gram = [[Fraction(0)] * P for _ in range(P)]
    for a in normals:
        for p, u in a.items():
            for q, v in a.items():
                gram[p][q] += u * v
    keys, seen, margins = {"signs", "pd", "multipliers", "tau", "hessian_norm"}, set[str](), []
    for k, item in enumerate(expect_list(ctx.evidence["pieces"], "evidence.pieces")):
        where = join("evidence.pieces", k)
        entry = expect_object(item, where, keys, keys)
        signs = _signs(entry, where, len(cons), seen)
        Hn, S, grad = ctx.shifted_hessian(_piece(ctx.problem, pattern, cons, signs), Fraction(0))
        h = parse_rational_strict(entry["hessian_norm"], f"{where}.hessian_norm", mx)
        if h < 0 or h * h * S * S < sum(v * v for row in Hn for v in row):
            raise CertificateInvalid("hessian bound", f"{where}.hessian_norm must bound ‖∇²L_P(c)‖_F (got {show(h)})")
        nu = read_vector(entry["multipliers"], f"{where}.multipliers", len(cons), mx)
        e = lemmas.kkt_residual(grad, nu, signs, normals)
        for m, a in enumerate(normals):
            if sum(e[p] * v for p, v in a.items()):
                raise CertificateInvalid("gradient bound", f"{where}.multipliers must be the least-squares ones: "
                                         f"a_{m}·(∇L_P(c) − Σ ν s a) must be 0")
        drift = [rm * (h + delta) * rho for rm in r]
        for m, (v, dm) in enumerate(zip(nu, drift)):
            if v <= dm:
                raise CertificateInvalid("gradient bound", f"{where}.multipliers[{m}] = {show(v)} must exceed its "
                                         f"drift bound r_m·(h + δ)·ρ = {show(dm)} over the ball")
        kappa = min(v - dm for v, dm in zip(nu, drift))
        margins.append(kappa)
        tau = parse_rational_strict(entry["tau"], f"{where}.tau", mx)
        if tau < 0 or tau * tau * a_frob2 * rho * rho > kappa * kappa:
            raise CertificateInvalid("hessian bound", f"{where}.tau must satisfy 0 ≤ τ and τ²‖A‖_F²ρ² ≤ κ² with "
                                     f"κ = {show(kappa)} (got {show(tau)})")
        shift = ctx.mu + delta
        M = [[Fraction(Hn[p][q], S) + tau * gram[p][q] - (shift if p == q else 0) for q in range(P)] for p in range(P)]
        if extra is not None:
            M = [[v + w for v, w in zip(row, xrow)] for row, xrow in zip(M, extra)]
        lemmas.positive_definite(*matrix_over_common(M), entry["pd"], where, mx, ctx.budget)
        lemmas.gradient_bound(e, (ctx.mu * rho) ** 2 / 4, f"{where}: ‖∇L_P(c) − Σ ν_m s_m a_m‖²", "(mu·radius/2)²")
    if len(seen) != 2 ** len(cons):
        missing = next(s for s in (format(v, f"0{len(cons)}b") for v in range(2 ** len(cons))) if s not in seen)
        raise CertificateInvalid("regions", f"the region with kink signs {missing} is not listed (independent "
                                 "constraints: every sign combination meets the ball)")
    return len(seen), min(margins)


class Claim(NamedTuple):
    """A claim kind: the status it must carry, whether it is a minimum claim, its evidence methods."""

    status: str
    minimum: bool
    methods: tuple[str, ...]


class Rule(NamedTuple):
    check: Callable[[Context], str]
    claims: tuple[str, ...]


def local_minimum_rules() -> dict[str, Callable[[Context], str]]:
    """The methods that prove ``isolated_local_minimum`` (other rules re-check them on a reduced network)."""
    return {m: rule.check for m, rule in RULES.items() if "isolated_local_minimum" in rule.claims}


def _table() -> dict[str, Rule]:
    from .collapse import collapsed_layer, collapsed_network
    from .curved import curved_kink_ball
    from .deadend import check_dead_unit_end
    from .duality import check_global_minimum, check_not_global_minimum
    from .orbit import check_split_orbit
    from .rotation import rotation_kink_orbit, rotation_orbit
    from .threshold import lemma_a_norm_box

    minimum, refuted = ("isolated_local_minimum",), ("not_a_local_minimum", "not_isolated")
    return {"interior_ball": Rule(interior_ball, minimum), "boundary_ball": Rule(boundary_ball, minimum),
            "kink_ball": Rule(kink_ball, minimum), "curved_kink_ball": Rule(curved_kink_ball, minimum),
            "collapsed_layer": Rule(collapsed_layer, minimum),
            "collapsed_network": Rule(collapsed_network, minimum),
            "lemma_a_norm_box": Rule(lemma_a_norm_box, ("piecewise_strong_convexity",)),
            "negative_curvature": Rule(negative_curvature, refuted), "curve": Rule(curve, refuted),
            "dual_cones": Rule(check_global_minimum, ("global_minimum",)),
            "wider_network": Rule(check_not_global_minimum, ("not_global_minimum",)),
            "split_orbit": Rule(check_split_orbit, ("nonisolated_local_minimum",)),
            "rotation_orbit": Rule(rotation_orbit, ("nonisolated_local_minimum",)),
            "rotation_kink_orbit": Rule(rotation_kink_orbit, ("nonisolated_local_minimum",)),
            "dead_unit_end": Rule(check_dead_unit_end, ("nonisolated_local_minimum",))}


RULES = _table()
"""THE table: evidence method → (check, the claim kinds it proves). ``not_isolated`` accepts the evidence
of ``not_a_local_minimum`` (a point that is no local minimum is no isolated one)."""

_KINDS = {"isolated_local_minimum": ("CERTIFIED", True), "piecewise_strong_convexity": ("CERTIFIED", True),
          "not_a_local_minimum": ("REFUTED", False), "not_isolated": ("REFUTED", False),
          "global_minimum": ("CERTIFIED", True), "not_global_minimum": ("REFUTED", False),
          "nonisolated_local_minimum": ("CERTIFIED", True)}
CLAIMS = {kind: Claim(status, minimum, tuple(m for m, rule in RULES.items() if kind in rule.claims))
          for kind, (status, minimum) in _KINDS.items()}
METHODS: dict[str, Callable[[Context], str]] = {m: rule.check for m, rule in RULES.items()}
