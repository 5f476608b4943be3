"""Symmetries that forbid isolation (``proofs.symmetry``): split circles, dead ends, snapping.

Known answers (issue 7, docs/MATHEMATICS.md §4). Every verdict's certificate is re-checked by the
checker and, independently of it, by evaluating the exact loss at the curve's end point ``γ(t0)``.
"""

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs import checker
from proofs.methods.curve import curve_certificate
from proofs.generator import certify
from proofs import symmetry
from proofs.symmetry import simplest_between, symmetry_verdict, unit_positions
from symbolic.network import forward, loss
from symbolic.problem import parse_params, parse_problem

R = Fraction


def problem(widths, biases, lam, X, Y, W, B=None, decay_biases=True):
    """A problem file with exact (string) or decimal entries, parsed."""
    net = {"widths": widths, "biases": biases}
    if biases:
        net["decay_biases"] = decay_biases
    point = {"weights": [[[str(x) for x in row] for row in M] for M in W]}
    if B is not None:
        point["biases"] = [[str(x) for x in b] for b in B]
    return parse_problem({"format": "pscert.problem/1", "network": net, "loss": {"weight_decay": lam},
                          "data": {"inputs": [[str(x) for x in r] for r in X], "targets": [[str(y) for y in r] for r in Y]},
                          "point": point})


def theta(p):
    return p.flatten(p.point)


def curve_at(cert, t):
    """``γ(t) = N(t)/q(t)`` of a curve certificate, exactly."""
    ev = cert["evidence"]

    def value(poly):
        return sum((R(c) * t ** k for k, c in enumerate(poly)), R(0))

    q = value(ev["denominator"])
    return [value(n) / q for n in ev["numerators"]]


def centre(p, cert):
    return p.flatten(parse_params(cert["center"], p))


def assert_flat(p, v):
    """A checked not_isolated rotation: L(γ(t0)) = L(c) exactly and γ(t0) ≠ c (not via the checker)."""
    assert v.status == "REFUTED" and v.claim == "not_isolated"
    assert checker.check_certificate(v.certificate).startswith("VALID: REFUTED not_isolated")
    c = centre(p, v.certificate)
    end = curve_at(v.certificate, R(v.certificate["evidence"]["t0"]))
    assert end != c
    assert loss(p, p.unflatten(end)) == loss(p, p.unflatten(c))


def assert_descent(p, v):
    assert v.status == "REFUTED" and v.claim == "not_a_local_minimum"
    assert checker.check_certificate(v.certificate).startswith("VALID: REFUTED not_a_local_minimum")
    c = centre(p, v.certificate)
    end = curve_at(v.certificate, R(v.certificate["evidence"]["t0"]))
    assert loss(p, p.unflatten(end)) < loss(p, p.unflatten(c))


# ---------------------------------------------------------------------------------------------------
# the issue's circle: one input, two bias-free units, x = 1


def circle(y, s1, s2, a1=None, a2=None):
    """``L = (a1·w1⁺ + a2·w2⁺ − y)² + (w1² + w2² + a1² + a2²)/4``; on ``a_i = w_i = s_i ≥ 0`` with
    ``S = s1² + s2²`` it is ``(S − y)² + S/2``, minimal at ``S = y − 1/4``."""
    return problem([1, 2, 1], False, "1/4", [[1]], [[y]], [[[s1], [s2]], [[s1 if a1 is None else a1, s2 if a2 is None else a2]]])


def test_rational_circle_point_is_not_isolated():
    """``y = 5/4``: the minima are ``s1² + s2² = 1``, rational at ``(3/5, 4/5)`` (``L = 9/16``). Both
    units are active on ``x = 1``: a shared pattern, no snapping."""
    p = circle("5/4", "3/5", "4/5")
    assert loss(p) == R(9, 16)
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)
    assert v.facts["kind"] == "shared_pattern" and v.facts["snapped"] == [] and "snapped" not in v.reason
    assert centre(p, v.certificate) == theta(p)


def test_rational_circle_dead_end_is_not_isolated_and_not_refuted_as_a_saddle():
    """The end ``(1, 0)`` of the same circle: unit 1 is dead. Lemma D: ``e = 1 − 5/4 = −1/4``,
    ``c(v) = 2e·v⁺ = −v/2`` for ``v > 0`` (``|c| = 1/2 = 2λ``, saturated) and ``0`` for ``v < 0``:
    no descent, so the verdict is the rotation from the dead end."""
    p = circle("5/4", "1", "0")
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)
    assert v.facts["kind"] == "dead_end" and v.facts["units"] == [0, 0, 1]
    assert "dead beside live unit 0" in v.reason


@pytest.mark.parametrize("s1, s2", [("0.5196152422706632", "0.6928203230275509"),   # √3/2·(3/5, 4/5)
                                    ("0.8660254037844386", "0"),                     # √3/2·(1, 0), dead
                                    ("0.1", "0.8602325267042626")])                  # √(3/4 − 1/100)
