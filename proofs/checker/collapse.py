"""The ``collapsed_layer`` evidence: a one-hidden-layer network whose hidden units are all dead.

At the centre every hidden parameter is 0 and the output bias (if any) is the exact minimiser
``b* = α Σ_j y_j / (αN + λ_b)``. Write ``d = (β, (v_i, a_i)_i)`` for the displacement (output bias,
each unit's incoming row with bias, outgoing column) and ``r_j = b* − y_j``. Because ``σ`` is positively
homogeneous, ``φ(s) = L(c + s·d) − L(c) = s²Q(d) + s³C(d) + s⁴R(d)`` exactly for ``s ≥ 0``, with

- ``Q = (αN + λ_b)‖β‖² + Σ_i [λ‖v_i‖² + λ‖a_i‖² + 2 a_i·G(v_i)]``, ``G(v) = α Σ_j r_j σ(v·x̃_j)``;
- ``C = 2α Σ_j β·Σ_i a_i σ(v_i·x̃_j)``, so ``|C| ≤ α·s_x·‖d‖³`` with ``s_x ≥ Σ_j ‖x̃_j‖``;
- ``R = α Σ_j ‖Σ_i a_i σ(v_i·x̃_j)‖² ≥ 0``.

On the closure of each cell ``S`` of the arrangement ``{v·x̃_j = 0}`` (one unit's regions),
``G(v) = M_S v`` with ``M_S = α Σ_{j∈S} r_j x̃_jᵀ``. If ``‖G(v)‖ ≤ (λ − ε)‖v‖`` on every cell, then
``Q ≥ μ'‖d‖²`` with ``μ' = min(αN + λ_b, ε)``. Then ``φ(1) ≥ (μ' − α s_x ρ)‖d‖²`` on the ball (a strict
minimum with quadratic growth), and ``φ'(1) = 2Q + 3C + 4R ≥ (2μ' − 3α s_x ρ)‖d‖² > 0``, so no other
point of the ball is a local minimum (it would need ``φ'(1) = 0``).

Cell bounds. Scalar output: ``M_S = c`` is a row; witnesses ``y± = −Σ_j μ±_j s'_j x̃_j`` (``μ± ≥ 0``, in
the polar cone of the cell) with ``‖±c − y±‖ ≤ λ − ε`` give ``|c·v| ≤ (λ − ε)‖v‖`` on the cell (this is
sharper than ``‖c‖ ≤ λ − ε``, which is the positive-definiteness of the cell's Hessian block). Vector
output: a positive-definiteness certificate of ``(λ − ε)²I − M_SᵀM_S``. The cells cover every ``v``: each
sign string is a listed cell or lies under an ``empty`` entry with a Gordan vector (as in ``boundary_ball``).
A null sample (``x̃_j = 0``: ``x_j = 0`` without biases) is in no cell's ``S`` and on no hyperplane: every cell
has ``'0'`` there, every ``empty`` entry ``'*'`` with weight 0, and the cover is that of the other samples
(:func:`lemmas.samples_covered`; the expansion above holds as it is, the sample adding 0 to ``G``, ``C`` and ``R``).

The ``collapsed_network`` evidence: ``H ≥ 2`` hidden layers, every parameter 0 but the output bias ``b*``
(exactly critical as above; without biases there is none and ``b* = 0``), biases decayed (``λ_b = λ``).
Write ``d = (β, A, W_1, b_1, …, W_H, b_H)`` (output bias, outgoing matrix ``A = W_{H+1}``, hidden layers),
``h_ℓ(x)`` the hidden activations at ``c + d`` (``h_0 = x``), ``g_j = A h_H(x_j)``, ``r_j = b* − y_j``.
As the hidden parameters of ``c`` vanish, ``f(x_j; c + d) = b* + β + g_j`` and, by ``α Σ_j r_j + λ b* = 0``,

    ``Δ(d) = L(c + d) − L(c) = α Σ_j ‖β + g_j‖² + 2α Σ_j r_j·g_j + λ‖d‖²``.                     (1)

*A-priori bounds on the ball.* ``‖W_ℓ‖² + ‖b_ℓ‖² ≤ ‖d‖² ≤ ρ²`` and ``|σ(z)| ≤ |z|`` give ``‖h_ℓ‖ ≤ ‖W_ℓ‖‖h_{ℓ−1}‖
+ ‖b_ℓ‖ ≤ ρ(‖h_{ℓ−1}‖² + 1)^½`` (Cauchy–Schwarz), so ``‖h_ℓ(x_j)‖² ≤ S_{ℓ,j}`` with ``S_{0,j} = ‖x_j‖²`` and
``S_{ℓ,j} = ρ²(S_{ℓ−1,j} + 1)`` (``+ 0`` without biases). The evidence gives ``K ≥ 0`` with ``K² ≥ α²·Σ_j‖r_j‖²·
Σ_j S_{H−1,j}`` and ``M ≥ 0`` with ``M² ≥ α²·N·Σ_j S_{H,j}``; by Cauchy–Schwarz ``K ≥ α Σ_j ‖r_j‖‖h_{H−1}(x_j)‖``
and ``M ≥ α Σ_j ‖h_H(x_j)‖`` on ``B̄``; and ``ν ≥ 0`` with ``ν² ≥ ‖b*‖²``.

*The coupling.* Split ``h_H(x_j) = σ(b_H) + e_j`` with ``‖e_j‖ ≤ ‖W_H h_{H−1}(x_j)‖`` (``σ`` is 1-Lipschitz;
``σ(b_H)`` is 0 without biases). Then ``α Σ_j r_j·Aσ(b_H) = −λ b*·Aσ(b_H)`` and

    ``|2α Σ_j r_j·g_j| ≤ 2λν‖A‖‖b_H‖ + 2K‖A‖‖W_H‖ ≤ λν(‖A‖² + ‖b_H‖²) + K(‖A‖² + ‖W_H‖²)``.     (2)

*Growth.* Dropping ``α Σ‖β + g_j‖² ≥ 0`` in (1), each coordinate keeps at least ``λ(1 − ν) − K`` (``A``
loses both terms of (2), ``b_H`` and ``W_H`` one each): ``Δ(d) ≥ μ'‖d‖²`` with ``μ' = λ(1 − ν) − K``, and the
checker requires ``μ ≤ 2μ'``.

*No other local minimum.* For ``s ∈ [0, 1]`` let ``T_s d = (sβ, s^H A, sW_1, s b_1, sW_2, s² b_2, …, sW_H,
s^H b_H)``. By induction ``h_ℓ`` at ``c + T_s d`` is ``s^ℓ h_ℓ`` (``σ(s^ℓ z) = s^ℓ σ(z)``), so the output is
``b* + sβ + s^{2H} g_j`` and ``ψ(s) = Δ(T_s d)`` is a polynomial in ``s ≥ 0``:
``ψ(s) = α Σ_j ‖sβ + s^{2H} g_j‖² + 2s^{2H} α Σ_j r_j·g_j + λ(s²‖β‖² + s^{2H}‖A‖² + Σ_ℓ (s²‖W_ℓ‖² + s^{2ℓ}‖b_ℓ‖²))``.
Its derivative at 1 is ``2α Σ_j (β + g_j)·(β + 2H g_j) + 4Hα Σ_j r_j·g_j + 2λ(‖β‖² + H‖A‖² + Σ_ℓ (‖W_ℓ‖² + ℓ‖b_ℓ‖²))``.
With ``(β + g)·(β + 2Hg) ≥ −(2H+1)‖β‖‖g‖``, ``‖g_j‖ ≤ ‖A‖‖h_H(x_j)‖`` and (2) (the exponent of ``A`` equals
that of ``b_H``, so the two bias terms balance exactly), every coordinate's coefficient is at least one of
``2λ − (2H+1)M`` (β), ``2Hλ(1 − ν) − 2HK − (2H+1)M`` (A), ``2λ − 2HK`` (W_H), ``2Hλ(1 − ν)`` (b_H), ``2λ``.
The checker requires the first three positive (so ``ν < 1``). Then ``ψ'(1) > 0`` for every ``d ≠ 0`` in
``B̄``: the points ``c + T_s d`` (in ``B̄``, as every factor ``s^k ≤ 1``) tend to ``θ = c + d`` as ``s → 1⁻``
with ``L < L(θ)``, so ``θ`` is no local minimum. Hence ``c`` is the only local minimum in ``B̄``, strict, with
``L(θ) − L(c) ≥ (μ/2)‖θ − c‖²`` there. (With ``‖b*‖ > 1`` the centre is a saddle: ``b_{H,k} = t``,
``A_{:,k} = t·b*`` lower ``L`` by ``λt²(‖b*‖² − 1) − αN‖b*‖²t⁴``; a ``curve`` certificate, not this rule.)
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from . import lemmas
from .arith import matrix_over_common
from .exceptions import CertificateInvalid
from .network import Problem
from .reading import expect_list, expect_object, fail, join, read_vector, show

if TYPE_CHECKING:
    from .rules import Context


def collapsed_layer(ctx: Context) -> str:
    """All hidden units dead, one hidden layer: the homogeneous expansion above (module docstring)."""
    ctx.evidence_keys({"method", "epsilon", "x_sum", "cells", "empty"})
    problem, rho, mx = ctx.problem, ctx.radius, ctx.max_digits
    if problem.depth != 1 or problem.activation != "relu":
        raise CertificateInvalid("evidence", "collapsed_layer needs a ReLU network with exactly one hidden layer")
    if problem.biases and not problem.decay_biases:
        raise CertificateInvalid("evidence", "collapsed_layer needs decayed biases (an undecayed dead bias is flat)")
    ctx.positive_radius("collapsed_layer")
    xt = [list(x) + ([Fraction(1)] if problem.biases else []) for x in problem.inputs]
    residuals = _centre(problem, ctx.center)
    lam, alpha, N = problem.weight_decay, problem.alpha, len(problem.inputs)
    eps, s_x = ctx.number("epsilon"), ctx.number("x_sum")
    if not 0 < eps <= lam:
        raise CertificateInvalid("hessian bound", f"epsilon must be in (0, λ] (got {show(eps)})")
    if s_x < 0 or s_x * s_x < N * sum(v * v for x in xt for v in x):  # (Σ‖x̃_j‖)² ≤ N Σ‖x̃_j‖²
        raise CertificateInvalid("hessian bound", f"x_sum must satisfy x_sum² ≥ N·Σ‖x̃_j‖² (got {show(s_x)})")
    cells = expect_list(ctx.evidence["cells"], "evidence.cells")
    size = max(v.numerator.bit_length() + v.denominator.bit_length()
               for rows in (xt, residuals) for r in rows for v in r)
    ctx.budget.charge(len(cells) * N * len(xt[0]) * problem.widths[-1], 2 * size, "the cell bounds")
    seen: dict[str, str] = {}        # sign string ↦ where it was read
    room = (lam - eps) ** 2
    for k, item in enumerate(cells):
        where = join("evidence.cells", k)
        entry = expect_object(item, where, {"signs", "plus", "minus", "pd"}, {"signs"})
        signs = entry["signs"]
        if not isinstance(signs, str) or len(signs) != N or set(signs) - {"0", "1"} or signs in seen:
            fail(f"{where}.signs", f"must be a new string of {N} characters 0 or 1 (got {signs!r})")
        seen[signs] = where
        M = [[alpha * sum((r[o] * x[p] for r, x, s in zip(residuals, xt, signs) if s == "1"), Fraction(0))
              for p in range(len(xt[0]))] for o in range(problem.widths[-1])]
        if problem.widths[-1] == 1:
            _polar_bound(entry, where, M[0], xt, signs, room, mx)
        else:  # (λ − ε)²I − M_SᵀM_S positive definite by its witness
            n = len(M[0])
            gap = [[(room if p == q else 0) - sum((row[p] * row[q] for row in M), Fraction(0)) for q in range(n)]
                   for p in range(n)]
            lemmas.positive_definite(*matrix_over_common(gap), entry.get("pd"), where, mx, ctx.budget)
    if not seen:
        raise CertificateInvalid("regions", "evidence.cells must list at least one cell (got none)")
    excluded = lemmas.samples_covered(seen, ctx.evidence["empty"], xt, mx, ctx.budget)
    mu_q = min(alpha * N + (lam if problem.biases else 0), eps)
    C0 = alpha * s_x
    if 3 * C0 * rho >= 2 * mu_q:
        raise CertificateInvalid("gradient bound", f"3·α·x_sum·ρ = {show(3 * C0 * rho)} must be below "
                                 f"2·min(αN + λ_b, ε) = {show(2 * mu_q)}")
    if ctx.mu > 2 * (mu_q - C0 * rho):
        raise CertificateInvalid("mu", f"must be at most 2·(min(αN + λ_b, ε) − α·x_sum·ρ) = "
                                 f"{show(2 * (mu_q - C0 * rho))} (got {show(ctx.mu)})")
    return f"collapsed_layer, {len(seen)} cell(s), {excluded} excluded, epsilon {show(eps)}"


def _centre(problem: Problem, c: list[Fraction]) -> list[list[Fraction]]:
    """Every hidden parameter is 0 and the output bias is exactly critical; returns ``r_j = f(x_j) − y_j``."""
    n_out = problem.widths[-1]
    hidden = problem.count - (n_out if problem.biases else 0)  # every parameter but the output bias
    for p in range(hidden):
        if c[p] != 0:
            raise CertificateInvalid("center", f"parameter {p} must be 0 (every hidden unit dead; got {show(c[p])})")
    b = c[hidden:] if problem.biases else [Fraction(0)] * n_out
    residuals = [[b[o] - y[o] for o in range(n_out)] for y in problem.targets]
    if problem.biases:
        lam_b = problem.weight_decay if problem.decay_biases else Fraction(0)
        for o in range(n_out):
            g = problem.alpha * sum(r[o] for r in residuals) + lam_b * b[o]
            if g != 0:
                raise CertificateInvalid("gradient bound", f"the output bias {o} must be exactly critical: "
                                         f"α Σ_j (b − y_j) + λ_b b = {show(g)}, must be 0")
    return residuals


def _polar_bound(item: dict[str, Any], where: str, row: list[Fraction], xt: list[list[Fraction]], signs: str,
                 room: Fraction, mx: int) -> None:
    """``‖±c − y±‖² ≤ (λ − ε)²`` with ``y± = −Σ μ±_j s'_j x̃_j``, ``μ± ≥ 0``."""
    for key, sign in (("plus", 1), ("minus", -1)):
        path = f"{where}.{key}"
        weights = read_vector(item.get(key), path, len(xt), mx)
        dist2 = lemmas.polar_cone_gap(weights, sign, row, xt, signs, "hessian bound", path)  # ±c − y = ±c + Σ μ s' x̃
        if dist2 > room:
            raise CertificateInvalid("hessian bound", f"{path}: ‖{'+' if sign > 0 else '−'}c − y‖² = {show(dist2)} "
                                     f"must be at most (λ − ε)² = {show(room)}")


