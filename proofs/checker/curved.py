"""The rule ``curved_kink_ball``: an isolated minimum on kinks of the first and second hidden layers.

A pre-activation of layer 2, ``z_m = z_{2,i}(x_j; θ) = Σ_{i'} W_2[i,i']·π_{i'}·(w_{i'}·x̃_j) + b_2[i]`` (``π`` the
first layer's pattern at ``x_j``, ``w_{i'}`` unit ``i'``'s incoming row with its bias), is a *bilinear*
polynomial of ``θ`` once that pattern is fixed: its zero set is a curved hypersurface, its gradient is
exact and its Hessian is constant. **Theorem K** (``docs/MATHEMATICS.md`` §5, statement and proof) turns
such kinks into a ball certificate; this module verifies its hypotheses for kinks of layers 1 and 2.

Setting. Centre ``c``, radius ``ρ``, ``B̄`` the closed ball, ``Z`` the listed kinks ``m = (j, k, i)``
(sample, hidden layer ``k ∈ {1, 2}``, unit), ``q = |Z| ≤ 8``; for ``s ∈ {0,1}^Z`` (``s_m = ±1``) the
piece ``P_s = {θ near B̄ : s_m z_m(θ) ≥ 0}`` and ``L_{P_s}`` the loss polynomial of the centre's pattern
with kink ``m`` on iff ``s_m = 1``.

What is verified, exactly, in order (each failure names its step):

- at least one kink of layer 2 (first-layer kinks alone are ``kink_ball``'s; so the rule never applies to
  the one-hidden-layer networks that ``split_orbit`` and ``dual_cones`` reduce to);
- (K1) every listed ``z_m(c)`` is exactly 0, the pattern entry is '0', no sample is null;
  (S2) at each sample the listed kinks lie in one layer; no kink of layer ≥ 3 (not covered: the rule
  says so); (S1) every other hidden pre-activation has the pattern's strict sign with
  ``z² > ρ²‖x̃_j‖²`` (layer 1, ``z`` linear) or ``z² > F1(k)²P_kρ²`` (deeper; the interior case's bound,
  valid for every pattern), so it keeps its sign on a neighbourhood ``U`` of ``B̄``. Under (S2) the
  layers below a kink have strict signs at its sample on ``U``, so ``z_m`` is one polynomial on ``U``
  and Lemma K0 holds: the ``P_s`` cover ``U`` and ``L = L_{P_s}`` on ``P_s``.
- ``δ`` as for ``interior_ball`` (``δ² ≥ P³K²ρ²``, valid for every pattern); for kinks of layers 1 and 2
  ``∇²z_m`` is constant, so ``δ_s = δ`` bounds ``‖∇²Φ_s(θ) − H_s‖₂`` on ``B̄``.
- ``J_0`` (rows ``∇z_m(c)``, computed here); ``η > 0`` with ``J_0J_0ᵀ − η²I ≻ 0`` (all exact LDLᵀ pivots
  positive); ``j ≥ 0``, ``j² ≥ ‖J_0‖_F²``.
- ``K_m ≥ 0``, with ``K_m² ≥ ‖x̃_j‖²`` for a second-layer kink at whose sample some first-layer unit is on
  (``∇²z_m`` couples ``W_2[i,i']`` with unit ``i'``'s row through ``π_{i'}x̃_j``, disjoint blocks: its
  spectral norm is ``‖x̃_j‖``; it is 0 when no first-layer unit is on, and for a first-layer kink);
  ``Γ ≥ 0``, ``Γ² ≥ Σ K_m²``; (K2) ``Γρ < η``.
- Every one of the ``2^q`` sign strings listed once; per piece: ``ν ≥ 0``; ``e_s = ∇L_{P_s}(c) −
  Σ ν_m s_m ∇z_m(c)`` and ``ε_s ≥ 0``, ``ε_s² ≥ ‖e_s‖²``; ``H_s = ∇²L_{P_s}(c) − Σ ν_m s_m ∇²z_m``,
  ``h_s ≥ 0``, ``h_s² ≥ ‖H_s‖_F²``, ``M_s = h_s + δ``; ``Δ_s = (ε_s + M_sρ)/(η − Γρ)``; (K3)
  ``κ_s = min_m ν_m − Δ_s > 0``; (K4) ``‖e_s‖² < (μρ/2)²``; (K5) ``τ_s ≥ 0``, ``2τ_s·j·ρ ≤ κ_s`` and
  ``H_s + τ_sJ_0ᵀJ_0 − (μ + δ + Δ_sΣ_mK_m + 16τ_sΓ²ρ²)·I ≻ 0`` (a positive-definiteness witness as for
  ``kink_ball``: ``ldl``, ``cholesky`` or ``congruence``).

Every quantity entering through a square root (``‖e_s‖``, ``‖H_s‖_F``, ``‖J_0‖_F``, ``K_m``, ``Γ``) is a
certified rational upper bound, and every inequality of the theorem is monotone in it in the safe
direction (larger bounds only make ``Δ_s``, the shift of (K5) and the test ``2τjρ ≤ κ`` harder).

**Theorem K.** Under these hypotheses ``L`` has exactly one local minimum ``θ*`` in ``B̄``; it lies on every
listed kink, within ``2·max_s‖e_s‖/μ < ρ`` of ``c``, and ``L(θ) ≥ L(θ*) + (μ/2)‖θ − θ*‖²`` on ``B̄``.
*Proof* (``docs/MATHEMATICS.md`` §5 in full). (i) Off the kink set ``S`` a point is no local minimum:
``σ_min(J(θ)) ≥ η − Γρ > 0`` on ``B̄`` (``‖J(θ) − J_0‖₂ ≤ Γρ``), so the direction that moves only one
nonzero ``z_m`` towards 0 exists, and the slope of ``L`` along it is ``≤ Δ_u − ν^u_m < 0`` in the piece
``u`` that holds it. (ii) At a local minimum ``θ* ∈ S`` (Lagrange on the submanifold ``S``), the true
multipliers of each piece are within ``Δ_u`` of ``ν^u``, hence ``≥ κ_u > 0``. (iii) About ``θ*`` the
Lagrangian ``Ψ_u`` with those multipliers has Hessian ``⪰ H_u − (δ + Δ_uΣK_m)I`` on ``B̄`` and
``L ≥ Ψ_u + κ_u‖z‖`` on ``P_u``; splitting by ``‖J_0d‖ ≷ 4Γρ‖d‖`` and using (K5) with ``2τjρ ≤ κ`` gives
``L(θ) ≥ L(θ*) + (μ/2)‖θ − θ*‖²`` on every piece, hence on ``B̄``, so there is at most one local minimum.
(iv) The same estimate about ``c`` with ``ν^s`` gives ``L(θ) ≥ L(c) + e_s·(θ − c) + (μ/2)‖θ − c‖²``, which
exceeds ``L(c)`` on the sphere by (K4): the minimum over ``B̄`` is interior, a local minimum, so ``θ*``. ∎
"""

