"""The ``boundary_ball`` evidence: an isolated local minimum on first-layer region boundaries (kinks).

Notation: ``Z`` is the evidence's list of first-layer constraints ``(j, i)``; ``a_m`` is the vector with
``z_{1,i}(x_j) = a_m·θ`` (``x̃_j`` in unit ``i``'s incoming coordinates). A sign string ``s`` gives
``s'_m = +1`` for ``'1'`` and ``−1`` for ``'0'``, and the piece ``P_s``: the evidence pattern with the
``Z`` entries set by ``s``. What acceptance proves is stated in the package docstring.
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm
from typing import Any

from .claims import Context, _positive_radius, _shifted_hessian, method, positive_definite, show
from .exceptions import CertificateInvalid
from .network import Pattern, Problem, bounds, forward, null_sample
from .reading import expect_list, expect_object, fail, join, parse_rational_strict, read_pattern

Sparse = dict[int, Fraction]


@method("boundary_ball")
def boundary_ball(ctx: Context) -> str:
    """SPEC §4 boundary case: every region meeting the ball listed (or excluded by Gordan), each
    ``μ``-strongly convex on the ball with ``∇L_P(c) = Σ ν_m s'_m a_m + e``, ``ν ≥ 0``, ``‖e‖ < μρ/2``."""
    ev, pattern, delta, cons, normals = _kinks(ctx, "boundary_ball", {"pieces", "empty"})
    rho, mx, mu = ctx.radius, ctx.max_digits, ctx.mu or Fraction(0)  # _kinks rejected a missing mu
    empty = _empty_entries(ev["empty"], normals, mx)
    pieces = _piece_entries(ev["pieces"], len(cons))
    if not pieces:  # with nonzero normals some cell always meets the ball; a safety net
        raise CertificateInvalid("regions", "evidence.pieces must list at least one region (got none)")
    _complete(pieces, empty, len(cons))

    bound = (mu * rho) ** 2 / 4
    for k, (signs, pd, nu_text) in enumerate(pieces):
        where = join("evidence.pieces", k)
        piece = [[list(layer) for layer in sample] for sample in pattern]
        for (j, i), s in zip(cons, signs):
            piece[j][0][i] = int(s == "1")
        A, S, grad = _shifted_hessian(ctx, piece, mu + delta)
        positive_definite(A, S, pd, where, mx)
        nu = [parse_rational_strict(v, join(f"{where}.multipliers", m), mx)
              for m, v in enumerate(expect_list(nu_text, f"{where}.multipliers", len(cons)))]
        e = list(grad)
        for m, (v, s) in enumerate(zip(nu, signs)):
            if v < 0:
                raise CertificateInvalid("gradient bound", f"{where}.multipliers[{m}] must be ≥ 0 (got {show(v)})")
            sign = 1 if s == "1" else -1
            for p, a in normals[m].items():
                e[p] -= sign * v * a
        e2 = sum(x * x for x in e)
        if e2 >= bound:
            raise CertificateInvalid("gradient bound", f"{where}: ‖∇L_P(c) − Σ ν_m s_m a_m‖² = {show(e2)} must be "
                                     f"less than (mu·radius/2)² = {show(bound)}")
    return (f"boundary_ball, {len(cons)} kink constraint(s), {len(pieces)} region(s), {len(empty)} excluded, "
            f"delta {show(delta)}")


