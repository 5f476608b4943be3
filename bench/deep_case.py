"""Interior strict minima of ReLU networks with several hidden layers, built from the point (for benches).

The one-hidden-layer builder of ``bench_certify.py`` generalised to any depth, in the same three steps:

1. inputs ``k/100`` in ``[−1, 1]^d``. Layer by layer, each hidden unit takes the best of 30 random
   directions in its layer's input space, its bias putting the hyperplane in the middle of the widest gap
   between the samples' projections (between the 20 % and 80 % quantiles, so every unit is live on part
   of the data and dead on the rest, with a margin; patterns distinct within a layer). Output weights
   random, then every hidden unit balanced (``‖incoming‖ = ‖outgoing‖``, which weight decay requires at
   a critical point: along the rescaling ``(t·in, out/t)`` the data term is constant and the decay term
   is stationary only there), sweeping the layers until the norms agree; the point in 4 decimals.
2. the residual ``r = f − y`` solving ``α·Jᵀr = −λθ`` (least squares; ``J = ∂f/∂θ`` on the piece), so
   that ``θ`` is a critical point of its piece; targets ``y = f(θ) − r`` rounded to ``digits`` places,
   so ``θ`` is only near a critical point and ``certify`` refines it.
3. of the seeds the first whose float Newton iteration on the piece converges without crossing a kink
   to a positive-definite Hessian (floats only choose the case; ``certify`` decides).

Why this is a strict minimum when step 3 passes: ``∇²L_P = 2α(JᵀJ + Σ r_{jo}∇²f_{jo}) + 2λI``. The
residual ``r`` is proportional to ``λ/α`` and to ``‖J⁺‖``, so when ``J`` has full rank apart from the
rescaling directions (``N·m`` well above ``P``) and λ is small, ``2αJᵀJ`` dominates off those
directions; on a rescaling direction ``v`` of a balanced unit the gradient equations give
``vᵀ∇²L_P v = 2λ‖v‖² + 4λ‖out‖² > 0``. When ``N·m`` is close to ``P − h`` the smallest singular values
of ``J`` are tiny, the residual terms win and the point is a saddle: hence several outputs.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from bench_certify import text
from symbolic.float_loss import FloatObjective
from symbolic.problem import Problem, parse_problem


def _cut(F: np.ndarray, rng: np.random.Generator, seen: set[bytes]) -> tuple[np.ndarray, float]:
    """A unit on features ``F`` (``N × k``): of 30 random unit directions the one whose hyperplane through
    the middle of the widest central gap of the projections is widest, with a pattern not in ``seen``."""
    n = F.shape[0]
    lo, hi = n // 5, max(n // 5 + 1, 4 * n // 5)
    best_gap, best = -1.0, None
    for _ in range(30):
        w = rng.normal(size=F.shape[1])
        w /= np.linalg.norm(w)
        p = np.sort(F @ w)
        k = lo + int(np.argmax(np.diff(p[lo:hi + 1])))
        gap, cut = p[k + 1] - p[k], -(p[k] + p[k + 1]) / 2
        key = np.packbits(F @ w + cut > 0).tobytes()
        if gap > best_gap and key not in seen:
            best_gap, best = gap, (w, cut, key)
    assert best is not None, "no direction with a new pattern"
    seen.add(best[2])
    return best[0], best[1]


def _layers(widths: list[int], X: np.ndarray, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """Hidden layers with margins, a random output layer, every hidden unit balanced."""
    layers, F = [], X
    for h in widths[1:-1]:
        seen: set[bytes] = set()
        units = [_cut(F, rng, seen) for _ in range(h)]
        W, b = np.array([u[0] for u in units]), np.array([u[1] for u in units])
        layers.append((W, b))
        F = np.maximum(F @ W.T + b, 0)
    m, h = widths[-1], widths[-2]
    layers.append((rng.choice([-1.0, 1.0], size=(m, h)) * rng.uniform(0.5, 1.5, size=(m, h)),
                   rng.uniform(-0.5, 0.5, size=m)))
    for _ in range(50):  # rescale unit i of layer k by t (positive homogeneity: f unchanged) until balanced
        for k in range(len(layers) - 1):
            (W, b), (V, c) = layers[k], layers[k + 1]
            t = np.sqrt(np.linalg.norm(V, axis=0) / np.linalg.norm(np.c_[W, b], axis=1))
            layers[k], layers[k + 1] = (W * t[:, None], b * t), (V / t, c)
    return layers


def make_deep_case(widths: list[int], n: int, lam: str, seed: int = 0, digits: int = 8) -> Problem:
    """A problem whose point is near an interior critical point of its piece; see the module notes."""
    rng = np.random.default_rng(seed)
    X = rng.integers(-100, 101, size=(n, widths[0])) / 100
    theta = np.round(np.concatenate([np.r_[W.ravel(), b] for W, b in _layers(widths, X, rng)]), 4)
    obj = {"format": "pscert.problem/1", "name": f"bench {'-'.join(map(str, widths))}, N = {n}",
           "network": {"widths": widths, "biases": True}, "loss": {"weight_decay": lam},
           "data": {"inputs": [[text(v) for v in row] for row in X], "targets": [["0"] * widths[-1]] * n}}
    objective = FloatObjective(parse_problem(obj))
    masks = objective.preactivations(theta)[3]
    f = objective.preactivations(theta, masks)[2]
    J = _output_jacobian(objective, theta, masks)
    r = np.linalg.lstsq(J.T, -objective.lam / objective.alpha * theta, rcond=None)[0]
    y = np.round(f.ravel() - r, digits).reshape(f.shape)
    obj["data"]["targets"] = [[text(v, digits) for v in row] for row in y]
    problem = parse_problem(obj)
    return problem.with_point(problem.unflatten([Fraction(text(v)) for v in theta]))


def _output_jacobian(objective: FloatObjective, theta: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    """``∂f/∂θ`` on the piece, rows ``(sample, output)`` sample-major, by complex steps (exact to rounding)."""
    step = 1e-30
    cols = []
    for p in range(theta.size):
        shifted = theta.astype(complex)
        shifted[p] += 1j * step
        cols.append(np.imag(objective.preactivations(shifted, masks)[2]).ravel() / step)
    return np.array(cols).T


def deep_screen(problem: Problem, steps: int = 30) -> bool:
    """Float Newton on the point's piece: converges without crossing a kink, to a positive definite Hessian?"""
    objective = FloatObjective(problem)
    x0 = np.array([float(t) for t in problem.flatten(problem.point)])
    masks = objective.preactivations(x0)[3]
    x = x0.copy()
    with np.errstate(all="ignore"):
        for _ in range(steps):
            step = np.linalg.lstsq(objective.piece_hessian(x, masks), -objective.evaluate(x, masks)[1], rcond=None)[0]
            x = x + step
            if not np.all(np.isfinite(x)):
                return False
            if np.max(np.abs(step)) < 1e-13 * (1 + np.max(np.abs(x))):
                break
        same = all(np.array_equal(a, b) for a, b in zip(masks, objective.preactivations(x)[3]))
        return bool(same and np.linalg.eigvalsh(objective.piece_hessian(x, masks))[0] > 0)


