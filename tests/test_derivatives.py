"""Exact piece derivatives (symbolic/derivatives.py) against sympy differentiation of the piece loss.

The reference expands ``L_P = α Σ_j ‖f_P(x_j) − y_j‖² + λ ‖θ_decayed‖²`` in ``QQ[θ]`` from the layer
formulas (``D_k`` from the pattern, all ones for identity activations) and differentiates it; the
pattern is random, not the point's own, since boundary points need every adjacent piece.
"""

from __future__ import annotations

from fractions import Fraction

import sympy
from flint import fmpq
from hypothesis import assume, given, settings, strategies as st
from sympy.polys.rings import ring

from symbolic.derivatives import piece_derivatives, to_fmpq, to_fraction
from symbolic.network import loss as exact_loss
from symbolic.problem import parse_problem
from symbolic.rationals import canonical


def make(widths, biases=True, decay_biases=True, reduction="mean", lam="1/4", inputs=None, targets=None,
         activation="relu"):
    obj = {"format": "pscert.problem/1",
           "network": {"widths": list(widths), "biases": biases, "decay_biases": decay_biases,
                       "activation": activation},
           "loss": {"reduction": reduction, "weight_decay": canonical(Fraction(lam))},
           "data": {"inputs": [[canonical(Fraction(q)) for q in x] for x in inputs],
                    "targets": [[canonical(Fraction(q)) for q in y] for y in targets]}}
    return parse_problem(obj)


def q(*values):
    return [Fraction(v) for v in values]


def as_fractions(d):
    """(loss, gradient, Hessian rows) of a PieceDerivatives as Fractions."""
    hess = None if d.hessian is None else [[to_fraction(v) for v in row] for row in d.hessian.tolist()]
    return to_fraction(d.loss), [to_fraction(g) for g in d.gradient], hess


def reference(problem, theta, pattern):
    """Loss, gradient and Hessian of the expanded piece loss polynomial, by sympy differentiation."""
    P = problem.parameter_count
    R, *gens = ring([f"t{i}" for i in range(P)], sympy.QQ)
    th = problem.unflatten(gens)
    relu = problem.activation == "relu"
    data = R.zero
    for j, (x, y) in enumerate(zip(problem.inputs, problem.targets)):
        a = [R(sympy.Rational(v.numerator, v.denominator)) for v in x]
        for k, W in enumerate(th.weights):
            z = [sum((wi * ai for wi, ai in zip(row, a)), R.zero) + (th.biases[k][i] if th.biases else 0)
                 for i, row in enumerate(W)]
            a = z if k == problem.depth else [zi * (pattern[j][k][i] if relu else 1) for i, zi in enumerate(z)]
        data += sum(((f - sympy.Rational(t.numerator, t.denominator)) ** 2 for f, t in zip(a, y)), R.zero)
    decay = sum((g ** 2 for g, on in zip(gens, problem.decayed()) if on), R.zero)
    lam, alpha = problem.weight_decay, problem.alpha
    L = data * sympy.Rational(alpha.numerator, alpha.denominator) \
        + decay * sympy.Rational(lam.numerator, lam.denominator)
    at = [to_fmpq(t) for t in theta]
    ev = lambda poly: to_fraction(fmpq(poly(*at)) if P else fmpq(poly.LC))  # noqa: E731
    grads = [L.diff(g) for g in gens]
    return ev(L), [ev(g) for g in grads], [[ev(g.diff(h)) for h in gens] for g in grads]


# ---------------------------------------------------------------------------------------------------
# hand-worked examples


def test_one_unit_active_piece():
    """``f = b·σ(a·x)``, ``x = y = 1``, ``λ = 1/4``, at ``a = b = 1`` on the piece ``a > 0``.

    ``L = (ab − 1)² + (a² + b²)/4 = 1/2``; ``∂L/∂a = 2(ab − 1)b + a/2 = 1/2``, likewise ``∂L/∂b``;
    ``∂²L/∂a² = 2b² + 1/2 = 5/2``, ``∂²L/∂a∂b = 2(2ab − 1) = 2``.
    """
    p = make([1, 1, 1], biases=False, inputs=[[1]], targets=[[1]])
    got = as_fractions(piece_derivatives(p, q(1, 1), (((1,),),)))
    assert got == (Fraction(1, 2), q("1/2", "1/2"), [q("5/2", 2), q(2, "5/2")])
    assert got == reference(p, q(1, 1), (((1,),),))