def _kinks(ctx: Context, name: str, extra: set[str], max_constraints: int | None = None
           ) -> tuple[dict[str, Any], Pattern, Fraction, list[tuple[int, int]], list[Sparse]]:
    """The part both kink methods share: the evidence keys, a positive radius and ``μ``, a ReLU network,
    the pattern, ``δ`` (valid: ``δ² ≥ P³K²ρ²``), the constraints (exactly the kinks at ``c``, every other
    pre-activation sign-stable on the ball) and their normals ``a_m``."""
    keys = {"method", "pattern", "constraints", "delta"} | extra
    ev = expect_object(ctx.evidence, "evidence", keys, keys)
    _positive_radius(ctx, name)
    problem, c, rho, mx = ctx.problem, ctx.center, ctx.radius, ctx.max_digits
    if ctx.mu is None:  # unreachable: the top level requires mu for minimum claims
        raise CertificateInvalid("mu", "missing")
    if problem.activation != "relu" or problem.depth < 1:
        raise CertificateInvalid("evidence", f"{name} needs a ReLU network with a hidden layer")
    pattern = read_pattern(ev["pattern"], problem, "evidence.pattern")
    delta = parse_rational_strict(ev["delta"], "evidence.delta", mx)
    cons = _constraints(ev["constraints"], problem)
    if max_constraints is not None and len(cons) > max_constraints:
        fail("evidence.constraints", f"{name} lists every sign combination: at most {max_constraints} constraints "
             f"(got {len(cons)})")
    _centre_on_kinks(problem, c, rho, pattern, cons)
    bd = bounds(problem, c, rho)
    if delta < 0 or delta * delta < bd.delta_squared:
        raise CertificateInvalid("hessian bound", f"delta must be ≥ 0 with delta² ≥ P³K²ρ² = "
                                 f"{show(bd.delta_squared)} (got delta {show(delta)})")
    return ev, pattern, delta, cons, [normal(problem, j, i) for j, i in cons]


def _constraints(obj: Any, problem: Problem) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    items = expect_list(obj, "evidence.constraints")
    if not items:
        fail("evidence.constraints", "must list at least one constraint (got none)")
    for m, item in enumerate(items):
        path = join("evidence.constraints", m)
        j, i = expect_list(item, path, 2)
        ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (j, i))
        if not ok or not 0 <= j < len(problem.inputs) or not 0 <= i < problem.widths[1]:
            fail(path, f"must be [sample, first-layer unit] within the problem (got {item})")
        if null_sample(problem, j):
            # a_m = 0: every strict-sign cell is empty, so Gordan "excludes" everything; never a kink
            raise CertificateInvalid("regions", f"{path}: x̃_{j} = 0, so z ≡ 0 there: not a kink")
        if (j, i) in out:
            fail(path, f"repeats constraint {[j, i]}")
        out.append((j, i))
    return out


def _centre_on_kinks(problem: Problem, c: list[Fraction], rho: Fraction, pattern: Any,
                     cons: list[tuple[int, int]]) -> None:
    """The listed first-layer pre-activations vanish at ``c``; every other one has the pattern's strict
    sign and keeps it on the ball (first layer: ``z² > ρ²‖x̃‖²``; deeper: the interior rule)."""
    run = forward(problem, c, None)
    bd = bounds(problem, c, rho)
    listed = set(cons)
    rho2 = rho * rho
    for j, sample in enumerate(run.pre):
        xt2 = sum(v * v for v in problem.inputs[j]) + (1 if problem.biases else 0)
        for k in range(1, problem.depth + 1):
            scale2 = run.s[k] ** 2
            for i, z in enumerate(sample[k - 1]):
                where = f"evidence.pattern[{j}][{k - 1}] unit {i}"
                if null_sample(problem, j) and not pattern[j][k - 1][i]:
                    continue  # z ≡ 0 in θ: no boundary, and D = 0 is exact there
                if k == 1 and (j, i) in listed:
                    if z != 0:
                        raise CertificateInvalid("pattern", f"constraint {[j, i]}: z at the centre must be 0 "
                                                 f"(got {show(Fraction(z, run.s[1]))})")
                    continue
                if z == 0:
                    raise CertificateInvalid("pattern", f"{where}: pre-activation is 0 at the centre but not a "
                                             "listed first-layer constraint")
                if (z > 0) != bool(pattern[j][k - 1][i]):
                    raise CertificateInvalid("pattern", f"{where}: the sign at the centre is not the pattern's")
                need = rho2 * xt2 if k == 1 else bd.F1[k] ** 2 * bd.prefix[k] * rho2
                if Fraction(z * z, scale2) <= need:
                    raise CertificateInvalid("sign stability", f"{where}: z² = {show(Fraction(z * z, scale2))} "
                                             f"must exceed {show(need)}")
    for j, i in cons:
        if pattern[j][0][i]:
            raise CertificateInvalid("pattern", f"constraint {[j, i]}: the pattern entry must be '0' (σ(0) = 0)")


