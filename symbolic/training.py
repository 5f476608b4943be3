"""Float training: candidate minima of a problem's loss from random starts (``pscert train``).

Floats only *search* here; nothing in this module claims anything. A candidate becomes a fact only
when ``certify`` re-establishes it exactly. The pipeline for one problem is:

1. **Starts.** ``K`` points drawn from one ``numpy.random.Generator(seed)``: every parameter of layer
   ``k`` (weights and bias) is normal with standard deviation ``sqrt(2 / n_{k-1})`` (He et al. 2015,
   ``n_{k-1}`` the layer's fan-in). Start ``r`` depends only on the seed and ``r``, not on ``K``.
2. **Descent.** SciPy's L-BFGS-B on the float64 loss of SPEC §1 (reduction, biases, ``decay_biases``
   and the activation honoured) and its gradient, with ``σ'(0) = 0`` (the convention of
   :func:`symbolic.network.forward`: a unit with ``z = 0`` is inactive).
3. **Polish.** At most :data:`POLISH_STEPS` Newton steps on the piece ``L_P`` of the point's own
   pattern, with the Hessian by complex-step differentiation of the piece gradient (exact to rounding;
   ``P`` gradient evaluations, so only for at most :data:`POLISH_MAX_PARAMETERS` parameters), or on
   the piece restricted to the pre-activations within :data:`KINK_TOL` of zero (kink minima). A step
   is kept only if it is short, the pattern stays, the residual shrinks and the loss does not rise.
4. **Deduplication** up to permutations of hidden units (:func:`canonicalise`), ranking by loss.

Without weight decay, or with split or shared-pattern units (SPEC §4), minima are not isolated, and
different starts land at different points of one flat set: they are reported as distinct minima.
"""

from __future__ import annotations

import functools
import json
import math
import os
import tempfile
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
from scipy.optimize import minimize

from .exceptions import ProblemError
from .importer import conversion_note, float_to_rational
from .problem import Params, Problem, problem_to_json

BOUNDARY_TOL = 1e-8
"""A unit is *boundary-near* if ``|z| < BOUNDARY_TOL`` at some sample, *dead* if ``z < BOUNDARY_TOL`` at all."""
DEDUPE_TOL = 1e-6
"""Two canonicalised points are one minimum if they differ by at most ``DEDUPE_TOL · (1 + max|θ|)``."""
DESCENT_ROUNDS = 8
POLISH_STEPS = 4
POLISH_MAX_PARAMETERS = 400
POLISH_RADIUS = 1e-4
"""Polishing steps longer than ``POLISH_RADIUS · (1 + ‖θ‖)`` are refused: the descent already converged."""
KINK_TOL = 1e-6
"""Polishing treats ``|z| < KINK_TOL · (1 + max|z| of the layer)`` as a kink to land on exactly."""
_COMPLEX_STEP = 1e-20