from __future__ import annotations

from fractions import Fraction
from math import lcm
from typing import TYPE_CHECKING, Any

from . import lemmas
from .arith import Budget, Sparse, combination, ldl_first_bad_pivot, matrix_over_common
from .exceptions import CertificateInvalid
from .network import Bounds, Pattern, Problem, bounds, forward, null_sample
from .reading import expect_list, expect_object, fail, join, parse_rational_strict, read_pattern, read_vector, show

if TYPE_CHECKING:
    from .rules import Context

MAX_KINKS = 8
"""At most ``2^8`` pieces are listed (no exclusion exists for curved kinks)."""

Kink = tuple[int, int, int]   # (sample j, hidden layer k ∈ {1, 2}, unit i)


def curved_kink_ball(ctx: Context) -> str:
    """Theorem K for kinks of layers 1 and 2 (module docstring): (K1), (S1), (S2), ``J_0``, ``η``, ``j``,
    ``K_m``, ``Γ``, (K2), and per piece ``ν ≥ 0``, ``e_s``, ``H_s``, ``Δ_s``, (K3), (K4), (K5)."""
    keys = {"method", "pattern", "kinks", "delta", "eta", "jacobian_norm", "curvatures", "gamma", "pieces"}
    ctx.evidence_keys(keys)
    ctx.positive_radius("curved_kink_ball")
    problem, c, rho, mu, mx = ctx.problem, ctx.center, ctx.radius, ctx.mu, ctx.max_digits
    if problem.activation != "relu" or problem.depth < 1:
        raise CertificateInvalid("evidence", "curved_kink_ball needs a ReLU network with a hidden layer")
    pattern = read_pattern(ctx.evidence["pattern"], problem, "evidence.pattern")
    kinks = _read_kinks(ctx.evidence["kinks"], problem)
    delta = ctx.number("delta")
    bd = bounds(problem, c, rho)
    signs_stable(problem, c, rho, pattern, kinks, bd, ctx.budget)
    lemmas.hessian_variation(bd, delta)
    rows, hessians, K_need = kink_derivatives(problem, c, pattern, kinks)
    q = len(kinks)

    eta = ctx.number("eta")
    if eta <= 0:
        raise CertificateInvalid("kink gradients", f"eta must be positive (got {show(eta)})")
    G = [[sum((u * b.get(p, Fraction(0)) for p, u in a.items()), Fraction(0)) - (eta * eta if x == y else 0)
          for y, b in enumerate(rows)] for x, a in enumerate(rows)]
    A, S = matrix_over_common(G)
    bad = ldl_first_bad_pivot(A, ctx.budget)
    if bad is not None:
        k, num, den = bad
        raise CertificateInvalid("kink gradients", f"J_0J_0ᵀ − eta²·I must be positive definite: pivot {k + 1} of "
                                 f"{q} is {show(Fraction(num, den * S))} (eta {show(eta)} too large, or the "
                                 "kink gradients are dependent)")
    jn = ctx.number("jacobian_norm")
    frob2 = sum((v * v for a in rows for v in a.values()), Fraction(0))
    if jn < 0 or jn * jn < frob2:
        raise CertificateInvalid("kink gradients", f"jacobian_norm must bound ‖J_0‖_F (its square is {show(frob2)}, "
                                 f"got {show(jn)})")
    curv = read_vector(ctx.evidence["curvatures"], "evidence.curvatures", q, mx)
    for m, (Km, need) in enumerate(zip(curv, K_need)):
        if Km < 0 or Km * Km < need:
            raise CertificateInvalid("kink curvature", f"evidence.curvatures[{m}] must bound ‖∇²z_m‖₂ (its square is "
                                     f"{show(need)} for kink {list(kinks[m])}, got {show(Km)})")
    gamma = ctx.number("gamma")
    if gamma < 0 or gamma * gamma < sum((v * v for v in curv), Fraction(0)):
        raise CertificateInvalid("kink curvature", f"gamma must be ≥ 0 with gamma² ≥ Σ K_m² = "
                                 f"{show(sum((v * v for v in curv), Fraction(0)))} (got {show(gamma)})")
    eta_rho = eta - gamma * rho
    if eta_rho <= 0:
        raise CertificateInvalid("kink curvature", f"(K2) gamma·radius = {show(gamma * rho)} must be less than eta = "
                                 f"{show(eta)}")
    sum_K = sum(curv, Fraction(0))
    gram: dict[tuple[int, int], Fraction] = {}    # J_0ᵀJ_0, on the union of the rows' supports
    for a in rows:
        for p, u in a.items():
            for r, v in a.items():
                gram[p, r] = gram.get((p, r), Fraction(0)) + u * v

    keys_piece = {"signs", "multipliers", "residual_norm", "hessian_norm", "tau", "pd"}
    seen: set[str] = set()
    for n, item in enumerate(expect_list(ctx.evidence["pieces"], "evidence.pieces")):
        where = join("evidence.pieces", n)
        entry = expect_object(item, where, keys_piece, keys_piece)
        signs = entry["signs"]
        if not isinstance(signs, str) or len(signs) != q or set(signs) - {"0", "1"} or signs in seen:
            fail(f"{where}.signs", f"must be a new string of {q} characters 0 or 1 (got {signs!r})")
        seen.add(signs)
        nu = read_vector(entry["multipliers"], f"{where}.multipliers", q, mx)
        for m, v in enumerate(nu):
            if v < 0:
                raise CertificateInvalid("multipliers", f"{where}.multipliers[{m}] must be ≥ 0 (got {show(v)})")
        Hn, S, grad = ctx.shifted_hessian(piece_pattern(pattern, kinks, signs), Fraction(0))
        signed = [v if s == "1" else -v for v, s in zip(nu, signs)]
        moved = combination(signed, rows)
        e = [g - moved.get(p, Fraction(0)) for p, g in enumerate(grad)]
        e2 = sum((v * v for v in e), Fraction(0))
        eps = parse_rational_strict(entry["residual_norm"], f"{where}.residual_norm", mx)
        if eps < 0 or eps * eps < e2:
            raise CertificateInvalid("gradient bound", f"{where}.residual_norm must bound ‖e_s‖ (its square is "
                                     f"{show(e2)}, got {show(eps)})")
        correction = lagrangian_correction(signed, hessians)
        HA, HD = over_one_denominator(Hn, S, correction, Fraction(0))
        h = parse_rational_strict(entry["hessian_norm"], f"{where}.hessian_norm", mx)
        h2_num = sum(v * v for row in HA for v in row)
        if h < 0 or h.numerator ** 2 * HD * HD < h2_num * h.denominator ** 2:
            raise CertificateInvalid("hessian bound", f"{where}.hessian_norm must bound ‖H_s‖_F (its square is "
                                     f"{show(Fraction(h2_num, HD * HD))}, got {show(h)})")
        Delta = (eps + (h + delta) * rho) / eta_rho
        kappa = min(nu) - Delta
        if kappa <= 0:
            raise CertificateInvalid("multipliers", f"{where}: (K3) the least multiplier {show(min(nu))} must exceed "
                                     f"its drift Δ_s = (ε_s + (h_s + δ)ρ)/(η − Γρ) = {show(Delta)}")
        lemmas.gradient_bound(e, (mu * rho) ** 2 / 4, f"{where}: (K4) ‖e_s‖²", "(mu·radius/2)²")
        tau = parse_rational_strict(entry["tau"], f"{where}.tau", mx)
        if tau < 0 or 2 * tau * jn * rho > kappa:
            raise CertificateInvalid("hessian bound", f"{where}.tau must satisfy 0 ≤ τ and 2τ·j·ρ ≤ κ_s = "
                                     f"{show(kappa)} (got {show(tau)})")
        shift = mu + delta + Delta * sum_K + 16 * tau * gamma * gamma * rho * rho
        for pr, g in gram.items():
            correction[pr] = correction.get(pr, Fraction(0)) + tau * g
        lemmas.positive_definite(*over_one_denominator(Hn, S, correction, shift), entry["pd"], where, mx, ctx.budget)
    if len(seen) != 2 ** q:
        missing = next(s for s in (format(v, f"0{q}b") for v in range(2 ** q)) if s not in seen)
        raise CertificateInvalid("regions", f"the piece with kink signs {missing} is not listed (independent kink "
                                 "gradients: every sign combination meets the ball)")
    layers = sorted({k for _, k, _ in kinks})
    return (f"curved_kink_ball, {q} kink(s) of layer(s) {', '.join(map(str, layers))}, {len(seen)} piece(s), "
            f"eta {show(eta)}, gamma {show(gamma)}, delta {show(delta)}")


