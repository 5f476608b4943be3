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
        """``∇²L_P``: in closed form (:meth:`_closed_form_hessian`) for a real ``θ`` with hidden layers, else
        by complex steps (:meth:`complex_step_hessian`)."""
        if len(self.blocks) > 1 and not np.iscomplexobj(theta):
            return self._closed_form_hessian(theta, masks)
        return self.complex_step_hessian(theta, masks)

    def complex_step_hessian(self, theta: np.ndarray, masks: Sequence[np.ndarray]) -> np.ndarray:
        """``∇²L_P`` by complex steps: column ``p`` is ``Im ∇L_P(θ + i·h·e_p) / h`` (no cancellation)."""
        H = np.empty((self.size, self.size))
        for p in range(self.size):
            shifted = theta.astype(complex)
            shifted[p] += 1j * _COMPLEX_STEP
            H[:, p] = np.imag(self.evaluate(shifted, masks)[1]) / _COMPLEX_STEP
        return (H + H.T) / 2

    def _closed_form_hessian(self, theta: np.ndarray, masks: Sequence[np.ndarray]) -> np.ndarray:
        """``∇²L_P = 2α(Σ_j J_jᵀJ_j + Σ_{j,o} r_jo ∇²f_o(x_j)) + 2λ·diag(decayed)`` from a few array products.

        Blocks ``k = 0..L−1`` (``z⁽ᵏ⁾ = W_k a_k + b_k``, ``a_{k+1} = D_k z⁽ᵏ⁾``, ``f = z⁽ᴸ⁻¹⁾``). With
        ``G_k = ∂f/∂z⁽ᵏ⁾`` (``G_{L−1} = I``, ``G_k = (G_{k+1} W_{k+1})·D_k``) the Jacobian is
        ``G_k[o,c]·ã_k[d]`` on ``(W_k[c,d], b_k[c])`` (``ã_k = (a_k, 1)``). ``f`` is affine in each block's
        parameters, and ``∂f/∂b_l`` does not depend on lower blocks, so ``Σ_o r_o ∇²f_o`` pairs only a weight
        ``W_l[c,d]`` with a parameter ``(a, b)`` of a block ``k < l``, where it is ``g_l[c]·M[d,a]·ã_k[b]``
        with ``g_l = Σ_o r_o G_l[o,·]`` and ``M = ∂a_l/∂z⁽ᵏ⁾`` (``D_k`` for ``l = k+1``, then
        ``D_{l−1}·W_{l−1}·M``). Instead of ``P`` complex-step back-propagations (≈ 0.13 ms each at a few
        hundred parameters).
        """
        layers = self.layers(theta)
        L, N = len(layers), self.X.shape[0]
        acts = [self.X]
        for k, (W, b) in enumerate(layers[:-1]):
            acts.append((acts[-1] @ W.T + (b if b is not None else 0)) * masks[k])
        W, b = layers[-1]
        r = acts[-1] @ W.T + (b if b is not None else 0) - self.Y
        m = r.shape[1]
        G: list[np.ndarray] = [np.broadcast_to(np.eye(m), (N, m, m))]
        for k in range(L - 2, -1, -1):
            G.insert(0, (G[0] @ layers[k + 1][0]) * masks[k][:, None, :])
        J = np.zeros((N, m, self.size))
        tilde, params = [], []   # ã_k, and the index of (W_k[c,d], b_k[c]) as a (rows, cols + 1) array
        for k, (ws, (rows, cols), bs) in enumerate(self.blocks):
            J[:, :, ws] = (G[k][:, :, :, None] * acts[k][:, None, None, :]).reshape(N, m, rows * cols)
            index = ws.start + np.arange(rows)[:, None] * cols + np.arange(cols)[None, :]
            if bs is not None:
                J[:, :, bs] = G[k]
                index = np.concatenate([index, bs.start + np.arange(rows)[:, None]], axis=1)
            tilde.append(np.concatenate([acts[k], np.ones((N, 1))], axis=1) if bs is not None else acts[k])
            params.append(index)
        rows_j = J.reshape(N * m, self.size)
        H = rows_j.T @ rows_j
        g = [np.einsum("jo,joc->jc", r, Gk) for Gk in G]
        for k in range(L - 1):
            # l = k + 1: M = D_k is diagonal, so W_l[c,a] pairs with (a, b) only: Σ_j g_l[c] D_k[a] ã_k[b]
            T3 = np.einsum("jc,ja,jb->cab", g[k + 1], masks[k], tilde[k], optimize=True)
            upper = params[k + 1][:, : self.blocks[k + 1][1][1]]                  # W_{k+1}[c, a]
            at_upper, at_lower = np.broadcast_arrays(upper[:, :, None], params[k][None, :, :])
            H[at_upper, at_lower] += T3
            H[at_lower, at_upper] += T3
            M = masks[k][:, :, None] * np.eye(masks[k].shape[1])[None, :, :]   # ∂a_{k+1}/∂z⁽ᵏ⁾ = D_k
            lower = params[k].ravel()
            for l in range(k + 2, L):
                M = masks[l - 1][:, :, None] * np.einsum("de,jea->jda", layers[l - 1][0], M)
                T = np.einsum("jc,jda,jb->cdab", g[l], M, tilde[k], optimize=True).reshape(-1, lower.size)
                upper = params[l][:, : self.blocks[l][1][1]].ravel()             # the weights W_l[c,d]
                H[np.ix_(upper, lower)] += T
                H[np.ix_(lower, upper)] += T.T
        H *= 2 * self.alpha
        H[np.diag_indices_from(H)] += 2 * self.lam * self.decay
        return H
