"""Snapping trained float points to the structure they approximate (proofs.snap, proofs.structured,
proofs.trained).

Fixtures (``tests/data/trained_*.json``), each answer worked out by hand:

- ``trained_chain_dust``: ``f = a₁σ(w₁x) + a₂σ(w₂x)``, ``x = y = 1``, ``λ = 3/4``. The live unit is at
  ``a = w = 1/2`` (``∂L/∂a = 2(aw − 1)w + (3/2)a = 2(−3/4)(1/2) + 3/4 = 0``); unit 2 kept float32 dust
  ``(−1.4e-44, 2.8e-44)``. Snapped: ``(1/2, 0 | 1/2, 0)``, the end of the split circle
  ``(cos φ·p, sin φ·p)``: not isolated, exactly the dust's norm away.
- ``trained_chain_collapsed``: the same data with ``λ = 3/2``: both units dust. At the origin
  ``|G| = 2α|y|·|x| = 2 < 2λ = 3``: an isolated strict minimum, the dust's norm away.
- ``trained_dead_saddle``: the symmetry notes' case C (``x = ±1``, ``y = 1``, ``λ = 3/8``, no biases)
  with the dead unit at weights of about ``1e-7``. The reduced minimum is ``w = a = 1/2``
  (``∂L/∂a = (aw − 1)w + (3/4)a = 0``); with unit 2 at zero it is a saddle (Lemma D, ``|G(left)| = 1 > 2λ``).
- ``trained_xor_perturbed``: ``examples/xor_trained.json`` with every parameter moved by ``±1e-6``: the
  kink minimum is still certified, about ``1e-6·√9 ≈ 3e-6`` away.
- ``trained_deep_dust``: a 1-2-2-1 net whose hidden parameters are all float32 dust. Taken literally it
  is refuted by a curve whose first-order slope is rounding; snapped, it is the collapsed network that
  ``collapsed_network`` certifies (``tests/test_collapsed_network.py``).
"""

from __future__ import annotations

import copy
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from proofs import checker
from proofs.snap import MAX_CANDIDATES, Split, Structure, candidates, detect, tolerance
from proofs.structured import Subspace, structured_centre
from proofs.trained import certify_trained, origin_distance
from symbolic.problem import load_problem, params_to_json, parse_params, parse_problem

DATA = Path(__file__).parent / "data"


def load(name: str):
    return load_problem(str(DATA / f"trained_{name}.json"))


def flat_center(problem, cert: dict[str, Any]) -> list[Fraction]:
    return problem.flatten(parse_params(cert["center"], problem, "center"))


def bound_holds(problem, cert: dict[str, Any]) -> bool:
    """The ``origin_distance`` claim, checked exactly and independently: ``D ≥ 0`` and ``D² ≥ ‖origin − center‖²``."""
    origin = problem.flatten(parse_params(cert["origin"], problem, "origin"))
    d2 = sum(((a - b) ** 2 for a, b in zip(origin, flat_center(problem, cert))), Fraction(0))
    D = Fraction(cert["origin_distance"])
    return D >= 0 and D * D >= d2


def checked_without_origin(cert: dict[str, Any]) -> str:
    """The checker's line for the certificate with the two new keys stripped (the checker predates them)."""
    stripped = {k: v for k, v in cert.items() if k not in ("origin", "origin_distance")}
    return checker.check_certificate(stripped)


def squared(xs) -> Fraction:
    return sum((Fraction(x) ** 2 for x in xs), Fraction(0))


# ---------------------------------------------------------------------------------------------------
# detection


def test_tolerance_reads_the_dtype_and_takes_an_override():
    p = load("dead_saddle")
    t = tolerance(p, p.flatten(p.point))
    assert t.dtype == "float32" and t.rounding == 64 * 2.0 ** -24
    assert t.rounding <= t.tol <= 1e-3
    xor = load("xor_perturbed")                            # decimal strings: not float32 values
    assert tolerance(xor, xor.flatten(xor.point)).dtype == "float64"
    forced = tolerance(p, p.flatten(p.point), tol=1e-12)
    assert forced.tol == 1e-12 and forced.rounding <= 1e-12


def test_tolerance_follows_the_gradient_between_rounding_and_the_ceiling():
    """xor_trained.json has 12 decimals (float64, gradient about 1e-12): a tolerance far below 1e-6; the
    same net moved by 1e-6 has a gradient about 1e-6 and a tolerance about ten times that."""
    exact = load_problem("examples/xor_trained.json")
    t = tolerance(exact, exact.flatten(exact.point))
    assert t.rounding < t.tol < 1e-9
    moved = load("xor_perturbed")
    t = tolerance(moved, moved.flatten(moved.point))
    assert 1e-6 < t.tol < 1e-3