def test_one_unit_other_piece():
    """Same point, the inactive piece (not the point's own): ``L_P = (0 − 1)² + (a² + b²)/4 = 3/2``.

    Only the decay moves: ``∇L_P = (a/2, b/2) = (1/2, 1/2)``, ``∇²L_P = diag(1/2, 1/2)``.
    """
    p = make([1, 1, 1], biases=False, inputs=[[1]], targets=[[1]])
    got = as_fractions(piece_derivatives(p, q(1, 1), (((0,),),)))
    assert got == (Fraction(3, 2), q("1/2", "1/2"), [q("1/2", 0), q(0, "1/2")])


def test_biases_undecayed_sum_two_samples():
    """``f = w·σ(v·x + c) + d``, order ``(v, c, w, d)``, sum, ``λ = 1/2``, biases not decayed.

    Data ``(x, y) = (1, 1), (−1, 0)`` at ``v = 1, c = 1/2, w = 1, d = 0``: ``z = 3/2`` (active), ``−1/2``
    (inactive); ``f = 3/2, 0``; ``r = 1/2, 0``. ``L = 1/4 + (1/2)(1 + 1) = 5/4``.
    ``J_1 = (w x, w, z, 1) = (1, 1, 3/2, 1)``, ``J_2 = (0, 0, 0, 1)``; ``∇L = 2 r_1 J_1 + 2λ(v, 0, w, 0)
    = (1, 1, 3/2, 1) + (1, 0, 1, 0) = (2, 1, 5/2, 1)``.
    ``∇²L = 2(J_1J_1ᵀ + J_2J_2ᵀ) + 2 r_1 ∇²f_1 + diag(1, 0, 1, 0)`` with ``∂²f_1/∂v∂w = x = 1``,
    ``∂²f_1/∂c∂w = 1``: rows ``(3, 2, 4, 2), (2, 2, 4, 2), (4, 4, 11/2, 3), (2, 2, 3, 4)``.
    """
    p = make([1, 1, 1], decay_biases=False, reduction="sum", lam="1/2", inputs=[[1], [-1]], targets=[[1], [0]])
    theta, pattern = q(1, "1/2", 1, 0), (((1,),), ((0,),))
    got = as_fractions(piece_derivatives(p, theta, pattern))
    assert got == (Fraction(5, 4), q(2, 1, "5/2", 1),
                   [q(3, 2, 4, 2), q(2, 2, 4, 2), q(4, 4, "11/2", 3), q(2, 2, 3, 4)])
    assert got == reference(p, theta, pattern)


def test_depth_zero_regression():
    """``f = w·x`` with ``x = 2, y = 1``, ``λ = 0`` at ``w = 1``: ``L = 1``, ``∇L = 4``, ``∇²L = 8``."""
    p = make([1, 1], biases=False, lam=0, inputs=[[2]], targets=[[1]])
    assert as_fractions(piece_derivatives(p, q(1), ((),))) == (1, q(4), [q(8)])


def test_without_hessian():
    p = make([1, 1, 1], biases=False, inputs=[[1]], targets=[[1]])
    d = piece_derivatives(p, q(1, 1), (((1,),),), hessian=False)
    assert d.hessian is None and as_fractions(d)[:2] == (Fraction(1, 2), q("1/2", "1/2"))


# ---------------------------------------------------------------------------------------------------
# property: any network, any pattern, any rational point

small_q = st.fractions(min_value=-2, max_value=2, max_denominator=3)


@st.composite
def cases(draw):
    depth = draw(st.integers(0, 3))
    widths = [draw(st.integers(1, 3)) for _ in range(depth + 1)] + [draw(st.integers(1, 2))]
    biases = draw(st.booleans())
    P = sum(widths[k + 1] * (widths[k] + biases) for k in range(depth + 1))
    assume(P <= 20)
    n = draw(st.integers(1, 3))
    activation = draw(st.sampled_from(["relu", "relu", "identity"]))
    p = make(widths, biases, draw(st.booleans()), draw(st.sampled_from(["mean", "sum"])),
             draw(st.fractions(min_value=0, max_value=1, max_denominator=4)),
             [[draw(small_q) for _ in range(widths[0])] for _ in range(n)],
             [[draw(small_q) for _ in range(widths[-1])] for _ in range(n)], activation)
    bit = st.integers(0, 1) if activation == "relu" else st.just(1)
    pattern = tuple(tuple(tuple(draw(bit) for _ in range(m)) for m in widths[1:-1]) for _ in range(n))
    return p, [draw(small_q) for _ in range(P)], pattern


