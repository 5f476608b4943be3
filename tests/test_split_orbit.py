"""``nonisolated_local_minimum`` with evidence ``split_orbit`` (docs/MATHEMATICS.md §3–§4, notes/symmetry.md §6.2).

Known answers, worked out by hand (mean reduction, everything decayed):

- case A (1-2-1, biases, x = 3/4, y = 9/5, λ = 1/4), orbit point (cos, sin) = (3/5, 4/5): the units
  ``p_1 = (36/125, 48/125, 12/25)`` and ``p_2 = (48/125, 64/125, 16/25) = (4/3)·p_1`` (row, bias, outgoing
  weight), so ``κ = (1, 4/3)``, ``Σκ² = 25/9 = (5/3)²`` and the reduced unit ``(5/3)·p_1 = (12/25, 16/25,
  4/5)`` is the reduced minimum ``p*`` of the notes, with output bias 4/5 and ``L = 13/25``. Pre-activations
  ``z_1 = (3/4)(36/125) + 48/125 = 3/5`` and ``z_2 = 4/5``, ``‖x̃‖ = 5/4``: every unit keeps its sign on any ball
  of radius below ``(3/5)/(5/4) = 12/25``.
- case C (1-2-1, no biases, x = ±1, y = 1, λ = 3/8), orbit point ``w = a = (3/10, 2/5)``: ``κ = (1, 4/3)``,
  reduced unit ``w = a = 1/2`` with ``L = 31/32``; both units are active on x = 1 only. The orbit's interior
  points are local minima, but not global: adding the left unit ``(−1/2, 1/2)`` gives ``L = 15/16 < 31/32``,
  and the dead-unit end point ``(1/2, 1/2 | 0, 0)`` is a saddle (``ΔL = ε⁴/2 − ε²/4`` along ``w_2 = −ε,
  a_2 = ε``): it must never be certified.
- case K (1-2-1, biases, x = (0, 1), y = (−5/4, 1), λ = 1/4), a split orbit *on a kink*: the reduced unit
  ``w = a = 1``, ``b = 0`` with output bias ``−1/2`` has sample x = 0 on its kink. Off the kink: residuals
  ``r_1 = w² + b_out − y_1 = −1/2 = −2λ`` (so ``∂L/∂w = a r_1 + 2λw = 0``, ``∂L/∂a = 0``) and ``r_0 = −1/2 + 5/4 =
  3/4``, with ``∂L/∂b_out = (r_0 + r_1)/1 + 2λ(−1/2) = 0``. Across the kink (the bias ``b``): the inactive side
  has ``∂L/∂b = a r_1 = −1/2``, multiplier ``ν = 1/2`` (pushing ``b`` down raises ``L``); the active side adds
  ``a r_0 = 3/4``, multiplier ``ν' = 1/4``: strictly complementary. On the kink face ``(w, a, b_out)`` the
  Hessian ``[[3/2, 1/2, 1], [1/2, 3/2, 1], [1, 1, 5/2]]`` has leading minors ``3/2, 2, 3``. ``L* = ½(9/16 + 1/4) +
  ¼(1 + 1 + 1/4) = 31/32``. The orbit point (3/5, 4/5) has units ``(3/5, 0, 3/5)`` and ``(4/5, 0, 4/5)``,
  ``κ = (1, 4/3)``; both sit on the kink.
"""

from __future__ import annotations

import copy
import json
import math
import random
from fractions import Fraction as F
from pathlib import Path

import pytest

from proofs import checker
from proofs.answers import answers, merge
from proofs.methods.dual_cones import global_verdict
from proofs.generator import kink_verdict
from proofs.methods.split_orbit import latex, search
from proofs.trained import certify_trained
from symbolic.problem import load_problem, parse_problem

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data"
GOOD = ROOT / "tests" / "certs" / "good"


def at(problem, theta):
    return search(problem, problem.flatten(problem.point) if theta is None else theta)


def case_c(theta: list[F]) -> dict:
    """Case C's problem file with the point θ = (w_1, w_2, a_1, a_2)."""
    return {"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
            "loss": {"weight_decay": "3/8"}, "data": {"inputs": [["1"], ["-1"]], "targets": [["1"], ["1"]]},
            "point": {"weights": [[[str(theta[0])], [str(theta[1])]], [[str(theta[2]), str(theta[3])]]]}}


