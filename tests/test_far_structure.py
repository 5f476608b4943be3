"""The critical point of a structure farther from the trained point than the snapping tolerance
(proofs.structured's damped Newton, proofs.trained's farther pass, proofs.question's global verdict there).

Hand-worked problem: the symmetry notes' case C with a smaller second target. ``f = a₁σ(w₁x) + a₂σ(w₂x)``
with no biases, samples ``x = 1, y = 1`` and ``x = −1, y = 4/5``, ``λ = 3/8`` (``α = 1/N = 1/2``). With
unit 2 dead and unit 1 live on sample 1 only, ``L = ½(aw − 1)² + ½(4/5)² + λ(a² + w²)``; ``∂L/∂a =
(aw − 1)w + (3/4)a = 0`` and its mirror give ``a = w = s``, ``s² = 1 − 2λ = 1/4``: the critical point is
``(w₁, w₂ | a₁, a₂) = (1/2, 0 | 1/2, 0)``. There unit 2 can grow on sample 2 (``v < 0``):
``c(v) = 2α·e₂·σ(−v) = −(4/5)|v|``, so ``‖c(v)‖² − 4λ²v² = (16/25 − 9/16)v² = (31/400)v² > 0`` (Lemma D):
not a local minimum.

The trained point moves the live unit by ``(+0.03, −0.03)`` and leaves ``10⁻⁹`` on the dead one. Its
gradient (``≈ 0.03``) caps the tolerance at ``10⁻³``, so the critical point, ``0.03`` away in max norm,
lies beyond ``REACH·tol = 0.01``; at the point itself Lemma D's excess ``31/400`` is below what its
residual could fake, so only ``not_isolated`` is proved there. The farther pass finds ``(1/2, 0 | 1/2, 0)``
and refutes it, with the distance ``√(2·0.03² + 2·10⁻¹⁸) ≈ 0.0424`` proved.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

from proofs.question import ask
from proofs.snap import CEILING, Split, Structure, faded, tolerance
from proofs.structured import Subspace, structured_centre
from proofs.trained import FAR, REACH, _far, _short_descent, _with_dead, certify_trained, with_origin
from symbolic.derivatives import piece_derivatives
from symbolic.linalg import to_fraction
from symbolic.network import forward
from symbolic.problem import load_problem, parse_params, parse_problem

PRACTITIONER = Path(__file__).parent.parent / "bench" / "practitioner"


def case_c(w: str, a: str):
    return parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
                          "loss": {"weight_decay": "3/8"},
                          "data": {"inputs": [[1], [-1]], "targets": [[1], ["4/5"]]},
                          "point": {"weights": [[[w], ["-1e-9"]], [[a, "1e-9"]]]}})


def centre_of(problem, v) -> list[Fraction]:
    return problem.flatten(parse_params(v.certificate["center"], problem, "center"))


def test_the_farther_critical_point_is_found_and_refuted_with_its_distance():
    p = case_c("0.53", "0.47")
    theta = p.flatten(p.point)
    assert REACH * tolerance(p, theta).tol < 0.03 < FAR        # beyond the first pass, within the farther one
    v = certify_trained(p)
    assert (v.status, v.claim) == ("REFUTED", "not_a_local_minimum")
    w1, w2, a1, a2 = centre_of(p, v)
    assert w2 == 0 and a2 == 0
    assert abs(w1 - Fraction(1, 2)) < Fraction(1, 10 ** 20) and abs(a1 - Fraction(1, 2)) < Fraction(1, 10 ** 20)
    assert "31/400" in v.reason and "beyond the snapping tolerance" in v.reason
    D = Fraction(v.certificate["origin_distance"])
    d2 = sum(((x - y) ** 2 for x, y in zip(theta, centre_of(p, v))), Fraction(0))
    assert D * D >= d2 and 0.0424 < float(D) < 0.0425                      # √(2·0.03² + 2·10⁻¹⁸) ≈ 0.04243
    assert v.facts["checker"].startswith("VALID")
    # the first pass had a verdict too, about the point itself, which leaves minimality open
    assert any("more than" in a["reason"] for a in v.facts["attempts"])


def test_no_verdict_about_a_critical_point_beyond_the_farther_reach():
    """The live unit 0.3 from its critical point (``FAR·s = 0.1``): the farther pass refuses it, and the verdict
    is the rotation of the snapped dead unit at the point itself, ``10⁻⁹`` away, minimality left open."""
    p = case_c("0.8", "0.3")
    v = certify_trained(p)
    assert (v.status, v.claim) == ("REFUTED", "not_isolated")
    assert float(Fraction(v.certificate["origin_distance"])) < 1e-8
    assert centre_of(p, v)[0] == Fraction(4, 5)
    assert any("(farther)" in a["structure"] and "more than 0.1" in a["reason"] for a in v.facts["attempts"])


def test_damped_newton_reaches_the_reference_critical_point_where_full_steps_stall():
    """1-3-1_sgd_f32_s1 of the practitioner corpus: its reduced system is flat (smallest curvature ≈ 9e-5), the
    trained point 0.085 from the critical point that the independent 80-digit reference found. Full Newton steps
    stop at once; damped ones reach the reference's point (to rounding of its 60 digits)."""
    p = load_problem(str(PRACTITIONER / "problems" / "1-3-1_sgd_f32_s1.json"))
    ref = json.loads((PRACTITIONER / "reference.json").read_text())["1-3-1_sgd_f32_s1.json"]
    theta = p.flatten(p.point)
    fw = forward(p)
    kink = min(((j, 0) for j in range(len(p.inputs))), key=lambda t: abs(fw.preactivations[t[0]][0][0]))
    structure = Structure(dead=((0, 1),), kinks=(kink,))
    stalled = structured_centre(p, theta, structure)
    assert stalled.theta is not None and stalled.gradient_norm > 1e-6 and stalled.moved < 1e-5
    c = structured_centre(p, theta, structure, damped=True)
    assert c.theta is not None and c.gradient_norm < 1e-15 and 0.05 < c.moved < 0.07
    assert max(abs(float(x - Fraction(r))) for x, r in zip(c.theta, ref["critical_point"])) < 1e-14
    # critical on the structure, checked exactly: the exact gradient's projection onto the subspace vanishes
    pattern = forward(p, p.unflatten(c.theta)).pattern
    pattern = tuple(tuple(tuple(1 if (j, i) == kink else u for i, u in enumerate(layer)) if k == 0 else layer
                          for k, layer in enumerate(sample)) for j, sample in enumerate(pattern))
    g = [Fraction(to_fraction(x)) for x in piece_derivatives(p, c.theta, pattern, hessian=False).gradient]
    along = Subspace(structure.equations(p), p.parameter_count).project(g)
    assert max(abs(x) for x in along) < Fraction(1, 10 ** 15) and max(abs(x) for x in g) > Fraction(1, 10 ** 6)
    assert c.estimate > 0.01          # the first Newton step already says the critical point is far


