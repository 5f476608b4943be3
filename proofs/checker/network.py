"""The network, its loss on one activation region, exact derivatives, a-priori bounds, loss along curves.

Conventions (``proofs/FORMAT.md``): ``θ`` in canonical order (per layer ``k = 1..H+1`` the rows of ``W_k``, then
``b_k``), ``L(θ) = α Σ_j ‖f(x_j) − y_j‖² + λ Σ_{decayed i} θ_i²``. For a fixed pattern ``P`` (diagonal
0/1 matrices ``D_k``) the network is ``z_k = W_k a_{k−1} + b_k``, ``a_k = D_k z_k``, ``f = z_{H+1}``, and
``L_P`` is a polynomial.

Speed: the derivatives are computed with Python integers over denominators that are the same for every
sample (``[W_k | b_k] = V_k / e_k``, ``x = X / d_x``, ``y = Y / d_y``), so the ``O(P²N)`` sums are C-level
``sum(map(mul, u, v))`` over plain ints, with no gcd until the very end.
"""

from __future__ import annotations

from collections import deque
from fractions import Fraction
from itertools import compress
from math import lcm
from operator import itemgetter, mul
from typing import Callable, NamedTuple, Sequence, TypeVar

from .arith import Budget, Sparse, bits, over_common

Pattern = Sequence[Sequence[Sequence[int]]]
"""``pattern[j][k-1][i]`` is 1 when hidden unit ``i`` of layer ``k`` is active at sample ``j``."""

Poly = list[Fraction]
"""A polynomial in ``t``: coefficients, lowest degree first."""

T = TypeVar("T")


class Problem:
    """A validated problem: architecture, loss and exact data (``Fraction`` entries)."""

    __slots__ = ("widths", "biases", "decay_biases", "activation", "reduction", "weight_decay",
                 "inputs", "targets", "depth", "alpha", "offsets", "count", "decayed")

    def __init__(self, widths: Sequence[int], biases: bool, decay_biases: bool, activation: str,
                 reduction: str, weight_decay: Fraction, inputs: list[list[Fraction]],
                 targets: list[list[Fraction]]):
        self.widths = tuple(widths)
        self.biases = biases
        self.decay_biases = decay_biases
        self.activation = activation
        self.reduction = reduction
        self.weight_decay = weight_decay
        self.inputs = inputs
        self.targets = targets
        self.depth = len(widths) - 2
        self.alpha = Fraction(1, len(inputs)) if reduction == "mean" else Fraction(1)
        self.offsets: list[int] = []
        self.decayed: list[bool] = []
        for k in range(len(widths) - 1):
            self.offsets.append(len(self.decayed))
            self.decayed += [True] * (widths[k + 1] * widths[k]) + [decay_biases] * (widths[k + 1] * biases)
        self.count = len(self.decayed)

    def fields(self) -> list[tuple[str, object]]:
        """``(JSON path, value)`` pairs that define the problem (its name excluded), for comparisons."""
        out: list[tuple[str, object]] = [
            ("network.widths", self.widths), ("network.biases", self.biases),
            ("network.decay_biases", self.decay_biases), ("network.activation", self.activation),
            ("loss.reduction", self.reduction), ("loss.weight_decay", self.weight_decay)]
        for name, rows in (("inputs", self.inputs), ("targets", self.targets)):
            out.append((f"data.{name}", f"{len(rows)} samples"))
            out += [(f"data.{name}[{j}][{i}]", v) for j, row in enumerate(rows) for i, v in enumerate(row)]
        return out

    def layer_rows(self, theta: Sequence[T], k: int) -> list[list[T]]:
        """The rows of ``[W_k | b_k]`` (``k = 1..H+1``) read from ``θ``."""
        n_out, n_in = self.widths[k], self.widths[k - 1]
        pos = self.offsets[k - 1]
        rows = [list(theta[pos + i * n_in: pos + (i + 1) * n_in]) for i in range(n_out)]
        if self.biases:
            for i in range(n_out):
                rows[i].append(theta[pos + n_out * n_in + i])
        return rows

    def index(self, k: int, c: int, d: int) -> int:
        """Canonical index of entry ``(c, d)`` of ``[W_k | b_k]`` (``d = n_{k−1}`` is the bias)."""
        n_out, n_in = self.widths[k], self.widths[k - 1]
        return self.offsets[k - 1] + (c * n_in + d if d < n_in else n_out * n_in + c)


def normal(problem: Problem, j: int, i: int) -> Sparse:
    """``a`` with ``z_{1,i}(x_j) = a·θ`` (a first-layer pre-activation is linear in ``θ``)."""
    a = {problem.index(1, i, b): x for b, x in enumerate(problem.inputs[j]) if x}
    if problem.biases:
        a[problem.index(1, i, problem.widths[0])] = Fraction(1)
    return a


def null_sample(problem: Problem, j: int) -> bool:
    """Whether sample ``j`` has ``x̃_j = 0`` (``x_j = 0`` without biases): then every pre-activation at it
    is identically 0 for every ``θ`` (no region boundary, ``σ(0) = 0``), and its pattern entries are '0'."""
    return not problem.biases and not any(problem.inputs[j])