def _read_kinks(obj: Any, problem: Problem) -> list[Kink]:
    items = expect_list(obj, "evidence.kinks")
    if not items:
        fail("evidence.kinks", "must list at least one kink (got none)")
    if len(items) > MAX_KINKS:
        fail("evidence.kinks", f"curved_kink_ball lists every sign combination: at most {MAX_KINKS} kinks "
             f"(got {len(items)})")
    out: list[Kink] = []
    for m, item in enumerate(items):
        path = join("evidence.kinks", m)
        j, k, i = expect_list(item, path, 3)
        inside = all(type(v) is int for v in (j, k, i)) and 0 <= j < len(problem.inputs) \
            and 1 <= k <= problem.depth and 0 <= i < problem.widths[k]
        if not inside:
            fail(path, f"must be [sample, hidden layer (1-based), unit] within the problem (got {item})")
        if k >= 3:
            raise CertificateInvalid("kinks", f"{path}: unit {i} of layer {k} at sample {j}: kinks of layer 3 and "
                                     "deeper are not covered (their Hessian varies; docs/MATHEMATICS.md §5)")
        if null_sample(problem, j):
            raise CertificateInvalid("kinks", f"{path}: x̃_{j} = 0, so z ≡ 0 there: not a kink")
        if (j, k, i) in out:
            fail(path, f"repeats kink {[j, k, i]}")
        out.append((j, k, i))
    if all(k == 1 for _, k, _ in out):
        raise CertificateInvalid("kinks", "curved_kink_ball needs a kink of the second layer (first-layer kinks "
                                 "alone are kink_ball's)")
    layer_at: dict[int, int] = {}
    for j, k, i in out:
        if layer_at.setdefault(j, k) != k:
            raise CertificateInvalid("kinks", f"(S2) sample {j} has kinks of layers {layer_at[j]} and {k}: the kinks "
                                     "at one sample must lie in one layer")
    return out