def case_a(cos: F | float, sin: F | float) -> dict:
    """Case A's problem file at the orbit point (cos, sin)·p* (floats give a trained-like point)."""
    w, b, a = F(12, 25), F(16, 25), F(4, 5)
    text = str if isinstance(cos, F) else (lambda v: repr(float(v)))
    return {"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": True},
            "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["3/4"]], "targets": [["9/5"]]},
            "point": {"weights": [[[text(cos * w)], [text(sin * w)]], [[text(cos * a), text(sin * a)]]],
                      "biases": [[text(cos * b), text(sin * b)], ["4/5"]]}}


def loss(theta: list[F] | list[float], x=(1, -1), y=(1, 1), lam=F(3, 8)):
    """Case C's loss written out: L = ½Σ_j (Σ_i a_i relu(w_i x_j) − y_j)² + λ‖θ‖²."""
    w, a = theta[:2], theta[2:]
    data = sum((sum(ai * max(wi * xj, 0) for wi, ai in zip(w, a)) - yj) ** 2 for xj, yj in zip(x, y)) / 2
    return data + lam * sum(t * t for t in theta)


def case_k(t1: F | float, t2: F | float, b: tuple[F, F] = (F(0), F(0))) -> dict:
    """Case K's problem file with the units ``t_m·(1, b_m/t_m, 1)`` (weight, bias, outgoing weight)."""
    return {"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": True},
            "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["0"], ["1"]], "targets": [["-5/4"], ["1"]]},
            "point": {"weights": [[[str(t1)], [str(t2)]], [[str(t1), str(t2)]]],
                      "biases": [[str(b[0]), str(b[1])], ["-1/2"]]}}


def loss_k(w: list, b: list, a: list, c) -> F:
    """Case K's loss written out: ½Σ_j (Σ_i a_i relu(w_i x_j + b_i) + c − y_j)² + ¼‖θ‖²."""
    data = sum((sum(ai * max(wi * xj + bi, 0) for wi, bi, ai in zip(w, b, a)) + c - yj) ** 2
               for xj, yj in ((0, F(-5, 4)), (1, F(1)))) / 2
    return data + sum(t * t for t in [*w, *b, *a, c]) / 4


def rejected(cert: dict) -> str:
    with pytest.raises(checker.CertificateInvalid) as err:
        checker.check_certificate(cert)
    assert "\n" not in str(err.value)
    return str(err.value)


def committed(name: str) -> dict:
    return json.loads((GOOD / f"{name}.json").read_text(encoding="utf-8"))


# --- known answers -----------------------------------------------------------------------------------

def test_case_a_orbit_point_is_a_nonisolated_local_minimum():
    problem = load_problem(str(DATA / "global_case_a_orbit.json"))
    v = at(problem, None)
    assert v is not None and v.status == "CERTIFIED" and v.claim == "nonisolated_local_minimum", v
    cert = v.certificate
    assert checker.check_certificate(cert).startswith("VALID: CERTIFIED nonisolated_local_minimum")
    assert cert["center"]["weights"] == [[["36/125"], ["48/125"]], [["12/25", "16/25"]]]
    assert cert["center"]["biases"] == [["48/125", "64/125"], ["4/5"]]
    assert cert["evidence"]["groups"] == [{"units": [0, 1], "kappa": ["1", "4/3"]}]
    assert cert["evidence"]["dimension"] == 1
    assert F(cert["evidence"]["stable_radius"]) < F(12, 25)
    assert answers(v.status, v.claim) == (True, False, None)


def test_case_c_orbit_point_is_a_local_minimum_but_not_a_global_one():
    problem = load_problem(str(DATA / "orbit_case_c.json"))
    local = at(problem, None)
    assert local is not None and local.claim == "nonisolated_local_minimum", local
    assert local.certificate["center"]["weights"] == [[["3/10"], ["2/5"]], [["3/10", "2/5"]]]
    assert local.certificate["evidence"]["local"]["pattern"] == [["1"], ["0"]]  # active on x = 1 only
    wider = global_verdict(problem)
    assert wider.status == "REFUTED" and wider.claim == "not_global_minimum", wider.reason
    assert merge(answers(local.status, local.claim), answers(wider.status, wider.claim)) == (True, False, False)


