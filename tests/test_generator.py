"""Known answers for ``certify``: minima certified, saddles refuted, ``λ = 0`` never certified.

Every certificate the generator returns has already passed the checker; the tests re-run the checker
anyway and verify, with exact root isolation (sympy), that the true critical point lies in the ball.
"""

from fractions import Fraction

import pytest
import sympy

from proofs import checker
from proofs.generator import certify
from symbolic.problem import parse_problem


def chain(depth: int, lam: str, point: list[str]) -> dict:
    """The bias-free scalar chain with ``depth`` hidden units in a row, x = y = 1."""
    widths = [1] * (depth + 2)
    return {
        "format": "pscert.problem/1",
        "network": {"widths": widths, "biases": False},
        "loss": {"weight_decay": lam},
        "data": {"inputs": [["1"]], "targets": [["1"]]},
        "point": {"weights": [[[p]] for p in point]},
    }


def root_interval(poly: str, lo: Fraction, hi: Fraction) -> tuple[Fraction, Fraction]:
    """A rational interval of width < 10^-300 around the only real root of ``poly`` in ``(lo, hi)``."""
    t = sympy.Symbol("t")
    boxes = [b for b in sympy.Poly(sympy.sympify(poly), t).intervals(eps=sympy.Rational(1, 10**300))
             if lo < Fraction(str(b[0][0])) < hi]
    assert len(boxes) == 1
    (a, b), _ = boxes[0]
    return Fraction(str(a)), Fraction(str(b))


def center_and_radius(cert: dict) -> tuple[list[Fraction], Fraction]:
    theta = [Fraction(w[0][0]) for w in cert["center"]["weights"]]
    return theta, Fraction(cert["radius"])


def assert_diagonal_root_in_ball(cert: dict, lo: Fraction, hi: Fraction) -> None:
    """Every point (t, …, t) with t in [lo, hi] lies in the certificate's ball."""
    theta, rho = center_and_radius(cert)
    worst = sum(max((lo - c) ** 2, (hi - c) ** 2) for c in theta)
    assert worst < rho * rho


def test_scalar_chain_minimum_is_certified_and_contains_sqrt3_over_2():
    """L = (ab − 1)² + (a² + b²)/4 on a > 0; ∇L = 0 on the diagonal gives 2(t² − 1)t + t/2 = 0, i.e.
    t² = 3/4: the minimum (√3/2, √3/2) with Hessian [[2, 1], [1, 2]] (eigenvalues 1 and 3)."""
    v = certify(parse_problem(chain(1, "1/4", ["0.866", "0.866"])))
    assert v.status == "CERTIFIED" and v.claim == "isolated_local_minimum"
    assert checker.check_certificate(v.certificate).startswith("VALID")
    lo, hi = root_interval("4*t**2 - 3", Fraction(0), Fraction(1))
    assert_diagonal_root_in_ball(v.certificate, lo, hi)
    assert 0 < Fraction(v.certificate["mu"]) <= 1  # λ_min of the Hessian at the minimum is 1


def test_scalar_chain_origin_is_refuted_by_a_descent_curve():
    """At the origin L(t, t) − L(0, 0) = (t² − 1)² + t²/2 − 1 = −(3/2)t² + t⁴ < 0 for small t > 0."""
    v = certify(parse_problem(chain(1, "1/4", ["0", "0"])))
    assert v.status == "REFUTED" and v.claim == "not_a_local_minimum"
    assert v.certificate["radius"] == "0"
    assert v.certificate["evidence"]["method"] == "curve"
    assert checker.check_certificate(v.certificate).startswith("VALID")


def test_no_weight_decay_is_never_certified():
    """With λ = 0, (a, b) ↦ (s·a, b/s) keeps L = (ab − 1)² constant: minima lie on a hyperbola."""
    v = certify(parse_problem(chain(1, "0", ["0.9", "1.1"])))
    assert v.status == "REFUTED" and v.claim == "not_isolated"
    assert checker.check_certificate(v.certificate).startswith("VALID")