def test_dust_and_1e7_units_are_dead_but_live_units_are_not():
    p = load("chain_dust")
    s = detect(p, p.flatten(p.point), tolerance(p, p.flatten(p.point)).tol)
    assert s.dead == ((0, 1),) and s.kinks == () and s.splits == ()
    q = load("dead_saddle")
    t = tolerance(q, q.flatten(q.point))
    assert detect(q, q.flatten(q.point), t.tol).dead == ((0, 1),)
    assert detect(q, q.flatten(q.point), 1e-9).dead == ()  # the 1e-7 weights are above a tiny tolerance


def test_near_kinks_of_the_perturbed_xor_minimum():
    """Units (−w, w, b) and (w, −w, b) with b = ±1e-6 vanish up to 1e-6 on (0, 0) and (1, 1) only."""
    p = load("xor_perturbed")
    s = detect(p, p.flatten(p.point), tolerance(p, p.flatten(p.point)).tol)
    assert set(s.kinks) == {(0, 0), (0, 1), (3, 0), (3, 1)} and s.dead == ()
    assert detect(p, p.flatten(p.point), 1e-9).kinks == ()


def test_proportional_units_and_constant_outputs():
    p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
                       "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [["5/4"]]},
                       "point": {"weights": [[["0.6000001"], ["0.7999999"]], [["0.6", "0.8000001"]]]}})
    s = detect(p, p.flatten(p.point), 1e-6)
    assert s.splits == (Split(0, 1, 0, Fraction(3, 4)),)
    q = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 2], "biases": True},
                       "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1, 0]]},
                       "point": {"weights": [[["0.5"]], [["0.5"], ["1e-9"]]], "biases": [["0"], ["0", "0"]]}})
    assert detect(q, q.flatten(q.point), 1e-6).constant_outputs == (1,)
    assert detect(q, q.flatten(q.point), 1e-12).constant_outputs == ()


def test_a_small_unit_is_not_a_split_of_a_large_one():
    """(3e-4, 1e-4) is 1e-4 from (1/3000)·(0.6, 0.6): within an absolute 2e-4, but a third of its own size."""
    p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
                       "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [["5/4"]]},
                       "point": {"weights": [[["0.6"], ["0.0003"]], [["0.6", "0.0001"]]]}})
    s = detect(p, p.flatten(p.point), 2e-4)
    assert s.splits == () and s.dead == ()


def test_candidates_are_bounded_most_snapped_first_and_end_with_the_point_as_given():
    for name in ("chain_dust", "dead_saddle", "xor_perturbed", "deep_dust"):
        p = load(name)
        theta = p.flatten(p.point)
        cs = candidates(p, theta, tolerance(p, theta))
        assert 2 <= len(cs) <= MAX_CANDIDATES and len(set(cs)) == len(cs)
        assert cs[0] == detect(p, theta, tolerance(p, theta).tol) and cs[-1] == Structure()


# ---------------------------------------------------------------------------------------------------
# structured refinement


def test_exact_projection_onto_the_structure():
    s = Subspace([[Fraction(1), Fraction(1), Fraction(0)], [Fraction(2), Fraction(2), Fraction(0)]], 3)
    assert len(s.rows) == 1 and s.basis.shape == (3, 2)              # the dependent row is dropped
    assert s.project([Fraction(1), Fraction(0), Fraction(5)]) == [Fraction(1, 2), Fraction(-1, 2), Fraction(5)]
    assert Subspace([], 2).project([Fraction(1, 3), Fraction(2)]) == [Fraction(1, 3), Fraction(2)]


def test_centre_satisfies_the_kinks_exactly():
    p = load("xor_perturbed")
    theta = p.flatten(p.point)
    structure = detect(p, theta, tolerance(p, theta).tol)
    c = structured_centre(p, theta, structure).theta
    assert c is not None
    assert all(sum((a * x for a, x in zip(row, c)), Fraction(0)) == 0 for row in structure.equations(p))
    assert max(abs(a - b) for a, b in zip(c, theta)) < Fraction(1, 10 ** 5)


def test_split_unit_refines_through_the_reduced_network():
    """Unit 2 = (4/3)·unit 1 on x = 1, y = 5/4, λ = 1/4: the minima have a_i = w_i = s_i, s₁² + s₂² = 1,
    so the split centre is s = (3/5, 4/5), where L has a circle of minima: a non-isolated local minimum."""
    p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
                       "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [["5/4"]]},
                       "point": {"weights": [[["0.6000001"], ["0.7999999"]], [["0.6", "0.8000001"]]]}})
    theta = p.flatten(p.point)
    c = structured_centre(p, theta, Structure(splits=(Split(0, 0, 1, Fraction(4, 3)),))).theta
    assert c is not None and c[1] == Fraction(4, 3) * c[0] and c[3] == Fraction(4, 3) * c[2]
    assert abs(c[0] - Fraction(3, 5)) < Fraction(1, 10 ** 20) and abs(c[2] - Fraction(3, 5)) < Fraction(1, 10 ** 20)
    v = certify_trained(p)
    assert (v.status, v.claim) == ("CERTIFIED", "nonisolated_local_minimum") and bound_holds(p, v.certificate)