class FloatObjective:
    """The loss of a problem in float64: value, gradient, and the Hessian of a piece.

    Examples
    --------
    ``L = (ab − 1)² + (a² + b²)/4`` for ``f = b·σ(a·x)``, ``x = y = 1``; at ``a = b = 1`` it is
    ``1/2`` with gradient ``(1/2, 1/2)``:

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> value, grad, _ = FloatObjective(p).evaluate(np.array([1.0, 1.0]))
    >>> float(value), grad.tolist()
    (0.5, [0.5, 0.5])
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        self.X = np.array(problem.inputs, dtype=float)
        self.Y = np.array(problem.targets, dtype=float)
        self.alpha = float(problem.alpha)
        self.lam = float(problem.weight_decay)
        self.decay = np.array(problem.decayed(), dtype=float)
        self.relu = problem.activation == "relu"
        self.blocks: list[tuple[slice, tuple[int, int], slice | None]] = []
        pos, w = 0, problem.widths
        for k in range(len(w) - 1):
            rows, cols = w[k + 1], w[k]
            wslice = slice(pos, pos + rows * cols)
            pos += rows * cols
            bslice = slice(pos, pos + rows) if problem.biases else None
            pos += rows if problem.biases else 0
            self.blocks.append((wslice, (rows, cols), bslice))
        self.size = pos

    def layers(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """``(W_k, b_k)`` views of ``theta`` (``b_k`` is ``None`` without biases)."""
        return [(theta[ws].reshape(shape), theta[bs] if bs is not None else None) for ws, shape, bs in self.blocks]

    def preactivations(self, theta: np.ndarray, masks: Sequence[np.ndarray] | None = None):
        """Hidden pre-activations ``Z_k`` (``N × n_k``), layer inputs, the output and the masks used."""
        acts, zs, used = [self.X], [], []
        layers = self.layers(theta)
        for k, (W, b) in enumerate(layers):
            z = acts[-1] @ W.T + (b if b is not None else 0)
            if k == len(layers) - 1:
                return zs, acts, z, used
            if masks is not None:
                m = masks[k]
            elif self.relu:
                m = (np.real(z) > 0).astype(float)
            else:
                m = np.ones(z.shape)
            zs.append(z)
            used.append(m)
            acts.append(z * m)
        raise AssertionError("unreachable")  # pragma: no cover

    def evaluate(self, theta: np.ndarray, masks: Sequence[np.ndarray] | None = None):
        """``(L, ∇L, masks)``; with ``masks`` given, of the piece ``L_P`` (works for complex ``theta``)."""
        _, acts, out, used = self.preactivations(theta, masks)
        r = out - self.Y
        value = self.alpha * np.sum(r * r) + self.lam * np.sum(self.decay * theta * theta)
        grad = np.zeros_like(theta)
        g = 2 * self.alpha * r
        layers = self.layers(theta)
        for k in range(len(layers) - 1, -1, -1):
            ws, _, bs = self.blocks[k]
            grad[ws] = (g.T @ acts[k]).ravel()
            if bs is not None:
                grad[bs] = g.sum(axis=0)
            if k:
                g = (g @ layers[k][0]) * used[k - 1]
        grad += 2 * self.lam * self.decay * theta
        return value, grad, used

    def piece_hessian(self, theta: np.ndarray, masks: Sequence[np.ndarray]) -> np.ndarray:
        """``∇²L_P`` by complex steps: column ``p`` is ``Im ∇L_P(θ + i·h·e_p) / h`` (no cancellation)."""
        H = np.empty((self.size, self.size))
        for p in range(self.size):
            shifted = theta.astype(complex)
            shifted[p] += 1j * _COMPLEX_STEP
            H[:, p] = np.imag(self.evaluate(shifted, masks)[1]) / _COMPLEX_STEP
        return (H + H.T) / 2


@dataclass(frozen=True, eq=False)
class Minimum:
    """One candidate minimum (float; nothing proved). ``starts``: the restarts that reached it."""

    theta: np.ndarray
    loss: float
    gradient_norm: float
    boundary_near: int
    dead: int
    starts: tuple[int, ...]


@dataclass(frozen=True)
class TrainResult:
    """The distinct candidate minima, ranked by loss, and how they were found."""

    minima: tuple[Minimum, ...]
    restarts: int
    seed: int
    failed: int


def he_scales(problem: Problem) -> np.ndarray:
    """Standard deviation of each parameter's start: ``sqrt(2 / fan_in)`` of its layer."""
    w = problem.widths
    return np.concatenate([np.full(size, math.sqrt(2 / w[k])) for k, size in enumerate(problem.layer_sizes)])


