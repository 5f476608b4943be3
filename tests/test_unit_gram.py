"""The checker's exact Hessian by units (``network.unit_gram``) against the route it replaced.

``columns_derivatives`` below is the checker's previous code, kept verbatim as the reference: it
builds every Jacobian column ``(G_k[o,c]·ã_{k−1}[d])_{j,o}`` and multiplies them with
``arith.gram_lower`` (itself tested against dense products in ``test_arith.py``). The two must agree
exactly — loss, gradient and every Hessian integer — on random networks, data and patterns.
"""

from __future__ import annotations

import random
from fractions import Fraction
from math import lcm
from operator import mul
from typing import Sequence

import pytest

from proofs.checker.arith import Budget, bits, gram_lower
from proofs.checker.exceptions import CertificateInvalid
from proofs.checker.network import Derivatives, Pass, Problem, derivatives, forward, loss_value, unit_gram


def columns_derivatives(problem: Problem, theta: Sequence[Fraction], run: Pass, budget: Budget | None = None) -> Derivatives:
    """The route before ``unit_gram``: dense Jacobian columns, ``arith.gram_lower``."""
    H, widths, N = problem.depth, problem.widths, len(run.acts)
    W = [[row[: widths[k]] for row in run.rows[k]] for k in range(H + 1)]  # W[k-1] = V_k without bias
    e, E = run.e, run.s[-1] // run.s[0]
    P = problem.count
    columns: list[list[int]] = [[] for _ in range(P)]
    g_all: list[list[list[int]]] = []       # g_all[j][k-1] = g_k = (∂f/∂z_k)ᵀ r_j, scale s_r·∏_{i>k} e_i
    m_all: list[dict[tuple[int, int], list[list[int]]]] = []
    for j in range(N):
        mask = run.masks[j]
        # G_k = ∂f/∂z_k (scale ∏_{i>k} e_i), g_k = G_kᵀ r, walking down from the output.
        G = [[int(o == c) for c in range(widths[-1])] for o in range(widths[-1])]
        g = list(run.residuals[j])
        Gs, gs = [G], [g]
        for k in range(H, 0, -1):
            Wn, D = W[k], mask[k - 1]
            G = [[sum(Go[i] * Wn[i][c] for i in range(len(Go))) if D[c] else 0 for c in range(widths[k])]
                 for Go in G]
            g = [sum(g[i] * Wn[i][c] for i in range(len(g))) if D[c] else 0 for c in range(widths[k])]
            Gs.append(G)
            gs.append(g)
        Gs.reverse()
        gs.reverse()
        g_all.append(gs)
        for k in range(1, H + 2):
            a = run.acts[j][k - 1]   # scale E·d_x / e_k: the factor e_k joins after the Gram products
            for c in range(widths[k]):
                for d in range(len(a)):
                    columns[problem.index(k, c, d)] += [Go[c] * a[d] for Go in Gs[k - 1]]
        # M_{m,k} = ∂a_m/∂z_k for hidden m ≥ k (scale ∏_{k<i≤m} e_i).
        Ms: dict[tuple[int, int], list[list[int]]] = {}
        for k in range(1, H + 1):
            D = mask[k - 1]
            Ms[k, k] = [[D[d] * (d == c) for c in range(widths[k])] for d in range(widths[k])]
            for m in range(k + 1, H + 1):
                Dm, Wm, prev = mask[m - 1], W[m - 1], Ms[m - 1, k]
                Ms[m, k] = [[sum(Wm[d][i] * prev[i][c] for i in range(widths[m - 1])) if Dm[d] else 0
                             for c in range(widths[k])] for d in range(widths[m])]
        m_all.append(Ms)
    size = bits(columns) + max(v.bit_length() for v in e)  # the entries' length with their scale e_k
    # (d, unit) with M_{l−1,k}[d][unit] ≠ 0 at some sample: only they give second-order terms
    linked = {(l, k): [(d, unit) for d in range(widths[l - 1]) for unit in range(widths[k])
                       if any(Ms[l - 1, k][d][unit] for Ms in m_all)] for l in range(2, H + 2) for k in range(1, l)}
    if budget is not None:  # the second-order part: one N-long product per (l, c, linked (d, unit), b) below
        budget.charge(N * sum(widths[l] * len(pairs) * (widths[k - 1] + problem.biases)
                              for (l, k), pairs in linked.items()) + 1,
                      2 * size + 64, f"the exact Hessian ({P} parameters)")
    # Columns of layer k carry scale E·d_x/e_k; multiplying by e_k e_l after the sums keeps the
    # products of the Gram matrix about half as long (e_k is as long as the centre's denominators).
    hess = gram_lower(columns, budget, f"the exact Hessian ({P} parameters)")
    if budget is not None:  # two multiplications per entry of the lower triangle
        budget.charge(P * (P + 1), 2 * size + run.dy.bit_length(),
                      f"the exact Hessian ({P} parameters)")
    layer_scale = [e[k - 1] for k in range(1, H + 2)
                   for _ in range(problem.offsets[k] - problem.offsets[k - 1] if k <= H else P - problem.offsets[H])]
    for row, ua in zip(hess, layer_scale):
        ua *= run.dy
        row[:] = [v * ua * ub if v else 0 for v, ub in zip(row, layer_scale)]
    for l in range(2, H + 2):
        for k in range(1, l):
            up = e[k - 1] * e[l - 1]
            acts_k = [[run.acts[j][k - 1][b] for j in range(N)] for b in range(widths[k - 1] + problem.biases)]
            for c in range(widths[l]):
                for d, unit in linked[l, k]:
                    u = [g_all[j][l - 1][c] * m_all[j][l - 1, k][d][unit] for j in range(N)]
                    if not any(u):
                        continue
                    hi = problem.index(l, c, d)
                    for b, v in enumerate(acts_k):
                        hess[hi][problem.index(k, unit, b)] += sum(map(mul, u, v)) * up
    # scale of hess (lower triangle) is E²·d_x²·d_y; symmetrise, then fold in 2α and 2λ.
    two_alpha, two_lam = 2 * problem.alpha, 2 * problem.weight_decay
    base = E * E * run.s[0] * run.s[0] * run.dy * two_alpha.denominator
    den = lcm(base, two_lam.denominator)
    factor = two_alpha.numerator * (den // base)
    shift = two_lam.numerator * (den // two_lam.denominator)
    for a_ in range(P):
        for b_ in range(a_):
            hess[a_][b_] *= factor
            hess[b_][a_] = hess[a_][b_]
        hess[a_][a_] = hess[a_][a_] * factor + (shift if problem.decayed[a_] else 0)
    grad = [Fraction(0)] * P
    r_scale = run.s[-1] * run.dy * E * run.s[0]
    for k in range(1, H + 2):
        for c in range(widths[k]):
            for d in range(widths[k - 1] + problem.biases):
                i = problem.index(k, c, d)
                total = sum(g_all[j][k - 1][c] * run.acts[j][k - 1][d] for j in range(N))
                grad[i] = two_alpha * Fraction(total * e[k - 1], r_scale)
                if problem.decayed[i]:
                    grad[i] += two_lam * theta[i]
    return Derivatives(loss_value(problem, theta, run), grad, hess, den)



def random_problem(rng: random.Random, widths: list[int], biases: bool, n: int) -> Problem:
    def q() -> Fraction:
        return Fraction(rng.randint(-100, 100), 100)

    return Problem(widths, biases, rng.random() < 0.5, "relu", rng.choice(["mean", "sum"]),
                   Fraction(rng.randint(1, 50), 1000), [[q() for _ in range(widths[0])] for _ in range(n)],
                   [[q() for _ in range(widths[-1])] for _ in range(n)])


CASES = [([2, 3, 1], True, 5), ([3, 4, 2], False, 7), ([2, 3, 4, 2], True, 6), ([1, 2, 3, 2, 3], True, 4),
         ([3, 5, 3], True, 12), ([2, 3, 3], False, 1), ([2, 4, 3, 1], False, 5)]


@pytest.mark.parametrize("widths, biases, n", CASES)
def test_unit_gram_equals_the_column_route(widths: list[int], biases: bool, n: int) -> None:
    rng = random.Random(sum(widths) * 100 + n)
    for trial in range(6):
        problem = random_problem(rng, widths, biases, n)
        den = rng.choice([1, 7, 2 ** 60, 10 ** 4])
        theta = [Fraction(rng.randint(-3 * den, 3 * den), den) for _ in range(problem.count)]
        if trial % 3 == 2:  # a point with zeros (a dead unit's weights, a zero bias)
            theta = [v if rng.random() < 0.7 else Fraction(0) for v in theta]
        # the point's own pattern, and random ones (every piece, as at a boundary)
        patterns = [None] + [[[[rng.randint(0, 1) for _ in range(w)] for w in widths[1:-1]] for _ in range(n)]
                             for _ in range(2)]
        for pattern in patterns:
            run = forward(problem, theta, pattern)
            new = derivatives(problem, theta, run, Budget(10 ** 12))
            assert new == columns_derivatives(problem, theta, run)
            assert new.hess_num == [list(r) for r in zip(*new.hess_num)]


def test_the_unit_products_are_charged_before_they_are_made() -> None:
    problem = random_problem(random.Random(1), [3, 8, 4], True, 30)
    theta = [Fraction(k % 7 - 3, 5) for k in range(problem.count)]
    run = forward(problem, theta, None)
    with pytest.raises(CertificateInvalid, match="limits: the exact Hessian"):
        derivatives(problem, theta, run, Budget(10 ** 4))
    budget = Budget(10 ** 12)
    derivatives(problem, theta, run, budget)
    assert budget.used > problem.count ** 2


DEEP = [([2, 3, 4, 2], True, 9), ([3, 4, 3, 5], False, 11), ([1, 2, 3, 2, 3], True, 8), ([2, 3, 3, 2, 4], False, 10),
        ([3, 2, 5, 1], True, 6)]


@pytest.mark.parametrize("widths, biases, n", DEEP)
def test_the_route_through_the_last_hidden_layer_gives_the_same_integers(widths: list[int], biases: bool,
                                                                        n: int) -> None:
    """``unit_gram`` through the last hidden layer (``through=True``), by pairs of units (``False``) and by its
    own choice agree on every integer, and the Hessian with it equals the column route."""
    rng = random.Random(sum(widths) * 1000 + n)
    for trial in range(6):
        problem = random_problem(rng, widths, biases, n)
        den = rng.choice([1, 3, 2 ** 64, 10 ** 4])
        theta = [Fraction(rng.randint(-3 * den, 3 * den), den) for _ in range(problem.count)]
        if trial % 3 == 2:
            theta = [v if rng.random() < 0.7 else Fraction(0) for v in theta]
        patterns = [None] + [[[[rng.randint(0, 1) for _ in range(w)] for w in widths[1:-1]] for _ in range(n)]
                             for _ in range(2)]
        for pattern in patterns:
            run = forward(problem, theta, pattern)
            H = problem.depth
            W = [[row[: widths[k]] for row in run.rows[k]] for k in range(H + 1)]
            G_all = _backward_G(problem, run, W)
            routes = [unit_gram(problem, G_all, run.acts, Budget(10 ** 12), None, (W, run.masks), through)
                      for through in (True, False, None)]
            assert routes[0] == routes[1] == routes[2]
            assert derivatives(problem, theta, run, Budget(10 ** 12)) == columns_derivatives(problem, theta, run)


def _backward_G(problem: Problem, run: Pass, W: list[list[list[int]]]) -> list[list[list[list[int]]]]:
    """``G_k = ∂f/∂z_k`` at every sample by the plain recursion ``G_k = G_{k+1}·W_{k+1}·D_k``."""
    H, widths = problem.depth, problem.widths
    out = []
    for j in range(len(run.acts)):
        G = [[int(o == c) for c in range(widths[-1])] for o in range(widths[-1])]
        Gs = [G]
        for k in range(H, 0, -1):
            D = run.masks[j][k - 1]
            G = [[sum(Go[i] * W[k][i][c] for i in range(len(Go))) if D[c] else 0 for c in range(widths[k])] for Go in G]
            Gs.append(G)
        Gs.reverse()
        out.append(Gs)
    return out


def test_the_route_through_the_last_hidden_layer_is_taken_where_it_is_cheaper() -> None:
    """On a bench-like shape (many samples, as many outputs as last hidden units) the estimate takes it, and
    with one output it does not; the choice never changes an integer (above)."""
    import proofs.checker.network as network

    taken = []
    original = network._through_last_hidden

    def spy(*args, **kwargs):
        taken.append(original(*args, **kwargs))
        return taken[-1]

    network._through_last_hidden = spy
    try:
        for widths in ([3, 6, 6, 6], [3, 6, 6, 1]):
            rng = random.Random(5)
            problem = random_problem(rng, widths, True, 60)
            theta = [Fraction(rng.randint(-300, 300), 100) for _ in range(problem.count)]
            run = forward(problem, theta, None)
            derivatives(problem, theta, run, Budget(10 ** 12))
    finally:
        network._through_last_hidden = original
    assert taken == [True, False]