def lagrangian_correction(signed: list[Fraction], hessians: list[dict[tuple[int, int], Fraction]]
                          ) -> dict[tuple[int, int], Fraction]:
    """The sparse symmetric ``−Σ_m ν_m s_m ∇²z_m`` (both entries of each pair), which turns ``∇²L_P`` into ``H_s``."""
    out: dict[tuple[int, int], Fraction] = {}
    for w, hess in zip(signed, hessians):
        for (p, r), v in hess.items():
            for key in ((p, r), (r, p)):
                out[key] = out.get(key, Fraction(0)) - w * v
    return out


def over_one_denominator(Hn: list[list[int]], S: int, extra: dict[tuple[int, int], Fraction], shift: Fraction
                         ) -> tuple[list[list[int]], int]:
    """``(A, D)`` with ``A/D = Hn/S + extra − shift·I`` exactly, ``D > 0`` (integers: no gcd per entry)."""
    D = lcm(S, shift.denominator, *(v.denominator for v in extra.values()))
    up = D // S
    A = [[v * up for v in row] for row in Hn]
    for (p, r), v in extra.items():
        A[p][r] += v.numerator * (D // v.denominator)
    sub = shift.numerator * (D // shift.denominator)
    for i in range(len(A)):
        A[i][i] -= sub
    return A, D


def signs_stable(problem: Problem, c: list[Fraction], rho: Fraction, pattern: Pattern, kinks: list[Kink],
                  bd: Bounds, budget: Budget) -> None:
    """(K1) and (S1): the listed kinks vanish exactly at ``c`` with pattern entry '0'; every other hidden
    pre-activation has the pattern's strict sign and keeps it on ``B̄`` (``lemmas.sign_stability``'s
    bounds: exact for the linear first layer, ``F1(k)²P_kρ²`` deeper, valid for every pattern)."""
    run = forward(problem, c, None, budget)
    listed, rho2 = set(kinks), rho * rho
    for j, sample in enumerate(run.pre):
        xt2 = sum(v * v for v in problem.inputs[j]) + (1 if problem.biases else 0)
        for k in range(1, problem.depth + 1):
            need, name = (rho2 * xt2, f"ρ²‖x̃_{j}‖²") if k == 1 else (bd.F1[k] ** 2 * bd.prefix[k] * rho2,
                                                                     f"F1({k})²·P_{k}·ρ²")
            for i, zi in enumerate(sample[k - 1]):
                z, active = Fraction(zi, run.s[k]), pattern[j][k - 1][i]
                where = f"evidence.pattern[{j}][{k - 1}] unit {i}"
                if (j, k, i) in listed:
                    if z != 0:
                        raise CertificateInvalid("kinks", f"(K1) kink {[j, k, i]}: z at the centre must be 0 "
                                                 f"(got {show(z)})")
                    if active:
                        raise CertificateInvalid("pattern", f"kink {[j, k, i]}: the pattern entry must be '0' "
                                                 "(σ(0) = 0)")
                    continue
                if null_sample(problem, j) and not active:
                    continue
                if z == 0:
                    raise CertificateInvalid("pattern", f"{where}: pre-activation is 0 at the centre but not a listed "
                                             f"kink (sample {j}, layer {k}, unit {i})")
                if (z > 0) != bool(active):
                    raise CertificateInvalid("pattern", f"{where}: the sign at the centre is not the pattern's")
                if z * z <= need:
                    raise CertificateInvalid("sign stability", f"{where}: z² = {show(z * z)} must exceed {name} = "
                                             f"{show(need)}")


def kink_derivatives(problem: Problem, c: list[Fraction], pattern: Pattern, kinks: list[Kink]
                      ) -> tuple[list[Sparse], list[dict[tuple[int, int], Fraction]], list[Fraction]]:
    """Per kink: ``∇z_m(c)`` (sparse), the constant ``∇²z_m`` (its upper entries ``(p, r)``, ``p < r``, each
    standing for both symmetric entries) and the least admissible ``K_m²``.

    First layer: ``z = w_i·x̃_j`` is linear (gradient ``x̃_j`` in unit ``i``'s row, Hessian 0). Second layer,
    with ``π`` the first layer's pattern at ``x_j`` (strict there by (S2) and (S1)):
    ``∂z/∂W_2[i,i'] = π_{i'}·z_{1,i'}(x_j)``, ``∂z/∂w_{i'} = π_{i'}·W_2[i,i']·x̃_j``, ``∂z/∂b_2[i] = 1``, and
    ``∂²z/∂W_2[i,i']∂w_{i'}[d] = π_{i'}·x̃_j[d]``: one block per active ``i'``, each ``[[0, uᵀ], [u, 0]]``
    with ``u = x̃_j`` of spectral norm ``‖x̃_j‖``, so ``‖∇²z‖₂ = ‖x̃_j‖`` when some ``π_{i'} = 1``, else 0."""
    n1, bias = problem.widths[1], problem.biases
    W1, W2 = problem.layer_rows(c, 1), problem.layer_rows(c, 2) if problem.depth >= 2 else []
    rows: list[Sparse] = []
    hessians: list[dict[tuple[int, int], Fraction]] = []
    need: list[Fraction] = []
    for j, k, i in kinks:
        xt = list(problem.inputs[j]) + ([Fraction(1)] if bias else [])
        if k == 1:
            rows.append({problem.index(1, i, d): x for d, x in enumerate(xt) if x})
            hessians.append({})
            need.append(Fraction(0))
            continue
        grad: Sparse = {}
        hess: dict[tuple[int, int], Fraction] = {}
        on = False
        for u in range(n1):
            z1 = sum((w * x for w, x in zip(W1[u], xt)), Fraction(0))
            if z1 <= 0:      # strictly off by (S1): π_u = 0 (a first-layer kink here would break (S2))
                continue
            on = True
            w2 = problem.index(2, i, u)
            grad[w2] = z1
            for d, x in enumerate(xt):
                if x:
                    p = problem.index(1, u, d)
                    if W2[i][u]:
                        grad[p] = W2[i][u] * x
                    hess[(min(p, w2), max(p, w2))] = x
        if bias:
            grad[problem.index(2, i, n1)] = Fraction(1)
        rows.append({p: v for p, v in grad.items() if v})
        hessians.append(hess)
        need.append(sum((x * x for x in xt), Fraction(0)) if on else Fraction(0))
    return rows, hessians, need


def piece_pattern(pattern: Pattern, kinks: list[Kink], signs: str) -> Pattern:
    piece = [[list(layer) for layer in sample] for sample in pattern]
    for (j, k, i), s in zip(kinks, signs):
        piece[j][k - 1][i] = int(s == "1")
    return piece