@settings(max_examples=40, deadline=None)
@given(cases())
def test_piece_derivatives_match_sympy(case):
    p, theta, pattern = case
    got = as_fractions(piece_derivatives(p, theta, pattern))
    assert got == reference(p, theta, pattern)
    assert got[0] == exact_loss(p, p.unflatten(theta), pattern)
    # without the Hessian (no Jacobian rows are formed): the same loss and gradient
    assert as_fractions(piece_derivatives(p, theta, pattern, hessian=False))[:2] == got[:2]



@settings(max_examples=60, deadline=None)
@given(cases(), st.sampled_from([1, 2 ** 53, 3 ** 20 * 7]))
def test_piece_derivatives_match_the_checker(case, scale):
    """An independent integer route (the checker's ``network.derivatives``), also at points with long and
    unrelated denominators, given as ``fmpq``."""
    from proofs.replay import loss_derivatives
    from symbolic.problem import problem_to_json

    p, theta, pattern = case
    theta = [t + Fraction(i + 1, scale) for i, t in enumerate(theta)]
    cert_pattern = [["".join(map(str, layer)) for layer in sample] for sample in pattern]
    L, g, H = loss_derivatives(problem_to_json(p, with_point=False), theta, cert_pattern)
    assert as_fractions(piece_derivatives(p, [to_fmpq(t) for t in theta], pattern)) == (L, g, H)


def test_rounded_gradient_is_the_exact_gradient_rounded_once() -> None:
    """``rounded_gradient`` gives float(∂L_P/∂θ_i) of the exact gradient, correctly rounded, on random
    networks with one to three hidden layers (biases on and off, sum and mean), and near a critical point,
    where the data and decay terms cancel to ~1e-40 (a float sum of the two would give rounding noise)."""
    import random

    from proofs.refine import refine_critical_point
    from symbolic.derivatives import rounded_gradient
    from symbolic.network import forward

    rng = random.Random(3)
    for _ in range(40):
        widths = rng.choice([[2, 3, 1], [3, 4, 2], [2, 3, 3, 2], [1, 2, 3, 2, 2]])
        n = rng.randint(1, 6)
        problem = parse_problem({
            "format": "pscert.problem/1",
            "network": {"widths": widths, "biases": rng.random() < 0.5, "decay_biases": rng.random() < 0.5},
            "loss": {"weight_decay": f"{rng.randint(0, 50)}/1000", "reduction": rng.choice(["sum", "mean"])},
            "data": {"inputs": [[f"{rng.randint(-100, 100)}/100" for _ in range(widths[0])] for _ in range(n)],
                     "targets": [[f"{rng.randint(-100, 100)}/100" for _ in range(widths[-1])] for _ in range(n)]}})
        den = rng.choice([1, 7, 2 ** 70])
        theta = [Fraction(rng.randint(-3 * den, 3 * den), den) for _ in range(problem.parameter_count)]
        pattern = forward(problem, problem.unflatten(theta)).pattern
        exact = piece_derivatives(problem, theta, pattern, hessian=False).gradient
        assert rounded_gradient(problem, theta, pattern) == [float(to_fraction(v)) for v in exact]
    # L = (ab − 1)² + (a² + b²)/4 near its minimum a = b = √3/2
    problem = make([1, 1, 1], biases=False, reduction="sum", inputs=[[1]], targets=[[1]])
    theta = refine_critical_point(problem, [Fraction(9, 10), Fraction(9, 10)], (((1,),),), target=1e-40).theta
    exact = [to_fraction(v) for v in piece_derivatives(problem, theta, (((1,),),), hessian=False).gradient]
    assert 0 < max(map(abs, exact)) < Fraction(1, 10 ** 30)
    assert rounded_gradient(problem, theta, (((1,),),)) == [float(v) for v in exact]