def find_deep_case(widths: list[int], n: int, lam: str, digits: int = 8, seeds: int = 10) -> tuple[Problem, int | None]:
    """The first of ``seeds`` seeds whose case passes :func:`deep_screen` (``None``: none did; seed 0)."""
    for seed in range(seeds):
        problem = make_deep_case(widths, n, lam, seed, digits)
        if deep_screen(problem):
            return problem, seed
    return make_deep_case(widths, n, lam, 0, digits), None


def float_hessian(objective: FloatObjective, theta: np.ndarray, masks: list[np.ndarray]) -> np.ndarray:
    """``∇²L_P`` in float64 for any depth: the gradient of :meth:`FloatObjective.evaluate` at all ``P``
    complex steps ``θ + i·h·e_p`` in one batched back-propagation (column ``p`` is ``Im ∇L_P / h``)."""
    step, P = 1e-30, theta.size
    T = theta + 1j * step * np.eye(P)
    shapes = objective.blocks
    a = np.broadcast_to(objective.X.astype(complex), (P, *objective.X.shape))
    acts, Ws = [a], []
    for k, (ws, shape, bs) in enumerate(shapes):
        W = T[:, ws].reshape(P, *shape)
        Ws.append(W)
        z = acts[-1] @ W.transpose(0, 2, 1) + T[:, bs][:, None, :]
        if k < len(shapes) - 1:
            acts.append(z * masks[k])
    g = 2 * objective.alpha * (z - objective.Y)
    grad = np.empty((P, P), dtype=complex)
    for k in range(len(shapes) - 1, -1, -1):
        ws, _, bs = shapes[k]
        grad[:, ws] = (g.transpose(0, 2, 1) @ acts[k]).reshape(P, -1)
        grad[:, bs] = g.sum(axis=1)
        if k:
            g = (g @ Ws[k]) * masks[k - 1]
    grad += 2 * objective.lam * T
    H = np.imag(grad).T / step
    return (H + H.T) / 2
