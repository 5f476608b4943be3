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
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from . import lemmas
from .arith import Sparse, matrix_over_common
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
    if any(not any(v) for v in xt):
        raise CertificateInvalid("evidence", "collapsed_layer needs every x̃_j ≠ 0")
    residuals = _centre(problem, ctx.center)
    lam, alpha, N = problem.weight_decay, problem.alpha, len(problem.inputs)
    eps, s_x = ctx.number("epsilon"), ctx.number("x_sum")
    if not 0 < eps <= lam:
        raise CertificateInvalid("hessian bound", f"epsilon must be in (0, λ] (got {show(eps)})")
    if s_x < 0 or s_x * s_x < N * sum(v * v for x in xt for v in x):  # (Σ‖x̃_j‖)² ≤ N Σ‖x̃_j‖²
        raise CertificateInvalid("hessian bound", f"x_sum must satisfy x_sum² ≥ N·Σ‖x̃_j‖² (got {show(s_x)})")
    normals: list[Sparse] = [{p: v for p, v in enumerate(x) if v} for x in xt]
    empty = lemmas.gordan_empty(ctx.evidence["empty"], normals, mx, ctx.budget)
    cells = expect_list(ctx.evidence["cells"], "evidence.cells")
    size = max(v.numerator.bit_length() + v.denominator.bit_length()
               for rows in (xt, residuals) for r in rows for v in r)
    ctx.budget.charge(len(cells) * N * len(xt[0]) * problem.widths[-1], 2 * size, "the cell bounds")
    seen: set[str] = set()
    room = (lam - eps) ** 2
    for k, item in enumerate(cells):
        where = join("evidence.cells", k)
        entry = expect_object(item, where, {"signs", "plus", "minus", "pd"}, {"signs"})
        signs = entry["signs"]
        if not isinstance(signs, str) or len(signs) != N or set(signs) - {"0", "1"} or signs in seen:
            fail(f"{where}.signs", f"must be a new string of {N} characters 0 or 1 (got {signs!r})")
        seen.add(signs)
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
    lemmas.regions_covered(seen, empty, N, ctx.budget)
    mu_q = min(alpha * N + (lam if problem.biases else 0), eps)
    C0 = alpha * s_x
    if 3 * C0 * rho >= 2 * mu_q:
        raise CertificateInvalid("gradient bound", f"3·α·x_sum·ρ = {show(3 * C0 * rho)} must be below "
                                 f"2·min(αN + λ_b, ε) = {show(2 * mu_q)}")
    if ctx.mu > 2 * (mu_q - C0 * rho):
        raise CertificateInvalid("mu", f"must be at most 2·(min(αN + λ_b, ε) − α·x_sum·ρ) = "
                                 f"{show(2 * (mu_q - C0 * rho))} (got {show(ctx.mu)})")
    return f"collapsed_layer, {len(seen)} cell(s), {len(empty)} excluded, epsilon {show(eps)}"


def _centre(problem: Problem, c: list[Fraction]) -> list[list[Fraction]]:
    """Every hidden parameter is 0 and the output bias is exactly critical; returns ``r_j = f(x_j) − y_j``."""
    n1, n_out = problem.widths[1], problem.widths[-1]
    hidden = problem.offsets[1] + n_out * n1  # layer 1, then W_2
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
