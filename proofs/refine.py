"""Refinement of an approximate critical point of one piece ``L_P`` (untrusted search).

Two phases. First Newton's method in float64 on the piece (gradient and complex-step Hessian of
:class:`symbolic.float_loss.FloatObjective` with the pattern's masks) until the float gradient stops
shrinking: that costs no exact arithmetic and gets within rounding of the critical point. Then Newton
with an exact residual: each step evaluates ``∇L_P`` exactly at a dyadic rational point and solves with
a *float* Hessian (frozen once the steps are short), so every step gains about ``16 − log10(cond)``
digits while the iterates stay short dyadic rationals. The exact Hessian is never formed here.

Only the exact gradient decides convergence, and only an exact forward pass decides that an iterate
left the region (floats merely screen: a pre-activation far from zero on the right side needs no exact
look). Nothing here is claimed; the certificate re-establishes every fact exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np
from scipy.linalg import lapack, lu_solve

from symbolic.derivatives import rounded_gradient
from symbolic.float_loss import FloatObjective
from symbolic.network import Pattern, forward, null_samples, true_boundary
from symbolic.problem import Problem

FLOAT_STEPS = 12
"""At most this many float Newton steps before the exact-residual phase."""
FLOAT_NOISE = 100
"""Float steps stop once the float gradient is within this factor of its rounding noise."""
SCREEN_TOL = 1e-9
"""A pre-activation with ``|z| > SCREEN_TOL · scale`` on the pattern's side needs no exact check; float
rounding of the point and of ``z`` is about ``1e-16 · scale``."""
FLOAT_TRUST = 1e6
"""In the exact phase a float gradient this many times its rounding noise stands in for the exact one:
its relative error (about ``1/FLOAT_TRUST``) only slows Newton's quadratic rate while the steps are long."""
HESSIAN_FREEZE = 1e-12
"""Exact-phase steps longer than this recompute the float Hessian (at the current point)."""
SHORT_BITS = 64
"""A centre rounded to multiples of ``2^-64``: its gradient is about ``‖H‖·2^-64`` once the refined point
is much closer than that, and every exact product on it is on ~64-bit instead of ~250-bit numbers."""
SHORT_TARGET = 1e-30
"""How far to refine before rounding to a short centre: well below the rounding's own ``‖H‖·2^-64``."""


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