def twins(problem: Problem, cons: Sequence[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """First-layer kinks that repeat a listed one: ``(k, i) ↦ m`` for every sample ``k`` with the same input
    as the sample ``j`` of constraint ``m = (j, i)`` (``(k, i)`` itself not listed). Then
    ``z_{1,i}(x_k; θ) = z_{1,i}(x_j; θ)`` for every ``θ`` (``x̃_k = x̃_j``): the twin vanishes where the
    constraint does and has its sign on every piece, so it is the same hyperplane, not another kink."""
    listed = set(cons)
    out: dict[tuple[int, int], int] = {}
    for m, (j, i) in enumerate(cons):
        for k, x in enumerate(problem.inputs):
            if k != j and x == problem.inputs[j] and (k, i) not in listed:
                out.setdefault((k, i), m)
    return out


class Pass(NamedTuple):
    """An integer forward pass: ``ã_k = acts[j][k] / s[k]``, ``z_k = pre[j][k-1] / s[k]``."""

    rows: list[list[list[int]]]       # rows[k-1] = integer rows of [W_k | b_k]; their scale is e[k-1]
    e: list[int]
    s: list[int]                      # s[0] = d_x, s[k] = e_k s[k-1]
    dy: int
    acts: list[list[list[int]]]       # acts[j][k] = ã_k (with the bias entry s[k] when biases), k = 0..H
    pre: list[list[list[int]]]        # pre[j][k-1] = z_k for hidden k = 1..H
    masks: list[list[tuple[int, ...]]]  # masks[j][k-1] = the D_k used
    residuals: list[list[int]]        # r_j = f_j − y_j, scale s[H+1]·d_y


def forward(problem: Problem, theta: Sequence[Fraction], pattern: Pattern | None, budget: Budget | None = None) -> Pass:
    """Forward pass with ``D_k`` from ``pattern``; ``None`` means the true ReLU (``σ(0) = 0``)."""
    H, bias = problem.depth, problem.biases
    rows, e = [], []
    for k in range(1, H + 2):
        flat, den = over_common([v for row in problem.layer_rows(theta, k) for v in row])
        width = len(flat) // problem.widths[k]
        rows.append([flat[i: i + width] for i in range(0, len(flat), width)])
        e.append(den)
    xs, dx = over_common([v for x in problem.inputs for v in x])
    ys, dy = over_common([v for y in problem.targets for v in y])
    if budget is not None:  # an activation of layer k has at most bits(x) + Σ_{i≤k} (bits(W_i) + log P) bits
        budget.charge(len(problem.inputs) * problem.count, bits([xs]) + sum(bits(r) + 32 for r in rows),
                      "the forward pass")
    s = [dx]
    for k in range(H + 1):
        s.append(s[-1] * e[k])
    n0, n_out = problem.widths[0], problem.widths[-1]
    identity = problem.activation == "identity"
    acts, pre, masks, residuals = [], [], [], []
    for j in range(len(problem.inputs)):
        a = xs[j * n0: (j + 1) * n0] + ([dx] if bias else [])
        sample_acts, sample_pre, sample_masks = [a], [], []
        for k in range(1, H + 1):
            z = [sum(map(mul, row, a)) for row in rows[k - 1]]
            if identity:
                mask = (1,) * len(z)
            elif pattern is None:
                mask = tuple(int(v > 0) for v in z)
            else:
                mask = tuple(pattern[j][k - 1])
            a = [v if m else 0 for v, m in zip(z, mask)] + ([s[k]] if bias else [])
            sample_pre.append(z)
            sample_masks.append(mask)
            sample_acts.append(a)
        f = [sum(map(mul, row, a)) for row in rows[H]]
        residuals.append([fo * dy - yo * s[H + 1] for fo, yo in zip(f, ys[j * n_out: (j + 1) * n_out])])
        acts.append(sample_acts)
        pre.append(sample_pre)
        masks.append(sample_masks)
    return Pass(rows, e, s, dy, acts, pre, masks, residuals)


def loss_value(problem: Problem, theta: Sequence[Fraction], run: Pass) -> Fraction:
    """``L`` at ``θ`` for the pass's pattern."""
    scale = run.s[-1] * run.dy
    data = Fraction(sum(v * v for r in run.residuals for v in r), scale * scale)
    t, t_den = over_common(list(compress(theta, problem.decayed)))
    return problem.alpha * data + problem.weight_decay * Fraction(sum(map(mul, t, t)), t_den * t_den)


class Derivatives(NamedTuple):
    """Exact ``L_P``, ``∇L_P`` and ``∇²L_P = hess_num / hess_den`` at one point."""

    loss: Fraction
    grad: list[Fraction]
    hess_num: list[list[int]]
    hess_den: int


def derivatives(problem: Problem, theta: Sequence[Fraction], run: Pass, budget: Budget | None = None) -> Derivatives:
    """Exact loss, gradient and Hessian of ``L_P`` at ``θ`` (``P`` = the pattern of ``run``).

    Notes
    -----
    ``∇²L_P = 2α Σ_j J_jᵀJ_j + 2α Σ_j Σ_o r_jo ∇²f_jo + 2λ·diag(decayed)``. ``J_j[o, (k,c,d)] =
    G_k[o,c]·ã_{k−1}[d]`` with ``G_k = ∂f/∂z_k``. ``f`` is affine in each layer's parameters, so
    ``∇²f`` is nonzero only between a weight ``W_l[c,d]`` and a parameter ``(k,a,b)`` of a layer
    ``k < l``, where ``Σ_o r_o ∂²f_o = g_l[c]·M_{l−1,k}[d,a]·ã_{k−1}[b]``, ``g_l = (∂f/∂z_l)ᵀ r`` and
    ``M_{m,k} = ∂a_m/∂z_k``. Cost ``O(P²·N·n_out)`` integer multiply-adds.
    """
    H, widths, N = problem.depth, problem.widths, len(run.acts)
    W = [[row[: widths[k]] for row in run.rows[k]] for k in range(H + 1)]  # W[k-1] = V_k without bias
    W_columns = [[list(col) for col in zip(*Wk)] for Wk in W]
    e, E = run.e, run.s[-1] // run.s[0]
    P = problem.count
    G_all: list[list[list[list[int]]]] = []  # G_all[j][k-1] = G_k at sample j
    g_all: list[list[list[int]]] = []       # g_all[j][k-1] = g_k = (∂f/∂z_k)ᵀ r_j, scale s_r·∏_{i>k} e_i
    m_all: list[dict[tuple[int, int], list[list[int]]]] = []
    unit_rows = [[[int(d == c) for c in range(w)] for d in range(w)] for w in widths[:-1]]  # read only below
    zero_rows = [[0] * w for w in widths[:-1]]
    eye = [[int(o == c) for c in range(widths[-1])] for o in range(widths[-1])]   # G_{H+1} = I, read only below
    # G_{k+1}·W_{k+1} depends on the sample only through D_{k+1}, …, D_H: formed once per such masks (samples
    # share them: 31 distinct last-layer masks among 200 samples at 3-11-12-10), then D_k zeroes columns
    above: dict[tuple[tuple[int, ...], ...], list[list[int]]] = {}
    for j in range(N):
        mask = run.masks[j]
        # G_k = ∂f/∂z_k (scale ∏_{i>k} e_i), g_k = G_kᵀ r, walking down from the output.
        G = eye
        g = list(run.residuals[j])
        Gs, gs = [G], [g]
        for k in range(H, 0, -1):
            Wt, D = W_columns[k], mask[k - 1]
            if k == H:  # G_{H+1} = I: G_H is W_{H+1} with the inactive columns zeroed, no sums
                G = [[w if a else 0 for w, a in zip(Wo, D)] for Wo in W[H]]
            else:
                key = tuple(mask[k:])
                product = above.get(key)
                if product is None:
                    product = above[key] = [[sum(map(mul, Go, col)) for col in Wt] for Go in G]
                G = [[v if a else 0 for v, a in zip(row, D)] for row in product]
            g = [sum(map(mul, g, Wt[c])) if D[c] else 0 for c in range(widths[k])]
            Gs.append(G)
            gs.append(g)
        Gs.reverse()
        gs.reverse()
        g_all.append(gs)
        G_all.append(Gs)
        # M_{m,k} = ∂a_m/∂z_k for hidden m ≥ k (scale ∏_{k<i≤m} e_i).
        Ms: dict[tuple[int, int], list[list[int]]] = {}
        for k in range(1, H + 1):
            D = mask[k - 1]
            Ms[k, k] = [unit_rows[k][d] if D[d] else zero_rows[k] for d in range(widths[k])]  # D_k, rows shared
            if k < H:  # M_{k+1,k} = D_{k+1} W_{k+1} D_k: entries of W_{k+1}, no sums
                Dm = mask[k]
                Ms[k + 1, k] = [[w if a else 0 for w, a in zip(Wd, D)] if Dm[d] else zero_rows[k]
                                for d, Wd in enumerate(W[k])]
            for m in range(k + 2, H + 1):
                Dm, Wm, prev = mask[m - 1], W[m - 1], list(zip(*Ms[m - 1, k]))   # prev[c] = column c
                Ms[m, k] = [[sum(map(mul, Wm[d], col)) for col in prev] if Dm[d] else zero_rows[k]
                            for d in range(widths[m])]
        m_all.append(Ms)
    # a Jacobian entry G_k[o,c]·ã_{k−1}[d] has at most this many bits with its scale e_k
    bg = bits([row for Gs in G_all for G in Gs for row in G])
    ba = bits([a for acts in run.acts for a in acts])
    size = bg + ba + max(v.bit_length() for v in e)
    # (d, unit) with M_{l−1,k}[d][unit] ≠ 0 at some sample: only they give second-order terms
    linked = {(l, k): sorted({(d, unit) for Ms in m_all for d, row in enumerate(Ms[l - 1, k])
                              for unit in compress(range(widths[k]), row)})
              for l in range(2, H + 2) for k in range(1, l)}
    if budget is not None:  # the second-order part: one N-long product per (l, c, linked (d, unit), b) below
        budget.charge(N * sum(widths[l] * len(pairs) * (widths[k - 1] + problem.biases)
                              for (l, k), pairs in linked.items()) + 1,
                      2 * size + 64, f"the exact Hessian ({P} parameters)")
    # Columns of layer k carry scale E·d_x/e_k; multiplying by e_k e_l after the sums keeps the
    # products of the Gram matrix about half as long (e_k is as long as the centre's denominators).
    hess = unit_gram(problem, G_all, run.acts, budget, (bg, ba), (W, run.masks))
    if budget is not None:  # two multiplications per entry of the lower triangle
        budget.charge(P * (P + 1), 2 * size + run.dy.bit_length(),
                      f"the exact Hessian ({P} parameters)")
    # The scale of hess (lower triangle) is E²·d_x²·d_y once the Gram entries of layers (k, l) are times
    # e_k·e_l·d_y and the residual terms times e_k·e_l; 2α and 2λ then fold in over den. Each entry is
    # multiplied once, by that product times ``factor`` (one constant per pair of layers).
    two_alpha, two_lam = 2 * problem.alpha, 2 * problem.weight_decay
    base = E * E * run.s[0] * run.s[0] * run.dy * two_alpha.denominator
    den = lcm(base, two_lam.denominator)
    factor = two_alpha.numerator * (den // base)
    shift = two_lam.numerator * (den // two_lam.denominator)
    sizes = [problem.offsets[k] - problem.offsets[k - 1] if k <= H else P - problem.offsets[H] for k in range(1, H + 2)]
    for ka in range(H + 1):
        scale = [e[ka] * e[kb] * run.dy * factor for kb in range(H + 1) for _ in range(sizes[kb])]
        for row in hess[problem.offsets[ka]: problem.offsets[ka] + sizes[ka]]:
            row[:] = map(mul, row, scale)
    _residual_term(problem, hess, g_all, m_all, run.acts, linked, [v * factor for v in e], e, budget)
    for a_ in range(P):
        if problem.decayed[a_]:
            hess[a_][a_] += shift
    columns = list(zip(*hess))   # symmetrise: row b above its diagonal is column b below it
    for b_ in range(P):
        hess[b_][b_ + 1:] = columns[b_][b_ + 1:]
    # ∂L/∂θ_i = 2α·Σ_j g_k[c]·ã_{k−1}[d]·e_k/r_scale + 2λθ_i, over the one denominator 2α·2λ·r_scale·t_den
    # (θ = t/t_den): one rational per entry
    r_scale = run.s[-1] * run.dy * E * run.s[0]
    t_num, t_den = over_common(theta)
    data_up = two_alpha.numerator * two_lam.denominator * t_den
    decay_up = two_lam.numerator * two_alpha.denominator * r_scale
    grad_den = two_alpha.denominator * two_lam.denominator * r_scale * t_den
    numerators = [0] * P
    for k in range(1, H + 2):
        acts_by_d = list(zip(*(run.acts[j][k - 1] for j in range(N))))
        up = data_up * e[k - 1]
        for c in range(widths[k]):
            g_c = [g_all[j][k - 1][c] for j in range(N)]
            for d in range(widths[k - 1] + problem.biases):
                numerators[problem.index(k, c, d)] = up * sum(map(mul, g_c, acts_by_d[d]))
    grad = [Fraction(v + decay_up * t if on else v, grad_den) for v, t, on in zip(numerators, t_num, problem.decayed)]
    return Derivatives(loss_value(problem, theta, run), grad, hess, den)


def _picker(js: Sequence[int]) -> Callable[[Sequence[int]], tuple[int, ...]]:
    """A C-level map from a sequence to the tuple of its entries at the (nonempty) positions ``js``."""
    if len(js) > 1:
        return itemgetter(*js)
    j0 = js[0]
    return lambda column: (column[j0],)


def _residual_term(problem: Problem, hess: list[list[int]], g_all: Sequence[Sequence[Sequence[int]]],
                   m_all: Sequence[dict[tuple[int, int], list[list[int]]]], acts: Sequence[Sequence[Sequence[int]]],
                   linked: dict[tuple[int, int], list[tuple[int, int]]], scaled: Sequence[int], e: Sequence[int],
                   budget: Budget | None) -> None:
    """Add ``Σ_j Σ_o r_jo ∇²f_jo`` to the lower triangle ``hess``: at row ``(l,c,d)`` (a weight ``W_l[c,d]``)
    and column ``(k,a,b)`` with ``k < l`` the term ``Σ_j g_l[c]·M_{l−1,k}[d,a]·ã_{k−1}[b]`` (scales as in
    :func:`derivatives`), times ``e_k·scaled[l−1]`` (``scaled[l−1] = e_l·factor``: one constant per pair
    of layers).

    The products ``g_l[c]·ã_{k−1}[b]`` over the samples are formed once per ``(c, b)`` and shared by every
    linked ``(d, a)``; each sum then runs over the samples where ``M_{l−1,k}[d,a] ≠ 0`` only. Where that
    column takes one value ``κ`` on those samples (always for ``l = k+1``: ``M_{k,k} = D_k``, and for
    ``l = k+2``: ``M_{k+1,k}[d,a] = D_{k+1}[d]·W_{k+1}[d,a]·D_k[a]``) the sum is ``κ`` times a plain sum.
    The same integers as the sum of the three-fold products in any order."""
    H, widths, N = problem.depth, problem.widths, len(acts)
    for l in range(2, H + 2):
        g_cols = [list(col) for col in zip(*(g_all[j][l - 1] for j in range(N)))]   # g_l[c] by sample
        for k in range(1, l):
            pairs = linked[l, k]
            if not pairs:
                continue
            up = e[k - 1] * scaled[l - 1]
            a_cols = [list(col) for col in zip(*(acts[j][k - 1] for j in range(N)))]   # ã_{k−1}[b] by sample
            if budget is not None:
                budget.charge_products(N * widths[l] * len(a_cols), bits(g_cols), bits(a_cols),
                                       f"the exact Hessian ({problem.count} parameters)")
            products = [[list(map(mul, g_c, a_b)) for a_b in a_cols] if any(g_c) else None for g_c in g_cols]
            M = [m_all[j][l - 1, k] for j in range(N)]   # M_{l−1,k} by sample
            for d, unit in pairs:
                m = [M_j[d][unit] for M_j in M]
                js = list(compress(range(N), m))
                if not js:
                    continue
                take = _picker(js)
                values = set(take(m))
                kappa = values.pop() if len(values) == 1 else None
                m_js = take(m)
                columns = [problem.index(k, unit, b) for b in range(len(a_cols))]
                for c, row_products in enumerate(products):
                    if row_products is None:
                        continue
                    row = hess[problem.index(l, c, d)]
                    for q, p in zip(columns, row_products):
                        t = kappa * sum(take(p)) if kappa is not None else sum(map(mul, m_js, take(p)))
                        if t:
                            row[q] += t * up


Unit = tuple[int, list[int], list[int], list[tuple[int, ...]], "tuple[int, ...] | None"]
"""A unit of :func:`unit_gram`: its layer, its parameters' indices, its support, its columns of ``∂f/∂z``
by sample and the one column it has on its support (or ``None``)."""


def unit_gram(problem: Problem, G_all: Sequence[Sequence[Sequence[Sequence[int]]]],
              acts: Sequence[Sequence[Sequence[int]]], budget: Budget | None,
              sizes: tuple[int, int] | None = None,
              last: tuple[Sequence[Sequence[Sequence[int]]], Sequence[Sequence[Sequence[int]]]] | None = None,
              through: bool | None = None) -> list[list[int]]:
    """The lower triangle of ``Σ_j J_jᵀJ_j`` (row ``p`` holds the entries ``q ≤ p``, zeros above), where
    ``J_j[o, (k,c,d)] = G_k[o,c]·ã_{k−1}[d]`` with ``G_k = G_all[j][k-1]`` and ``ã_{k−1} = acts[j][k-1]``.

    Exactly the dense sums over the rows ``(j, o)``, grouped by unit: for the parameters ``(k,c,d)`` and
    ``(l,c',d')``, ``Σ_{j,o} G_k[o,c]ã[d]·G_l[o,c']ã'[d'] = Σ_j U_j·ã_{k−1}[d]·ã_{l−1}[d']`` with
    ``U_j = Σ_o G_k[o,c]·G_l[o,c']``, an identity of integers. ``U`` is formed once per pair of units (on
    the samples where both units have a nonzero ``∂f/∂z``: inactive units have none), and each entry is
    then one C-level sum over the samples with ``U_j ≠ 0``, instead of ``n_out`` times as many products
    per entry. When both units have one and the same column ``v`` at every sample of their supports (an
    output unit: ``G_{H+1} = I``; a unit of the last hidden layer: ``W_{H+1}[:,c]``), ``U_j = v_u·v_v`` is
    a constant ``K`` on the common samples and the entry is ``K·Σ_j ã_{k−1}[d]·ã_{l−1}[d']``; that sum
    depends only on the two layers and the common samples, so it is formed once for all the pairs that
    share them (every output with a given unit, all outputs with each other), and once two sets of common
    samples of the same two layers are met, from the products ``ã_{k−1,j}[d]·ã_{l−1,j}[d']`` of every
    sample formed once for all of them (:func:`_sample_products`): each sum is then additions only.

    **Through the last hidden layer** (``last = (W, masks)``, ``W[k−1] = V_k`` without biases,
    ``masks[j][k−1] = D_k``; two or more hidden layers). For a unit ``(H−1, c)`` and an output ``o``,
    ``G_{H−1}[o,c] = D_{H−1}[c]·Σ_m W_{H+1}[o,m]·D_H[m]·W_H[m,c]`` at every sample (the checker's
    back-propagation forms exactly these sums), so, reordering finite sums of integers,
    ``Σ_j G_{H−1}[o,c]·ã_{H−2}[d]·ã_H[d'] = Σ_m W_{H+1}[o,m]·W_H[m,c]·T_{cm}[d][d']`` with
    ``T_{cm}[d][d'] = Σ_{j : D_{H−1,j}[c] = D_{H,j}[m] = 1} ã_{H−2,j}[d]·ã_{H,j}[d']``: sums of the shared
    sample products, ``n_H`` terms per entry instead of one product per sample. Taken where it is
    estimated cheaper (``through = None``; ``True``/``False``: always, never: for tests). Charged before each
    step: the products it makes.
    """
    H, widths, P, bias = problem.depth, problem.widths, problem.count, problem.biases
    N = len(G_all)
    what = f"the exact Hessian ({P} parameters)"
    units: list[Unit] = []  # (layer k, indices of its parameters by d, samples where ∂f/∂z_{k,c} ≠ 0, columns, const)
    for k in range(1, H + 2):
        for c in range(widths[k]):
            column = itemgetter(c)
            cols = [tuple(map(column, G_all[j][k - 1])) for j in range(N)]
            support = [j for j in range(N) if any(cols[j])]
            distinct = {cols[j] for j in support}
            const = next(iter(distinct)) if len(distinct) == 1 else None   # the one column, if there is one
            units.append((k, [problem.index(k, c, d) for d in range(widths[k - 1] + bias)], support, cols, const))
    if sizes is None:
        sizes = (max((bits(G) for Gs in G_all for G in Gs), default=0), bits([a for sample in acts for a in sample]))
    bg, ba = sizes   # the largest bit lengths of the G entries and of the activations
    bu = 2 * bg + widths[-1].bit_length()
    if budget is not None:
        budget.charge(len(units) * (len(units) + 1) // 2 + 1, N, f"{what}: the supports")
    out = [[0] * P for _ in range(P)]
    by_d = [[list(col) for col in zip(*(sample[k] for sample in acts))] for k in range(H + 1)]  # ã_k[d] by sample
    shared = _SampleProducts(by_d, budget, ba, what)
    through = (last is not None and H >= 2 and through is not False
               and _through_last_hidden(problem, out, units, shared, last, budget, what, through is True))
    for at, (k, idx_u, sup_u, cols_u, const_u) in enumerate(units):
        in_u = set(sup_u)
        for bt, (l, idx_v, sup_v, cols_v, const_v) in enumerate(units[: at + 1]):
            if through and k == H + 1 and l == H - 1:
                continue   # done through the last hidden layer
            common = sorted(in_u.intersection(sup_v))
            if not common:
                continue
            if const_u is not None and const_v is not None:
                _constant_pair(out, shared, (k, idx_u, const_u), (l, idx_v, const_v), common, at == bt,
                               budget, (bg, ba, what))
                continue
            if budget is not None:
                budget.charge_products(len(common) * widths[-1], bg, bg, f"{what}: the unit products")
            U = [sum(map(mul, cols_u[j], cols_v[j])) for j in common]
            js = [j for j, x in zip(common, U) if x]
            if not js:
                continue
            U = [x for x in U if x]
            take = _picker(js)
            A_u = [take(col) for col in by_d[k - 1][: len(idx_u)]]
            A_v = A_u if l == k else [take(col) for col in by_d[l - 1][: len(idx_v)]]
            same = at == bt
            if budget is not None:
                pairs = len(idx_u) * (len(idx_u) + 1) // 2 if same else len(idx_u) * len(idx_v)
                budget.charge_products(len(js) * len(idx_u), bu, ba, f"{what}: the Gram products")
                budget.charge_products(len(js) * pairs, bu + ba, ba, f"{what}: the Gram products")
            for d, p in enumerate(idx_u):
                w = list(map(mul, U, A_u[d]))
                if not any(w):
                    continue
                row = out[p]
                for q, a_v in zip(idx_v[: d + 1] if same else idx_v, A_v):
                    if q <= p:
                        row[q] = sum(map(mul, w, a_v))
                    else:
                        out[q][p] = sum(map(mul, w, a_v))
    return out


class _SampleProducts:
    """Sums ``Σ_{j ∈ js} ã_{k−1,j}[d]·ã_{l−1,j}[d']`` over sets of samples ``js`` (lower triangle in ``d, d'``
    when ``k = l``). The first set of a pair of layers is summed directly; from the second on, the products
    of every sample are formed once (``Π[d][d'][j]``) and each sum adds the picked ones."""

    def __init__(self, by_d: Sequence[Sequence[Sequence[int]]], budget: Budget | None, ba: int, what: str):
        self.by_d, self.budget, self.ba, self.what = by_d, budget, ba, what
        self.N = len(by_d[0][0]) if by_d and by_d[0] else 0
        self.cache: dict[tuple[int, int, tuple[int, ...]], list[list[int]]] = {}   # the sums, by layers and samples
        self.products: dict[tuple[int, int], list[list[list[int]]]] = {}
        self.seen: set[tuple[int, int]] = set()

    def sums(self, k: int, l: int, n_u: int, n_v: int, js: Sequence[int]) -> list[list[int]]:
        key = (k, l, tuple(js))
        S = self.cache.get(key)
        if S is None:
            S = self._products_sums(k, l, n_u, n_v, js) if (k, l) in self.seen else self._direct(k, l, n_u, n_v, js)
            self.seen.add((k, l))
            self.cache[key] = S
        return S

    def table(self, k: int, l: int, n_u: int, n_v: int) -> list[list[list[int]]]:
        """``Π[d][d'] = (ã_{k−1,j}[d]·ã_{l−1,j}[d'])_j`` for ``d < n_u``, ``d' < n_v`` (``d' ≤ d`` if ``k = l``)."""
        Pi = self.products.get((k, l))
        if Pi is None:
            A_u, A_v = self.by_d[k - 1][:n_u], self.by_d[l - 1][:n_v]
            if self.budget is not None:
                count = n_u * (n_u + 1) // 2 if k == l else n_u * n_v
                self.budget.charge_products(self.N * count + 1, self.ba, self.ba, f"{self.what}: the sample products")
            Pi = [[list(map(mul, a, b)) for b in (A_v[: d + 1] if k == l else A_v)] for d, a in enumerate(A_u)]
            self.products[k, l] = Pi
        return Pi

    def _products_sums(self, k: int, l: int, n_u: int, n_v: int, js: Sequence[int]) -> list[list[int]]:
        Pi = self.table(k, l, n_u, n_v)
        if self.budget is not None:
            count = n_u * (n_u + 1) // 2 if k == l else n_u * n_v
            self.budget.charge_products(len(js) * count + 1, 2 * self.ba + self.N.bit_length(), 0,
                                        f"{self.what}: the Gram sums")
        if len(js) == self.N:
            return [[sum(p) for p in row] for row in Pi]
        take = _picker(js)
        return [[sum(take(p)) for p in row] for row in Pi]

    def _direct(self, k: int, l: int, n_u: int, n_v: int, js: Sequence[int]) -> list[list[int]]:
        A_u = [list(map(col.__getitem__, js)) for col in self.by_d[k - 1][:n_u]]
        if self.budget is not None:
            count = n_u * (n_u + 1) // 2 if k == l else n_u * n_v
            self.budget.charge_products(len(js) * count, self.ba, self.ba, f"{self.what}: the Gram products")
        if k == l:
            return [[sum(map(mul, a, b)) for b in A_u[: d + 1]] for d, a in enumerate(A_u)]
        A_v = [list(map(col.__getitem__, js)) for col in self.by_d[l - 1][:n_v]]
        return [[sum(map(mul, a, b)) for b in A_v] for a in A_u]


def _constant_pair(out: list[list[int]], shared: _SampleProducts, u: tuple[int, list[int], tuple[int, ...]],
                   v: tuple[int, list[int], tuple[int, ...]], common: list[int], same: bool, budget: Budget | None,
                   sizes: tuple[int, int, str]) -> None:
    """The entries of two units with constant columns (:func:`unit_gram`): ``K·S[d][d']`` with ``K = v_u·v_v``
    and ``S = Σ_{j ∈ common} ã_{k−1,j} ã_{l−1,j}ᵀ`` (its lower triangle when ``k = l``: it is symmetric)."""
    (k, idx_u, col_u), (l, idx_v, col_v) = u, v
    bg, ba, what = sizes
    K = sum(map(mul, col_u, col_v))
    if not K:
        return
    S = shared.sums(k, l, len(idx_u), len(idx_v), common)
    if budget is not None:
        budget.charge_products(len(idx_u) * len(idx_v), 2 * bg, 2 * ba + len(common).bit_length(),
                               f"{what}: the Gram products")
    if k != l:   # a lower layer: every q < p, each row written by a C-level loop
        for p, S_d in zip(idx_u, S):
            deque(map(out[p].__setitem__, idx_v, [K * v for v in S_d]), maxlen=0)
        return
    for d, p in enumerate(idx_u):
        row = out[p]
        for e, q in enumerate(idx_v[: d + 1] if same else idx_v):
            value = K * (S[d][e] if e <= d else S[e][d])
            if q <= p:
                row[q] = value
            else:
                out[q][p] = value


def _through_last_hidden(problem: Problem, out: list[list[int]], units: list[Unit], shared: _SampleProducts,
                         last: tuple[Sequence[Sequence[Sequence[int]]], Sequence[Sequence[Sequence[int]]]],
                         budget: Budget | None, what: str, force: bool = False) -> bool:
    """The entries between the units of layer ``H−1`` and the outputs through the last hidden layer
    (:func:`unit_gram`), if that is estimated to take fewer operations than the pairs of units would, or
    ``force`` (then ``True``; else nothing is done and ``False``)."""
    W, masks = last
    H, widths, bias = problem.depth, problem.widths, problem.biases
    N = len(masks)
    n_u, n_v = widths[H - 2] + bias, widths[H] + bias      # ã_{H−2} and ã_H with their bias entries
    on_c = [[j for j in range(N) if masks[j][H - 2][c]] for c in range(widths[H - 1])]
    on_m = [{j for j in range(N) if masks[j][H - 1][m]} for m in range(widths[H])]
    J = [[sorted(on_m[m].intersection(js)) for m in range(widths[H])] for js in on_c]
    lower = [u for u in units if u[0] == H - 1]
    entries = n_u * n_v
    # operations (a product ~ 3 additions): pairs of units, each with its U; against the products
    # of all samples once, the T sums and the combinations over the last hidden layer
    pairs = sum(len(u[2]) for u in lower) * widths[-1] * (3 * entries + 3 * widths[-1])
    route = 3 * N * entries + sum(map(len, (j for row in J for j in row))) * entries \
        + 3 * len(lower) * widths[-1] * widths[H] * entries
    if route >= pairs and not force:
        return False
    Pi = shared.table(H - 1, H + 1, n_u, n_v)
    bw = bits(W[H]) + bits(W[H - 1])
    if budget is not None:
        budget.charge_products(sum(map(len, (j for row in J for j in row))) * entries + 1,
                               2 * shared.ba + N.bit_length(), 0, f"{what}: the sums through the last hidden layer")
        budget.charge_products(len(lower) * widths[-1] * widths[H] * (entries + 1), bw, 2 * shared.ba + N.bit_length(),
                               f"{what}: the sums through the last hidden layer")
    out_units = [u for u in units if u[0] == H + 1]
    for c, (_, idx_u, _, _, _) in enumerate(lower):
        ms = [m for m in range(widths[H]) if J[c][m] and W[H - 1][m][c]]
        if not ms:
            continue
        sums = []   # T_{cm} for m in ms
        for m in ms:
            take = _picker(J[c][m]) if len(J[c][m]) < N else tuple
            sums.append([[sum(take(p)) for p in row] for row in Pi])
        T = [[[S[d][e] for S in sums] for e in range(n_v)] for d in range(n_u)]   # T[d][d'] = (T_{cm}[d][d'])_m
        for o, (_, idx_o, _, _, _) in enumerate(out_units):
            w = [W[H][o][m] * W[H - 1][m][c] for m in ms]
            if not any(w):
                continue
            for d, p in enumerate(idx_u):
                T_d = T[d]
                for e, q in enumerate(idx_o):
                    out[q][p] = sum(map(mul, w, T_d[e]))
    return True


class Bounds(NamedTuple):
    """A-priori bounds on the box ``|θ_i − c_i| ≤ ρ`` (FORMAT.md): ``K`` bounds every third partial of
    any ``L_P``; ``F1[m]`` bounds ``|∂z_{m,i}/∂θ|`` and ``prefix[m]`` counts the parameters of layers
    ``1..m``; a valid ``δ`` has ``δ² ≥ delta_squared = P³K²ρ²``."""

    B: Fraction
    K: Fraction
    F1: list[Fraction]
    prefix: list[int]
    delta_squared: Fraction


def _largest(values: Sequence[Fraction]) -> Fraction:
    """``max |v|``, over the values' common denominator (no ``Fraction`` per value)."""
    ints, den = over_common(values)
    return Fraction(max(map(abs, ints), default=0), den)


def bounds(problem: Problem, center: Sequence[Fraction], radius: Fraction) -> Bounds:
    """The bounds of FORMAT.md for the box about ``center`` (valid for every pattern)."""
    n, H, beta = problem.widths, problem.depth, int(problem.biases)
    B = _largest(center) + radius
    X = _largest([v for x in problem.inputs for v in x])
    Y = _largest([v for y in problem.targets for v in y])
    A = [X]
    for k in range(1, H + 2):
        A.append(B * (n[k - 1] * A[k - 1] + beta))
    At = [max(v, Fraction(beta)) for v in A]
    Mb: dict[tuple[int, int], Fraction] = {}
    for k in range(1, H + 2):
        Mb[k, k] = Fraction(1)
        for m in range(k + 1, H + 2):
            Mb[m, k] = n[m - 1] * B * Mb[m - 1, k]
    zero = Fraction(0)
    F1 = [zero] + [max(Mb[m, k] * At[k - 1] for k in range(1, m + 1)) for m in range(1, H + 2)]
    top = H + 1
    F2 = max((Mb[top, l] * Mb[l - 1, k] * At[k - 1] for l in range(2, top + 1) for k in range(1, l)),
             default=zero)
    F3 = max((Mb[top, s] * Mb[s - 1, l] * Mb[l - 1, k] * At[k - 1]
              for s in range(3, top + 1) for l in range(2, s) for k in range(1, l)), default=zero)
    R = A[top] + Y
    K = problem.alpha * len(problem.inputs) * n[-1] * 2 * (3 * F1[top] * F2 + R * F3)
    prefix = [0] + [problem.offsets[m] if m <= H else problem.count for m in range(1, H + 2)]
    P = problem.count
    return Bounds(B, K, F1, prefix, P ** 3 * K * K * radius * radius)


def poly_add(p: Poly, q: Poly) -> Poly:
    """p + q."""
    if len(p) < len(q):
        p, q = q, p
    return [a + b for a, b in zip(p, q)] + p[len(q):]


def poly_mul(p: Poly, q: Poly) -> Poly:
    """p · q."""
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, a in enumerate(p):
        if a:
            for j, b in enumerate(q):
                out[i + j] += a * b
    return out


def poly_trim(p: Poly) -> Poly:
    """p without trailing zero coefficients (``[]`` is the zero polynomial)."""
    end = len(p)
    while end and not p[end - 1]:
        end -= 1
    return p[:end]


def germ_sign(p: Poly) -> int:
    """The sign of ``p(t)`` for small ``t > 0``: the sign of its lowest nonzero coefficient (0 if p ≡ 0)."""
    for c in p:
        if c:
            return 1 if c > 0 else -1
    return 0


class CurveLoss(NamedTuple):
    """``Λ(t) = q(t)^{2(H+1)}·(L(γ(t)) − L(c))`` and the hidden pre-activation numerators along ``γ``."""

    Lambda: Poly
    hidden: list[tuple[str, Poly]]    # ("sample j layer k unit i", numerator of z_{k,i}(x_j; γ(t)))


def curve_loss(problem: Problem, center: Sequence[Fraction], numerators: Sequence[Poly], denominator: Poly) -> CurveLoss:
    """The loss along ``γ = numerators/denominator`` minus ``L(center)``, as a polynomial.

    Notes
    -----
    ``z_k = Z_k / q^k`` with ``Z_k = Σ_d N_{W_k}[i,d]·D_{k−1}Z_{k−1}[d] + N_{b_k}[i]·q^{k−1}``; each
    ``D_k`` is the germ sign of ``Z_k`` (valid on ``(0, t0]`` once ``lemmas.dominates`` holds for every
    hidden numerator). ``Λ = α Σ_{j,o} (F_jo − y_jo q^{H+1})² + λ q^{2H} Σ_{decayed} N_i² − L(c) q^{2(H+1)}``.
    """
    H, bias = problem.depth, problem.biases
    identity = problem.activation == "identity"
    q_pow = [[Fraction(1)]]
    for _ in range(2 * H + 2):
        q_pow.append(poly_mul(q_pow[-1], denominator))
    layers = [problem.layer_rows(numerators, k) for k in range(1, H + 2)]
    hidden: list[tuple[str, Poly]] = []
    data: Poly = [Fraction(0)]
    for j, x in enumerate(problem.inputs):
        a: list[Poly] = [[v] for v in x]
        for k, rows in enumerate(layers, start=1):
            z = []
            for row in rows:
                total: Poly = [Fraction(0)]
                for w, ad in zip(row[: len(a)], a):
                    total = poly_add(total, poly_mul(w, ad))
                if bias:
                    total = poly_add(total, poly_mul(row[-1], q_pow[k - 1]))
                z.append(total)
            if k <= H:
                hidden += [(f"sample {j} layer {k} unit {i}", zi) for i, zi in enumerate(z)]
                a = [zi if identity or germ_sign(zi) > 0 else [Fraction(0)] for zi in z]
            else:
                for fo, yo in zip(z, problem.targets[j]):
                    r = poly_add(fo, [-yo * c for c in q_pow[H + 1]])
                    data = poly_add(data, poly_mul(r, r))
    decay: Poly = [Fraction(0)]
    for num, dec in zip(numerators, problem.decayed):
        if dec:
            decay = poly_add(decay, poly_mul(num, num))
    L0 = loss_value(problem, center, forward(problem, center, None))
    Lam = poly_add([problem.alpha * c for c in data], [problem.weight_decay * c for c in poly_mul(decay, q_pow[2 * H])])
    Lam = poly_add(Lam, [-L0 * c for c in q_pow[2 * H + 2]])
    return CurveLoss(poly_trim(Lam), hidden)