def test_a_structure_too_far_from_the_point_is_refused():
    p = load("dead_saddle")
    c = structured_centre(p, p.flatten(p.point), Structure(dead=((0, 0),)), reach=1e-3)   # kill the live unit
    assert c.theta is None and "away from the point" in c.reason


# ---------------------------------------------------------------------------------------------------
# verdicts at the snapped structure, with the distance proved


def test_chain_dust_is_about_the_snapped_dead_unit_the_dust_norm_away():
    p = load("chain_dust")
    v = certify_trained(p)
    assert (v.status, v.claim) == ("REFUTED", "not_isolated")
    cert = v.certificate
    assert flat_center(p, cert) == [Fraction(1, 2), 0, Fraction(1, 2), 0]
    dust2 = squared(p.flatten(p.point)[i] for i in (1, 3))
    D = Fraction(cert["origin_distance"])
    assert D * D >= dust2 and float(D) <= 1.0001 * float(dust2) ** 0.5 and float(D) < 1e-43
    assert "of your point" in v.reason and "unit 1 of hidden layer 1 dead" in v.reason
    assert checked_without_origin(cert).startswith("VALID")


def test_collapsed_chain_is_certified_at_the_origin_within_the_dust():
    p = load("chain_collapsed")
    v = certify_trained(p)
    assert (v.status, v.claim) == ("CERTIFIED", "isolated_local_minimum")
    cert = v.certificate
    assert flat_center(p, cert) == [0, 0, 0, 0]
    D = Fraction(cert["origin_distance"])
    assert D * D >= squared(p.flatten(p.point)) and float(D) < 1e-43
    assert checked_without_origin(cert).startswith("VALID") and bound_holds(p, cert)


def test_dead_unit_with_1e7_weights_is_a_saddle_of_the_snapped_structure():
    p = load("dead_saddle")
    v = certify_trained(p)
    assert (v.status, v.claim) == ("REFUTED", "not_a_local_minimum")
    cert = v.certificate
    c = flat_center(p, cert)
    assert c[1] == 0 and c[3] == 0
    assert abs(c[0] - Fraction(1, 2)) < Fraction(1, 10 ** 20) and abs(c[2] - Fraction(1, 2)) < Fraction(1, 10 ** 20)
    # independently: the distance to (1/2, 0 | 1/2, 0) is about the fixture's offsets (6e-8, 1.1e-7, 3e-8, 9e-8)
    D = Fraction(cert["origin_distance"])
    assert bound_holds(p, cert) and 1.5e-7 < float(D) < 1.7e-7
    assert checked_without_origin(cert).startswith("VALID")


def test_kink_minimum_perturbed_by_1e6_is_still_certified_with_the_distance_stated():
    p = load("xor_perturbed")
    v = certify_trained(p)
    assert (v.status, v.claim) == ("CERTIFIED", "isolated_local_minimum")
    cert = v.certificate
    assert cert["evidence"]["method"] in ("kink_ball", "boundary_ball")
    assert bound_holds(p, cert) and 1e-6 < float(Fraction(cert["origin_distance"])) < 1e-5
    assert "of your point, so the minimum is within" in v.reason
    assert cert["origin"] == params_to_json(p.point)
    assert checked_without_origin(cert).startswith("VALID")


def test_dust_never_decides_and_every_attempt_is_reported(monkeypatch):
    """Without the collapsed-network method (which certifies this point, tests/test_collapsed_network.py)
    the only refutations left move float dust or have a rounding-level slope: none may decide."""
    from proofs.methods import collapsed_network

    monkeypatch.setattr(collapsed_network, "search", lambda *_args: None)
    p = load("deep_dust")
    v = certify_trained(p)
    assert v.status == "UNKNOWN" and v.certificate is None
    assert len(v.facts["attempts"]) >= 2 and all(a["reason"] for a in v.facts["attempts"])
    assert "[1]" in v.reason and "[2]" in v.reason and "first order" in v.reason


def test_dust_at_a_saddle_is_refuted_at_the_snapped_origin():
    """The chain x = y = 1, λ = 1/4 with float32 dust on its one unit: taken literally the kink test is
    degenerate; snapped, the origin is a saddle: L(t, t) − L(0) = (t² − 1)² − 1 + t²/2 = −(3/2)t² + t⁴."""
    p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
                       "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]},
                       "point": {"weights": [[["1e-44"]], [["-2e-44"]]]}})
    v = certify_trained(p)
    assert (v.status, v.claim) == ("REFUTED", "not_a_local_minimum")
    assert flat_center(p, v.certificate) == [0, 0] and bound_holds(p, v.certificate)
    assert float(Fraction(v.certificate["origin_distance"])) < 2.3e-44