def normal(problem: Problem, j: int, i: int) -> Sparse:
    """``a`` with ``z_{1,i}(x_j) = a·θ``, as a sparse vector."""
    n0 = problem.widths[0]
    a = {problem.index(1, i, b): x for b, x in enumerate(problem.inputs[j]) if x}
    if problem.biases:
        a[problem.index(1, i, n0)] = Fraction(1)
    return a


def _empty_entries(obj: Any, normals: list[Sparse], mx: int) -> list[str]:
    """Each entry's Gordan vector: ``y ≥ 0``, ``y ≠ 0``, zero on ``*``, ``Σ y_m s'_m a_m = 0``."""
    out = []
    for k, item in enumerate(expect_list(obj, "evidence.empty")):
        where = join("evidence.empty", k)
        entry = expect_object(item, where, {"signs", "gordan"}, {"signs", "gordan"})
        signs = entry["signs"]
        if not isinstance(signs, str) or len(signs) != len(normals) or set(signs) - {"0", "1", "*"}:
            fail(f"{where}.signs", f"must be {len(normals)} characters 0, 1 or * (got {signs!r})")
        y = [parse_rational_strict(v, join(f"{where}.gordan", m), mx)
             for m, v in enumerate(expect_list(entry["gordan"], f"{where}.gordan", len(normals)))]
        total: Sparse = {}
        for m, (v, s) in enumerate(zip(y, signs)):
            if v < 0 or (s == "*" and v != 0):
                raise CertificateInvalid("regions", f"{where}.gordan[{m}] must be ≥ 0, and 0 where signs has '*' "
                                         f"(got {show(v)})")
            for p, a in normals[m].items():
                total[p] = total.get(p, Fraction(0)) + (v if s == "1" else -v) * a
        if not any(y):
            raise CertificateInvalid("regions", f"{where}.gordan must not be all zero")
        if any(total.values()):
            raise CertificateInvalid("regions", f"{where}: Σ y_m s_m a_m must be 0 (Gordan), it is not")
        out.append(signs)
    return out


def _piece_entries(obj: Any, n: int) -> list[tuple[str, dict[str, Any], Any]]:
    out = []
    for k, item in enumerate(expect_list(obj, "evidence.pieces")):
        where = join("evidence.pieces", k)
        entry = expect_object(item, where, {"signs", "pd", "multipliers"}, {"signs", "pd", "multipliers"})
        signs = entry["signs"]
        if not isinstance(signs, str) or len(signs) != n or set(signs) - {"0", "1"}:
            fail(f"{where}.signs", f"must be {n} characters 0 or 1 (got {signs!r})")
        pd = expect_object(entry["pd"], f"{where}.pd", {"method", "T"}, {"method"})
        out.append((signs, pd, entry["multipliers"]))
    if len({s for s, _, _ in out}) != len(out):
        fail("evidence.pieces", "sign strings must be distinct")
    return out


def _complete(pieces: list[tuple[str, Any, Any]], empty: list[str], n: int) -> None:
    """Every sign string lies in a listed piece or under an empty entry (depth-first case split)."""
    listed = {s for s, _, _ in pieces}
    reached: set[str] = set()

    def closed(prefix: str) -> bool:
        L = len(prefix)
        return any(all(e[k] in (prefix[k], "*") for k in range(L)) and set(e[L:]) <= {"*"} for e in empty)

    stack = [""]
    while stack:
        prefix = stack.pop()
        if prefix and closed(prefix):
            continue
        if len(prefix) == n:
            if prefix not in listed:
                raise CertificateInvalid("regions", f"the region with kink signs {prefix} is neither listed among "
                                         "the pieces nor excluded by an empty entry")
            reached.add(prefix)
            continue
        stack += [prefix + "0", prefix + "1"]
    for s in sorted(listed - reached):
        raise CertificateInvalid("regions", f"piece with signs {s} is excluded by an empty entry; remove it")


