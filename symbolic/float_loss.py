"""The loss in float64, for screening: the float twin of :func:`symbolic.network.loss`.

Floats screen and search here; nothing is claimed from them. Every number a claim rests on is recomputed
exactly (:mod:`symbolic.network`, :mod:`symbolic.derivatives`). The loss is that of the problem file
(reduction, biases, ``decay_biases`` and the activation honoured) with ``σ'(0) = 0``, the convention of
:func:`symbolic.network.forward` (a unit with ``z = 0`` is inactive). It lives beside the exact
mathematics because the generator's refinement (:mod:`proofs.refine`) screens with it; the float
training built on it lives in :mod:`numeric`.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .problem import Problem

_COMPLEX_STEP = 1e-20
"""Complex-step size: ``Im f(x + ih)/h`` has no cancellation, so any tiny ``h`` is exact to rounding."""


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

    def preactivations(self, theta: np.ndarray, masks: Sequence[np.ndarray] | None = None
                       ) -> tuple[list[np.ndarray], list[np.ndarray], np.ndarray, list[np.ndarray]]:
        """Hidden pre-activations ``Z_k`` (``N × n_k``), layer inputs, the output and the masks used."""
        acts: list[np.ndarray] = [self.X]
        zs: list[np.ndarray] = []
        used: list[np.ndarray] = []
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

    def evaluate(self, theta: np.ndarray, masks: Sequence[np.ndarray] | None = None
                 ) -> tuple[Any, np.ndarray, list[np.ndarray]]:
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

    def z_flat(self, theta: np.ndarray, masks: Sequence[np.ndarray] | None = None) -> np.ndarray:
        """Every hidden pre-activation as one vector: layer by layer, each ``N × n_k`` block row-major."""
        zs = self.preactivations(theta, masks)[0]
        return np.concatenate([z.ravel() for z in zs]) if zs else np.zeros(0)

    def split(self, flat: np.ndarray) -> list[np.ndarray]:
        """A vector in :meth:`z_flat` order back to per-layer ``N × n_k`` arrays (e.g. masks)."""
        sizes = np.cumsum([self.X.shape[0] * n for n in self.problem.widths[1:-1]])[:-1]
        return [part.reshape(self.X.shape[0], -1) for part in np.split(flat, sizes)]

    def z_jacobian(self, theta: np.ndarray, masks: Sequence[np.ndarray]) -> np.ndarray:
        """``∂z/∂θ`` on the piece, rows in :meth:`z_flat` order: all ``P`` complex steps in one batch."""
        steps = theta + 1j * _COMPLEX_STEP * np.eye(self.size)
        a = np.broadcast_to(self.X, (self.size, *self.X.shape))
        rows = []
        for k, (ws, shape, bs) in enumerate(self.blocks[:-1]):
            z = a @ steps[:, ws].reshape(self.size, *shape).transpose(0, 2, 1)
            if bs is not None:
                z = z + steps[:, bs][:, None, :]
            rows.append(np.imag(z).reshape(self.size, -1))
            a = z * masks[k]
        return (np.concatenate(rows, axis=1) / _COMPLEX_STEP).T if rows else np.zeros((0, self.size))

    def piece_hessian(self, theta: np.ndarray, masks: Sequence[np.ndarray]) -> np.ndarray:
        """``∇²L_P``: in closed form with one hidden layer (:meth:`_one_layer_hessian`), else by complex
        steps (:meth:`complex_step_hessian`)."""
        if len(self.blocks) == 2 and not np.iscomplexobj(theta):
            return self._one_layer_hessian(theta, masks[0])
        return self.complex_step_hessian(theta, masks)

    def complex_step_hessian(self, theta: np.ndarray, masks: Sequence[np.ndarray]) -> np.ndarray:
        """``∇²L_P`` by complex steps: column ``p`` is ``Im ∇L_P(θ + i·h·e_p) / h`` (no cancellation)."""
        H = np.empty((self.size, self.size))
        for p in range(self.size):
            shifted = theta.astype(complex)
            shifted[p] += 1j * _COMPLEX_STEP
            H[:, p] = np.imag(self.evaluate(shifted, masks)[1]) / _COMPLEX_STEP
        return (H + H.T) / 2

    def _one_layer_hessian(self, theta: np.ndarray, D: np.ndarray) -> np.ndarray:
        """``∇²L_P = 2α(JᵀJ + Σ_{j,o} r_jo ∇²f_o(x_j)) + 2λ·diag(decayed)`` for ``f = W₂·D(W₁x + b₁) + b₂``.

        ``J_j[o, ·]`` is ``W₂[o,i]·D_ji·x̃_j`` on unit ``i``'s first-layer row ``(W₁[i,:], b₁[i])`` and
        ``ã_j = (D_j z_j, 1)`` on output ``o``'s row ``(W₂[o,:], b₂[o])``. ``f`` is bilinear in the two layers,
        so ``∇²f_o`` pairs only ``W₂[o,i]`` with unit ``i``'s first-layer row, with entries ``D_ji·x̃_j``:
        the residual term is ``M[o,i,:] = Σ_j r_jo D_ji x̃_j`` there. A few matrix products instead of the
        ``P`` back-propagations of complex steps (``≈ 0.13 ms`` each at a few hundred parameters).
        """
        (ws1, (h, n), bs1), (ws2, (m, _), bs2) = self.blocks
        (W1, b1), (W2, b2) = self.layers(theta)
        N = self.X.shape[0]
        a = (self.X @ W1.T + (b1 if b1 is not None else 0)) * D
        r = a @ W2.T + (b2 if b2 is not None else 0) - self.Y
        J = np.zeros((N, m, self.size))
        WD = W2[None, :, :] * D[:, None, :]                                   # (N, m, h): ∂f_o/∂z_i
        J[:, :, ws1] = (WD[:, :, :, None] * self.X[:, None, None, :]).reshape(N, m, h * n)
        outs = np.arange(m)
        block = np.zeros((N, m, m, h))
        block[:, outs, outs, :] = a[:, None, :]
        J[:, :, ws2] = block.reshape(N, m, m * h)
        if bs1 is not None:
            J[:, :, bs1] = WD
        if bs2 is not None:
            J[:, :, bs2] = np.eye(m)[None, :, :]
        rows_j = J.reshape(N * m, self.size)
        H = rows_j.T @ rows_j
        cols = [self.X] + ([np.ones((N, 1))] if bs1 is not None else [])
        xt = np.concatenate(cols, axis=1)                                     # x̃_j
        M = np.einsum("jo,ji,jc->oic", r, D, xt)
        first = np.concatenate([ws1.start + np.arange(h)[:, None] * n + np.arange(n)[None, :]]
                               + ([bs1.start + np.arange(h)[:, None]] if bs1 is not None else []), axis=1)  # (h, ñ)
        second = ws2.start + outs[:, None] * h + np.arange(h)[None, :]      # (m, h)
        rows = np.broadcast_to(first[None, :, :], M.shape)
        cols_ = np.broadcast_to(second[:, :, None], M.shape)
        np.add.at(H, (rows.ravel(), cols_.ravel()), M.ravel())
        np.add.at(H, (cols_.ravel(), rows.ravel()), M.ravel())
        H *= 2 * self.alpha
        H[np.diag_indices_from(H)] += 2 * self.lam * self.decay
        return H