def newton_update(theta: Sequence[Fraction], step: Sequence[float] | np.ndarray, bits: int) -> list[Fraction]:
    """``[dyadic(t − v, bits) if v else t for t, v in zip(theta, step)]``, by integer shifts where ``t`` is
    dyadic (the iterates after the first step): ``t − v`` is then ``X/2^K`` for an integer ``X`` and rounding
    it to a multiple of ``2^-bits`` is a shift with ties to even, as ``round`` does.

    >>> newton_update([Fraction(3, 4), Fraction(1, 10), Fraction(5)], [0.5, 0.25, 0.0], 2)
    [Fraction(1, 4), Fraction(-1, 4), Fraction(5, 1)]
    >>> newton_update([Fraction(1, 8)], [0.0625], 3) == [dyadic(Fraction(1, 8) - Fraction(0.0625), 3)]  # a tie
    True
    """
    out = []
    for t, v in zip(theta, step):
        if not v:
            out.append(t)
            continue
        num, den = t.numerator, t.denominator
        m, k = float(v).as_integer_ratio()
        if den & (den - 1):   # not dyadic: the general rounding
            out.append(dyadic(t - Fraction(m, k), bits))
            continue
        K = max(den.bit_length(), k.bit_length(), bits + 1) - 1   # den, k ≤ 2^K and bits ≤ K
        X = num * ((1 << K) // den) - m * ((1 << K) // k)          # t − v = X / 2^K
        q = X
        if K > bits:                                              # X / 2^(K−bits) to the nearest, ties to even
            q, r = divmod(X, 1 << (K - bits))
            half = 1 << (K - bits - 1)
            if r > half or (r == half and q & 1):
                q += 1
        out.append(Fraction(q, 1 << bits))
    return out


def short_centre(problem: Problem, theta: Sequence[Fraction], pattern: Pattern,
                 bits: int = SHORT_BITS) -> list[Fraction]:
    """``θ`` rounded to multiples of ``2^-bits`` when that makes it shorter and keeps it strictly inside the
    pattern's region (else ``θ`` unchanged). Exact products at the centre — the Hessian in certify and in the
    checker — then act on short numbers; the certified ball grows to about ``‖H‖·2^-bits/μ``.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> long = Fraction(1, 3) + Fraction(1, 2 ** 70)
    >>> short_centre(p, [long, -long], (((1,),),), bits=4)
    [Fraction(5, 16), Fraction(-5, 16)]
    >>> near_kink = [Fraction(1, 100) + Fraction(1, 2 ** 70), long]
    >>> short_centre(p, near_kink, (((1,),),), bits=4) == near_kink  # 1/100 would round to 0, the kink
    True
    >>> short_centre(p, [Fraction(36, 125), Fraction(1, 3)], (((1,),),), bits=64)  # already shorter
    [Fraction(36, 125), Fraction(1, 3)]
    """
    c = [dyadic(t, bits) for t in theta]
    if sum(map(_size, c)) >= sum(map(_size, theta)):  # already short (e.g. an exact rational critical point)
        return list(theta)
    fw = forward(problem, problem.unflatten(c))
    if fw.pattern != pattern or true_boundary(problem, fw):
        return list(theta)
    return c


def _size(q: Fraction) -> int:
    return q.numerator.bit_length() + q.denominator.bit_length()


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
        Give up after this many steps (float and exact steps together).

    Notes
    -----
    The float phase (:func:`_float_phase`) stops near the float gradient's rounding noise or at the
    first step that does not shrink it; a start already at that noise skips it, so a point refined
    beyond floats is not thrown away. In the exact phase the float Hessian is recomputed while the
    steps are longer than :data:`HESSIAN_FREEZE`.

    Examples
    --------
    ``L = ((ab − 1)² + (a² + b²)/4)``; the piece's minimum is ``a = b = √3/2``:

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> r = refine_critical_point(p, [Fraction(9, 10), Fraction(9, 10)], (((1,),),))
    >>> r.left_region, abs(r.theta[0] ** 2 - Fraction(3, 4)) < Fraction(1, 10 ** 50)
    (False, True)
    """
    screen = _Screen(problem, pattern)
    theta = [Fraction(t) for t in theta0]
    theta, Hf, gfloat, steps, left, noise = _float_phase(screen, theta, max_steps)
    if left:
        return Refined(theta, gfloat, steps, True)
    bits = 64
    gnorm = float("inf")
    for step in range(steps, max_steps + 1):
        # far above its rounding noise the float gradient at the (exact, dyadic) iterate gives the same
        # step to many digits; only steps near the critical point need, and only convergence is decided
        # by, the exact gradient
        g = screen.gradient(np.array([float(t) for t in theta]))
        gnorm = float(np.linalg.norm(g))
        if not (np.isfinite(gnorm) and gnorm > FLOAT_TRUST * noise):
            g = np.array(rounded_gradient(problem, theta, pattern))
            gnorm = float(np.linalg.norm(g))
            if gnorm <= target:
                return Refined(theta, gnorm, step, False)
        if Hf is None:
            Hf = screen.hessian(np.array([float(t) for t in theta]))
        try:
            s = newton_step(Hf, g)
        except np.linalg.LinAlgError:
            break
        size = float(np.linalg.norm(s))
        if not np.isfinite(size):
            break
        # precision of the next iterate: enough bits to resolve the step's successor (quadratic rate)
        bits = max(bits, min(4000, int(-2.2 * np.log2(max(size, 1e-300))) + 40))
        theta = newton_update(theta, s, bits)
        if size > HESSIAN_FREEZE:
            Hf = None
        if screen.left(theta):
            return Refined(theta, gnorm, step + 1, True)
    return Refined(theta, gnorm, max_steps, False)


def _float_phase(screen: _Screen, theta: list[Fraction],
                 max_steps: int) -> tuple[list[Fraction], np.ndarray | None, float, int, bool, float]:
    """Float Newton from ``theta``: ``(start point, its float Hessian or None, ‖g‖ float, steps, left,
    the float gradient's rounding noise)``.

    The float gradient resolves ``∇L_P`` only down to its rounding noise, estimated as the change of the
    float gradient when ``θ`` moves by a few ulps. A start already within :data:`FLOAT_NOISE` times that
    noise is left to the exact phase untouched (it may be refined far beyond floats); otherwise steps
    are kept while they shrink the float gradient, until it reaches the noise.
    """
    x = np.array([float(t) for t in theta])
    g = screen.gradient(x)
    gnorm = float(np.linalg.norm(g))
    jiggle = x * (1 + 4 * np.finfo(float).eps * (-1.0) ** np.arange(x.size))  # deterministic ulps
    noise = float(np.linalg.norm(screen.gradient(jiggle) - g))
    if not np.isfinite(gnorm) or gnorm <= FLOAT_NOISE * noise:
        return theta, None, gnorm, 0, False, noise
    H = None
    steps = 0
    while steps < min(FLOAT_STEPS, max_steps) and gnorm > FLOAT_NOISE * noise:
        H = screen.hessian(x)
        try:
            s = newton_step(H, g)
        except np.linalg.LinAlgError:
            break
        y = x - s
        gy = screen.gradient(y)
        gy_norm = float(np.linalg.norm(gy))
        if not np.isfinite(gy_norm) or gy_norm >= gnorm:
            break  # Newton is not converging from here: the exact phase takes over
        x, g, gnorm = y, gy, gy_norm
        steps += 1
        point = [Fraction(v) for v in x]  # exact: a float is a dyadic rational
        if screen.left(point, x):
            return point, None, gnorm, steps, True, noise
    # the last Hessian was taken one step back, far from the end point for a chord method: recompute
    if steps:
        return [Fraction(v) for v in x], None, gnorm, steps, False, noise
    return theta, H, gnorm, 0, False, noise


def newton_step(H: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The least-squares solution of ``H s = g`` (``np.linalg.lstsq`` with its default cutoff ``P·eps·σ_max``).

    When the estimated reciprocal condition number of ``H`` (LAPACK ``dgecon`` on its LU factors, 1-norm)
    exceeds ``√eps``, no singular value is anywhere near that cutoff and the solution is the plain
    ``H⁻¹g``, taken from the LU factors (about 5 times faster than the SVD of ``lstsq`` at P ≈ 300); the
    two agree to rounding. Any other ``H`` goes to ``lstsq``.

    >>> H = np.array([[4.0, 1.0], [1.0, 3.0]]); g = np.array([1.0, 2.0])
    >>> bool(np.allclose(newton_step(H, g), np.linalg.lstsq(H, g, rcond=None)[0]))
    True
    >>> newton_step(np.array([[1.0, 0.0], [0.0, 0.0]]), g).tolist()  # singular: the minimum-norm solution
    [1.0, 0.0]
    """
    if H.size and np.all(np.isfinite(H)) and np.all(np.isfinite(g)):
        lu, piv, info = lapack.dgetrf(H)
        if info == 0:
            rcond, info = lapack.dgecon(lu, float(np.abs(H).sum(axis=0).max()))
            if info == 0 and rcond > np.sqrt(np.finfo(float).eps):
                step: np.ndarray = lu_solve((lu, piv), g, check_finite=False)
                return step
    result: np.ndarray = np.linalg.lstsq(H, g, rcond=None)[0]
    return result


def float_hessian(problem: Problem, theta: Sequence[Fraction], pattern: Pattern) -> np.ndarray:
    """``∇²L_P(θ)`` in float64 (complex steps, for screening only): ``P`` float gradients instead of one
    exact Hessian, whose ``O(P²N)`` long-integer products cost many times more at a few hundred
    parameters and up."""
    return _Screen(problem, pattern).hessian(np.array([float(t) for t in theta]))


class _Screen:
    """The piece in floats (gradient, Hessian) and the region test: float screen, exact confirmation."""

    def __init__(self, problem: Problem, pattern: Pattern):
        self.problem = problem
        self.pattern = pattern
        self.objective = FloatObjective(problem)
        self.relu = problem.depth > 0 and problem.activation == "relu"
        n = len(problem.inputs)
        if self.relu:
            self.masks = [np.array([[pattern[j][k][i] for i in range(w)] for j in range(n)], dtype=float)
                          for k, w in enumerate(problem.widths[1:-1])]
        else:
            self.masks = [np.ones((n, w)) for w in problem.widths[1:-1]]
        nulls = null_samples(problem)
        # a null sample has z = 0 for every θ: it is inside the region iff its pattern entries are 0
        self.nulls_ok = all(not any(any(layer) for layer in pattern[j]) for j in nulls)
        self.live = np.array([j not in nulls for j in range(n)], dtype=bool)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        """``∇L_P(x)`` in float64."""
        g: np.ndarray = self.objective.evaluate(x, self.masks)[1]  # FloatObjective.evaluate is untyped
        return g

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """``∇²L_P(x)`` in float64 (complex steps: exact to rounding)."""
        return self.objective.piece_hessian(x, self.masks)

    def left(self, theta: Sequence[Fraction], x: np.ndarray | None = None) -> bool:
        """Whether ``θ`` is outside the open region of the pattern (its boundary counts as outside).

        Decided exactly; a float pass first clears the points whose every live pre-activation is on the
        pattern's side by a wide margin.
        """
        if not self.relu:
            return False
        if x is None:
            x = np.array([float(t) for t in theta])
        if self.nulls_ok and self._clearly_inside(x):
            return False
        fw = forward(self.problem, self.problem.unflatten(theta))
        return fw.pattern != self.pattern or bool(true_boundary(self.problem, fw))

    def _clearly_inside(self, x: np.ndarray) -> bool:
        a, a_abs = self.objective.X, np.abs(self.objective.X)
        for k, (W, b) in enumerate(self.objective.layers(x)[:-1]):
            z = a @ W.T + (b if b is not None else 0)
            scale = a_abs @ np.abs(W).T + (np.abs(b) if b is not None else 0)
            m = self.masks[k]
            signed = np.where(m > 0, z, -z)[self.live]
            if not np.all(signed > SCREEN_TOL * (1 + scale[self.live])):
                return False
            a, a_abs = z * m, scale * m  # rounding errors grow with the scale, not with |z|
        return True