def test_case_c_loss_is_constant_on_the_orbit_and_not_lower_nearby():
    """An independent check of the theorem on case C: exact loss 31/32 at rational orbit points, and no
    lower loss at random points near the certified centre (the minimum set's value is L*)."""
    for cos, sin in [(F(3, 5), F(4, 5)), (F(4, 5), F(3, 5)), (F(5, 13), F(12, 13)), (F(1), F(0))]:
        assert loss([cos / 2, sin / 2, cos / 2, sin / 2]) == F(31, 32)
    centre = [0.3, 0.4, 0.3, 0.4]
    rng = random.Random(13)
    for _ in range(2000):
        d = [rng.uniform(-1, 1) for _ in centre]
        scale = rng.uniform(1e-4, 0.1) / math.sqrt(sum(v * v for v in d))
        assert loss([c + scale * v for c, v in zip(centre, d)]) >= 31 / 32 - 1e-12
    # off the orbit the loss rises: the normal direction (the split point scaled) is not flat
    assert loss([F(3, 10) * F(11, 10), F(2, 5) * F(11, 10), F(3, 10) * F(11, 10), F(2, 5) * F(11, 10)]) > F(31, 32)
    # the end point is a saddle at the same level: the descent curve w_2 = −ε, a_2 = ε
    eps = F(1, 10)
    assert loss([F(1, 2), -eps, F(1, 2), eps]) - F(31, 32) == eps ** 4 / 2 - eps ** 2 / 4 < 0


def test_a_split_orbit_on_a_kink_is_a_nonisolated_local_minimum():
    """Case K: the reduced minimum is certified on its kink (kink_ball, the multipliers of the docstring) and
    split back exactly."""
    problem = load_problem(str(DATA / "orbit_kink.json"))
    v = at(problem, None)
    assert v is not None and v.status == "CERTIFIED" and v.claim == "nonisolated_local_minimum", v
    cert = v.certificate
    assert checker.check_certificate(cert).startswith("VALID: CERTIFIED nonisolated_local_minimum")
    assert cert["center"] == {"weights": [[["3/5"], ["4/5"]], [["3/5", "4/5"]]], "biases": [["0", "0"], ["-1/2"]]}
    ev = cert["evidence"]
    assert ev["groups"] == [{"units": [0, 1], "kappa": ["1", "4/3"]}] and ev["dimension"] == 1
    assert ev["local"]["method"] == "kink_ball" and ev["local"]["constraints"] == [[0, 0]]
    assert {p["signs"]: p["multipliers"] for p in ev["local"]["pieces"]} == {"1": ["1/4"], "0": ["1/2"]}
    # the outgoing weights 3/5, 4/5 keep their sign on the ball, and so does z = w + b at x = 1 (‖x̃‖ = √2)
    R = F(ev["stable_radius"])
    assert R * R < F(9, 25) and 2 * R * R < F(9, 25)
    assert answers(v.status, v.claim) == (True, False, None)


def test_case_k_loss_is_constant_on_the_orbit_and_not_lower_nearby():
    """An independent check of the kink theorem: exact L* = 31/32 at rational orbit points, and no lower loss at
    random points near the centre, where the two units' biases cross the kink independently."""
    for cos, sin in [(F(3, 5), F(4, 5)), (F(4, 5), F(3, 5)), (F(5, 13), F(12, 13)), (F(1), F(0))]:
        assert loss_k([cos, sin], [F(0), F(0)], [cos, sin], F(-1, 2)) == F(31, 32)
    centre = [0.6, 0.8, 0.0, 0.0, 0.6, 0.8, -0.5]
    rng = random.Random(11)
    for _ in range(3000):
        d = [rng.uniform(-1, 1) for _ in centre]
        scale = rng.uniform(1e-4, 0.05) / math.sqrt(sum(v * v for v in d))
        t = [c + scale * v for c, v in zip(centre, d)]
        assert loss_k(t[0:2], t[2:4], t[4:6], t[6]) >= 31 / 32 - 1e-12
    # onto the kink's active side the loss rises to first order (ν' = 1/4 per unit of the merged bias)
    assert loss_k([F(3, 5), F(4, 5)], [F(1, 100), F(1, 100)], [F(3, 5), F(4, 5)], F(-1, 2)) > F(31, 32)


