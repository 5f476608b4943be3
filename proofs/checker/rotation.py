"""The ``rotation_orbit`` evidence: units of one layer that share a strict pattern, rotated into each other.

Setting (Lemma M of the symmetry notes). On a region ``P`` the units of a group ``g`` (units ``i ∈ g`` of
hidden layer ``k``) are active on the same samples, so their joint contribution to layer ``k+1`` is
``Σ_{i∈g} V_i(u_i·h̃)`` on those samples and 0 elsewhere, where ``p_i = (u_i, V_i)`` stacks unit ``i``'s
incoming row of ``[W_k | b_k]`` and its outgoing column of ``W_{k+1}``. Replacing ``p_i`` by
``Σ_{i'} Q_{ii'} p_{i'}`` for ``Q ∈ O(|g|)`` keeps ``V U`` and ``‖U‖² + ‖V‖²``, so the loss polynomial
``L_P`` is invariant under the compact group ``G = Π_g O(|g|)``, which acts on ``θ`` by orthogonal maps
(``Q ⊗ I`` on the stacked coordinates). Its Lie algebra is spanned by the generators ``X_ab`` (``a < b``
in one group) that send ``p_a ↦ p_b``, ``p_b ↦ −p_a``, skew-symmetric maps; ``t_ab = X_ab c`` span the
orbit's tangent space ``T`` at the centre ``c``.

Checked: the pattern is strict and stable on ``B̄`` (sign stability, so ``L = L_P`` near ``B̄``), the
Hessian variation ``δ``, the groups (distinct units of one hidden layer, at least two each, sharing the
pattern on every sample), ``κ ≥ 0`` and a positive-definiteness witness of
``∇²L_P(c) − (μ+δ)I + κ Σ t_ab t_abᵀ``, ``‖∇L_P(c)‖² < μ²ρ²``, and some unit of some group with
``‖p_a(c)‖² ≥ ρ²``.

**Theorem.** Then there is ``θ*`` with ``‖θ* − c‖ ≤ ‖∇L_P(c)‖/μ < ρ`` such that ``L(θ) ≥ L(θ*) +
(μ/2)·dist(θ, Gθ*)²`` for every ``θ ∈ B̄``; the local minima of ``L`` in the open ball are exactly the
points of ``Gθ*`` in it, all of value ``L(θ*)``, and ``Gθ*`` has positive dimension at ``θ*``: a
non-isolated local minimum whose nearby minima form a symmetry orbit.

Proof. On the slice ``S = {c + d : d ⊥ T}``, ``dᵀ∇²L_P(θ)d ≥ dᵀ∇²L_P(c)d − δ‖d‖² ≥ μ‖d‖²`` for ``θ ∈ B̄``
(the witness, with ``Tᵀd = 0``), so ``f = L_P`` restricted to ``S ∩ B̄`` is ``μ``-strongly convex; its
gradient at ``c`` is the projection of ``∇L_P(c)``, so its minimiser ``θ*`` over ``S ∩ B̄`` has
``‖θ* − c‖ ≤ ‖∇L_P(c)‖/μ < ρ`` (as for ``interior_ball``). For ``θ ∈ B̄`` let ``g ∈ G`` minimise
``‖gθ − c‖`` (``G`` is compact); ``‖gθ − c‖ ≤ ‖θ − c‖ ≤ ρ``, so ``gθ ∈ B̄`` and ``L(gθ) = L_P(gθ) =
L_P(θ) = L(θ)``. Stationarity along ``exp(tX)g`` gives ``⟨X gθ, gθ − c⟩ = 0`` for every generator, and
``⟨X(gθ − c), gθ − c⟩ = 0`` (``X`` skew), so ``⟨Xc, gθ − c⟩ = 0``: ``gθ ∈ S``. Strong convexity on
``S ∩ B̄`` gives ``L(θ) = f(gθ) ≥ f(θ*) + (μ/2)‖gθ − θ*‖²`` and ``‖gθ − θ*‖ = ‖θ − g⁻¹θ*‖ ≥
dist(θ, Gθ*)``. Points ``g'θ*`` in ``B̄`` have ``L = L_P(θ*)``, so every point of ``Gθ*`` in the open
ball is a local minimum. A local minimum ``θ`` in the open ball with ``gθ ≠ θ*`` is impossible: ``L_P``
strictly decreases from ``gθ`` along the segment towards ``θ*`` in ``S``, and ``g⁻¹`` of that segment
starts at ``θ`` inside the open ball, where ``L = L_P``. Finally ``‖p_a(θ*) − p_a(c)‖ < ρ ≤ ‖p_a(c)‖``
gives ``p_a(θ*) ≠ 0``, so ``X_ab θ* ≠ 0`` for any ``b`` of ``a``'s group: the orbit is not a point.

The ``rotation_kink_orbit`` evidence: the same groups at a centre on first-layer kinks
-----------------------------------------------------------------------------------------
Setting. The centre lies on the independent first-layer kinks ``Z`` of ``kink_ball`` (``a_m·c = 0``, ``a_m``
holding ``x̃_j`` in the incoming coordinates of unit ``i`` for ``(j, i) = Z_m``; ``A`` has the rows ``a_m``,
``K = {θ : Aθ = 0}``), and every other pre-activation keeps the pattern's strict sign on ``B̄``. A kink may
lie on a unit of a layer-1 group only if **every** unit of that group has a kink at that sample: then
``G`` maps ``K`` onto itself (``z_g(x_j; gθ) = Q z_g(x_j; θ)``, and ``Q·0 = 0``).

Checked: everything ``kink_ball`` checks (exactly the kinks vanish, the rest sign-stable on ``B̄``, ``δ``,
``AAᵀ`` nonsingular, ``r_m ≥ ‖A⁺e_m‖``, all ``2^|Z|`` pieces with ``h_s ≥ ‖∇²L_{P_s}(c)‖_F``, least-squares
multipliers with ``e_s ⊥ a_m``, ``‖e_s‖ < μρ/2``, ``ν_{s,m} > Δ_{s,m} = r_m(h_s+δ)ρ``, ``τ_s ≥ 0`` with
``τ_s²‖A‖_F²ρ² ≤ κ_s²`` for ``κ_s = min_m(ν_{s,m} − Δ_{s,m})``), except that each piece's matrix is
``M_s = ∇²L_{P_s}(c) + τ_sAᵀA + κTTᵀ − (2μ+δ)I ≻ 0``; the groups as above (sharing the pattern on every
sample), the kinks closed under the groups (if ``(j, i) ∈ Z`` for ``i`` in a layer-1 group, ``(j, i') ∈ Z`` for
every ``i'`` of it), ``κ ≥ 0``, ``|Z|·‖A‖_F²ρ²·μ²·r⁴ ≤ κ_Z²`` for ``r = max_m r_m`` and ``κ_Z = min_s κ_s``, and
some unit of some group with ``‖p_a(c)‖² ≥ ρ²``.

**Theorem.** Then there is ``θ*`` in the open ball on every kink (``Aθ* = 0``) with ``‖θ* − c‖ ≤
max_s‖e_s‖/μ`` such that ``L(θ) ≥ L(θ*) + (μ/2)·dist(θ, Gθ*)²`` for every ``θ ∈ B̄``; the local minima of
``L`` in the open ball are exactly the points of ``Gθ*`` in it, all of value ``L(θ*)``, and ``Gθ*`` is not
a point.

Proof. Let ``C_s`` be the closed pieces in ``B̄`` (``s'_m a_m·(θ − c) ≥ 0``, the other signs those of the
pattern); they are convex, cover ``B̄``, and ``L = L_{P_s}`` on ``C_s`` (``kink_ball``). Write ``μ' = 2μ``.
(a) *Towards the kinks.* For ``θ ∈ C_s`` let ``θ_K = c + Π(θ − c)``, ``Π`` the orthogonal projection onto
``ker A``; ``‖θ_K − c‖ ≤ ‖θ − c‖``, and ``θ − θ_K = A⁺A(θ − c) = Σ_m z_m(θ)A⁺e_m``. On the segment ``ξ(t) =
θ_K + t(θ − θ_K)`` the kink values are ``t·z_m(θ)``, so it lies in ``C_s``, and ``s'_m∇L_{P_s}(ξ)·A⁺e_m ≥
ν_{s,m} − Δ_{s,m} ≥ κ_s`` (``∇L_{P_s}(c)·A⁺e_m = s'_mν_{s,m}`` as ``e_s ⊥`` the row space of ``A``, and the
drift ``‖∇L_{P_s}(ξ) − ∇L_{P_s}(c)‖ ≤ (h_s+δ)ρ``). With ``s'_m z_m(θ) = |z_m(θ)|`` this gives
``L(θ) ≥ L(θ_K) + κ_Z·y`` with ``y = Σ_m|z_m(θ)|``, and ``‖θ − θ_K‖ ≤ r·y``. The same slope, read at ``θ``
along ``−s'_m A⁺e_m`` when ``z_m(θ) ≠ 0``, shows that no point of ``B̄`` off ``K`` is a local minimum.
(b) *Invariance on the kinks.* For ``θ ∈ K ∩ B̄`` and ``g ∈ G`` with ``gθ ∈ B̄``: ``gθ ∈ K`` (kinks of
non-group units have untouched normals; a group's shared kink stays at ``0``), every other sign is fixed
on ``B̄``, and on each sample a group is either strictly active together (``VU`` kept), inactive together,
or at a shared kink (``σ(0) = 0`` before and after), while ``‖U‖² + ‖V‖²`` is kept coordinate by
coordinate: ``L(gθ) = L(θ)``.
(c) *The slice of the kinks.* All pieces agree on ``K ∩ B̄``; for ``d ∈ ker A ∩ T^⊥`` the witness gives
``dᵀ∇²L_{P_s}(ξ)d ≥ dᵀ(∇²L_{P_s}(c) − δI)d ≥ μ'‖d‖²`` on ``B̄``, so ``L`` is ``μ'``-strongly convex on the
convex ``F = K ∩ (c + T^⊥) ∩ B̄``. For ``c + d ∈ F``, ``∇L_{P_s}(c)·d = e_s·d``, so ``L(c + d) − L(c) ≥
(μ'/2)‖d‖² − ‖e_s‖‖d‖``, positive on the sphere (``‖e_s‖ < μρ/2``): the minimiser ``θ*`` of ``L`` over ``F``
is in the open ball, ``‖θ* − c‖ ≤ 2‖e_s‖/μ'``, and ``L(y) ≥ L(θ*) + (μ'/2)‖y − θ*‖²`` on ``F``.
(d) *Growth on the kinks.* For ``θ ∈ K ∩ B̄`` a minimiser ``g`` of ``‖gθ − c‖`` over the compact ``G`` has
``gθ ∈ B̄ ∩ K`` and ``gθ − c ⊥ T`` (the skew-symmetry argument of the first theorem): ``gθ ∈ F`` and, by
(b), ``L(θ) = L(gθ) ≥ L(θ*) + (μ'/2)‖gθ − θ*‖² ≥ L(θ*) + (μ'/2)·dist(θ, Gθ*)²``.
(e) *Growth everywhere.* For ``θ ∈ B̄``, (a) and (d) give ``L(θ) ≥ L(θ*) + (μ'/2)D² + κ_Z·y`` with
``D = dist(θ_K, Gθ*) ≥ dist(θ, Gθ*) − r·y``, so ``(μ'/4)dist(θ, Gθ*)² ≤ (μ'/2)D² + (μ'/2)r²y²``, and
``κ_Z·y ≥ μr²y²`` because ``y ≤ √|Z|·‖A(θ − c)‖ ≤ √|Z|·‖A‖_Fρ ≤ κ_Z/(μr²)`` (the checked inequality). Hence
``L(θ) ≥ L(θ*) + (μ/2)·dist(θ, Gθ*)²``.
(f) *The local minima.* Points ``g'θ*`` of the open ball are in ``K`` with ``L = L(θ*)`` by (b), the least
value on ``B̄``: local minima. A local minimum ``θ`` in the open ball lies on ``K`` by (a); with ``g`` as in
(d), ``gθ`` is in the open ball and, since ``g`` is an isometry of ``K`` and ``L∘g = L`` on ``K`` near
``θ`` (b), a local minimum of ``L`` on ``F``, where ``L`` is strictly convex: ``gθ = θ*``, ``θ ∈ Gθ*``. The
orbit is not a point as in the first theorem.
"""