@method("kink_ball")
def kink_ball(ctx: Context) -> str:
    """Strictly complementary kinks (SPEC §4 boundary case, second-order form): the constraints ``a_m``
    are independent, every piece's multipliers exceed their worst drift over the ball, and
    ``∇²L_P(c) + τAᵀA − (μ+δ)I`` is positive definite (curvature needed only along the kinks)."""
    ev, pattern, delta, cons, normals = _kinks(ctx, "kink_ball", {"pieces", "row_norms"}, max_constraints=16)
    problem, mx, mu = ctx.problem, ctx.max_digits, ctx.mu or Fraction(0)  # _kinks rejected a missing mu
    pinv = pseudo_inverse_columns(normals, problem.count)
    r = [parse_rational_strict(v, join("evidence.row_norms", m), mx)
         for m, v in enumerate(expect_list(ev["row_norms"], "evidence.row_norms", len(cons)))]
    for m, (rm, col) in enumerate(zip(r, pinv)):
        if rm < 0 or rm * rm < sum(v * v for v in col):
            raise CertificateInvalid("gradient bound", f"evidence.row_norms[{m}] must bound ‖A⁺e_{m}‖ "
                                     f"(its square is {show(sum(v * v for v in col))}, got {show(rm)})")
    a_frob2 = sum((v * v for normal in normals for v in normal.values()), Fraction(0))
    entries = expect_list(ev["pieces"], "evidence.pieces")
    seen: set[str] = set()
    for k, item in enumerate(entries):
        where = join("evidence.pieces", k)
        entry = expect_object(item, where, {"signs", "pd", "multipliers", "tau", "hessian_norm"},
                              {"signs", "pd", "multipliers", "tau", "hessian_norm"})
        signs = entry["signs"]
        if not isinstance(signs, str) or len(signs) != len(cons) or set(signs) - {"0", "1"} or signs in seen:
            fail(f"{where}.signs", f"must be a new string of {len(cons)} characters 0 or 1 (got {signs!r})")
        seen.add(signs)
        _kink_piece(ctx, where, entry, pattern, cons, normals, pinv, r, a_frob2, delta, mu)
    if len(seen) != 2 ** len(cons):
        missing = next(s for s in (format(v, f"0{len(cons)}b") for v in range(2 ** len(cons))) if s not in seen)
        raise CertificateInvalid("regions", f"the region with kink signs {missing} is not listed (independent "
                                 "constraints: every sign combination meets the ball)")
    return f"kink_ball, {len(cons)} independent kink constraint(s), {len(seen)} region(s), delta {show(delta)}"


