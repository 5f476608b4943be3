"""A negative multiplier at a first-layer kink: the exact descent line, the release, the noise gate, the order.

The hand-worked problem (1-1-1 with biases, decayed, mean reduction, λ = 1/10): samples
``x = (−3/4, 1, 2)``, targets ``y = (1, −69/40, 173/40)``, centre ``(w, b, v, c) = (4/5, 3/5, 1, 0)``.
Sample 0 sits on its kink: ``z_0 = −3/4·w + b = 0``, with ``a = (−3/4, 1, 0, 0)``. On the kink face the
centre is exactly critical (``‖w, b‖² = v²``, the targets solve the rest), and the multipliers are
``ν = 3/25`` on the active side and ``ν = −59/75`` on the inactive side (signed normal ``n = −a``). The
line ``c + t·n`` leaves the kink into the inactive region, where

    L(t) = (1/3)[1 + (25/8 − t/4)² + (−17/8 + t/2)²] + (1/10)[(4/5 + 3t/4)² + (3/5 − t)² + 1],

so ``L'(0) = (2/3)(−25/32 − 17/16) = −59/48 = ν·‖n‖²`` (``‖n‖² = 25/16``).
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest

from proofs import boundary
from proofs.boundary import Descent
from proofs.generator import certify
from symbolic.problem import parse_problem

X = [F(-3, 4), F(1), F(2)]
LAM = F(1, 10)


def problem(y0, y1, y2, point=None):
    doc = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": True},
           "loss": {"weight_decay": str(LAM)},
           "data": {"inputs": [[str(x)] for x in X], "targets": [[str(y0)], [str(y1)], [str(y2)]]},
           "point": point or {"weights": [[["4/5"]], [["1"]]], "biases": [["3/5"], ["0"]]}}
    return parse_problem(doc)


def hand_loss(theta, ys):
    """``L`` of the 1-1-1 network written out (independent of the library)."""
    w, b, v, c = theta
    data = sum((v * max(w * x + b, F(0)) + c - y) ** 2 for x, y in zip(X, ys)) / len(X)
    return data + LAM * (w * w + b * b + v * v + c * c)


REFUTED_YS = (F(1), F(-69, 40), F(173, 40))


def test_hand_worked_kink_descent():
    p = problem(*REFUTED_YS)
    centre = [F(4, 5), F(3, 5), F(1), F(0)]
    # the centre is on the kink and exactly critical on the face: the gradient of the inactive piece is ν·n
    n = [F(3, 4), F(-1), F(0), F(0)]
    v = certify(p)
    assert (v.status, v.claim) == ("REFUTED", "not_a_local_minimum")
    assert v.facts["kink"] == [0, 0] and v.facts["region"] == "0"
    assert v.facts["multiplier"] == pytest.approx(float(F(-59, 75)), rel=1e-12)
    cert = v.certificate
    assert p.flatten(p.unflatten(centre)) == centre                 # canonical order: w, b, v, c
    assert [F(x) for x in cert["center"]["weights"][0][0]] == [centre[0]]
    assert [F(cert["center"]["biases"][0][0]), F(cert["center"]["weights"][1][0][0])] == centre[1:3]
    # a single kink: nothing to project out, the direction is the signed normal itself
    assert [F(x) for x in v.facts["direction"]] == n
    # L along the line, by hand: strictly below L(c) on (0, t0], with slope −59/48 at 0
    c0 = hand_loss(centre, REFUTED_YS)
    t0 = F(cert["evidence"]["t0"])
    for t in [t0, t0 / 2, t0 / 16, t0 / 1024]:
        theta = [a + t * e for a, e in zip(centre, n)]
        assert hand_loss(theta, REFUTED_YS) < c0
    t = F(1, 10 ** 9)
    slope = (hand_loss([a + t * e for a, e in zip(centre, n)], REFUTED_YS) - c0) / t
    assert abs(slope - F(-59, 48)) < F(1, 10 ** 8)
    assert F(-59, 75) * sum(x * x for x in n) == F(-59, 48)    # L'(0) = ν‖n‖²


def test_release_finds_the_minimum_beside_the_kink():
    """Targets ``y = (0, 41/40, 103/40)``: the same centre is critical on the face with ``ν = −3/25`` on the
    inactive side, but the inactive piece's critical point lies inside that region, so releasing the kink
    finds a minimum there: no refutation (a certified minimum beside the kink)."""
    ys = (F(0), F(41, 40), F(103, 40))
    v = certify(problem(*ys))
    assert (v.status, v.claim) == ("CERTIFIED", "isolated_local_minimum")
    c = v.certificate["center"]
    w, b = F(c["weights"][0][0][0]), F(c["biases"][0][0])
    assert X[0] * w + b < 0                                    # strictly inside the inactive region
    # the certified minimum has a lower loss than the centre on the kink (the descent went somewhere)
    centre = [F(4, 5), F(3, 5), F(1), F(0)]
    theta = [w, b, F(c["weights"][1][0][0]), F(c["biases"][1][0])]
    assert hand_loss(theta, ys) < hand_loss(centre, ys)


def test_a_dust_level_multiplier_does_not_refute(monkeypatch):
    """With the release made to fail, a multiplier at noise level gives UNKNOWN, never REFUTED."""
    real = boundary.descent_line

    def dusty(*args):
        found = real(*args)
        if isinstance(found, Descent):    # the same line, but a slope far below its noise level
            found = found._replace(slope=-1e-12, noise=1e-12)
        return found

    monkeypatch.setattr(boundary, "descent_line", dusty)
    monkeypatch.setattr("proofs.generator.refine_critical_point",
                        lambda *a, **k: type("R", (), {"left_region": True, "theta": a[1]})())
    # beside the kink (z_0 = 10⁻¹⁰, snapped onto it), so that no other step looks for a descent at the point
    near = {"weights": [[["4/5"]], [["1"]]], "biases": [[str(F(3, 5) + F(1, 10 ** 10))], ["0"]]}
    v = certify(problem(*REFUTED_YS, point=near))
    assert v.status == "UNKNOWN" and "not clearly above the noise" in v.reason


def test_noise_gate():
    found = Descent([F(0)], [(0, 0)], "0", (), 0, F(-1), [F(1)], slope=-1e-3, noise=1e-6, loose=[0], spread=[F(1)])
    assert found.refutes()
    assert not found._replace(noise=1e-5).refutes()            # exactly NOISE_FACTOR times: not clearly above
    assert not found._replace(slope=-1e-7).refutes()


def split_problem(ys):
    """The refuted unit split into two units ``(3/5)·u`` and ``(4/5)·u``: same loss, a shared pattern."""
    point = {"weights": [[["12/25"], ["16/25"]], [["3/5", "4/5"]]], "biases": [["9/25", "12/25"], ["0"]]}
    doc = {"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": True},
           "loss": {"weight_decay": str(LAM)},
           "data": {"inputs": [[str(x)] for x in X], "targets": [[str(y)] for y in ys]}, "point": point}
    return parse_problem(doc)


def test_descent_is_preferred_to_not_isolated():
    from proofs.symmetry import symmetry_verdict

    p = split_problem(REFUTED_YS)
    sym = symmetry_verdict(p, p.flatten(p.point))
    assert sym is not None and sym.claim == "not_isolated"      # what pscert used to answer
    v = certify(p)
    assert (v.status, v.claim) == ("REFUTED", "not_a_local_minimum")
    assert v.facts["kink"][0] == 0 and v.facts["region"] in ("00", "01", "10")


def test_split_of_a_point_beside_its_minimum():
    """The split of the centre whose minimum lies beside the kink: both units' kinks have negative multipliers
    in the inactive region; releasing both together finds the (split) minimum there, so no refutation."""
    v = certify(split_problem((F(0), F(41, 40), F(103, 40))))
    assert not (v.status == "REFUTED" and v.claim == "not_a_local_minimum")


def test_not_isolated_stays_without_a_descent():
    """The split of a kink minimum (``y = (−1, 151/40, 33/40)``: ``ν = 3/25`` and ``41/75``, both positive):
    no negative multiplier, so the symmetry's answer stands (the split orbit certifies the minimum)."""
    v = certify(split_problem((F(-1), F(151, 40), F(33, 40))))
    assert (v.status, v.claim) == ("CERTIFIED", "nonisolated_local_minimum")