from __future__ import annotations

from fractions import Fraction

from typing import TYPE_CHECKING

from . import lemmas
from .arith import over_common, pseudo_inverse_columns
from .exceptions import CertificateInvalid
from .network import Problem
from .reading import brief, expect_list, expect_object, fail, join, parse_rational_strict, show

if TYPE_CHECKING:
    from .network import Pattern
    from .rules import Context


def rotation_orbit(ctx: Context) -> str:
    """Lemma M on a stable region: the module docstring's theorem."""
    from .rules import _stable_region   # the region checks are interior_ball's

    ctx.evidence_keys({"method", "pattern", "delta", "groups", "kappa", "pd"})
    ctx.positive_radius("rotation_orbit")
    problem, c = ctx.problem, ctx.center
    pattern, delta, run = _stable_region(ctx)
    groups = read_groups(ctx.evidence["groups"], problem, pattern)
    kappa = parse_rational_strict(ctx.evidence["kappa"], "evidence.kappa", ctx.max_digits)
    if kappa < 0:
        raise CertificateInvalid("orbit", f"evidence.kappa must be ≥ 0 (got {show(kappa)})")
    rho2 = ctx.radius * ctx.radius
    if not any(sum(c[p] ** 2 for p in stacked(problem, k, i)) >= rho2 for k, units in groups for i in units):
        raise CertificateInvalid("orbit", f"some unit of a group must have ‖p_i(c)‖² ≥ ρ² = {show(rho2)} (the "
                                 "orbit could otherwise collapse to a point inside the ball)")
    tangents = [tangent(problem, c, k, a, b) for k, units in groups for n, a in enumerate(units) for b in units[n + 1:]]
    A, S, grad = ctx.shifted_hessian(pattern, ctx.mu + delta, run)
    P = problem.count
    ctx.budget.charge(len(tangents) * P * P, 64, "the orbit's tangent term κ·TTᵀ")
    nums, D = over_common([v for t in tangents for v in t.values()] or [Fraction(0)])
    D2 = D * D
    scaled = iter(nums)
    sparse = [{p: next(scaled) for p in t} for t in tangents]
    # A/S + κ Σ tτᵀ/D²  =  (A·q·D² + S·p·Σ ττᵀ) / (S·q·D²)  with  κ = p/q
    top, bottom = kappa.numerator * S, kappa.denominator * D2
    M = [[v * bottom for v in row] for row in A]
    for t in sparse:
        for p, u in t.items():
            row = M[p]
            for q, w in t.items():
                row[q] += top * u * w
    lemmas.positive_definite(M, S * bottom, ctx.evidence["pd"], "evidence", ctx.max_digits, ctx.budget)
    lemmas.gradient_bound(grad, (ctx.mu * ctx.radius) ** 2, "‖∇L_P(c)‖²", "(mu·radius)²")
    sizes = "+".join(str(len(units)) for _, units in groups)
    return (f"rotation_orbit, groups of {sizes} unit(s), {len(tangents)} tangent(s), delta {show(delta)}, "
            f"pd {ctx.evidence['pd']['method']}")


