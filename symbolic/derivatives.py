"""Exact loss, gradient and Hessian of a piece ``L_P`` at a rational point.

On the region of a pattern ``P`` the network is the polynomial ``f_P`` (the ``D_k`` fixed), affine in
each layer's parameters ``(W_k, b_k)``. Exact back-propagation gives

``∇²L_P = 2α Σ_j J_jᵀ J_j + 2α Σ_j Σ_o r_{jo} ∇²f_o(x_j) + 2λ diag(decayed)``,

where ``J_j = ∂f(x_j)/∂θ`` and ``r_j = f(x_j) − y_j``. Because ``f_P`` is affine in each layer, the
second derivative of ``r_j·f`` between parameter ``(k, a, b)`` of layer ``k`` and ``(l, c, d)`` of a later
layer ``l`` is ``g_l[c] · M_{l,k}[d, a] · ã_k[b]``: ``g_l`` the residual back-propagated to layer ``l``'s
output, ``M_{l,k} = ∂a_l/∂z_{k+1}`` and ``ã_k = (a_k, 1)`` the layer's input (these are the
second-order cofactors of the determinant form, computed without expanding any determinant).

Arithmetic is python-flint ``fmpq``; the Gauss–Newton sum is one ``fmpq_mat`` product.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

from flint import fmpq, fmpq_mat

from .linalg import to_fmpq as to_fmpq, to_fraction as to_fraction  # re-exported: callers convert here
from .network import Pattern
from .problem import Problem


@dataclass(frozen=True)
class PieceDerivatives:
    """``L_P``, ``∇L_P`` and (optionally) ``∇²L_P`` at one point, exact."""

    loss: fmpq
    gradient: list[fmpq]
    hessian: fmpq_mat | None


def piece_derivatives(problem: Problem, theta: Sequence[Fraction | fmpq], pattern: Pattern,
                      hessian: bool = True) -> PieceDerivatives:
    """Loss, gradient and Hessian of the piece ``L_P`` at ``θ``.

    Parameters
    ----------
    problem
        The problem (architecture, data, loss).
    theta
        The point, in canonical order, as exact rationals.
    pattern
        The piece; it need not be the point's own pattern (boundary points need every adjacent piece).
    hessian
        Whether to compute the Hessian.

    Returns
    -------
    PieceDerivatives

    Examples
    --------
    ``L = (ab − 1)² + (a² + b²)/4`` for ``f = b·σ(a·x)``, ``x = y = 1``, on the piece ``a > 0``:

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> d = piece_derivatives(p, [Fraction(1), Fraction(1)], (((1,),),))
    >>> d.loss, d.gradient, d.hessian.tolist()
    (1/2, [1/2, 1/2], [[5/2, 2], [2, 5/2]])

    Notes
    -----
    Cost per sample: one forward pass, ``n_out`` back-propagations (the Jacobian rows), and the
    cross-layer residual terms, ``O(Σ_{k<l} n_{k+1}(n_k+1) n_{l+1} n_l)``; then one ``(N n_out) × P``
    matrix product for the Gauss–Newton term.
    """
    widths, H = problem.widths, problem.depth
    nb = 1 if problem.biases else 0
    th = [to_fmpq(t) for t in theta]
    W, b, offs = _layers(problem, th)
    relu = problem.activation == "relu"
    P = problem.parameter_count
    alpha = to_fmpq(problem.alpha)
    zero, one = fmpq(0), fmpq(1)

    data = zero
    grad = [zero] * P
    jac: list[fmpq] = []
    R: dict[tuple[int, int], fmpq] = {}
    for j, x in enumerate(problem.inputs):
        # forward: atil[k] is the input of layer k with the constant 1 for the bias appended
        D: list[Sequence[int]] = [()] + [pattern[j][m] if relu else (1,) * widths[m + 1] for m in range(H)]
        a = [to_fmpq(v) for v in x]
        atil: list[list[fmpq]] = []
        for k in range(H + 1):
            atil.append(a + [one] * nb)
            bk = b[k]
            z = [sum((w * v for w, v in zip(row, a)), zero) + (bk[i] if bk is not None else zero) for i, row in enumerate(W[k])]
            a = z if k == H else [v if on else zero for v, on in zip(z, D[k + 1])]
        r = [f - to_fmpq(y) for f, y in zip(a, problem.targets[j])]
        data += sum((v * v for v in r), zero)

        # Jacobian rows, one back-propagation per output
        for o in range(widths[-1]):
            row = [zero] * P
            g = [one if i == o else zero for i in range(widths[-1])]
            _accumulate(row, g, atil, offs, widths, nb, H, W, D)
            jac.extend(row)
        gr = _accumulate(grad, r, atil, offs, widths, nb, H, W, D)
        if hessian and H > 0:
            _residual_term(R, gr, atil, offs, widths, nb, H, W, D)

    decayed = problem.decayed()
    lam2 = 2 * to_fmpq(problem.weight_decay)
    gradient = [2 * alpha * g + (lam2 * t if on else zero) for g, t, on in zip(grad, th, decayed)]
    decay = sum((t * t for t, on in zip(th, decayed) if on), zero)
    value = alpha * data + to_fmpq(problem.weight_decay) * decay
    if not hessian:
        return PieceDerivatives(value, gradient, None)
    J = fmpq_mat(len(jac) // P, P, jac)
    Hm = J.transpose() * J
    for (p, q), v in R.items():
        Hm[p, q] += v
    Hm = Hm * (2 * alpha)
    for i, on in enumerate(decayed):
        if on:
            Hm[i, i] += lam2
    return PieceDerivatives(value, gradient, Hm)


def _layers(problem: Problem, th: list[fmpq]) -> tuple[list[list[list[fmpq]]], list[list[fmpq] | None], list[int]]:
    """Split θ into weight rows, biases and the offset of each layer."""
    widths, pos = problem.widths, 0
    W: list[list[list[fmpq]]] = []
    b: list[list[fmpq] | None] = []
    offs: list[int] = []
    for k in range(len(widths) - 1):
        rows, cols = widths[k + 1], widths[k]
        offs.append(pos)
        W.append([th[pos + i * cols: pos + (i + 1) * cols] for i in range(rows)])
        pos += rows * cols
        b.append(th[pos: pos + rows] if problem.biases else None)
        pos += rows if problem.biases else 0
    return W, b, offs


def _index(offs: Sequence[int], widths: Sequence[int], k: int, a: int, c: int) -> int:
    """Position in θ of W_k[a, c], or of b_k[a] when c is the bias coordinate ``widths[k]``."""
    cols = widths[k]
    return offs[k] + (a * cols + c if c < cols else widths[k + 1] * cols + a)


def _accumulate(out: list[fmpq], g: list[fmpq], atil: list[list[fmpq]], offs: Sequence[int], widths: Sequence[int],
                nb: int, H: int, W: Sequence[Sequence[Sequence[fmpq]]], D: Sequence[Sequence[int]]) -> list[list[fmpq]]:
    """Back-propagate ``g = ∂(·)/∂f`` and add ``∂(g·f)/∂θ`` into ``out``; returns each layer's ``g``."""
    gs: list[list[fmpq]] = [[] for _ in range(H + 1)]
    for k in range(H, -1, -1):
        gs[k] = g
        n_in = widths[k] + nb
        for a_, ga in enumerate(g):
            if ga:
                for c in range(n_in):
                    v = atil[k][c]
                    if v:
                        out[_index(offs, widths, k, a_, c)] += ga * v
        if k:
            zero = fmpq(0)
            g = [sum((g[i] * W[k][i][c] for i in range(len(g))), zero) if D[k][c] else zero for c in range(widths[k])]
    return gs


