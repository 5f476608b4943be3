"""Refinement of a critical point of one piece: float Newton first, exact residual steps after.

Hand-checkable fixtures are the bias-free scalar chain ``f = b·σ(a·x)`` (x = y = 1, λ = 1/4, mean
reduction over one sample so α = 1): ``L = (ab − 1)² + (a² + b²)/4``. On the active piece (a > 0) the
diagonal critical point solves ``2(t² − 1)t + t/2 = 0``, i.e. ``t² = 3/4``; on the inactive piece
(a < 0) the loss is ``1 + (a² + b²)/4`` whose only critical point ``(0, 0)`` is on the boundary.
"""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.refine import Refined, _Screen, dyadic, refine_critical_point
from symbolic.derivatives import piece_derivatives, to_fraction
from symbolic.network import forward, true_boundary
from symbolic.problem import load_problem, parse_problem

ACTIVE = (((1,),),)
INACTIVE = (((0,),),)


def chain(inputs=(("1",),), targets=(("1",),), biases=False, widths=(1, 1, 1)) -> dict:
    return {"format": "pscert.problem/1", "network": {"widths": list(widths), "biases": biases},
            "loss": {"weight_decay": "1/4"},
            "data": {"inputs": [list(x) for x in inputs], "targets": [list(y) for y in targets]}}


def exact_left(problem, theta, pattern) -> bool:
    fw = forward(problem, problem.unflatten(theta))
    return fw.pattern != pattern or bool(true_boundary(problem, fw))


def test_chain_example_refines_to_sqrt3_over_2():
    """From examples/chain.json (a = b = 0.866): |t − √3/2| = |t² − 3/4| / (t + √3/2) < |t² − 3/4|
    once t > 0.14, so |t² − 3/4| < 10⁻⁵⁰ bounds the distance to √3/2 by 10⁻⁵⁰ exactly."""
    p = load_problem("examples/chain.json")
    theta = p.flatten(p.point)
    r = refine_critical_point(p, theta, forward(p).pattern)
    assert isinstance(r, Refined) and not r.left_region
    assert r.gradient_norm <= 1e-60
    for t in r.theta:
        assert t > Fraction(1, 2) and abs(t * t - Fraction(3, 4)) < Fraction(1, 10 ** 50)
    # the exact gradient (not a float) is what is small
    g = piece_derivatives(p, r.theta, ACTIVE, hessian=False).gradient
    assert all(abs(to_fraction(v)) < Fraction(1, 10 ** 50) for v in g)


def test_already_refined_start_is_kept_not_rounded_to_floats():
    """A start far below float resolution (‖∇L‖ ≤ 1e-60) gains from exact steps only, about 16 digits
    each with the float Hessian: 1e-60 → 1e-100 in 3 steps. Falling back to a float point (‖∇L‖ ≈ 1e-16)
    would need 6 steps."""
    p = parse_problem(chain())
    first = refine_critical_point(p, [Fraction(866, 1000)] * 2, ACTIVE)
    second = refine_critical_point(p, first.theta, ACTIVE, target=1e-100)
    assert not second.left_region and second.gradient_norm <= 1e-100
    assert second.steps <= 3
    assert all(abs(t * t - Fraction(3, 4)) < Fraction(1, 10 ** 90) for t in second.theta)


def test_start_already_converged_takes_no_step():
    """At a point whose exact gradient is below the target the start is returned unchanged."""
    p = parse_problem(chain())
    first = refine_critical_point(p, [Fraction(866, 1000)] * 2, ACTIVE)
    again = refine_critical_point(p, first.theta, ACTIVE, target=1e-40)
    assert again.theta == first.theta and again.steps == 0 and not again.left_region


def test_critical_point_on_the_boundary_reports_left_region():
    """Inactive piece from (−1/2, 3/10): L_P = 1 + (a² + b²)/4 is quadratic, so one Newton step lands on
    (0, 0) exactly, where z = a = 0: on the boundary, which counts as outside the open region."""
    p = parse_problem(chain())
    theta = [Fraction(-1, 2), Fraction(3, 10)]
    assert not exact_left(p, theta, INACTIVE)
    r = refine_critical_point(p, theta, INACTIVE)
    assert r.left_region
    assert r.theta == [0, 0]
    assert exact_left(p, r.theta, INACTIVE)


def test_critical_point_outside_region_reports_left_region():
    """Two samples x = 1 (active) and x = −1 (inactive) with y = (1, 0): the region is a > 0 and the
    piece is L_P = ((ab − 1)² + 0)/2 + (a² + b²)/4 (mean over 2), minimised on the diagonal at
    t² = 1/2 (t ≈ 0.707) — inside. With the target flipped to y₁ = −1 the piece's minima are
    ±(t, −t); starting from a = 0.01, b = 2 (a > 0, b > 0) Newton heads to (−t, t) through a = 0."""
    p = parse_problem(chain(inputs=(("1",), ("-1",)), targets=(("-1",), ("0",))))
    pattern = (((1,),), ((0,),))
    theta = [Fraction(1, 100), Fraction(2)]
    assert not exact_left(p, theta, pattern)
    r = refine_critical_point(p, theta, pattern)
    assert r.left_region and exact_left(p, r.theta, pattern)
    assert r.theta[0] <= 0