def test_issue_circle_float_points_are_not_isolated_without_snapping(s1, s2):
    """The issue's circle ``s1² + s2² = 3/4`` (``x = y = 1``, ``λ = 1/4``) has no rational point
    (3 ≡ 3 mod 4). Near it the given decimal point itself already shares a pattern (or has an exact
    dead unit), so the curve is about the point as given; flatness needs no criticality."""
    p = circle("1", s1, s2)
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)
    assert v.facts["snapped"] == [] and centre(p, v.certificate) == theta(p)
    assert v.facts["kind"] == ("dead_end" if s2 == "0" else "shared_pattern")


def test_issue_circle_nearly_dead_unit_is_snapped_to_an_exact_dead_end():
    """Unit 1 at ``(w, a) = (−10⁻¹³, 10⁻¹³)``: inactive while unit 0 is active, so no pair as given.
    It is within ``TOL`` of zero: the centre is snapped (unit 1 exactly zero) and the dead-end rotation
    refutes isolation of that centre; the near-saturated ``|c| ≈ 2λ`` gives no descent (margin)."""
    p = circle("1", "0.8660254037844386", "-1e-13", a2="1e-13")
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)
    c = centre(p, v.certificate)
    assert c != theta(p) and [c[q] for q in unit_positions(p, 0, 1)] == [0, 0]
    assert [c[q] for q in unit_positions(p, 0, 0)] == [theta(p)[q] for q in unit_positions(p, 0, 0)]
    assert v.facts["kind"] == "dead_end" and len(v.facts["snapped"]) == 1
    assert "snapped centre" in v.reason and "set exactly to zero" in v.reason


def test_nearly_dead_unit_beyond_tolerance_is_left_alone():
    """``(−10⁻⁴, 10⁻⁴)`` is far beyond ``TOL = 10⁻⁷``: no symmetry claim (the normal pipeline runs)."""
    p = circle("1", "0.8660254037844386", "-1e-4", a2="1e-4")
    assert symmetry_verdict(p, theta(p)) is None


# ---------------------------------------------------------------------------------------------------
# docs/MATHEMATICS.md §4, cases A, B, C


def case_a(co, si):
    """Case A: ``[1, 2, 1]`` with biases, ``λ = 1/4``, ``x = 3/4``, ``y = 9/5``; orbit
    ``p_1 = cos φ·p*``, ``p_2 = sin φ·p*``, ``p* = (12/25, 16/25, 4/5)``, ``c = 4/5``, ``L = 13/25``."""
    w, b, a = R(12, 25), R(16, 25), R(4, 5)
    return problem([1, 2, 1], True, "1/4", [["3/4"]], [["9/5"]], [[[co * w], [si * w]], [[co * a, si * a]]],
                   [[co * b, si * b], ["4/5"]])


@pytest.mark.parametrize("co, si", [(R(3, 5), R(4, 5)), (R(4, 5), R(3, 5)), (R(5, 13), R(12, 13))])
def test_case_a_orbit_points_are_not_isolated(co, si):
    p = case_a(co, si)
    assert loss(p) == R(13, 25)
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)
    assert v.facts["kind"] == "shared_pattern"


def test_case_a_dead_end_is_a_global_minimum_hence_only_not_isolated():
    """At ``(1, 0)``: ``e = 8/5 − 9/5 = −1/5``, ``max |c(v)|/‖v‖ = 2·|e|·‖(3/4, 1)‖ = 1/2 = 2λ``: Lemma D
    holds with equality (a global minimum), so no descent; the verdict is the dead-end rotation."""
    p = case_a(R(1), R(0))
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)
    assert v.facts["kind"] == "dead_end"


def test_case_b_vector_output_rotation_of_non_parallel_units():
    """Case B: ``[1, 2, 2]``, biases, ``λ = 1/10``; units ``(1, 1)`` and ``(−1, 3)`` (weight, bias) are
    not parallel but active on both samples (pre-activations ``[[2, 3], [2, 1]]``), so rotating
    ``(V, A) ↦ (QV, AQᵀ)`` keeps ``L = 66/25``; checked here at ``(cos, sin) = (99/101, 20/101)``."""
    X, Y = [[1], [2]], [["-1/5", "47/5"], ["11/5", "34/5"]]
    p = problem([1, 2, 2], True, "1/10", X, Y, [[[1], [-1]], [[1, -1], [1, 3]]], [[1, 3], [0, 1]])
    assert loss(p) == R(66, 25)
    co, si = R(99, 101), R(20, 101)
    V = [[R(1), R(1)], [R(-1), R(3)]]
    QV = [[co * V[0][k] - si * V[1][k] for k in range(2)], [si * V[0][k] + co * V[1][k] for k in range(2)]]
    A = [[R(1), R(-1)], [R(1), R(3)]]
    AQ = [[co * r[0] - si * r[1], si * r[0] + co * r[1]] for r in A]
    rotated = problem([1, 2, 2], True, "1/10", X, Y, [[[QV[0][0]], [QV[1][0]]], AQ], [[QV[0][1], QV[1][1]], [0, 1]])
    assert loss(rotated) == R(66, 25)
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)
    assert v.facts["kind"] == "shared_pattern"