def test_kink_bits_add_to_the_gradient():
    """What the unit-by-unit scan (``boundary._unit_descents``) rests on: at a point on first-layer kinks, turning
    kink ``m`` on adds the same vector to every adjacent piece's gradient, also through a second hidden layer."""
    from itertools import product

    from symbolic.derivatives import piece_derivatives
    from symbolic.linalg import to_fraction
    from symbolic.network import forward

    doc = {"format": "pscert.problem/1", "network": {"widths": [1, 2, 2, 1], "biases": True},
           "loss": {"weight_decay": "1/10"},
           "data": {"inputs": [["1"], ["-1"], ["2"]], "targets": [["1"], ["-1/2"], ["3/2"]]},
           "point": {"weights": [[["1"], ["1"]], [["1/2", "3/4"], ["-1/3", "1"]], [["1", "-2/3"]]],
                     "biases": [["-1", "1"], ["1/5", "1/7"], ["0"]]}}
    p = parse_problem(doc)
    theta = p.flatten(p.point)
    fw = forward(p, p.point)
    kinks = [(0, 0), (1, 1)]                                   # z = 0: unit 0 at x = 1, unit 1 at x = −1
    assert all(fw.preactivations[j][0][i] == 0 for j, i in kinks)
    assert all(z != 0 for j, zs in enumerate(fw.preactivations) for z in zs[1])

    def grad(bits):
        pat = boundary._piece_pattern(p, fw.pattern, kinks, bits)
        return [to_fraction(v) for v in piece_derivatives(p, theta, pat, hessian=False).gradient]

    g0 = grad("00")
    jumps = [[a - b for a, b in zip(grad(s), g0)] for s in ("10", "01")]
    for bits in ("".join(b) for b in product("01", repeat=2)):
        want = list(g0)
        for bit, jump in zip(bits, jumps):
            if bit == "1":
                want = [a + b for a, b in zip(want, jump)]
        assert grad(bits) == want
    assert any(any(j) for j in jumps)


def test_trained_point_gets_the_descent_with_its_distance():
    """A point a little off the hand-worked centre (as training leaves it): the answer is the descent at the
    centre on the kink, with a proved bound on the distance from the user's point to it."""
    from proofs.question import ask

    near = {"weights": [[["0.8000003"]], [["0.9999998"]]], "biases": [["0.6000001"], ["0.0000002"]]}
    p = problem(*REFUTED_YS, point=near)
    v = ask(p).local
    assert (v.status, v.claim) == ("REFUTED", "not_a_local_minimum")
    assert "of your point" in v.reason and "negative multiplier" in v.reason
    cert = v.certificate
    centre = [F(cert["center"]["weights"][0][0][0]), F(cert["center"]["biases"][0][0]),
              F(cert["center"]["weights"][1][0][0]), F(cert["center"]["biases"][1][0])]
    user = [F("0.8000003"), F("0.6000001"), F("0.9999998"), F("0.0000002")]
    D = F(cert["origin_distance"])
    assert D * D >= sum((a - b) ** 2 for a, b in zip(user, centre)) and D < F(1, 10 ** 5)
    assert X[0] * centre[0] + centre[1] == 0                     # the refuted centre is on the kink