def collapsed_network(ctx: Context) -> str:
    """Two or more hidden layers, every parameter 0 but the critical output bias: growth and ``ψ'(1) > 0``
    from the a-priori bounds (module docstring)."""
    ctx.evidence_keys({"method", "bstar_norm", "coupling", "h_sum"})
    problem, rho = ctx.problem, ctx.radius
    H = problem.depth
    if H < 2 or problem.activation != "relu":
        raise CertificateInvalid("evidence", "collapsed_network needs a ReLU network with at least two hidden layers")
    if problem.biases and not problem.decay_biases:
        raise CertificateInvalid("evidence", "collapsed_network needs decayed biases (an undecayed dead bias is flat)")
    ctx.positive_radius("collapsed_network")
    residuals = _centre(problem, ctx.center)
    lam, alpha, N = problem.weight_decay, problem.alpha, len(problem.inputs)
    nu, K, M = ctx.number("bstar_norm"), ctx.number("coupling"), ctx.number("h_sum")
    n_out = problem.widths[-1]
    bstar2 = sum(v * v for v in ctx.center[problem.count - n_out:]) if problem.biases else Fraction(0)
    if nu < 0 or nu * nu < bstar2:
        raise CertificateInvalid("hessian bound", f"bstar_norm must satisfy bstar_norm ≥ 0 and bstar_norm² ≥ ‖b*‖² = "
                                 f"{show(bstar2)} (got {show(nu)})")
    if nu >= 1:
        raise CertificateInvalid("hessian bound", f"bstar_norm must be below 1 (got {show(nu)}): with ‖b*‖ ≥ 1 the "
                                 "bias path of the last hidden layer is not dominated by the decay")
    one = Fraction(1) if problem.biases else Fraction(0)
    T = [sum((v * v for x in problem.inputs for v in x), Fraction(0))]   # T_ℓ = Σ_j S_{ℓ,j}
    for _ in range(H):
        T.append(rho * rho * (T[-1] + N * one))
    r2 = sum((v * v for r in residuals for v in r), Fraction(0))
    need_K, need_M = alpha * alpha * r2 * T[H - 1], alpha * alpha * N * T[H]
    if K < 0 or K * K < need_K:
        raise CertificateInvalid("hessian bound", f"coupling must satisfy coupling ≥ 0 and coupling² ≥ α²·Σ‖r_j‖²·Σ_j "
                                 f"S_(H−1),j = {show(need_K)} (got {show(K)})")
    if M < 0 or M * M < need_M:
        raise CertificateInvalid("hessian bound", f"h_sum must satisfy h_sum ≥ 0 and h_sum² ≥ α²·N·Σ_j S_H,j = "
                                 f"{show(need_M)} (got {show(M)})")
    for value, what in ((2 * lam - (2 * H + 1) * M, "2λ − (2H+1)·h_sum"),
                        (2 * H * lam * (1 - nu) - 2 * H * K - (2 * H + 1) * M,
                         "2Hλ(1 − bstar_norm) − 2H·coupling − (2H+1)·h_sum"),
                        (2 * lam - 2 * H * K, "2λ − 2H·coupling")):
        if value <= 0:
            raise CertificateInvalid("gradient bound", f"{what} = {show(value)} must be positive (the radius is too "
                                     "large for the a-priori bounds)")
    mu_q = lam * (1 - nu) - K
    if ctx.mu > 2 * mu_q:
        raise CertificateInvalid("mu", f"must be at most 2·(λ(1 − bstar_norm) − coupling) = {show(2 * mu_q)} "
                                 f"(got {show(ctx.mu)})")
    return f"collapsed_network, {H} hidden layers, bstar_norm {show(nu)}, coupling {show(K)}"