def case_c(w1, w2, a1, a2):
    """Case C: ``[1, 2, 1]``, no biases, ``λ = 3/8``, ``x = 1, −1``, ``y = 1, 1``; the orbit of
    ``w = a = 1/2`` (``L = 31/32``)."""
    return problem([1, 2, 1], False, "3/8", [[1], [-1]], [[1], [1]], [[[w1], [w2]], [[a1, a2]]])


def test_case_c_orbit_point_is_not_isolated():
    p = case_c("3/10", "2/5", "3/10", "2/5")
    assert loss(p) == R(31, 32)
    assert_flat(p, symmetry_verdict(p, theta(p)))


def test_case_c_dead_end_is_a_saddle_refuted_by_descent():
    """At ``(1/2, 0 | 1/2, 0)`` the left-facing direction ``v = −1`` sees sample ``x = −1`` with
    ``e = 0 − 1``: ``c(v) = 2·(1/2)·(−1)·1 = −1``, ``|c| = 1 > 2λ = 3/4``. With ``a = −c/(2λ) = 4/3``
    the ``t²`` coefficient is ``λ − c²/(4λ) = 3/8 − 2/3 = −7/24``. (The note's curve ``w2 = −e``,
    ``a2 = e`` gives ``e⁴/2 − e²/4``, −1/32 at ``e = 1/2``, checked here too.)"""
    p = case_c("1/2", "0", "1/2", "0")
    v = symmetry_verdict(p, theta(p))
    assert_descent(p, v)
    assert v.facts["kind"] == "dead_end_descent" and v.facts["unit"] == [0, 1]
    assert v.facts["direction"] == ["-1"] and v.facts["outgoing"] == ["4/3"] and v.facts["rate"] == "-7/24"
    e = R(1, 2)
    assert loss(case_c("1/2", -e, "1/2", e)) - loss(p) == e ** 4 / 2 - e ** 2 / 4 == R(-1, 32)


def test_case_c_nearly_dead_left_facing_unit_is_snapped_then_refuted_by_descent():
    """Unit 1 at ``(w, a) = (−10⁻¹³, 10⁻¹³)`` faces left while unit 0 faces right: no pair as given.
    Snapped to exactly zero it is case C's dead end, whose descent (rate ``−7/24``) is about the
    snapped centre, as the reason says."""
    p = case_c("1/2", "-1e-13", "1/2", "1e-13")
    v = symmetry_verdict(p, theta(p))
    assert_descent(p, v)
    assert v.facts["rate"] == "-7/24" and len(v.facts["snapped"]) == 1 and "snapped centre" in v.reason
    assert centre(p, v.certificate) == [R(1, 2), 0, R(1, 2), 0] != theta(p)


def test_identity_activation_units_always_rotate():
    """With identity hidden units ``f = a·(w x)``, any two units may be rotated: ``L`` depends on
    ``a_1 w_1 + a_2 w_2`` and ``‖θ‖²`` only (here ``x = 1``, ``w = (1, −2)``, ``a = (3, 1)``)."""
    p = parse_problem({"format": "pscert.problem/1",
                       "network": {"widths": [1, 2, 1], "biases": False, "activation": "identity"},
                       "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]},
                       "point": {"weights": [[[1], [-2]], [[3, 1]]]}})
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)


def test_dead_unit_of_the_last_of_two_hidden_layers_is_grown_into_a_descent(monkeypatch):
    """``[1, 2, 2, 1]``, no biases, ``λ = 3/8``, ``x = ±1``, ``y = 1``: layer 1 ``W1 = [[1], [−1]]`` gives
    ``h(1) = (1, 0)``, ``h(−1) = (0, 1)``; layer 2 unit 1 is dead. ``v = (0, 1)`` sees ``x = −1`` only,
    where ``f = 0``: ``c(v) = 2·(1/2)·(−1) = −1``, ``|c| = 1 > 2λ``, a descent.

    The point is far from critical (``∂L/∂w₂ = 2λ·(−1) = −3/4``: layer-1 unit 1 feeds nothing), so its
    excesses (``1 − 9/16 = 7/16`` at ``v = (0, 1)``) are below the residual margin and the verdict is the dead end's rotation;
    with the margin switched off (``SAFETY = 0``) the exact descent curve is found and checked."""
    p = problem([1, 2, 2, 1], False, "3/8", [[1], [-1]], [[1], [1]],
                [[[1], [-1]], [["1/2", 0], [0, 0]], [["1/2", 0]]])
    assert_flat(p, symmetry_verdict(p, theta(p)))
    monkeypatch.setattr(symmetry, "SAFETY", 0)
    v = symmetry_verdict(p, theta(p))
    assert_descent(p, v)
    assert v.facts["unit"] == [1, 1] and R(v.facts["excess"]) > 0 and v.facts["margin"] == "0"


# ---------------------------------------------------------------------------------------------------
# the residual margin: a small excess decides at an exactly critical centre, not at a float point

SMALL = R(3, 4) * (1 + R(1, 10 ** 5))
"""``y(−1)`` in :func:`small_excess`: ``|c(−1)| = y(−1)`` is ``1.00001·2λ``."""