def test_null_sample_does_not_count_as_boundary_but_a_wrong_null_pattern_does():
    """A sample x = 0 (no biases) has z = 0 for every θ: inactive, on no boundary. Its pattern entry 0
    refines as the chain (t² = 3/4 with α = 1/2: 2·(1/2)(t² − 1)t + t/2 = 0 gives t² = 1/2); an entry
    1 there is outside the region from the start, so the first step reports it."""
    p = parse_problem(chain(inputs=(("1",), ("0",)), targets=(("1",), ("0",))))
    good = (((1,),), ((0,),))
    r = refine_critical_point(p, [Fraction(7, 10)] * 2, good)
    assert not r.left_region
    assert all(abs(t * t - Fraction(1, 2)) < Fraction(1, 10 ** 50) for t in r.theta)
    bad = (((1,),), ((1,),))
    assert refine_critical_point(p, [Fraction(7, 10)] * 2, bad).left_region


def test_refinement_is_deterministic():
    p = parse_problem(chain())
    a = refine_critical_point(p, [Fraction(9, 10), Fraction(4, 5)], ACTIVE)
    b = refine_critical_point(p, [Fraction(9, 10), Fraction(4, 5)], ACTIVE)
    assert a == b
    assert all(t.denominator & (t.denominator - 1) == 0 for t in a.theta)  # dyadic iterates


def test_max_steps_bounds_float_and_exact_steps_together():
    """From (9/10, 4/5) the target 1e-60 needs more than two steps; with max_steps = 2 the result is
    not converged (its estimated gradient is above the target) and reports at most 2 steps."""
    p = parse_problem(chain())
    r = refine_critical_point(p, [Fraction(9, 10), Fraction(4, 5)], ACTIVE, max_steps=2)
    assert r.steps <= 2 and not r.left_region and r.gradient_norm > 1e-60


def test_dyadic_rounds_to_nearest():
    assert dyadic(Fraction(3, 8), 2) in (Fraction(1, 4), Fraction(1, 2))
    assert dyadic(-0.1, 4) == Fraction(-1, 8)
    assert dyadic(Fraction(1, 3), 64).denominator == 1 << 64


small = st.fractions(min_value=-2, max_value=2, max_denominator=4)


@settings(max_examples=60, deadline=None)
@given(st.lists(small, min_size=7, max_size=7), st.lists(small, min_size=7, max_size=7))
def test_float_screen_agrees_with_the_exact_region_test(theta, other):
    """A 1-2-1 network with biases on x ∈ {−1, 0, 1}: small denominators put many pre-activations
    exactly on z = 0, where the float screen must defer to the exact forward pass."""
    p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": True},
                       "loss": {"weight_decay": "1/4"},
                       "data": {"inputs": [["-1"], ["0"], ["1"]], "targets": [["0"], ["1"], ["0"]]}})
    pattern = forward(p, p.unflatten(other)).pattern
    assert _Screen(p, pattern).left(theta) == exact_left(p, theta, pattern)


def test_newton_update_rounds_as_dyadic_does() -> None:
    """The integer-shift update equals ``dyadic(t − v, bits)`` (``t`` kept where ``v = 0``) on random dyadic
    and decimal ``t``, numpy steps from subnormal-small to large, and exact ties (rounded to even)."""
    import random

    import numpy as np

    from proofs.refine import dyadic, newton_update

    rng = random.Random(7)
    for _ in range(5000):
        if rng.random() < 0.85:
            t = Fraction(rng.randint(-2 ** 70, 2 ** 70), 2 ** rng.randint(0, 100))
        else:
            t = Fraction(rng.randint(-10 ** 6, 10 ** 6), 10 ** 4)
        v = rng.choice([0.0, rng.uniform(-1, 1) * 2.0 ** rng.randint(-1070, 5),
                        float(Fraction(rng.randint(-8, 8), 2 ** rng.randint(0, 70)))])
        bits = rng.choice([0, 1, 2, 5, 64, 80, 150, 300])
        want = dyadic(t - Fraction(v), bits) if v else t
        assert newton_update([t], np.array([v]), bits) == [want]
    for q in range(-40, 40):   # t − v exactly halfway between multiples of 2^-bits
        for bits in (0, 1, 3):
            t, v = Fraction(2 * q + 1, 2 ** (bits + 2)), 2.0 ** -(bits + 2)
            assert newton_update([t], [v], bits) == [dyadic(t - Fraction(v), bits)]
            assert newton_update([t], [-v], bits) == [dyadic(t + Fraction(v), bits)]
