"""Computes exactly what the checker computes, for the generator and the LaTeX renderer.

Thin wrappers over the checker's kernel (``proofs/checker/network.py``), taking a problem as a decoded
dict or a checker ``Problem``, so that the evidence the generator writes is the evidence the checker
accepts. Nothing here is trusted: the checker never imports it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Sequence

from .checker.network import Bounds, CurveLoss, Problem, bounds, curve_loss, derivatives, forward
from .checker.reading import read_pattern, read_poly, read_problem


def _problem(problem: Problem | dict[str, Any]) -> Problem:
    return problem if isinstance(problem, Problem) else read_problem(problem)


def derivative_bounds(problem: Problem | dict[str, Any], center_theta: Sequence[Fraction], radius: Fraction) -> Bounds:
    """The a-priori bounds of FORMAT.md on the box ``|θ − c|_∞ ≤ ρ``.

    Returns
    -------
    Bounds
        ``K`` (third partials of any ``L_P``), ``F1[k]`` and ``prefix[k]`` (``P_k``) for sign stability of
        layer ``k``, and ``delta_squared = P³K²ρ²`` (a valid ``δ`` has ``δ² ≥`` it).

    Examples
    --------
    >>> p = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...      "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["1"]], "targets": [["1"]]}}
    >>> derivative_bounds(p, [Fraction(1), Fraction(1)], Fraction(0)).K   # K = 6B, B = 1
    Fraction(6, 1)
    """
    return bounds(_problem(problem), [Fraction(v) for v in center_theta], Fraction(radius))


def loss_derivatives(problem: Problem | dict[str, Any], theta: Sequence[Fraction],
                     pattern: Any = None) -> tuple[Fraction, list[Fraction], list[list[Fraction]]]:
    """Exact ``(L_P, ∇L_P, ∇²L_P)`` at a rational ``θ`` for a fixed pattern.

    ``pattern`` is in the certificate's form (``[["10"], ["11"]]``); ``None`` uses the true ReLU at ``θ``
    (on a boundary that is one of the adjacent pieces, ``σ'(0) = 0``).

    Examples
    --------
    >>> p = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...      "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["1"]], "targets": [["1"]]}}
    >>> L, g, H = loss_derivatives(p, [Fraction(1), Fraction(1)])   # L = (ab−1)² + (a²+b²)/4
    >>> L, g, H
    (Fraction(1, 2), [Fraction(1, 2), Fraction(1, 2)], [[Fraction(5, 2), Fraction(2, 1)], [Fraction(2, 1), Fraction(5, 2)]])
    """
    prob = _problem(problem)
    theta = [Fraction(v) for v in theta]
    parsed = None if pattern is None else read_pattern(pattern, prob, "pattern")
    d = derivatives(prob, theta, forward(prob, theta, parsed))
    return d.loss, d.grad, [[Fraction(v, d.hess_den) for v in row] for row in d.hess_num]


def activation_pattern(problem: Problem | dict[str, Any], theta: Sequence[Fraction]) -> list[list[str]]:
    """The pattern at ``θ`` in certificate form; raises ``ValueError`` if some pre-activation is 0."""
    prob = _problem(problem)
    run = forward(prob, [Fraction(v) for v in theta], None)
    for j, sample in enumerate(run.pre):
        for k, z in enumerate(sample):
            if 0 in z and prob.activation == "relu":
                raise ValueError(f"sample {j} layer {k + 1} unit {z.index(0)}: pre-activation is 0 (a boundary)")
    return [["".join(map(str, mask)) for mask in masks] for masks in run.masks]


def curve_loss_polynomial(problem: Problem | dict[str, Any], center_theta: Sequence[Fraction],
                          numerators: Sequence[Sequence[Any]], denominator: Sequence[Any]) -> CurveLoss:
    """``Λ(t) = q^{2(H+1)}·(L(γ(t)) − L(c))`` for ``γ = numerators/denominator`` and the hidden numerators.

    Coefficients may be Fractions or canonical strings. The pattern along ``γ`` is the germ sign at
    ``t → 0⁺`` of each hidden numerator; the checker accepts only if each is decided on ``(0, t0]``.

    Examples
    --------
    >>> p = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...      "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["1"]], "targets": [["1"]]}}
    >>> curve_loss_polynomial(p, [0, 0], [[0, 1], [0, 1]], [1]).Lambda   # −(3/2)t² + t⁴
    [Fraction(0, 1), Fraction(0, 1), Fraction(-3, 2), Fraction(0, 1), Fraction(1, 1)]
    """
    prob = _problem(problem)

    def poly(p: Sequence[Any], where: str) -> list[Fraction]:
        return read_poly(list(p), where) if any(isinstance(c, str) for c in p) else [Fraction(c) for c in p]

    nums = [poly(p, f"numerators[{i}]") for i, p in enumerate(numerators)]
    return curve_loss(prob, [Fraction(v) for v in center_theta], nums, poly(denominator, "denominator"))