@pytest.mark.parametrize("b", [F(1, 100), F(-1, 100), F(1, 20)])
def test_a_split_point_beside_the_kink_is_refined_onto_it(b):
    """Case K's units moved off the kink by the bias b·t_m (on either side, beyond any snapping tolerance): the
    merged network's refinement crosses the kink and boundary_ball certifies it; that minimum is re-certified
    on the kink with kink_ball, and the centre is case K's exact orbit point."""
    problem = parse_problem(case_k(F(3, 5), F(4, 5), (b * F(3, 5), b * F(4, 5))))
    v = search(problem, problem.flatten(problem.point))
    assert v is not None and v.status == "CERTIFIED" and v.claim == "nonisolated_local_minimum", v
    assert v.certificate["center"] == {"weights": [[["3/5"], ["4/5"]], [["3/5", "4/5"]]],
                                       "biases": [["0", "0"], ["-1/2"]]}
    assert v.certificate["evidence"]["local"]["method"] == "kink_ball"


def test_a_kink_orbit_needs_kink_ball_evidence():
    """boundary_ball also certifies the reduced minimum of case K, but its theorem does not put the minimum on
    the kink: a split orbit with that evidence is rejected (the kink sample is then an ordinary sample)."""
    red = parse_problem({**case_k(F(1), F(0)), "network": {"widths": [1, 1, 1], "biases": True},
                         "point": {"weights": [[["1"]], [["1"]]], "biases": [["0"], ["-1/2"]]}})
    boundary = kink_verdict(red, red.flatten(red.point), [(0, 0)], True, lambda _m: None)
    assert boundary.status == "CERTIFIED" and boundary.certificate["evidence"]["method"] == "boundary_ball"
    on = kink_verdict(red, red.flatten(red.point), [(0, 0)], True, lambda _m: None, on_kinks=True)
    assert on.certificate["evidence"]["method"] == "kink_ball"
    cert = committed("kink_orbit")
    cert["evidence"]["local"] = boundary.certificate["evidence"]
    cert["radius"], cert["mu"] = boundary.certificate["radius"], boundary.certificate["mu"]
    assert rejected(cert).startswith("orbit: unit 0 is not live on the ball of radius stable_radius: sample 0 has "
                                     "z² ≤ R²‖x̃_j‖² and is no kink of the reduced kink_ball evidence")


def test_a_trained_network_with_split_units_on_kinks_is_a_nonisolated_local_minimum():
    """bench/practitioner's 2-4-1 adam seed 0: its independent 80-digit reference finds a local minimum, not
    isolated (units 0, 2 and 3 proportional, seven kinks). The snapped split orbit is certified within 1e-4."""
    problem = load_problem(str(DATA / "orbit_kinks_trained.json"))
    v = certify_trained(problem)
    assert v.status == "CERTIFIED" and v.claim == "nonisolated_local_minimum", v.reason
    assert answers(v.status, v.claim) == (True, False, None)
    ev = v.certificate["evidence"]
    assert [g["units"] for g in ev["groups"]] == [[0, 2, 3], [1]] and ev["dimension"] == 2
    assert ev["local"]["method"] == "kink_ball"
    assert checker.check_certificate(v.certificate).startswith("VALID: CERTIFIED nonisolated_local_minimum")
    assert F(v.certificate["origin_distance"]) < F(1, 10 ** 4)


def test_global_optimality_merges_proportional_kink_units():
    """dual_cones merges case K's proportional units on their kink into one unit, certifies that reduced
    minimum on the kink (kink_ball), and finds a cone where Lemma D fails: a network with one more unit does
    better. Independently of the checker, its loss is computed here exactly and lies below L* = 31/32."""
    v = global_verdict(parse_problem(case_k(F(3, 5), F(4, 5))))
    assert (v.status, v.claim) == ("REFUTED", "not_global_minimum"), v.reason
    point = v.certificate["evidence"]["point"]
    (w1,), (a1,) = zip(*point["weights"][0]), point["weights"][1]
    b1, (c,) = point["biases"]
    w, a, b, c = [F(x) for x in w1], [F(x) for x in a1], [F(x) for x in b1], F(c)
    f = [sum(ai * max(wi * x + bi, F(0)) for wi, ai, bi in zip(w, a, b)) + c for x in (F(0), F(1))]
    loss = sum((fj - yj) ** 2 for fj, yj in zip(f, (F(-5, 4), F(1)))) / 2 + F(1, 4) * sum(
        t * t for t in w + a + b + [c])
    assert loss < F(31, 32)


