"""The paper's experiment on a small problem: is the loss piecewise strongly convex along an SGD run?

Training is float mini-batch SGD (numpy) on ``L = α Σ_j ‖f(x_j) − y_j‖² + λ‖θ‖²`` (the batch estimate
scales the data term by ``N/B``). Floats only train: each checkpoint is rounded to the dyadic
rational ``θ_t = round(2^24·θ)/2^24`` and everything reported about it is exact, at that rational point:
the training error, the threshold ``ε*`` at its own ``θ`` (default rule of :func:`threshold`), whether the
paper's condition holds (``θ_t ∈ U``), and the proved interval for ``λ_min`` of its piece's Hessian.

The float run needs floats that fit: a starting coordinate larger than :data:`LIMIT` (``1e300``, or
``1e400``, which no float holds) or data beyond the float range is refused with one line naming it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Callable, Sequence

import numpy as np

from symbolic.exceptions import ProblemError
from symbolic.problem import Params, Problem
from symbolic.rationals import canonical
from symbolic.threshold import Threshold, threshold

SCALE = 2 ** 24
"""Checkpoints are rounded to multiples of ``1/SCALE``."""

LIMIT = 1e6
"""The float run keeps every coordinate at most this in size: a start beyond it is refused, and a step
beyond it means SGD has diverged (the float arithmetic would soon overflow)."""


def _float_layers(problem: Problem, theta: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Views of θ as weight matrices and bias vectors (canonical order)."""
    Ws: list[np.ndarray] = []
    bs: list[np.ndarray | None] = []
    pos, w = 0, problem.widths
    for k in range(len(w) - 1):
        n = w[k + 1] * w[k]
        Ws.append(theta[pos: pos + n].reshape(w[k + 1], w[k]))
        pos += n
        if problem.biases:
            bs.append(theta[pos: pos + w[k + 1]])
            pos += w[k + 1]
        else:
            bs.append(None)
    return Ws, bs