def test_the_global_verdict_is_asked_at_the_farther_centre():
    """1-3-1_adam_f32_s0: the reference finds a global minimum 0.0054 from the trained point (a dead unit beside a
    live one on a kink). The local verdict there is not_isolated (the split circle), and the global verdict
    asked at that centre proves the global minimum, which answers "local minimum: yes"."""
    p = load_problem(str(PRACTITIONER / "problems" / "1-3-1_adam_f32_s0.json"))
    answer = ask(p)
    assert (answer.local.status, answer.local.claim) == ("REFUTED", "not_isolated")
    assert answer.globally is not None and (answer.globally.status, answer.globally.claim) == ("CERTIFIED", "global_minimum")
    assert answer.answers.local_minimum is True and answer.answers.global_minimum is True
    assert 0.005 < float(Fraction(answer.globally.certificate["origin_distance"])) < 0.006


def test_units_that_collapse_on_the_way_become_dead():
    """``_with_dead`` drops what vanishes with a dead unit: its splits and its first-layer kinks."""
    s = Structure(dead=((0, 0),), kinks=((3, 1), (4, 2)), splits=(Split(0, 2, 1, Fraction(1, 2)), Split(0, 4, 3, Fraction(2, 3))))
    t = _with_dead(s, [(0, 1)])
    assert t.dead == ((0, 0), (0, 1)) and t.kinks == ((4, 2),) and t.splits == (Split(0, 4, 3, Fraction(2, 3)),)