def rotation_kink_orbit(ctx: Context) -> str:
    """Lemma M on strictly complementary kinks closed under the groups: the second theorem above."""
    from .rules import _kinks, kink_pieces   # the kink checks are kink_ball's

    pattern, delta, cons, normals = _kinks(ctx, "rotation_kink_orbit", {"groups", "kappa", "pieces", "row_norms"})
    problem, c, rho, mu = ctx.problem, ctx.center, ctx.radius, ctx.mu
    groups = read_groups(ctx.evidence["groups"], problem, pattern)
    kinks = set(cons)
    for (j, i) in cons:
        for units in (units for k, units in groups if k == 1 and i in units):
            lone = next((u for u in units if (j, u) not in kinks), None)
            if lone is not None:
                raise CertificateInvalid("orbit", f"unit {i} of the group {brief(units)} has a kink at sample {j} but "
                                         f"unit {lone} has not: rotating the group would move the kink")
    kappa = parse_rational_strict(ctx.evidence["kappa"], "evidence.kappa", ctx.max_digits)
    if kappa < 0:
        raise CertificateInvalid("orbit", f"evidence.kappa must be ≥ 0 (got {show(kappa)})")
    if not any(sum(c[p] ** 2 for p in stacked(problem, k, i)) >= rho * rho for k, units in groups for i in units):
        raise CertificateInvalid("orbit", f"some unit of a group must have ‖p_i(c)‖² ≥ ρ² = {show(rho * rho)} (the "
                                 "orbit could otherwise collapse to a point inside the ball)")
    tangents = [tangent(problem, c, k, a, b) for k, units in groups for n, a in enumerate(units) for b in units[n + 1:]]
    P = problem.count
    ctx.budget.charge(len(tangents) * P * P, 64, "the orbit's tangent term κ·TTᵀ")
    extra = [[-mu if p == q else Fraction(0) for q in range(P)] for p in range(P)]   # the shift 2μ + δ in all
    for t in tangents:
        for p, u in t.items():
            for q, w in t.items():
                extra[p][q] += kappa * u * w
    count, margin = kink_pieces(ctx, pattern, delta, cons, normals, extra)
    r2 = max(sum(v * v for v in col) for col in pseudo_inverse_columns(normals, P))  # r² = max_m ‖A⁺e_m‖²
    a_frob2 = sum((v * v for a in normals for v in a.values()), Fraction(0))
    if len(cons) * a_frob2 * rho * rho * mu * mu * r2 * r2 > margin * margin:
        raise CertificateInvalid("gradient bound", f"|Z|·‖A‖_F²ρ²·μ²·r⁴ must be at most κ_Z² = {show(margin * margin)} "
                                 "(the kinks' linear growth must outweigh the distance they add to the orbit)")
    sizes = "+".join(str(len(units)) for _, units in groups)
    return (f"rotation_kink_orbit, groups of {sizes} unit(s), {len(tangents)} tangent(s), {len(cons)} independent "
            f"kink constraint(s), {count} region(s), delta {show(delta)}")