def small_excess(w1, a1, y2=SMALL):
    """Case C with ``y(−1) = y2``: unit 0 ``(w1, a1)`` faces right, unit 1 is dead. At ``w1 = a1 = 1/2``
    the centre is exactly critical (unit 0 sees ``x = 1`` only: ``e = 1/4 − 1``, ``∂L/∂a = −3/8 + 3/8 = 0``,
    likewise ``∂L/∂w``). The dead unit's direction ``v = −1`` sees ``x = −1`` alone, where ``f = 0``:
    ``c(−1) = 2·(1/2)·(0 − y2) = −y2``, so ``F = y2² − 4λ² = y2² − 9/16``."""
    return problem([1, 2, 1], False, "3/8", [[1], [-1]], [[1], [y2]], [[[w1], [0]], [[a1, 0]]])


def test_a_small_real_excess_at_an_exactly_critical_centre_is_a_descent():
    """``F = (3/4)²·((1 + 10⁻⁵)² − 1) ≈ 1.1·10⁻⁵``, relative ``≈ 2·10⁻⁵``: far below the old fixed margin
    ``10⁻³``, but the centre is exactly critical, so its margin is 0 and the excess is real. The rate
    is ``λ − y2²/(4λ) = 3/8 − (2/3)·y2²``, by hand."""
    p = small_excess("1/2", "1/2")
    v = symmetry_verdict(p, theta(p))
    assert_descent(p, v)
    assert v.facts["kind"] == "dead_end_descent" and v.facts["direction"] == ["-1"] and v.facts["margin"] == "0"
    assert R(v.facts["excess"]) == SMALL ** 2 - R(9, 16)
    assert R(v.facts["rate"]) == R(3, 8) - R(2, 3) * SMALL ** 2 < 0
    assert R(v.facts["outgoing"][0]) == SMALL / R(3, 4)           # a = −c/(2λ) = y2/(3/4)


def test_the_same_small_excess_at_a_float_perturbed_point_is_below_the_margin():
    """Unit 0 moved to ``w1 = 1/2 + 10⁻⁴`` (a float point, not critical: ``‖∇L‖ ≈ 10⁻⁴``). The dead unit's
    excess is the same ``≈ 1.1·10⁻⁵`` (it does not depend on unit 0), but a residual of ``10⁻⁴`` can fake
    an excess of about ``2‖c‖·‖∇L‖√(α/λ) ≈ 2·10⁻⁴``: no descent; the dead end's rotation instead."""
    p = small_excess("0.5001", "1/2")
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)
    assert v.facts["kind"] == "dead_end"


def corner(w2, y2="1/100"):
    """``[2, 2, 1]``, no biases, ``λ = 3/8``, ``x = e₁, e₂``, ``y = (1, y2)``; unit 0 ``(1/2, w2 | 1/2)``,
    unit 1 dead. At ``w2 = 0`` unit 0 is exactly critical (it sees ``e₁``, with ``e₂`` at its kink:
    ``∂L/∂a = −3/8 + 3/8 = 0``, and the radial derivative in ``w`` vanishes too). On ``v ≥ 0``,
    ``c(v) = −(3/4)v₁ − y2·v₂``, so ``F = (3/2)y2·v₁v₂ + (y2² − 9/16)v₂²``: positive for small ``v₂ > 0``,
    at most ``(3y2/2)²/(4(9/16 − y2²)) ≈ 10⁻⁴`` (relative ``≈ 1.8·10⁻⁴``, under the old fixed margin ``10⁻³``)."""
    return problem([2, 2, 1], False, "3/8", [[1, 0], [0, 1]], [[1], [y2]], [[["1/2", w2], [0, 0]], [["1/2", 0]]])


def test_a_small_excess_beside_the_live_cone_at_an_exactly_critical_centre_is_a_descent():
    p = corner("0")
    v = symmetry_verdict(p, theta(p))
    assert_descent(p, v)
    v1, v2 = (R(x) for x in v.facts["direction"])
    assert v.facts["margin"] == "0" and v1 == 1 and 0 < v2 < R(3, 100)
    assert R(v.facts["excess"]) == R(3, 200) * v1 * v2 + (R(1, 10 ** 4) - R(9, 16)) * v2 ** 2 \
        <= R(3, 200) ** 2 / (4 * (R(9, 16) - R(1, 10 ** 4)))              # the maximum over v₂, ≈ 1.0002·10⁻⁴


def test_a_small_excess_beside_the_live_cone_at_a_float_perturbed_point_is_below_the_margin():
    """``w2 = 10⁻³``: unit 0 now also sees ``e₂`` (``z = 10⁻³``), so the point is not critical
    (``∂L/∂w₂ = r₂a ≈ −5·10⁻³``, however small ``w2`` is: the critical structure is the kink) and its
    residual can fake far more than the ``≈ 10⁻⁴`` excess: no descent, the dead end's rotation instead."""
    p = corner("1/1000")
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)
    assert v.facts["kind"] == "dead_end"