def train(problem: Problem, restarts: int = 10, seed: int = 0, tolerance: float = DEDUPE_TOL) -> TrainResult:
    """Full-batch training from ``restarts`` random starts; the distinct minima found, by loss.

    Parameters
    ----------
    problem
        The problem; its ``point``, if any, is ignored.
    restarts
        Number of random starts ``K ≥ 1``.
    seed
        Seed of the ``numpy.random.Generator``; equal seeds give equal results.
    tolerance
        Relative tolerance for identifying two minima (see :data:`DEDUPE_TOL`).

    Returns
    -------
    TrainResult
        ``failed`` counts starts whose descent ended at a non-finite point.

    Examples
    --------
    The scalar chain ``L = (ab − 1)² + (a² + b²)/4`` has its minimum at ``a = b = √3/2``, loss ``7/16``:

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> best = train(p, restarts=4, seed=0).minima[0]
    >>> round(best.loss, 9), [round(float(t), 7) for t in best.theta]
    (0.4375, [0.8660254, 0.8660254])

    Notes
    -----
    Cost: ``K`` L-BFGS-B runs, each gradient ``O(N · P)``; polishing adds ``P`` gradients per Newton step.
    """
    if restarts < 1:
        raise ProblemError("--restarts", f"must be at least 1 (got {restarts})")
    objective = FloatObjective(problem)
    rng = np.random.default_rng(seed)
    scales = he_scales(problem)
    found, failed = [], 0
    for r in range(restarts):
        theta = polish(objective, descend(objective, rng.standard_normal(objective.size) * scales))
        if np.all(np.isfinite(theta)):
            found.append((r, theta))
        else:
            failed += 1
    return TrainResult(distinct_minima(objective, found, tolerance), restarts, seed, failed)


def descend(objective: FloatObjective, theta0: np.ndarray, rounds: int = DESCENT_ROUNDS) -> np.ndarray:
    """L-BFGS-B from ``theta0`` with tight tolerances, restarted from its own end point.

    Near a kink L-BFGS's curvature memory is wrong on one side, and it stops early; a fresh start
    from the end point (up to ``rounds`` times, while the loss still drops) usually lands on the kink.
    """

    def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad, _ = objective.evaluate(theta)
        return float(value), grad

    theta, value = theta0, math.inf
    options = {"maxiter": 20_000, "maxfun": 40_000, "maxcor": 30, "ftol": 1e-15, "gtol": 1e-11}
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(rounds):
            res = minimize(fun, theta, jac=True, method="L-BFGS-B", options=options)
            if not (np.isfinite(res.fun) and res.fun < value):
                break
            drop = value - float(res.fun)
            theta, value = np.asarray(res.x, dtype=float), float(res.fun)
            if drop <= 1e-13 * (1 + abs(value)):
                break
    return theta


def polish(objective: FloatObjective, theta: np.ndarray, steps: int = POLISH_STEPS) -> np.ndarray:
    """Newton steps on the point's own piece, kept only while they help (see the module notes).

    Each step first tries plain Newton on ``L_P``. If that leaves the piece or does not help and some
    pre-activations are within :data:`KINK_TOL` of zero, it tries Newton on ``L_P`` restricted to
    ``{those z = 0}`` (the KKT system with their linearisation): kink minima, where a live unit's
    hyperplane passes through a sample, have no zero gradient to converge to. A step is kept only if
    the pattern stays off those pre-activations, the residual (gradient, minus its least-squares
    part along the kinks' normals, and the kinks' ``z``) shrinks, and the loss does not rise.
    """
    if objective.size > POLISH_MAX_PARAMETERS or not np.all(np.isfinite(theta)):
        return theta
    for _ in range(steps):
        new = _newton_step(objective, theta, kinks=False)
        if new is None:
            new = _newton_step(objective, theta, kinks=True)
        if new is None:
            break
        theta = new
    return theta