def test_depth_three_chain_larger_root_certified_smaller_refuted():
    """f = c·σ(b·σ(a·x)), λ = 1/8: on the diagonal ∂L/∂a = 2t(t⁴ − t + λ), so the critical points
    solve t⁴ − t + 1/8 = 0: t ≈ 0.9398 and t ≈ 0.1255. On the diagonal the Hessian is
    (2t + 2λ − 2t⁴)·I + (4t⁴ − 2t)·11ᵀ, with eigenvalue 10t⁴ − 4t + 2λ along (1, 1, 1) and
    2t + 2λ − 2t⁴ across it: ≈ 4.29 and 0.57 at the larger root (a minimum), ≈ −0.25 and 0.50 at
    the smaller (a saddle)."""
    big = certify(parse_problem(chain(2, "1/8", ["0.94", "0.94", "0.94"])))
    assert big.status == "CERTIFIED"
    lo, hi = root_interval("t**4 - t + 1/8", Fraction(1, 2), Fraction(1))
    assert_diagonal_root_in_ball(big.certificate, lo, hi)
    small = certify(parse_problem(chain(2, "1/8", ["0.125", "0.125", "0.125"])))
    assert small.status == "REFUTED" and small.claim == "not_a_local_minimum"
    assert checker.check_certificate(small.certificate).startswith("VALID")
    lo, hi = root_interval("t**4 - t + 1/8", Fraction(0), Fraction(1, 2))
    assert_diagonal_root_in_ball(small.certificate, lo, hi)


@pytest.mark.parametrize("point", [["0.5", "0.5"], ["1.2", "0.3"]])
def test_point_far_from_critical_is_not_certified_without_refinement(point):
    """Far from ∇L = 0 no ball can satisfy ‖∇L(c)‖ < μρ with a tiny δ: UNKNOWN, never CERTIFIED."""
    v = certify(parse_problem(chain(1, "1/4", point)), refine=False)
    assert v.status == "UNKNOWN"


def test_strong_decay_origin_on_boundary_is_certified():
    """λ = 2: on a > 0, L(a, b) − L(0, 0) = a²b² − 2ab + 2(a² + b²) = a²b² + (a − b)² + a² + b² ≥ 0, and
    on a ≤ 0 it is 2(a² + b²) ≥ 0: the origin is a strict minimum on the kink a = 0 (issue 7)."""
    v = certify(parse_problem(chain(1, "2", ["0", "0"])))
    assert v.status == "CERTIFIED" and v.certificate["evidence"]["method"] == "boundary_ball"


@pytest.mark.parametrize("value", ["1e300", "-1e300", "1e400", "-1e400"])
@pytest.mark.parametrize("where", ["point", "input", "target"])
def test_numbers_beyond_float_range_give_a_verdict_not_an_exception(value, where):
    """The search screens with floats; a huge legal number must end in a checked verdict or UNKNOWN."""
    obj = {"format": "pscert.problem/1", "network": {"widths": [2, 2, 1], "biases": True},
           "loss": {"weight_decay": "1/10"},
           "data": {"inputs": [["1", "0"], ["0", "1"], ["1", "1"]], "targets": [["1"], ["0"], ["1"]]},
           "point": {"weights": [[["1/2", "1/3"], ["-1/4", "1"]], [["1", "1/2"]]], "biases": [["0", "1/5"], ["1/7"]]}}
    if where == "point":
        obj["point"]["weights"][0][0][0] = value
    else:
        obj["data"]["inputs" if where == "input" else "targets"][0][0] = value
    v = certify(parse_problem(obj))
    assert v.status in ("CERTIFIED", "REFUTED", "UNKNOWN")
    if v.status != "UNKNOWN":
        assert checker.check_certificate(v.certificate).startswith("VALID")
    if value.endswith("e400"):  # beyond float range: refused at once, naming the number
        expected = {"point": "point entry θ_0", "input": "data.inputs[0][0]", "target": "data.targets[0][0]"}[where]
        assert v.status == "UNKNOWN" and v.reason.startswith(expected + " is beyond the floating-point range")