def test_a_large_excess_at_a_float_perturbed_point_is_still_a_descent():
    """Case C (``y(−1) = 1``, excess ``7/16`` at ``v = −1``) with unit 0 moved to ``w1 = 1/2 + 10⁻⁴``: the
    residual (``‖∇L‖ ≈ 10⁻⁴``) can fake only ``≈ 10⁻³``, far below the excess: the descent at the float point."""
    p = small_excess("0.5001", "1/2", R(1))
    v = symmetry_verdict(p, theta(p))
    assert_descent(p, v)
    assert v.facts["excess"] == "7/16" and 0 < R(v.facts["margin"]) < R(1, 100)


def idle(w1, a1):
    """``[2, 2, 1]``, no biases, ``λ = 3/8``, ``x = e₁, e₂``, ``y = 1, 1``: unit 0 ``(w1, 0 | a1)`` sees ``e₁``
    (at ``1/2, 1/2``: ``f = 1/4``, ``e = −3/4``, ``∂L/∂a = −3/8 + 3/8 = 0``, exactly critical); unit 1
    ``(−1/5, −1/10 | 1/5)`` is off on both samples, but not zero: only its decay acts on it."""
    return problem([2, 2, 1], False, "3/8", [[1, 0], [0, 1]], [[1], [1]],
                   [[[w1, 0], ["-1/5", "-1/10"]], [[a1, "1/5"]]])


def test_a_unit_off_on_every_sample_is_zeroed_and_grown():
    """Zeroed (where weight decay takes it, ``L`` falling by ``λ·(1/25 + 1/100 + 1/25) = 27/800``), unit 1
    is dead beside unit 0 at an exactly critical centre. On the quadrant ``v ≥ 0`` (both samples on),
    ``c(v) = r₁v₁ + r₂v₂`` with ``r = 2·(1/2)·e = (−3/4, −1)``, maximal over ``‖v‖ = 1`` along ``v ∝ (3/4, 1)``:
    ``c = −9/16 − 1 = −25/16``, ``‖v‖² = 25/16``, excess ``625/256 − (9/16)(25/16) = 25/16``, rate
    ``λ‖v‖² − c²/(4λ) = 75/128 − 625/384 = −25/24``. (Along ``e₂`` alone, ``|c| = 1 > 2λ`` already.)"""
    p = idle("1/2", "1/2")
    v = symmetry_verdict(p, theta(p))
    assert_descent(p, v)
    c = centre(p, v.certificate)
    assert c == [R(1, 2), 0, 0, 0, R(1, 2), 0] and loss(p) - loss(p, p.unflatten(c)) == R(3, 8) * R(9, 100)
    assert v.facts["direction"] == ["3/4", "1"] and v.facts["rate"] == "-25/24" and v.facts["margin"] == "0"
    assert v.facts["excess"] == "25/16"
    assert "off on every sample" in v.facts["snapped"][0] and "snapped centre" in v.reason


def test_a_unit_off_on_every_sample_gives_no_rotation_far_away():
    """With ``y = (1, 0)`` sample ``e₂`` is fitted (``r₂ = 0``): ``c(v) = −(3/4)v₁⁺``, at most ``2λ‖v‖``,
    with equality only along the live unit: no descent, and the zeroed centre (``0.3`` away) is not
    used for a rotation either: no symmetry verdict (the pipeline decides)."""
    p = problem([2, 2, 1], False, "3/8", [[1, 0], [0, 1]], [[1], [0]],
                [[["1/2", 0], ["-1/5", "-1/10"]], [["1/2", "1/5"]]])
    assert symmetry_verdict(p, theta(p)) is None


def test_a_descent_at_a_dust_unit_is_preferred_to_a_rotation_of_a_shared_pattern():
    """``[2, 3, 1]`` as in :func:`idle`, the live unit split into units 0 and 2 (``3/5`` and ``4/5`` of
    ``(1/2, 0 | 1/2)``: they share a pattern, a rotation pair as given), and unit 1 dust ``10⁻⁹``.
    Snapped to zero the dust unit is a dead end at an exactly critical centre with ``|c| = 1 > 2λ``:
    the descent answers more (no minimum at all) and is preferred."""
    p = problem([2, 3, 1], False, "3/8", [[1, 0], [0, 1]], [[1], [1]],
                [[["3/10", 0], ["1e-9", "1e-9"], ["2/5", 0]], [["3/10", "1e-9", "2/5"]]])
    v = symmetry_verdict(p, theta(p))
    assert_descent(p, v)
    assert v.facts["unit"] == [0, 1] and v.facts["rate"] == "-25/24" and len(v.facts["snapped"]) == 1


def test_the_margin_grows_with_the_residual():
    """``residual_margin`` is 0 at the exact centre and grows linearly with the distance of unit 0
    from it (``2‖c‖·d``, ``d = ‖g‖√(α/λ)·‖σ(H̃v)‖ ∝ ‖g‖``), at the dead direction ``v = −1``."""
    margins = []
    for w in ("1/2", "0.5001", "0.501"):
        p = small_excess(w, "1/2")
        fw = forward(p)
        resid = np.array([[2 * p.alpha * float(f - y) for f, y in zip(fs, ys)] for fs, ys in zip(fw.outputs, p.targets)])
        margins.append(symmetry.residual_margin(p, theta(p), fw, np.array([[1.0], [-1.0]]), resid)([R(-1)]))
    assert margins[0] == 0 < margins[1] < margins[2]
    assert 5 < margins[2] / margins[1] < 20