def _newton_step(objective: FloatObjective, theta: np.ndarray, kinks: bool) -> np.ndarray | None:
    """One (constrained) Newton step from ``theta``, or ``None`` if it would not help."""
    value, grad, masks = objective.evaluate(theta)
    zs = objective.preactivations(theta)[0]
    near = [np.abs(z) < KINK_TOL * (1 + np.max(np.abs(z), initial=0.0)) for z in zs] if kinks and objective.relu else []
    if kinks and not any(n.any() for n in near):
        return None
    hessian = objective.piece_hessian(theta, masks)
    if near:
        J, c = _kink_constraints(objective, theta, masks, near)
        m = len(c)
        kkt = np.block([[hessian, J.T], [J, np.zeros((m, m))]])
        # lstsq: dead units and flat directions make the system singular.
        step = np.linalg.lstsq(kkt, -np.concatenate([grad, c]), rcond=None)[0][: objective.size]
    else:
        step = np.linalg.lstsq(hessian, -grad, rcond=None)[0]
    if np.linalg.norm(step) > POLISH_RADIUS * (1 + np.linalg.norm(theta)):
        return None  # a long jump may land in another basin of the same piece: not polishing
    new = theta + step
    new_value, _, new_masks = objective.evaluate(new)
    keep = [np.ones(m.shape, dtype=bool) for m in masks] if not near else [~n for n in near]
    if not (np.isfinite(new_value) and new_value <= value + 1e-12 * (1 + abs(value))
            and all(np.array_equal(a[k], b[k]) for a, b, k in zip(masks, new_masks, keep))):
        return None
    before = _residual(objective, theta, masks, near)
    after = _residual(objective, new, masks, near)
    return new if after < before else None


def _kink_constraints(objective: FloatObjective, theta: np.ndarray, masks, near) -> tuple[np.ndarray, np.ndarray]:
    """Jacobian (by complex steps) and values of the pre-activations selected by ``near``."""
    c = np.concatenate([z[n] for z, n in zip(objective.preactivations(theta, masks)[0], near)])
    J = np.empty((len(c), objective.size))
    for p in range(objective.size):
        shifted = theta.astype(complex)
        shifted[p] += 1j * _COMPLEX_STEP
        zs = objective.preactivations(shifted, masks)[0]
        J[:, p] = np.concatenate([np.imag(z[n]) for z, n in zip(zs, near)]) / _COMPLEX_STEP
    return J, np.real(c)


def _residual(objective: FloatObjective, theta: np.ndarray, masks, near) -> float:
    """``‖∇L_P − Jᵀν‖² + ‖z_kinks‖²`` with ``ν`` least squares (plain ``‖∇L_P‖²`` without kinks)."""
    grad = objective.evaluate(theta, masks)[1]
    if not near:
        return float(grad @ grad)
    J, c = _kink_constraints(objective, theta, masks, near)
    nu = np.linalg.lstsq(J.T, grad, rcond=None)[0]
    e = grad - J.T @ nu
    return float(e @ e + c @ c)


def canonicalise(problem: Problem, theta: np.ndarray, tolerance: float = DEDUPE_TOL) -> np.ndarray:
    """The representative of ``theta``'s orbit under permutations of hidden units.

    Layer by layer, units are sorted by (incoming weights in the already canonical order, bias,
    outgoing weights: as given into the output layer, sorted into a hidden layer whose order is not
    fixed yet), comparing entries with the tolerance so that float noise on a tie does not flip the
    order. Exact ties on all of these can leave two equivalent points apart; they are never merged
    wrongly, because identification compares the whole vectors.

    Examples
    --------
    A 1-2-1 net without biases, ``θ = (W_1 rows, W_2)``; swapping the units gives the same point:

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
    ...     "loss": {"weight_decay": 0}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> canonicalise(p, np.array([2.0, 1.0, 5.0, 3.0])).tolist()
    [1.0, 2.0, 3.0, 5.0]
    """
    objective = FloatObjective(problem)
    theta = np.array(theta, dtype=float)
    layers = [(W.copy(), None if b is None else b.copy()) for W, b in objective.layers(theta)]
    eps = tolerance * (1 + float(np.max(np.abs(theta), initial=0.0)))
    hidden = len(layers) - 1
    for k in range(hidden):
        W, b = layers[k]
        out = layers[k + 1][0]
        keys = []
        for i in range(W.shape[0]):
            tail = np.sort(out[:, i]) if k + 1 < hidden else out[:, i]
            keys.append(np.concatenate([W[i], [] if b is None else [b[i]], tail]))
        order = sorted(range(W.shape[0]), key=functools.cmp_to_key(lambda i, j: _compare(keys[i], keys[j], eps)))
        layers[k] = (W[order], None if b is None else b[order])
        layers[k + 1] = (out[:, order], layers[k + 1][1])
    flat = np.empty(objective.size)
    for (W, b), (ws, _, bs) in zip(layers, objective.blocks):
        flat[ws] = W.ravel()
        if bs is not None:
            flat[bs] = b
    return flat