def _kink_piece(ctx: Context, where: str, entry: dict[str, Any], pattern: Any, cons: list[tuple[int, int]],
                normals: list[Sparse], pinv: list[list[Fraction]], r: list[Fraction], a_frob2: Fraction,
                delta: Fraction, mu: Fraction) -> None:
    """One piece of :func:`kink_ball`: multipliers, their drift, τ, and the shifted Hessian."""
    mx, rho, signs = ctx.max_digits, ctx.radius, entry["signs"]
    piece = [[list(layer) for layer in sample] for sample in pattern]
    for (j, i), s in zip(cons, signs):
        piece[j][0][i] = int(s == "1")
    Hn, S, grad = _shifted_hessian(ctx, piece, Fraction(0))
    h = parse_rational_strict(entry["hessian_norm"], f"{where}.hessian_norm", mx)
    if h < 0 or h * h * S * S < sum(v * v for row in Hn for v in row):
        raise CertificateInvalid("hessian bound", f"{where}.hessian_norm must bound ‖∇²L_P(c)‖_F (got {show(h)})")
    nu = [parse_rational_strict(v, join(f"{where}.multipliers", m), mx)
          for m, v in enumerate(expect_list(entry["multipliers"], f"{where}.multipliers", len(cons)))]
    e = list(grad)
    for m, (v, s) in enumerate(zip(nu, signs)):
        for p, coef in normals[m].items():
            e[p] -= (v if s == "1" else -v) * coef
    for m, normal in enumerate(normals):
        if sum(e[p] * v for p, v in normal.items()):
            raise CertificateInvalid("gradient bound", f"{where}.multipliers must be the least-squares ones: "
                                     f"a_{m}·(∇L_P(c) − Σ ν s a) must be 0")
    drift = [rm * (h + delta) * rho for rm in r]
    for m, (v, dm) in enumerate(zip(nu, drift)):
        if v <= dm:
            raise CertificateInvalid("gradient bound", f"{where}.multipliers[{m}] = {show(v)} must exceed its drift "
                                     f"bound r_m·(h + δ)·ρ = {show(dm)} over the ball")
    kappa = min(v - dm for v, dm in zip(nu, drift))
    tau = parse_rational_strict(entry["tau"], f"{where}.tau", mx)
    if tau < 0 or tau * tau * a_frob2 * rho * rho > kappa * kappa:
        raise CertificateInvalid("hessian bound", f"{where}.tau must satisfy 0 ≤ τ and τ²‖A‖_F²ρ² ≤ κ² with "
                                 f"κ = {show(kappa)} (got {show(tau)})")
    # M = ∇²L_P(c) + τAᵀA − (μ+δ)I as integers over one positive denominator
    P = len(Hn)
    gram = [[Fraction(0)] * P for _ in range(P)]
    for normal in normals:
        for p, u in normal.items():
            for q, v in normal.items():
                gram[p][q] += u * v
    shift = mu + delta
    M = [[Fraction(Hn[p][q], S) + tau * gram[p][q] - (shift if p == q else 0) for q in range(P)] for p in range(P)]
    den = lcm(*(v.denominator for row in M for v in row))
    Mi = [[v.numerator * (den // v.denominator) for v in row] for row in M]
    pd = expect_object(entry["pd"], f"{where}.pd", {"method", "T"}, {"method"})
    positive_definite(Mi, den, pd, where, mx)
    e2, bound = sum(x * x for x in e), (mu * rho) ** 2 / 4
    if e2 >= bound:
        raise CertificateInvalid("gradient bound", f"{where}: ‖∇L_P(c) − Σ ν_m s_m a_m‖² = {show(e2)} must be "
                                 f"less than (mu·radius/2)² = {show(bound)}")


def pseudo_inverse_columns(normals: list[Sparse], n: int) -> list[list[Fraction]]:
    """The columns ``A⁺e_m = Aᵀ(AAᵀ)⁻¹e_m``; rejects dependent constraints."""
    k = len(normals)
    G = [[sum((u * normals[b].get(p, Fraction(0)) for p, u in normals[a].items()), Fraction(0)) for b in range(k)]
         for a in range(k)]
    inv = [[Fraction(int(i == j)) for j in range(k)] for i in range(k)]
    for col in range(k):
        piv = next((row for row in range(col, k) if G[row][col]), None)
        if piv is None:
            raise CertificateInvalid("regions", "kink_ball needs linearly independent constraints (AAᵀ is singular)")
        G[col], G[piv], inv[col], inv[piv] = G[piv], G[col], inv[piv], inv[col]
        f = G[col][col]
        G[col] = [v / f for v in G[col]]
        inv[col] = [v / f for v in inv[col]]
        for row in range(k):
            if row != col and G[row][col]:
                g = G[row][col]
                G[row] = [a - g * b for a, b in zip(G[row], G[col])]
                inv[row] = [a - g * b for a, b in zip(inv[row], inv[col])]
    cols = []
    for m in range(k):
        v = [Fraction(0)] * n
        for a_idx, a in enumerate(normals):
            coef = inv[a_idx][m]
            if coef:
                for p, u in a.items():
                    v[p] += u * coef
        cols.append(v)
    return cols