# ---------------------------------------------------------------------------------------------------
# snapping split units, other patterns, and negatives


def kink(b0, b1):
    """``[1, 2, 1]`` with biases, ``x = −1, 1``: unit 0 ``(w, b, a) = (1, b0, 1/2)``, unit 1
    ``(3/5, b1, 3/10)``; with ``b0 = 1``, ``b1 = 3/5`` both sit on the kink at ``x = −1``."""
    return problem([1, 2, 1], True, "1/4", [[-1], [1]], [[0], [1]], [[[1], ["0.6"]], [["0.5", "0.3"]]], [[b0, b1], [0]])


def test_nearly_proportional_units_at_a_kink_are_snapped_exactly_proportional():
    """``b0 = 1 + 10⁻¹²``, ``b1 = 0.6 − 10⁻¹²``: at ``x = −1`` unit 0 is at ``+10⁻¹²`` and unit 1 at
    ``−10⁻¹²``, so the float point has no shared pattern. Unit 1 is within ``TOL`` of ``(3/5)·unit 0``;
    after the snap both pre-activations at ``x = −1`` are positive (``3/5·10⁻¹²``)."""
    p = kink("1.000000000001", "0.599999999999")
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)
    c = centre(p, v.certificate)
    u0, u1 = ([c[q] for q in unit_positions(p, 0, i)] for i in (0, 1))
    assert u1 == [R(3, 5) * x for x in u0]
    assert "3/5 times unit 0" in v.reason and "snapped centre" in v.reason


def test_units_far_from_proportional_are_left_alone():
    """The same with ``10⁻⁴`` instead of ``10⁻¹²``: no shared pattern and no snap within ``TOL``."""
    p = kink("1.0001", "0.5999")
    assert symmetry_verdict(p, theta(p)) is None


def test_a_unit_that_is_zero_where_the_other_is_on_follows_it():
    """``x = −1, 1``: unit 0 ``(w, b) = (1, 2)`` has ``z = (1, 3)``, unit 1 ``(1, 1)`` has ``z = (0, 2)``.
    Rotating unit 0 into unit 1 (``p_1 ↦ s·p_0 + c·p_1``) keeps both on; the other way would switch
    unit 0 off at ``x = −1``. Either way the checker accepts only the right direction."""
    p = problem([1, 2, 1], True, "1/4", [[-1], [1]], [[0], [1]], [[[1], [1]], [[1, 1]]], [[2, 1], [0]])
    v = symmetry_verdict(p, theta(p))
    assert_flat(p, v)
    assert v.facts["kind"] == "zero_pattern" and v.facts["units"] == [0, 0, 1]


def rotation(p, i, j):
    """Lemma S's numerators for rotating unit ``i`` into unit ``j`` of hidden layer 1."""
    c = theta(p)
    nums = [[x, R(0), x] for x in c]
    for pi, pj in zip(unit_positions(p, 0, i), unit_positions(p, 0, j)):
        nums[pi], nums[pj] = [c[pi], -2 * c[pj], -c[pi]], [c[pj], 2 * c[pi], -c[pj]]
    return nums


def test_rotation_of_units_with_different_patterns_is_not_flat():
    """Case C with a right-facing and a left-facing unit (patterns ``10`` and ``01``): Lemma S's
    condition fails, no pair is found, and the rotation curve built anyway is not accepted."""
    p = case_c("1/2", "-1/2", "1/2", "1/2")
    assert symmetry_verdict(p, theta(p)) is None
    assert curve_certificate(p, theta(p), "not_isolated", "constant", rotation(p, 0, 1), [1, 0, 1]) is None
    assert curve_certificate(p, theta(p), "not_isolated", "constant", rotation(p, 1, 0), [1, 0, 1]) is None


def test_wrong_direction_rotation_is_not_flat():
    """In the zero-pattern example, rotating unit 1 into unit 0 moves unit 0 off at ``x = −1``."""
    p = problem([1, 2, 1], True, "1/4", [[-1], [1]], [[0], [1]], [[[1], [1]], [[1, 1]]], [[2, 1], [0]])
    assert curve_certificate(p, theta(p), "not_isolated", "constant", rotation(p, 1, 0), [1, 0, 1]) is None
    assert curve_certificate(p, theta(p), "not_isolated", "constant", rotation(p, 0, 1), [1, 0, 1]) is not None


