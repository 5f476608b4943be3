"""Training: candidate minima of a problem's loss from random starts (``pscert train``).

Floats only *search* here; nothing in this module claims anything. A candidate becomes a fact only
when ``certify`` re-establishes it exactly. For one problem:

1. **Starts.** ``K`` points drawn from one ``numpy.random.Generator(seed)``: every parameter of layer
   ``k`` (weights and bias) is normal with standard deviation ``sqrt(2 / n_{k-1})`` (He et al. 2015,
   ``n_{k-1}`` the layer's fan-in). Start ``r`` depends only on the seed and ``r``, not on ``K``.
2. **Descent** from each start: L-BFGS-B, region settling and piece polishing (:mod:`numeric.descent`).
3. **Deduplication** up to permutations of hidden units (:func:`canonicalise`), ranking by loss.
4. **Files**: one problem per minimum, its point the float weights as rationals (:func:`write_minima`).

Without weight decay, or with split or shared-pattern units (docs/SPEC.md §4), minima are not isolated, and
different starts land at different points of one flat set: they are reported as distinct minima.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, Sequence

import numpy as np

try:  # optional: BLAS threads only cost on matrices this small (20x slower on a busy 2-core machine)
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover - depends on the environment
    threadpool_limits = None

from symbolic.exceptions import ProblemError
from symbolic.files import write_atomic
from symbolic.problem import Params, Problem, load_problem, problem_to_json

from .descent import FloatObjective, descend, polish, settle
from .datafiles import float_to_rational
from .importer import conversion_note

BOUNDARY_TOL = 1e-8
"""A unit is *boundary-near* if ``|z| < BOUNDARY_TOL`` at some sample, *dead* if ``z < BOUNDARY_TOL`` at all."""
DEDUPE_TOL = 1e-6
"""Two canonicalised points are one minimum if they differ by at most ``DEDUPE_TOL · (1 + max|θ|)``."""


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
    found, failed = [], 0
    with one_blas_thread():
        for r, start in zip(range(restarts), start_points(problem, seed)):
            theta = restart(objective, start)
            if theta is None:
                failed += 1
            else:
                found.append((r, theta))
        minima = distinct_minima(objective, found, tolerance)
    return TrainResult(minima, restarts, seed, failed)


def start_points(problem: Problem, seed: int) -> Iterator[np.ndarray]:
    """The starts ``0, 1, 2, …`` of a seed: successive draws of one ``numpy.random.Generator(seed)``,
    scaled by :func:`he_scales`. Start ``r`` depends on the seed and ``r`` only (not on how many are taken).

    Examples
    --------
    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> starts = start_points(p, 0)
    >>> drawn = np.concatenate([next(starts), next(starts)]) / he_scales(p)[0]
    >>> bool(np.allclose(drawn, np.random.default_rng(0).standard_normal(4), rtol=1e-15, atol=0))
    True
    """
    rng = np.random.default_rng(seed)
    scales = he_scales(problem)
    while True:
        yield rng.standard_normal(scales.size) * scales


def restart(objective: FloatObjective, start: np.ndarray) -> np.ndarray | None:
    """One restart: descent from ``start``, region settling and piece polishing; ``None`` if it diverged
    (ended at a non-finite point)."""
    theta = polish(objective, settle(objective, descend(objective, start)))
    return theta if bool(np.all(np.isfinite(theta))) else None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit BLAS to one thread when ``threadpoolctl`` is installed (results do not depend on it)."""
    if threadpool_limits is None:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


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
        keys: list[np.ndarray] = []
        for i in range(W.shape[0]):
            tail = np.sort(out[:, i]) if k + 1 < hidden else out[:, i]
            keys.append(np.concatenate([W[i], [] if b is None else [b[i]], tail]))
        order = sorted(range(W.shape[0]), key=functools.cmp_to_key(_by_keys(keys, eps)))
        layers[k] = (W[order], None if b is None else b[order])
        layers[k + 1] = (out[:, order], layers[k + 1][1])
    flat = np.empty(objective.size)
    for (W, b), (ws, _, bs) in zip(layers, objective.blocks):
        flat[ws] = W.ravel()
        if bs is not None:
            flat[bs] = b
    return flat


def _by_keys(keys: Sequence[np.ndarray], eps: float) -> Callable[[int, int], int]:
    """Compare two units by their keys (see :func:`_compare`)."""
    return lambda i, j: _compare(keys[i], keys[j], eps)


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
        write_atomic(path, text)
        paths.append(path)
    return paths


def train_to_files(problem_file: str, restarts: int = 10, seed: int = 0, out_dir: str = ".",
                   denominator: int | None = None) -> tuple[TrainResult, list[str]]:
    """Train the problem in ``problem_file`` and write one problem file per distinct minimum.

    Returns ``(result, paths by rank)``; the files are ``<out_dir>/<stem>-min<k>.json``, ``<stem>`` the
    problem file's name without extension. The hook for chaining ``train`` with ``certify``.
    """
    problem = load_problem(problem_file)
    result = train(problem, restarts, seed)
    stem = os.path.splitext(os.path.basename(problem_file))[0]
    return result, write_minima(problem, result, out_dir, stem, denominator)


def minima_rows(result: TrainResult, paths: Sequence[str]) -> list[dict[str, Any]]:
    """One JSON-ready row per minimum, by rank: float loss and gradient norm (approximate), unit counts, file."""
    return [{"rank": r, "file": path, "loss_approx": m.loss, "gradient_norm_approx": m.gradient_norm,
             "boundary_near_units": m.boundary_near, "dead_units": m.dead, "starts": list(m.starts)}
            for r, (m, path) in enumerate(zip(result.minima, paths), 1)]