def test_a_curve_that_moves_only_dust_is_recognised():
    from proofs.snap import Tolerance
    from proofs.trained import _dust_only, _moved

    p = load("chain_dust")                                   # θ = (1/2, −d₁ | 1/2, d₂)
    theta = p.flatten(p.point)
    center = params_to_json(p.point)
    t = Tolerance("float32", 64 * 2.0 ** -24, 64 * 2.0 ** -24)
    shrink = {"method": "curve", "kind": "descent", "denominator": ["1"],
              "numerators": [[str(theta[0])], [str(theta[1]), str(-theta[1])], [str(theta[2])], [str(theta[3]), str(-theta[3])]]}
    rotate = {"method": "curve", "kind": "constant", "denominator": ["1", "0", "1"],
              "numerators": [[str(x), "0", str(x)] for x in theta[:2]] + [["1/2", "-1", "-1/2"], ["0", "1", "0"]]}
    assert _moved(shrink, theta) == {1, 3} and _moved(rotate, theta) == {2, 3}

    def verdict(evidence):
        from proofs.assemble import Verdict
        return Verdict("REFUTED", "", "not_a_local_minimum", {"center": center, "evidence": evidence})

    assert _dust_only(p, verdict(shrink), t)                 # moves d₁ and d₂ only
    assert not _dust_only(p, verdict(rotate), t)             # moves the live unit's outgoing weight too


def test_exact_saddle_keeps_its_second_order_refutation_at_distance_zero():
    """The chain's origin (x = y = 1, λ = 1/4): L decreases as −(3/2)t² along a = b = t, not to first order."""
    p = load_problem("examples/chain_origin.json")
    v = certify_trained(p)
    assert (v.status, v.claim) == ("REFUTED", "not_a_local_minimum")
    assert v.certificate["origin_distance"] == "0" and "the certificate's centre is your point" in v.reason


def test_no_refine_certifies_the_point_as_given():
    p = load("dead_saddle")
    v = certify_trained(p, refine=False)
    assert v.facts.get("structure", "the point as given") == "the point as given"
    assert all(a["structure"] == "the point as given" for a in v.facts.get("attempts", []))


def test_tampered_distance_or_origin_fails_the_exact_bound():
    p = load("dead_saddle")
    cert = certify_trained(p).certificate
    assert bound_holds(p, cert)
    short = copy.deepcopy(cert)
    short["origin_distance"] = str(Fraction(cert["origin_distance"]) / 2)
    assert not bound_holds(p, short)
    moved = copy.deepcopy(cert)
    moved["origin"]["weights"][0][0][0] = "1"
    assert not bound_holds(p, moved)


def test_a_verdict_whose_distance_bound_fails_is_never_reported():
    from proofs.trained import _checked

    v = certify_trained(load("dead_saddle"))
    assert _checked(copy.deepcopy(v)).status == "REFUTED"
    bad = copy.deepcopy(v)
    bad.certificate["origin_distance"] = str(Fraction(v.certificate["origin_distance"]) / 2)
    assert _checked(bad).status == "UNKNOWN" and "distance bound" in _checked(bad).reason
    worse = copy.deepcopy(v)
    worse.certificate["radius"] = "1"                           # a fault the checker itself must catch
    assert _checked(worse).status == "UNKNOWN" and "rejected by the checker" in _checked(worse).reason


def test_origin_distance_is_an_exact_upper_bound():
    assert origin_distance([Fraction(0)] * 2, [Fraction(3), Fraction(4)]) >= 5
    assert origin_distance([Fraction(1, 3)], [Fraction(1, 3)]) == 0
    D = origin_distance([Fraction(0)], [Fraction(1, 10 ** 44)])
    assert D >= Fraction(1, 10 ** 44) and D < Fraction(11, 10 ** 45)


def test_certificates_are_json_with_canonical_strings():
    v = certify_trained(load("chain_collapsed"))
    text = json.dumps(v.certificate)
    assert json.loads(text)["origin_distance"] == v.facts["origin_distance"]
    assert isinstance(v.certificate["origin_distance"], str)


def test_a_weight_of_1e300_is_screened_without_overflow(recwarn):
    """Legal but huge: every float screen must survive it, and the verdict still states its distance."""
    p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
                       "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [[1]]},
                       "point": {"weights": [[["1e300"], ["1"]], [["1", "1"]]]}})
    v = certify_trained(p)
    assert v.status in ("REFUTED", "UNKNOWN")
    if v.certificate is not None:
        assert bound_holds(p, v.certificate)
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_problem_without_a_point_is_refused():
    p = load("chain_dust").with_point(None)
    with pytest.raises(ValueError, match="no point"):
        certify_trained(p)
