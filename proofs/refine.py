"""Refinement of an approximate critical point of one piece ``L_P`` (untrusted search).

Newton's method with an exact residual: each step evaluates ``∇L_P`` exactly at a dyadic rational
point and solves with a floating Hessian, so every step gains about ``16 − log10(cond)`` digits while
the iterates stay short dyadic rationals. Nothing here is claimed; the certificate re-establishes
every fact exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np

from symbolic.derivatives import piece_derivatives, to_fraction
from symbolic.network import Pattern, forward, true_boundary
from symbolic.problem import Problem


@dataclass(frozen=True)
class Refined:
    """The result of :func:`refine_critical_point`.

    ``theta`` is a dyadic rational point, ``gradient_norm`` a float estimate of ``‖∇L_P(θ)‖``,
    ``left_region`` says the iterates crossed a boundary of the piece (the piece's critical point lies
    outside its region, or on its boundary).
    """

    theta: list[Fraction]
    gradient_norm: float
    steps: int
    left_region: bool


def dyadic(x: float | Fraction, bits: int) -> Fraction:
    """``x`` rounded to the nearest multiple of ``2**-bits``.

    >>> dyadic(0.1, 4)
    Fraction(1, 8)
    """
    scale = 1 << bits
    return Fraction(round(Fraction(x) * scale), scale)


def refine_critical_point(problem: Problem, theta0: Sequence[Fraction], pattern: Pattern,
                          target: float = 1e-60, max_steps: int = 40) -> Refined:
    """Newton iteration for ``∇L_P = 0`` from ``theta0``, kept inside the piece's region.

    Parameters
    ----------
    problem, theta0, pattern
        The problem, the start point (exact), and the piece.
    target
        Stop once the exact gradient norm (estimated in floating point) is below this.
    max_steps
        Give up after this many steps.

    Notes
    -----
    The float Hessian is recomputed while the iterates move by more than ``1e-8`` and frozen after
    that (a chord method: the residual is exact, so convergence stays fast).
    """
    theta = [Fraction(t) for t in theta0]
    bits = 64
    Hf = None
    gnorm = float("inf")
    for step in range(max_steps + 1):
        d = piece_derivatives(problem, theta, pattern, hessian=Hf is None)
        g = np.array([float(to_fraction(v)) for v in d.gradient])
        gnorm = float(np.linalg.norm(g))
        if gnorm <= target:
            return Refined(theta, gnorm, step, False)
        if Hf is None:
            Hf = np.array(d.hessian.tolist(), dtype=object).astype(float)
        try:
            s = np.linalg.lstsq(Hf, g, rcond=None)[0]
        except np.linalg.LinAlgError:
            break
        size = float(np.linalg.norm(s))
        if not np.isfinite(size):
            break
        # precision of the next iterate: enough bits to resolve the step's successor (quadratic rate)
        bits = max(bits, min(4000, int(-2.2 * np.log2(max(size, 1e-300))) + 40))
        theta = [dyadic(t - Fraction(float(v)), bits) if v else t for t, v in zip(theta, s)]
        if size > 1e-8:
            Hf = None
        if _left(problem, theta, pattern):
            return Refined(theta, gnorm, step + 1, True)
    return Refined(theta, gnorm, max_steps, False)


def _left(problem: Problem, theta: Sequence[Fraction], pattern: Pattern) -> bool:
    """Whether ``θ`` is outside the open region of ``pattern`` (on its boundary counts as outside)."""
    if problem.depth == 0 or problem.activation != "relu":
        return False
    fw = forward(problem, problem.unflatten(theta))
    return fw.pattern != pattern or bool(true_boundary(problem, fw))