def test_a_split_that_shrinks_to_zero_is_certified_as_dead():
    """1-6-1_sgd_f64_s5: the point has units 1 and 5 of about 1e-5, proportional (κ = 1/2); the reference (80
    digits) finds them dead at a global minimum 5.7e-5 away. The split structure's Newton drives them to ~1e-31,
    they are made dead, and the global verdict at that centre answers: a local (global) minimum, not isolated."""
    p = load_problem(str(PRACTITIONER / "problems" / "1-6-1_sgd_f64_s5.json"))
    answer = ask(p)
    assert answer.local.claim == "not_isolated" and "units 0, 1, 2, 5 of hidden layer 1 dead" in answer.local.reason
    assert answer.answers.local_minimum is True and answer.answers.isolated is False
    assert float(Fraction(answer.local.certificate["origin_distance"])) < 1e-4
    c = centre_of(p, answer.local)
    from proofs.symmetry import unit_positions
    assert all(c[q] == 0 for u in (0, 1, 2, 5) for q in unit_positions(p, 0, u))


# ---------------------------------------------------------------------------------------------------
# a unit fading to death: slower than the gradient-scaled tolerance can see


def fading(s: str, y2: str = "19/25"):
    """The problem above with the second target ``19/25`` (by default): at ``(1/2, 0 | 1/2, 0)`` (still critical: unit 1 does
    not see sample 2) Lemma D's excess is ``(19/25)² − 4λ² = 361/625 − 9/16 = 151/10000``, small, so a unit 2 of
    size ``s`` on sample 2 has a gradient of only about ``0.01·s``: the snapping tolerance stays near ``10·0.01·s``,
    below ``s``, and does not call the unit dead."""
    return parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
                          "loss": {"weight_decay": "3/8"},
                          "data": {"inputs": [[1], [-1]], "targets": [[1], [y2]]},
                          "point": {"weights": [[["1/2"], ["-" + s]], [["1/2", s]]]}})


def test_a_fading_unit_is_tried_dead_and_its_saddle_refuted_with_the_distance():
    p = fading("1e-5")
    theta = p.flatten(p.point)
    assert tolerance(p, theta).tol < 1e-5 < CEILING      # not dead by the tolerance; small enough to be fading
    v = certify_trained(p)
    assert (v.status, v.claim) == ("REFUTED", "not_a_local_minimum")
    w1, w2, a1, a2 = centre_of(p, v)
    assert w2 == 0 and a2 == 0
    assert abs(w1 - Fraction(1, 2)) < Fraction(1, 10 ** 20) and abs(a1 - Fraction(1, 2)) < Fraction(1, 10 ** 20)
    assert "151/10000" in v.reason
    D = Fraction(v.certificate["origin_distance"])
    assert 1.4142e-5 < float(D) < 1.4143e-5                                # √2·10⁻⁵: unit 2 set to 0
    assert v.facts["checker"].startswith("VALID")
    assert v.facts["structure"] == "unit 1 of hidden layer 1 dead"


def test_a_unit_larger_than_the_ceiling_is_not_tried_dead():
    p = fading("2e-3")                                     # above CEILING·s = 10⁻³: not a dying unit's size
    assert not faded(p, p.flatten(p.point), tolerance(p, p.flatten(p.point)))
    v = certify_trained(p)
    assert v.status == "UNKNOWN" or centre_of(p, v)[1] != 0


def test_a_small_unit_at_its_own_minimum_is_not_refuted_at_its_death():
    """Second target ``y₂ = 3/4 + 1/4000000``: unit 2 alone fits sample 2, ``L₂ = ½(s² − y₂)² + 2λs²`` in its balanced
    size ``s``, whose minimum ``s² = y₂ − 2λ = 1/4000000`` puts unit 2 at ``(w₂, a₂) = (−1/2000, 1/2000)``, below the
    fading ceiling. That point is a strict minimum; with unit 2 dead it is a saddle whose descent (Lemma D, excess
    ``y₂² − 4λ² > 0``) ends at this very minimum, so that refutation must not be given for the trained point."""
    p = fading("1/2000", "3000001/4000000")
    v = certify_trained(p)
    assert (v.status, v.claim) == ("CERTIFIED", "isolated_local_minimum")
    assert centre_of(p, v) == p.flatten(p.point)
    theta, t = p.flatten(p.point), tolerance(p, p.flatten(p.point))
    structure = faded(p, theta, t)
    assert structure.dead == ((0, 1),)
    saddle, structure = _far(p, theta, structure, t, True, lambda _m: None)
    assert (saddle.status, saddle.claim) == ("REFUTED", "not_a_local_minimum")   # true of the saddle itself
    saddle = with_origin(p, saddle, structure, [], far=True)
    assert "may sit at a minimum where that descent ends" in _short_descent(saddle)
    assert _short_descent(certify_trained(fading("1e-5"))) == ""    # the fading unit above: far short of its end