@pytest.mark.parametrize("p", [
    case_c("0", "0", "0", "0"),                                                               # every unit dead
    circle("1", "1e-30", "2e-30"),                                        # a collapsed layer (rounded zeros)
    problem([1, 1, 1], False, "1/4", [[1]], [[1]], [[["0.866"]], [["0.866"]]]),                # one unit
    problem([1, 2, 1], False, "0", [[1]], [[1]], [[["0.5"], ["0.5"]], [["1", "1"]]]),          # λ = 0
    problem([1, 2], True, "1/4", [[1]], [[1, 2]], [[[1], [1]]], [[0, 0]]),                     # no hidden layer
])
def test_no_symmetry_verdict(p):
    """No pair, no decay or no hidden layer; and a layer whose units are all within ``TOL`` of zero,
    although its two tiny units share a pattern exactly: it is a rounding of the all-dead point,
    which may be an isolated minimum (left to the boundary certificates)."""
    assert symmetry_verdict(p, theta(p)) is None


# ---------------------------------------------------------------------------------------------------
# through certify: never an isolated minimum; interior points of a split orbit are non-isolated minima


@pytest.mark.parametrize("p, claim", [
    (circle("1", "0.5196152422706632", "0.6928203230275509"), "nonisolated_local_minimum"),
    (circle("1", "0.8660254037844386", "0"), "not_isolated"),           # the end point: a dead unit (Lemma D)
    (circle("1", "0.8660254037844386", "-1e-13", a2="1e-13"), "not_isolated"),
    (circle("5/4", "3/5", "4/5"), "nonisolated_local_minimum"),
    (case_a(R(3, 5), R(4, 5)), "nonisolated_local_minimum"),
    (case_a(R(1), R(0)), "not_isolated"),
    (case_c("3/10", "2/5", "3/10", "2/5"), "nonisolated_local_minimum"),  # a local minimum, though not global
    (case_c("1/2", "0", "1/2", "0"), "not_a_local_minimum"),              # its end point: a saddle
    (kink("1.000000000001", "0.599999999999"), "not_isolated"),
])
def test_certify_never_calls_an_orbit_point_isolated(p, claim):
    v = certify(p)
    assert v.claim == claim and v.status == ("CERTIFIED" if claim == "nonisolated_local_minimum" else "REFUTED")
    assert checker.check_certificate(v.certificate).startswith("VALID")
    assert v.facts["checker"].startswith("VALID")


@settings(max_examples=15, deadline=None)
@given(st.fractions(min_value=R(1, 50), max_value=R(59, 60), max_denominator=60))
def test_every_rational_point_of_case_a_orbit_is_a_nonisolated_minimum(m):
    """``(cos, sin) = ((1 − m²)/(1 + m²), 2m/(1 + m²))`` for ``0 < m ≤ 1``: every such point is on the
    quarter circle of minima (``L = 13/25``): a local minimum, never an isolated one."""
    co, si = (1 - m * m) / (1 + m * m), 2 * m / (1 + m * m)
    p = case_a(co, si)
    assert loss(p) == R(13, 25)
    v = certify(p)
    assert (v.status, v.claim) == ("CERTIFIED", "nonisolated_local_minimum")


@settings(max_examples=40, deadline=None)
@given(st.fractions(min_value=R(1, 1000), max_value=100, max_denominator=1000),
       st.fractions(min_value=0, max_value=1, max_denominator=1000))
def test_simplest_between_is_in_the_interval_and_no_smaller_denominator_is(lo, width):
    """No ``n/d`` with ``d`` below the answer's denominator lies in ``[lo, hi]``: ``⌈lo·d⌉ > ⌊hi·d⌋``."""
    hi = lo + width
    k = simplest_between(lo, hi)
    assert lo <= k <= hi
    assert all(math.ceil(lo * d) > math.floor(hi * d) for d in range(1, k.denominator))


# ---------------------------------------------------------------------------------------------------
# Lemma D below the last hidden layer: the residual carried back through the layers above


def two_quadrants(wc=(0, 0), ac=0):
    """``[2, 3, 1, 1]``, no biases, ``λ = 1/10``, ``x = e₁, e₂``, ``y = 14/25, 21/25`` (mean, ``α = 1/2``).
    Unit A = ``(3/5, 0 | 3/5)`` is on at ``e₁`` only, unit B = ``(0, 4/5 | 4/5)`` at ``e₂`` only, unit C is
    dead; one layer-2 unit, output weight 1. Outputs ``9/25, 16/25``, residuals ``e = −1/5`` at both
    samples, and the point is critical: each live unit's ``e·1·a + 2λ·w = 0`` (``−1/5·3/5 + 1/5·3/5``),
    the output weight's ``Σ e z₂ + 2λ = −(9 + 16)/125 + 1/5 = 0``."""
    W = [[["3/5", 0], [0, "4/5"], [str(x) for x in wc]], [["3/5", "4/5", str(ac)]], [[1]]]
    return problem([2, 3, 1, 1], False, "1/10", [[1, 0], [0, 1]], [["14/25"], ["21/25"]], W)


def test_lower_dead_unit_residual_is_carried_back_through_the_layer_above():
    """``u_s = G_sᵀ r_s``: ``r_s = 2α e_s = −1/5`` and ``G_s = 1·D₂ = 1`` (layer 2 on at both samples)."""
    p = two_quadrants()
    fw = forward(p, p.point)
    assert symmetry._residuals_at(p, theta(p), fw, 0) == [[R(-1, 5)], [R(-1, 5)]]
    assert symmetry._residuals_at(p, theta(p), fw, 1) == [[R(-1, 5)], [R(-1, 5)]]
    assert symmetry._layer_inputs(p, fw, 1) == [[R(3, 5), 0, 0], [0, R(4, 5), 0]]      # layer 1's outputs
    assert symmetry._layer_inputs(p, fw, 0) == [[1, 0], [0, 1]]