def read_groups(obj: object, problem: Problem, pattern: Pattern) -> list[tuple[int, list[int]]]:
    """The groups ``[{layer, units}]``: ≥ 2 distinct units of hidden layer ``k`` each (``1..H``), no unit
    twice, every unit of a group active on exactly the same samples."""
    out: list[tuple[int, list[int]]] = []
    seen: set[tuple[int, int]] = set()
    for n, item in enumerate(expect_list(obj, "evidence.groups")):
        where = join("evidence.groups", n)
        entry = expect_object(item, where, {"layer", "units"}, {"layer", "units"})
        k = entry["layer"]
        if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= problem.depth:
            fail(f"{where}.layer", f"must be a hidden layer 1..{problem.depth} (got {brief(k)})")
        width = problem.widths[k]
        units = expect_list(entry["units"], f"{where}.units")
        if len(units) < 2 or any(isinstance(i, bool) or not isinstance(i, int) or not 0 <= i < width
                                 or (k, i) in seen for i in units) or any(a >= b for a, b in zip(units, units[1:])):
            fail(f"{where}.units", f"must be at least two new units 0..{width - 1} of layer {k}, increasing "
                 f"(got {brief(units)})")
        seen.update((k, i) for i in units)
        for j, per_sample in enumerate(pattern):
            bits = {per_sample[k - 1][i] for i in units}
            if len(bits) > 1:
                raise CertificateInvalid("orbit", f"{where}: units {brief(units)} of layer {k} must share the "
                                         f"pattern, but sample {j} activates only some of them")
        out.append((k, list(units)))
    if not out:
        fail("evidence.groups", "must list at least one group")
    return out


def stacked(problem: Problem, k: int, i: int) -> list[int]:
    """Canonical indices of ``p_i``: unit ``i``'s row of ``[W_k | b_k]``, then its column of ``W_{k+1}``."""
    incoming = [problem.index(k, i, d) for d in range(problem.widths[k - 1] + int(problem.biases))]
    return incoming + [problem.index(k + 1, o, i) for o in range(problem.widths[k + 1])]


def tangent(problem: Problem, c: list[Fraction], k: int, a: int, b: int) -> dict[int, Fraction]:
    """``t_ab = X_ab c``: ``p_b(c)`` in unit ``a``'s slots, ``−p_a(c)`` in unit ``b``'s (nonzero entries)."""
    pa, pb = stacked(problem, k, a), stacked(problem, k, b)
    t = {p: c[q] for p, q in zip(pa, pb) if c[q]}
    t.update({q: -c[p] for p, q in zip(pa, pb) if c[p]})
    return t