def test_end_points_and_points_off_an_orbit_are_not_split_orbit_points():
    """A dead unit (case A's and case C's end points), units of different patterns and units that share a
    pattern without being proportional are not split-orbit points: no verdict."""
    for prob in (case_a(F(1), F(0)), case_c([F(1, 2), F(0), F(1, 2), F(0)]),
                 case_c([F(1, 2), F(-1, 2), F(1, 2), F(1, 2)]),           # one unit per pattern
                 case_c([F(3, 10), F(2, 5), F(3, 10), F(1, 5)]),           # shared pattern, not proportional
                 case_k(F(1), F(0)),                                       # case K's end point: a dead unit
                 case_k(F(3, 5), F(3, 5), (F(0), F(-1, 5)))):              # on and off the kink: no shared direction
        problem = parse_problem(prob)
        assert search(problem, problem.flatten(problem.point)) is None


def test_unsupported_settings_give_no_verdict():
    vector = parse_problem({**case_c([F(3, 10), F(2, 5), F(3, 10), F(2, 5)]), "network": {"widths": [1, 2, 2],
                            "biases": False}, "data": {"inputs": [["1"], ["-1"]], "targets": [["1", "0"], ["1", "0"]]},
                            "point": None})
    assert search(vector, [F(3, 10), F(2, 5), F(3, 10), F(2, 5), F(0), F(0)]) is None
    undecayed = parse_problem({**case_a(F(3, 5), F(4, 5)), "network": {"widths": [1, 2, 1], "biases": True,
                                                                        "decay_biases": False}})
    assert search(undecayed, undecayed.flatten(undecayed.point)) is None


def test_a_trained_orbit_point_gets_a_pythagorean_split():
    """At an irrational angle the user's ratio has no rational norm: the centre is split along rational
    weights t on the unit circle, within rounding of the user's point."""
    problem = parse_problem(case_a(math.cos(0.7), math.sin(0.7)))
    v = search(problem, problem.flatten(problem.point))
    assert v is not None and v.status == "CERTIFIED", v
    kappa = [F(k) for k in v.certificate["evidence"]["groups"][0]["kappa"]]
    s2 = sum(k * k for k in kappa)
    assert kappa[0] == 1 and math.isqrt(s2.numerator) ** 2 == s2.numerator
    assert abs(float(kappa[1]) - math.tan(0.7)) < 1e-6
    centre = problem.flatten(parse_problem({**case_a(F(1), F(0)), "point": v.certificate["center"]}).point)
    assert math.dist([float(t) for t in centre], [float(t) for t in problem.flatten(problem.point)]) < 1e-6


def test_nearly_proportional_units_are_merged_and_split_back_onto_the_orbit():
    """A trained point stops near the orbit, not on it: case A's units at (3/5, 4/5) with the second unit's
    weight 10⁻⁵ off proportional (cosine ≈ 1 − 10⁻¹¹, beyond rounding, within PARALLEL). The merged network is
    refined to case A's reduced minimum and split back exactly proportional, about 10⁻⁵ from the point."""
    prob = case_a(F(3, 5), F(4, 5))
    prob["point"]["weights"][0][1] = [str(F(48, 125) * (1 + F(1, 10 ** 5)))]
    problem = parse_problem(prob)
    v = search(problem, problem.flatten(problem.point))
    assert v is not None and v.status == "CERTIFIED" and v.claim == "nonisolated_local_minimum", v
    kappa = [F(k) for k in v.certificate["evidence"]["groups"][0]["kappa"]]
    assert kappa[0] == 1 and abs(kappa[1] - F(4, 3)) < F(1, 10 ** 4)
    t1 = F(v.certificate["center"]["weights"][0][0][0]) / F(12, 25)   # the first unit is t_1·p*, p* = (12/25, …)
    assert abs(t1 - F(3, 5)) < F(1, 10 ** 4)
    centre = problem.flatten(parse_problem({**prob, "point": v.certificate["center"]}).point)
    assert math.dist([float(t) for t in centre], [float(t) for t in problem.flatten(problem.point)]) < 1e-4


# --- the checker ----------------------------------------------------------------------------------------