def test_lower_dead_unit_grows_across_both_quadrants():
    """A and B each saturate their own quadrant (``|u|·1 = 2λ``), but C on both samples sees
    ``c(v) = −(v₁ + v₂)/5``, and at ``v = (1, 1)``: ``‖c‖² = 4/25 > 4λ²‖v‖² = 2/25``. With
    ``a = −c/(2λ) = 2`` the output moves by ``2t²`` at both samples:
    ``ΔL = ½·2·((e + 2t²)² − e²) + λ(2t² + 4t²) = −t²/5 + 4t⁴`` (``e = −1/5``)."""
    p = two_quadrants()
    assert symmetry._residual(p, theta(p), forward(p, p.point)).tolist() == [0.0] * 10      # exactly critical
    v = symmetry_verdict(p, theta(p))
    assert_descent(p, v)
    assert v.facts["kind"] == "dead_end_descent" and v.facts["unit"] == [0, 2] and v.facts["margin"] == "0"
    assert v.facts["direction"] == ["1", "1"] and v.facts["outgoing"] == ["2"] and v.facts["rate"] == "-1/5"
    assert "dead unit 2 of hidden layer 1" in v.reason and "1/5·t² + O(t⁴)" in v.reason
    for t in (R(1, 10), R(1, 3)):
        assert loss(p, p.unflatten(theta(two_quadrants((t, t), 2 * t)))) - loss(p) == -t ** 2 / 5 + 4 * t ** 4
    assert certify(p).claim == "not_a_local_minimum"


def test_lower_dead_unit_that_only_saturates_does_not_grow():
    """The chain ``[1, 2, 1, 1]``, ``x = 1``, ``y = 5/4``, ``λ = 1/4`` at ``p = q = r = 1`` (critical:
    ``2(1 − 5/4) + 2·(1/4) = 0``) with a dead second unit of layer 1: ``u = 2(1 − 5/4)·1 = −1/2`` and
    ``c(v) = −v/2`` for ``v > 0`` (0 for ``v < 0``), so ``‖c‖² − 4λ²v² = 0``: the dead unit only reaches the
    live unit's saturation. No descent; the split circle still forbids isolation."""
    p = problem([1, 2, 1, 1], False, "1/4", [[1]], [["5/4"]], [[[1], [0]], [[1, 0]], [[1]]])
    fw = forward(p, p.point)
    assert symmetry._residuals_at(p, theta(p), fw, 0) == [[R(-1, 2)]]
    assert symmetry._dead_end_descent(p, theta(p), fw, 0, 1, []) is None
    assert_flat(p, symmetry_verdict(p, theta(p)))


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10 ** 6), st.sampled_from([[2, 3, 2, 2], [1, 2, 3, 2, 1], [2, 2, 2, 2, 2, 1]]),
       st.booleans())
def test_carried_residual_is_the_derivative_in_the_next_pre_activations(seed, widths, biases):
    """``u_s`` of layer ``k`` against central differences of the data term in ``z_{k+1}(x_s)``, by an
    independent float forward pass with the layers above on the centre's pattern."""
    rng = np.random.default_rng(seed)
    n = 3
    X = rng.integers(-4, 5, (n, widths[0])) / 4
    Y = rng.integers(-4, 5, (n, widths[-1])) / 4
    W = [rng.integers(-4, 5, (widths[k + 1], widths[k])) / 4 for k in range(len(widths) - 1)]
    B = [rng.integers(-4, 5, widths[k + 1]) / 4 for k in range(len(widths) - 1)] if biases else None
    p = problem(widths, biases, "1/10", X.tolist(), Y.tolist(), [M.tolist() for M in W],
                [b.tolist() for b in B] if biases else None)
    fw = forward(p, p.point)
    H = len(widths) - 2
    for k in range(H):
        u = symmetry._residuals_at(p, theta(p), fw, k)
        for s in range(n):
            h = X[s]
            zs = []                     # every layer's pre-activation, the output last
            for m in range(H + 1):
                z = W[m] @ h + (B[m] if biases else 0)
                zs.append(z)
                h = z * (z > 0)

            def data(shift):            # α Σ_o (f_o − y_o)² at sample s, z_{k+1} shifted, patterns fixed
                h = zs[k + 1] + shift
                for m in range(k + 1, H):
                    h = W[m + 1] @ (h * (zs[m] > 0)) + (B[m + 1] if biases else 0)
                return float(np.sum((h - Y[s]) ** 2)) / n

            eps = 1e-6
            num = [(data(eps * e) - data(-eps * e)) / (2 * eps) for e in np.eye(len(zs[k + 1]))]
            assert np.allclose([float(x) for x in u[s]], num, atol=1e-6)
