"""Exact loss, gradient and Hessian of a piece ``L_P`` at a rational point.

On the region of a pattern ``P`` the network is the polynomial ``f_P`` (the ``D_k`` fixed), affine in
each layer's parameters ``(W_k, b_k)``. Exact back-propagation gives

``∇²L_P = 2α Σ_j J_jᵀ J_j + 2α Σ_j Σ_o r_{jo} ∇²f_o(x_j) + 2λ diag(decayed)``,

where ``J_j = ∂f(x_j)/∂θ`` and ``r_j = f(x_j) − y_j``. Because ``f_P`` is affine in each layer, the
second derivative of ``r_j·f`` between parameter ``(k, a, b)`` of layer ``k`` and ``(l, c, d)`` of a later
layer ``l`` is ``g_l[c] · M_{l,k}[d, a] · ã_k[b]``: ``g_l`` the residual back-propagated to layer ``l``'s
output, ``M_{l,k} = ∂a_l/∂z_{k+1}`` and ``ã_k = (a_k, 1)`` the layer's input (these are the
second-order cofactors of the determinant form, computed without expanding any determinant).

Arithmetic is Python integers over denominators shared by every sample (``[W_k | b_k] = V_k / e_k``,
``x = X / d_x``, ``y = Y / d_y``): no gcd inside the ``O(P·N)`` loops, which ``fmpq`` or ``Fraction``
would pay per operation; the Gauss–Newton sum is one ``fmpz_mat`` product, and the results are
reduced once, at the end, to ``fmpq``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from operator import mul
from typing import Sequence

from flint import fmpq, fmpq_mat, fmpz_mat

from .linalg import to_fmpq as to_fmpq, to_fraction as to_fraction  # re-exported: callers convert here
from .network import Pattern
from .problem import Problem, per_problem


@dataclass(frozen=True)
class PieceDerivatives:
    """``L_P``, ``∇L_P`` and (optionally) ``∇²L_P`` at one point, exact."""

    loss: fmpq
    gradient: list[fmpq]
    hessian: fmpq_mat | None


def rounded_gradient(problem: Problem, theta: Sequence[Fraction | fmpq], pattern: Pattern) -> list[float]:
    """``∇L_P(θ)`` computed exactly, each entry then rounded once to the nearest float (for Newton steps near a
    critical point, where the float gradient is only rounding noise): the same floats as converting
    :func:`piece_derivatives`' gradient, without a rational per entry.

    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...     "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> rounded_gradient(p, [Fraction(1), Fraction(1, 3)], (((1,),),)) == [1 / 18, -7 / 6]  # L = (ab − 1)² + (a² + b²)/4
    True
    """
    return _derivatives(problem, theta, pattern, False, True)  # type: ignore[return-value]


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
    return _derivatives(problem, theta, pattern, hessian, False)  # type: ignore[return-value]


def _derivatives(problem: Problem, theta: Sequence[Fraction | fmpq], pattern: Pattern, hessian: bool,
                 rounded: bool) -> PieceDerivatives | list[float]:
    """:func:`piece_derivatives`, or with ``rounded`` :func:`rounded_gradient`."""
    widths, H = problem.widths, problem.depth
    nb = 1 if problem.biases else 0
    relu = problem.activation == "relu"
    P = problem.parameter_count
    th = [to_fmpq(t) for t in theta]
    V, e, offs = _layers(problem, th)
    xs, dx, ys, dy = _data(problem)
    s = [dx]                      # s[k] = scale of layer k's input ã_k; z_k = V_k ã_k has scale s[k+1]
    for k in range(H + 1):
        s.append(s[-1] * e[k])
    E = s[-1] // dx               # the product of the layers' denominators
    n0, n_out = widths[0], widths[-1]

    data = 0                      # Σ r², scale (s[H+1]·dy)²
    grad = [0] * P                # ∂(r·f)/∂θ, scale s[H+1]·dy · dx·E
    jac: list[int] = []           # ∂f/∂θ, scale dx·E/e_k on layer k's columns (e_k joins after JᵀJ)
    ones = [1] * (H + 1)
    columns = [[list(col) for col in zip(*(row[: widths[k]] for row in V[k]))] for k in range(H + 1)]
    g_by_layer: list[list[list[int]]] = [[] for _ in range(H + 1)]   # g_k at each sample
    a_by_layer: list[list[list[int]]] = [[] for _ in range(H + 1)]   # ã_k at each sample
    R: dict[tuple[int, int], int] = {}   # Σ_o r_o ∇²f_o, scale s[H+1]·dy · dx·E
    for j in range(len(problem.inputs)):
        # forward: atil[k] is the input of layer k with its scale (the constant 1) appended for the bias
        D: list[Sequence[int]] = [()] + [pattern[j][m] if relu else (1,) * widths[m + 1] for m in range(H)]
        a = xs[j * n0: (j + 1) * n0]
        atil: list[list[int]] = []
        for k in range(H + 1):
            atil.append(a + [s[k]] * nb)
            z = [sum(map(mul, row, atil[k])) for row in V[k]]
            a = z if k == H else [v if on else 0 for v, on in zip(z, D[k + 1])]
        r = [f * dy - y * s[H + 1] for f, y in zip(a, ys[j * n_out: (j + 1) * n_out])]
        data += sum(v * v for v in r)

        # Jacobian rows, one back-propagation per output (only the Hessian uses them)
        for o in range(n_out if hessian else 0):
            row = [0] * P
            _accumulate(row, [int(i == o) for i in range(n_out)], atil, offs, widths, nb, H, V, D, ones)
            jac.extend(row)
        gr = _backward(r, columns, D, widths, H)
        for k in range(H + 1):
            g_by_layer[k].append(gr[k])
            a_by_layer[k].append(atil[k])
        if hessian and H > 0:
            _residual_term(R, gr, atil, offs, widths, nb, H, V, D, e)
    # ∂(r·f)/∂θ on layer k is Σ_j g_k[a]·ã_k[c] (scale σ·dx·E/e_k, so times e_k): one C-level sum over the
    # samples per parameter instead of a Python multiply-add per sample and parameter.
    for k in range(H + 1):
        g_rows, a_cols = list(zip(*g_by_layer[k])), list(zip(*a_by_layer[k]))
        for a_, g_a in enumerate(g_rows):
            if any(g_a):
                for c, a_c in enumerate(a_cols):
                    grad[_index(offs, widths, k, a_, c)] = e[k] * sum(map(mul, g_a, a_c))

    alpha, lam = to_fmpq(problem.alpha), to_fmpq(problem.weight_decay)
    decayed = problem.decayed()
    sr = s[H + 1] * dy
    if rounded:  # 2α·g/(sr·dx·E) + 2λθ over one denominator, one correctly rounded int division per entry
        a_num, a_den = int((2 * alpha).p), int((2 * alpha).q)
        l_num, l_den = int((2 * lam).p), int((2 * lam).q)
        tn, tD = _over_common(th)
        Q = sr * dx * E
        den, g_up, t_up = a_den * l_den * Q * tD, a_num * l_den * tD, l_num * a_den * Q
        return [(g_up * g + t_up * t) / den if on else (g_up * g) / den for g, t, on in zip(grad, tn, decayed)]
    gradient = [2 * alpha * fmpq(g, sr * dx * E) + (2 * lam * t if on else fmpq(0)) for g, t, on in zip(grad, th, decayed)]
    decay = sum((t * t for t, on in zip(th, decayed) if on), fmpq(0))
    value = alpha * fmpq(data, sr * sr) + lam * decay
    if not hessian:
        return PieceDerivatives(value, gradient, None)
    # 2α (JᵀJ/(dx·E)² + R/(sr·dx·E)) with sr = dx·E·dy: one integer matrix over dy·(dx·E)². The
    # Jacobian's columns lack their layer's e_k, which halves the length of the product's entries.
    J = fmpz_mat(len(jac) // P, P, jac)
    up = [e[k] for k in range(H + 1) for _ in range((offs[k + 1] if k < H else P) - offs[k])]
    gram = (J.transpose() * J).tolist()
    G = [[int(v) * ua * ub if v else 0 for v, ub in zip(row, up)] for row, ua in zip(gram, (u * dy for u in up))]
    for (p, q), v in R.items():
        G[p][q] += v
    Hm = fmpq_mat(fmpz_mat(G)) * (2 * alpha / (dy * (dx * E) ** 2))
    for i, on in enumerate(decayed):
        if on:
            Hm[i, i] += 2 * lam
    return PieceDerivatives(value, gradient, Hm)


@per_problem
def _data(problem: Problem) -> tuple[list[int], int, list[int], int]:
    """The inputs and targets as integers over one denominator each, ``(xs, d_x, ys, d_y)``."""
    xs, dx = _over_common([v for x in problem.inputs for v in x])
    ys, dy = _over_common([v for y in problem.targets for v in y])
    return xs, dx, ys, dy


def _over_common(values: Sequence[Fraction | fmpq]) -> tuple[list[int], int]:
    """``(ints, d)`` with ``values = ints / d`` and ``d`` the lcm of the denominators."""
    den = lcm(*(int(v.denominator) for v in values)) if values else 1
    return [int(v.numerator) * (den // int(v.denominator)) for v in values], den


def _layers(problem: Problem, th: list[fmpq]) -> tuple[list[list[list[int]]], list[int], list[int]]:
    """The integer rows of each ``[W_k | b_k] = V_k / e_k``, the ``e_k`` and the offset of each layer."""
    widths, pos = problem.widths, 0
    V: list[list[list[int]]] = []
    e: list[int] = []
    offs: list[int] = []
    for k in range(len(widths) - 1):
        rows, cols = widths[k + 1], widths[k]
        offs.append(pos)
        weights = [th[pos + i * cols: pos + (i + 1) * cols] for i in range(rows)]
        pos += rows * cols
        if problem.biases:
            weights = [w + [th[pos + i]] for i, w in enumerate(weights)]
            pos += rows
        flat, den = _over_common([v for w in weights for v in w])
        width = cols + (1 if problem.biases else 0)
        V.append([flat[i: i + width] for i in range(0, len(flat), width)])
        e.append(den)
    return V, e, offs


def _index(offs: Sequence[int], widths: Sequence[int], k: int, a: int, c: int) -> int:
    """Position in θ of W_k[a, c], or of b_k[a] when c is the bias coordinate ``widths[k]``."""
    cols = widths[k]
    return offs[k] + (a * cols + c if c < cols else widths[k + 1] * cols + a)


def _accumulate(out: list[int], g: list[int], atil: list[list[int]], offs: Sequence[int], widths: Sequence[int],
                nb: int, H: int, V: Sequence[Sequence[Sequence[int]]], D: Sequence[Sequence[int]],
                e: Sequence[int]) -> list[list[int]]:
    """Back-propagate ``g = ∂(·)/∂f`` and add ``∂(g·f)/∂θ`` into ``out``; returns each layer's ``g``.

    Layer ``k``'s terms ``g_k[a]·ã_k[c]`` have scale ``σ·dx·E/e_k`` (``σ`` the scale of ``g``), so they
    are multiplied by ``e_k``: every entry of ``out`` gets scale ``σ·dx·E``."""
    gs: list[list[int]] = [[] for _ in range(H + 1)]
    for k in range(H, -1, -1):
        gs[k] = g
        n_in, up = widths[k] + nb, e[k]
        for a_, ga in enumerate(g):
            if ga:
                ga *= up
                for c in range(n_in):
                    v = atil[k][c]
                    if v:
                        out[_index(offs, widths, k, a_, c)] += ga * v
        if k:
            g = [sum(g[i] * V[k][i][c] for i in range(len(g))) if D[k][c] else 0 for c in range(widths[k])]
    return gs


def _backward(g: list[int], columns: Sequence[Sequence[Sequence[int]]], D: Sequence[Sequence[int]],
              widths: Sequence[int], H: int) -> list[list[int]]:
    """Back-propagate ``g = ∂(·)/∂f`` through the piece: ``gs[k]`` is ``∂(·)/∂z_{k+1}`` (scale ``σ·∏_{i>k} e_i``),
    ``columns[k][c]`` the integer column ``c`` of ``W_{k+1}`` (as :func:`_accumulate`'s ``g``, by C-level sums)."""
    gs: list[list[int]] = [[] for _ in range(H + 1)]
    for k in range(H, -1, -1):
        gs[k] = g
        if k:
            g = [sum(map(mul, g, columns[k][c])) if D[k][c] else 0 for c in range(widths[k])]
    return gs


def _residual_term(R: dict[tuple[int, int], int], gs: list[list[int]], atil: list[list[int]], offs: Sequence[int],
                   widths: Sequence[int], nb: int, H: int, V: Sequence[Sequence[Sequence[int]]],
                   D: Sequence[Sequence[int]], e: Sequence[int]) -> None:
    """Add ``Σ_o r_o ∇²f_o`` (cross-layer blocks, both triangles) for one sample into ``R``.

    ``g_l[c]·M[d][a]·ã_k[b]`` has scale ``σ·dx·E/(e_k e_l)``; times ``e_k e_l`` it has scale ``σ·dx·E``."""
    for k in range(H):
        # M = ∂a_l/∂z_{k+1}, starting at l = k + 1 with M = D_{k+1} (integer, scale ∏_{k<m<l} e_m)
        M = [[int(d == a_ and D[k + 1][d]) for a_ in range(widths[k + 1])] for d in range(widths[k + 1])]
        for l in range(k + 1, H + 1):
            if l > k + 1:
                M = [[sum(V[l - 1][d][f] * M[f][a_] for f in range(widths[l - 1])) if D[l][d] else 0
                      for a_ in range(widths[k + 1])] for d in range(widths[l])]
            up = e[k] * e[l]
            for c, gc in enumerate(gs[l]):
                if not gc:
                    continue
                for d in range(widths[l]):
                    q = _index(offs, widths, l, c, d)
                    for a_, m in enumerate(M[d]):
                        if not m:
                            continue
                        v = gc * m * up
                        for bb in range(widths[k] + nb):
                            t = atil[k][bb]
                            if t:
                                p = _index(offs, widths, k, a_, bb)
                                val = v * t
                                R[p, q] = R.get((p, q), 0) + val
                                R[q, p] = R.get((q, p), 0) + val