def _compare(u: np.ndarray, v: np.ndarray, eps: float) -> int:
    """Lexicographic order in which entries closer than ``eps`` count as equal."""
    for a, b in zip(u, v):
        if abs(a - b) > eps:
            return -1 if a < b else 1
    return 0


def distinct_minima(objective: FloatObjective, found: Sequence[tuple[int, np.ndarray]],
                    tolerance: float = DEDUPE_TOL) -> tuple[Minimum, ...]:
    """Group ``(start, θ)`` pairs into minima up to hidden-unit permutations; rank by loss, then start."""
    groups: list[tuple[np.ndarray, list[int]]] = []
    for start, theta in found:
        canon = canonicalise(objective.problem, theta, tolerance)
        for rep, starts in groups:
            if np.max(np.abs(canon - rep), initial=0.0) <= tolerance * (1 + np.max(np.abs(rep), initial=0.0)):
                starts.append(start)
                break
        else:
            groups.append((canon, [start]))
    minima = [_describe(objective, rep, starts) for rep, starts in groups]
    return tuple(sorted(minima, key=lambda m: (m.loss, m.starts[0])))


def _describe(objective: FloatObjective, theta: np.ndarray, starts: list[int]) -> Minimum:
    value, grad, _ = objective.evaluate(theta)
    zs = objective.preactivations(theta)[0]
    near = dead = 0
    if objective.relu:
        for z in zs:
            near += int(np.sum(np.min(np.abs(z), axis=0) < BOUNDARY_TOL))
            dead += int(np.sum(np.max(z, axis=0) < BOUNDARY_TOL))
    return Minimum(theta, float(value), float(np.linalg.norm(grad)), near, dead, tuple(starts))


# ---------------------------------------------------------------------------------------------------
# the problem files of the minima


def minimum_problem(problem: Problem, result: TrainResult, rank: int, denominator: int | None = None) -> Problem:
    """The problem with its point at minimum ``rank`` (1-based), converted to rationals; ``name`` says how."""
    m = result.minima[rank - 1]
    point: Params = problem.unflatten([float_to_rational(t, denominator) for t in m.theta])
    base = problem.name or "problem"
    name = (f"{base}: train minimum {rank} of {len(result.minima)} (seed {result.seed}, "
            f"{result.restarts} restarts); point = {conversion_note(denominator)}")
    return replace(problem, point=point, name=name)


def write_minima(problem: Problem, result: TrainResult, outdir: str, stem: str,
                 denominator: int | None = None) -> list[str]:
    """Write ``<outdir>/<stem>-min<k>.json`` for every minimum, atomically; the paths, by rank.

    This is the hook for chaining: ``certify`` can be run on each returned path.
    """
    os.makedirs(outdir, exist_ok=True)
    paths = []
    for rank in range(1, len(result.minima) + 1):
        path = os.path.join(outdir, f"{stem}-min{rank}.json")
        text = json.dumps(problem_to_json(minimum_problem(problem, result, rank, denominator)), indent=2) + "\n"
        _write_atomic(path, text)
        paths.append(path)
    return paths


def _write_atomic(path: str, text: str) -> None:
    """Temporary file then rename, so a reader never sees half a file (as ``cli.write_atomic``)."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".pscert-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
