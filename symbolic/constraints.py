"""First-layer activation constraints: the linear forms whose signs bound the regions near a kink.

The pre-activation of hidden unit ``i`` of the first layer at sample ``j`` is
``z_{1,i}(x_j) = W_1[i, :]·x_j + b_1[i] = a_{ij}·θ``, a *linear* form in ``θ`` whose coefficient vector
``a_{ij}`` holds ``x̃_j = (x_j, 1)`` in unit ``i``'s incoming coordinates and zeros elsewhere. Region
boundaries of the first layer are therefore hyperplanes through the origin of parameter space, and a
region's closure near a point on them is a polyhedral cone: the reason boundary certificates are
possible for them (docs/SPEC.md §4, boundary case).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Sequence

from .linalg import independent, solve
from .problem import Problem

Constraint = tuple[int, int]
"""``(sample j, unit i)`` of the first hidden layer."""


def constraint_vector(problem: Problem, con: Constraint) -> list[Fraction]:
    """The coefficient vector ``a`` with ``z_{1,i}(x_j) = a·θ``.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [2, 2, 1]},
    ...     "loss": {"weight_decay": 1}, "data": {"inputs": [[3, 4]], "targets": [[0]]}})
    >>> [str(v) for v in constraint_vector(p, (0, 1))]
    ['0', '0', '3', '4', '0', '1', '0', '0', '0']
    """
    j, i = con
    n0, n1 = problem.widths[0], problem.widths[1]
    a = [Fraction(0)] * problem.parameter_count
    for b, x in enumerate(problem.inputs[j]):
        a[i * n0 + b] = x
    if problem.biases:
        a[n1 * n0 + i] = Fraction(1)
    return a


def incoming_indices(problem: Problem, unit: int) -> list[int]:
    """Positions in ``θ`` of first-layer unit ``unit``'s weights (then its bias)."""
    n0, n1 = problem.widths[0], problem.widths[1]
    idx = [unit * n0 + b for b in range(n0)]
    return idx + ([n1 * n0 + unit] if problem.biases else [])


def project_onto(problem: Problem, theta: Sequence[Fraction], cons: Sequence[Constraint]) -> list[Fraction]:
    """The exact orthogonal projection of ``θ`` onto ``{θ : a·θ = 0 for every constraint}``.

    Constraints act on one unit each, so the projection is done unit by unit: ``v ← v − X (XᵀX)⁺ Xᵀ v``
    with ``X`` the unit's ``x̃_j`` (dependent columns dropped first).

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1]},
    ...     "loss": {"weight_decay": 1}, "data": {"inputs": [[2]], "targets": [[0]]}})
    >>> [str(v) for v in project_onto(p, [Fraction(1), Fraction(1), Fraction(5), Fraction(0)], [(0, 0)])]
    ['-1/5', '2/5', '5', '0']
    """
    out = [Fraction(t) for t in theta]
    units: dict[int, list[int]] = {}
    for j, i in cons:
        units.setdefault(i, []).append(j)
    for i, samples in units.items():
        idx = incoming_indices(problem, i)
        xs = [_xtilde(problem, j) for j in samples]
        cols = [xs[k] for k in independent(xs)]
        v = [out[p] for p in idx]
        # solve (XᵀX) y = Xᵀ v exactly, then v ← v − X y
        G = [[_dot(a, b) for b in cols] for a in cols]
        rhs = [_dot(a, v) for a in cols]
        y = solve(G, rhs)
        assert y is not None  # G is the Gram matrix of independent columns: nonsingular
        for p_, k in zip(idx, range(len(v))):
            out[p_] = v[k] - sum((yc * col[k] for yc, col in zip(y, cols)), Fraction(0))
    return out


def _xtilde(problem: Problem, j: int) -> list[Fraction]:
    return list(problem.inputs[j]) + ([Fraction(1)] if problem.biases else [])


def _dot(a: Sequence[Fraction], b: Sequence[Fraction]) -> Fraction:
    return sum((x * y for x, y in zip(a, b)), Fraction(0))