def batch_gradient(problem: Problem, theta: np.ndarray, X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Float gradient of ``α·(N/B)·Σ_batch ‖f − y‖² + λ‖θ_decayed‖²`` (back-propagation)."""
    Ws, bs = _float_layers(problem, theta)
    relu = problem.activation == "relu"
    acts, masks = [X], []
    a = X
    for k, (W, b) in enumerate(zip(Ws, bs)):
        z = a @ W.T + (b if b is not None else 0)
        if k == len(Ws) - 1:
            a = z
            break
        m = (z > 0) if relu else np.ones_like(z, dtype=bool)
        masks.append(m)
        a = z * m
        acts.append(a)
    scale = float(problem.alpha) * problem.samples / len(X)
    g = 2 * scale * (a - Y)
    grads: list[np.ndarray] = [None] * len(Ws)  # type: ignore[list-item]
    for k in range(len(Ws) - 1, -1, -1):
        gW = g.T @ acts[k]
        parts = [gW.ravel()]
        if problem.biases:
            parts.append(g.sum(axis=0))
        grads[k] = np.concatenate(parts)
        if k:
            g = (g @ Ws[k]) * masks[k - 1]
    grad = np.concatenate(grads)
    decayed = np.array(problem.decayed(), dtype=float)
    out: np.ndarray = grad + 2 * float(problem.weight_decay) * decayed * theta
    return out


@dataclass(frozen=True)
class Checkpoint:
    step: int
    report: Threshold

    def to_json(self) -> dict[str, Any]:
        t = self.report
        gap = t.gaps[0][1] if t.gaps and not t.boundary else None
        return {"step": self.step, "training_error": canonical(t.error), "theta": canonical(t.theta),
                "epsilon_star": canonical(t.epsilon_star) if t.epsilon_star is not None else None,
                "in_set": t.in_set, "mu": canonical(t.mu) if t.mu is not None else None,
                "boundary": bool(t.boundary), "lambda_min": gap.to_json() if gap else None}

    @property
    def piece_pd(self) -> bool | None:
        """Exact: the piece Hessian at the checkpoint is PD (``None`` on a boundary)."""
        if self.report.boundary or not self.report.gaps:
            return None
        iv = self.report.gaps[0][1]
        return bool(iv.lo > 0 or (iv.lo == iv.hi > 0))


def train(problem: Problem, steps: int, lr: float = 0.05, batch: int | None = None, seed: int = 0,
          checkpoints: int = 20) -> list[Checkpoint]:
    """Run SGD from the problem's point (or a seeded He start) and analyse ``checkpoints + 1`` iterates."""
    if steps < 1 or checkpoints < 1:
        raise ProblemError("--steps", f"must be a positive integer (got {steps})")
    if not lr > 0:
        raise ProblemError("--lr", f"must be positive (got {lr})")
    rng = np.random.default_rng(seed)
    N = problem.samples
    B = min(batch or N, N)
    X = np.array([[_float(v, f"data.inputs[{j}][{i}]") for i, v in enumerate(x)] for j, x in enumerate(problem.inputs)])
    Y = np.array([[_float(v, f"data.targets[{j}][{i}]") for i, v in enumerate(y)] for j, y in enumerate(problem.targets)])
    if problem.point is not None:
        for where, q in _coordinates(problem.point):
            if abs(q) > LIMIT:
                raise ProblemError(where, f"must be at most {LIMIT:.0e} in size to start float SGD (got {_size(q)})")
        theta = np.array([float(v) for v in problem.flatten(problem.point)])
    else:
        theta = np.concatenate([rng.normal(0, np.sqrt(2 / problem.widths[k]), problem.layer_sizes[k])
                                for k in range(len(problem.widths) - 1)])
    every = max(1, steps // checkpoints)
    out = [_checkpoint(problem, 0, theta)]
    for step in range(1, steps + 1):
        idx = rng.choice(N, size=B, replace=False)
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is caught just below as divergence
            theta = theta - lr * batch_gradient(problem, theta, X[idx], Y[idx])
        if not np.all(np.isfinite(theta)) or np.max(np.abs(theta)) > LIMIT:
            raise ProblemError("--lr", f"must be smaller: SGD diverged at step {step}, a coordinate passed "
                               f"{LIMIT:.0e} (got {lr})")
        if step % every == 0 or step == steps:
            out.append(_checkpoint(problem, step, theta))
    return out


def _coordinates(point: Params) -> list[tuple[str, Fraction]]:
    """The point's coordinates with their paths in the problem file (``point.weights[k][i][j]``)."""
    out = [(f"point.weights[{k}][{i}][{j}]", q) for k, W in enumerate(point.weights)
           for i, row in enumerate(W) for j, q in enumerate(row)]
    for k, b in enumerate(point.biases or ()):
        out += [(f"point.biases[{k}][{i}]", q) for i, q in enumerate(b)]
    return out


def _float(q: Fraction, where: str) -> float:
    """``q`` as a float for training, or a one-line error if it lies beyond the float range."""
    try:
        return float(q)
    except OverflowError:
        raise ProblemError(where, f"must be within the float range to train with float SGD (got {_size(q)})") from None


def _size(q: Fraction) -> str:
    """The order of magnitude of a nonzero rational, without converting it to a float (it may not fit).

    >>> _size(Fraction(10) ** 400), _size(Fraction(-3, 10 ** 7))
    ('about 1e+400', 'about -3e-07')
    """
    exponent = math.floor(math.log10(abs(q.numerator)) - math.log10(q.denominator))
    lead = round(float(abs(q) / Fraction(10) ** exponent))
    if lead == 10:  # rounded up to the next power, or log10 fell just short of it
        lead, exponent = 1, exponent + 1
    return f"about {'-' if q < 0 else ''}{lead}e{exponent:+03d}"


def _plottable(q: Fraction) -> float:
    """A float to draw (``inf`` past the float range; nothing is claimed about it)."""
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf


def _checkpoint(problem: Problem, step: int, theta: np.ndarray) -> Checkpoint:
    exact = [Fraction(int(round(v * SCALE)), SCALE) for v in theta]
    params = problem.unflatten(exact)
    return Checkpoint(step, threshold(problem, params=params, gap=True))


def summary(rows: Sequence[Checkpoint]) -> dict[str, Any]:
    """Fractions of checkpoints where the paper's condition holds and where the piece Hessian is PD."""
    n = len(rows)
    cond = sum(r.report.in_set for r in rows)
    pd = sum(r.piece_pd is True for r in rows)
    return {"checkpoints": n, "condition_holds": cond, "piece_hessian_pd": pd,
            "boundary": sum(r.piece_pd is None for r in rows),
            "fraction_condition": canonical(Fraction(cond, n)), "fraction_pd": canonical(Fraction(pd, n))}


def table(rows: Sequence[Checkpoint], show: Callable[[Fraction | None], str]) -> list[str]:
    out = [f"{'step':>6}  {'E(θ_t)':<30}  {'ε*(θ_t)':<30}  {'in U':<4}  λ_min(∇²L_P(θ_t)) ∈"]
    for r in rows:
        t = r.report
        gap = "- (on a region boundary)" if r.piece_pd is None else \
            f"[{show(t.gaps[0][1].lo)}, {show(t.gaps[0][1].hi)}]"
        out.append(f"{r.step:>6}  {show(t.error):<30}  {show(t.epsilon_star):<30}  {'yes' if t.in_set else 'no':<4}  {gap}")
    s = summary(rows)
    out.append(f"summary: the paper's condition holds at {s['condition_holds']}/{s['checkpoints']} checkpoints; the "
               f"piece Hessian is positive definite (exact) at {s['piece_hessian_pd']}/{s['checkpoints']}; "
               f"{s['boundary']} on region boundaries")
    return out


def plot(rows: Sequence[Checkpoint], path: str) -> None:
    """Training error, ε* and λ_min (lower ends) against the step. Floats only draw."""
    from .sweeps import _check_plot_path, _pyplot

    _check_plot_path(path)
    plt = _pyplot()
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(6, 6), sharex=True)
    steps = [r.step for r in rows]
    ax1.semilogy(steps, [max(_plottable(r.report.error), 1e-300) for r in rows], "x-", label="training error E(θ_t)")
    ax1.semilogy(steps, [_plottable(r.report.epsilon_star) if r.report.epsilon_star else float("nan") for r in rows],
                 "o-", label="threshold ε*(θ_t)")
    ax1.legend()
    ax2.plot(steps, [_plottable(r.report.gaps[0][1].lo) if r.piece_pd is not None else float("nan") for r in rows], "s-",
             label="λ_min of the piece Hessian (proved lower end)")
    ax2.axhline(0, color="gray", lw=0.8)
    ax2.set_xlabel("SGD step")
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