def test_kappa_must_have_a_rational_norm():
    """Two equal units: κ = (1, 1), Σκ² = 2 is no rational square (the merged unit √2·p is irrational)."""
    cert = committed("case_c_orbit")
    cert["center"]["weights"] = [[["2/5"], ["2/5"]], [["2/5", "2/5"]]]
    cert["evidence"]["groups"][0]["kappa"] = ["1", "1"]
    assert rejected(cert) == ("orbit: evidence.groups[0].kappa: Σκ² = 2 must be the square of a rational (choose κ on "
                              "a rational sphere, e.g. (1, 4/3))")


@pytest.mark.parametrize("groups,message", [
    ([{"units": [0, 0], "kappa": ["1", "1"]}], "format: evidence.groups[0].units: must be new hidden units 0..1"),
    ([{"units": [1, 0], "kappa": ["1", "3/4"]}], "format: evidence.groups[0].units: must be new hidden units 0..1"),
    ([{"units": [1], "kappa": ["1"]}, {"units": [0], "kappa": ["1"]}],
     "format: evidence.groups[1].units: must be new hidden units 0..1"),
    ([{"units": [0, 1], "kappa": ["1"]}], "format: evidence.groups[0].kappa: must have 2 entries (got 1)"),
    ([{"units": [0, 1], "kappa": ["1", "-4/3"]}], "orbit: evidence.groups[0].kappa: must be positive"),
    ([{"units": [0, 1], "kappa": ["4/3", "16/9"]}], "orbit: evidence.groups[0].kappa: must be positive with κ = 1"),
    ([{"units": [0, 1], "kappa": ["1", "8/6"]}], "format: evidence.groups[0].kappa[1]: "),
    ([{"units": [0], "kappa": ["1"]}, {"units": [1], "kappa": ["1"]}],
     "orbit: some group must have at least two units"),
    ([{"units": [0, 1], "kappa": ["1", "4/3"], "note": "x"}], "format: evidence.groups[0].note: unknown key"),
])
def test_groups_are_read_strictly(groups, message):
    cert = committed("case_c_orbit")
    cert["evidence"]["groups"] = groups
    assert rejected(cert).startswith(message)


def test_claims_and_settings_the_rule_does_not_cover_are_refused():
    cert = committed("case_a_orbit")
    for claim in ("isolated_local_minimum", "global_minimum"):
        assert rejected({**cert, "claim": claim}) == (f"evidence: method \"split_orbit\" is not supported for {claim} "
                                                      f"(supported: {', '.join(checker.CLAIMS[claim].methods)})")
    undecayed = copy.deepcopy(cert)
    undecayed["problem"]["network"]["decay_biases"] = False
    assert rejected(undecayed).startswith("evidence: split_orbit needs every parameter decayed")
    no_mu = {k: v for k, v in cert.items() if k != "mu"}
    assert rejected(no_mu).startswith("mu: missing: nonisolated_local_minimum needs")
    assert rejected({**cert, "radius": "0"}) == "radius: must be positive for split_orbit (got 0)"


def test_the_reduced_centre_is_the_scaled_representative():
    """Scaling both units by 99/100 keeps κ but moves the reduced centre off the reduced minimum: the reduced
    network's gradient bound fails (the checker builds c_red = s·p_first itself)."""
    cert = committed("case_c_orbit")
    cert["center"]["weights"] = [[["297/1000"], ["99/250"]], [["297/1000", "99/250"]]]
    assert rejected(cert).startswith("gradient bound: evidence.local (the reduced network): ‖∇L_P(c)‖²")


# --- the proof document ---------------------------------------------------------------------------------

def test_latex_states_the_groups_and_refuses_a_tampered_certificate():
    cert = committed("case_a_orbit")
    body = latex(cert)
    assert r"\paragraph{Lemma C.}" in body and "split orbit of $\\theta^*$, of dimension 1" in body
    assert r"0 & 0, 1 & $1$, $4/3$ & $5/3$ \\" in body
    assert "No quadratic growth away from the orbit is claimed" in body
    bad = copy.deepcopy(cert)
    bad["evidence"]["stable_radius"] = "12/25"
    with pytest.raises(checker.CertificateInvalid):
        latex(bad)
    kink = latex(committed("kink_orbit"))
    assert r"\paragraph{Units on kinks.}" in kink and "(sample, group) $(0, 0)$" in kink
    assert r"\paragraph{Live units.}" not in kink
