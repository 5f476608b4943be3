"""The gap between the paper's bound and the truth: exact ``λ_min`` intervals, spectral norms, symmetry.

Floats only screen: a float eigenvalue suggests where to look, and every reported number is then proved
with exact symmetric elimination over ``Q``:

- ``A ≻ 0`` when every LDLᵀ pivot (no pivoting) is positive;
- ``A`` is **not** PSD when the first non-positive pivot is negative (the leading principal minor of
  that size is then negative);
- ``A ⪰ 0`` when the elimination meets only positive pivots, or zero pivots whose remaining column is
  zero (a PSD matrix with a zero diagonal entry has a zero row, and Schur complements stay PSD).

So ``λ_min(H) ∈ (lo, hi)`` is proved by ``H − lo·I ≻ 0`` and ``H − hi·I`` not PSD; an exact rational
``λ_min = q`` by ``H − q·I ⪰ 0`` and singular.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from flint import fmpq, fmpq_mat

from .derivatives import piece_derivatives
from .linalg import rows as _rows, semidefinite_class, to_fmpq, to_fraction
from .network import Pattern, augmented
from .problem import Params, Problem
from .rationals import canonical


@dataclass(frozen=True)
class EigenInterval:
    """``λ_min ∈ [lo, hi]`` proved exactly (``lo == hi``: the exact rational value)."""

    lo: Fraction
    hi: Fraction

    def to_json(self) -> dict[str, str]:
        return {"lo": canonical(self.lo), "hi": canonical(self.hi)}


def smallest_eigenvalue(A: Any, digits: int = 8) -> EigenInterval:
    """A proved interval for ``λ_min`` of a symmetric rational matrix.

    Examples
    --------
    >>> smallest_eigenvalue([[2, Fraction(14, 25)], [Fraction(14, 25), 2]])
    EigenInterval(lo=Fraction(36, 25), hi=Fraction(36, 25))
    """
    a = _rows(A)
    n = len(a)
    if n == 0:
        raise ValueError("matrix: must be non-empty (got 0×0)")
    big = max((abs(to_fraction(v)) for row in a for v in row), default=Fraction(0)) or Fraction(1)
    # screen on a/big so that huge entries cannot overflow a float; only the guess is scaled back
    scaled = np.array([[float(to_fraction(v) / big) for v in row] for row in a])
    guess_q = Fraction(float(np.linalg.eigvalsh(scaled)[0])) * big
    q = guess_q.limit_denominator(10 ** 6)
    if semidefinite_class(a, q)[0] == "psd":
        return EigenInterval(q, q)
    width = Fraction(max(1, math.ceil(abs(guess_q))), 10 ** digits)
    center = Fraction(round(guess_q * 10 ** (digits + 2)), 10 ** (digits + 2))
    lo, hi = center - width, center + width
    for _ in range(200):
        kind = semidefinite_class(a, lo)[0]
        if kind == "pd":
            break
        lo -= width
        width *= 2
    else:  # pragma: no cover - a symmetric matrix has a finite smallest eigenvalue
        raise ArithmeticError("λ_min: lower bound not found")
    width = Fraction(max(1, math.ceil(abs(guess_q))), 10 ** digits)
    for _ in range(200):
        kind = semidefinite_class(a, hi)[0]
        if kind == "not_psd":
            break
        hi += width
        width *= 2
    else:  # pragma: no cover
        raise ArithmeticError("λ_min: upper bound not found")
    return EigenInterval(lo, hi)


def piece_hessian(problem: Problem, params: Params, pattern: Pattern) -> fmpq_mat:
    """The exact Hessian ``∇²L_P`` of the piece ``P`` at ``params``."""
    d = piece_derivatives(problem, problem.flatten(params), pattern)
    assert d.hessian is not None
    return d.hessian


def spectral_square_bounds(problem: Problem, params: Params, eps: Fraction = Fraction(1, 10 ** 12)) -> list[Fraction]:
    """Rational upper bounds on ``‖W̃_k‖₂² = λ_max(W̃_kᵀW̃_k)``, by exact real-root isolation (sympy).

    The bound is the right end of an isolating interval of width ``≤ eps`` (the value itself when the
    largest eigenvalue is rational).

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [2, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": 1}, "data": {"inputs": [[1, 0]], "targets": [[1]]},
    ...     "point": {"weights": [[[3, 4]], [[2]]]}})
    >>> spectral_square_bounds(p, p.point)
    [Fraction(25, 1), Fraction(4, 1)]
    """
    import sympy

    out = []
    for M in augmented(problem, params):
        W = sympy.Matrix([[sympy.Rational(v.numerator, v.denominator) for v in row] for row in M])
        G = W * W.T if W.rows <= W.cols else W.T * W
        x = sympy.Symbol("x")
        poly = sympy.Poly(G.charpoly(x).as_expr(), x)
        (a, b), _ = poly.intervals(eps=sympy.Rational(eps.numerator, eps.denominator))[-1]
        out.append(Fraction(int(b.p), int(b.q)))
    return out


# ---------------------------------------------------------------------------------------------------
# linear networks: the orthogonal symmetry


@dataclass(frozen=True)
class NullDirection:
    """The tangent of the orbit ``W_k ↦ O W_k``, ``W_{k+1} ↦ W_{k+1} Oᵀ`` for ``A = E_ab − E_ba``.

    ``hv_square`` is ``‖H v‖²`` (0 at an exact critical point), ``rayleigh`` the exact ``vᵀHv/vᵀv``,
    an upper bound on ``λ_min``.
    """

    layer: int
    generator: tuple[int, int]
    v_square: Fraction
    hv_square: Fraction
    rayleigh: Fraction

    def to_json(self) -> dict[str, Any]:
        return {"layer": self.layer, "generator": list(self.generator), "v_square": canonical(self.v_square),
                "hv_square": canonical(self.hv_square), "rayleigh": canonical(self.rayleigh)}


def symmetry_tangent(problem: Problem, params: Params, layer: int, a: int, b: int) -> list[Fraction]:
    """``v = (… , A W_k (and A b_k), −W_{k+1} A, …)`` in canonical order for hidden layer ``k = layer``.

    ``A = E_ab − E_ba`` is skew-symmetric; ``(O W_k, W_{k+1} Oᵀ)`` with ``O = exp(tA)`` leaves a linear
    network's outputs and every Frobenius norm unchanged, so ``L`` is constant along the orbit.
    """
    dW = [[[Fraction(0)] * len(row) for row in W] for W in params.weights]
    db = [[Fraction(0)] * len(b_) for b_ in params.biases] if params.biases is not None else None
    k = layer - 1  # 0-based index of W_k
    Wk, Wn = params.weights[k], params.weights[k + 1]
    # (A W_k)[a, :] = W_k[b, :], (A W_k)[b, :] = −W_k[a, :]
    dW[k][a] = list(Wk[b])
    dW[k][b] = [-v for v in Wk[a]]
    if db is not None and params.biases is not None:
        db[k][a] = params.biases[k][b]
        db[k][b] = -params.biases[k][a]
    # (−W_{k+1} A)[:, a] = W_{k+1}[:, b], (−W_{k+1} A)[:, b] = −W_{k+1}[:, a]
    for r, row in enumerate(Wn):
        dW[k + 1][r][a] = row[b]
        dW[k + 1][r][b] = -row[a]
    return problem.flatten(Params(tuple(tuple(tuple(r) for r in M) for M in dW),
                                  tuple(tuple(b_) for b_ in db) if db is not None else None))


def symmetry_directions(problem: Problem, params: Params) -> list[NullDirection]:
    """Exact ``‖Hv‖²`` and Rayleigh quotients along every elementary orbit tangent (linear networks).

    Examples
    --------
    ``f = W₂W₁x`` (2-2-2, ``x_j = e_j``, ``y_j = e_j``, mean, ``λ = 3/8``) at ``W₁ = W₂ = I/2``, an exact
    critical point (``t(t² − 1) + 2λt = 0`` at ``t = 1/2``): the tangent is an exact null vector.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1",
    ...     "network": {"widths": [2, 2, 2], "biases": False, "activation": "identity"},
    ...     "loss": {"weight_decay": "3/8"}, "data": {"inputs": [[1, 0], [0, 1]], "targets": [[1, 0], [0, 1]]},
    ...     "point": {"weights": [[["1/2", 0], [0, "1/2"]], [["1/2", 0], [0, "1/2"]]]}})
    >>> [(d.layer, d.hv_square, d.rayleigh) for d in symmetry_directions(p, p.point)]
    [(1, Fraction(0, 1), Fraction(0, 1))]
    """
    if problem.activation != "identity":
        return []
    Hm = None
    out = []
    for layer in range(1, problem.depth + 1):
        n = problem.widths[layer]
        for a in range(n):
            for b in range(a + 1, n):
                v = symmetry_tangent(problem, params, layer, a, b)
                vv = sum((t * t for t in v), Fraction(0))
                if vv == 0:
                    continue
                if Hm is None:
                    pattern = tuple(tuple((1,) * w for w in problem.widths[1:-1]) for _ in range(problem.samples))
                    Hm = piece_hessian(problem, params, pattern)
                hv = Hm * fmpq_mat(len(v), 1, [to_fmpq(t) for t in v])
                hv_list = [to_fraction(hv[i, 0]) for i in range(len(v))]
                out.append(NullDirection(layer, (a, b), vv, sum((t * t for t in hv_list), Fraction(0)),
                                         sum((t * h for t, h in zip(v, hv_list)), Fraction(0)) / vv))
    return out