def _residual_term(R: dict[tuple[int, int], fmpq], gs: list[list[fmpq]], atil: list[list[fmpq]], offs: Sequence[int],
                   widths: Sequence[int], nb: int, H: int, W: Sequence[Sequence[Sequence[fmpq]]],
                   D: Sequence[Sequence[int]]) -> None:
    """Add ``Σ_o r_o ∇²f_o`` (cross-layer blocks, both triangles) for one sample into ``R``."""
    zero = fmpq(0)
    for k in range(H):
        # M = ∂a_l/∂z_{k+1}, starting at l = k + 1 with M = D_{k+1}
        M = [[(fmpq(1) if (d == a_ and D[k + 1][d]) else zero) for a_ in range(widths[k + 1])] for d in range(widths[k + 1])]
        for l in range(k + 1, H + 1):
            if l > k + 1:
                M = [[sum((W[l - 1][d][e] * M[e][a_] for e in range(widths[l - 1])), zero) if D[l][d] else zero
                      for a_ in range(widths[k + 1])] for d in range(widths[l])]
            for c, gc in enumerate(gs[l]):
                if not gc:
                    continue
                for d in range(widths[l]):
                    q = _index(offs, widths, l, c, d)
                    for a_, m in enumerate(M[d]):
                        if not m:
                            continue
                        v = gc * m
                        for bb in range(widths[k] + nb):
                            t = atil[k][bb]
                            if t:
                                p = _index(offs, widths, k, a_, bb)
                                val = v * t
                                R[p, q] = R.get((p, q), zero) + val
                                R[q, p] = R.get((q, p), zero) + val
