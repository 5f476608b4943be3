"""``nonisolated_local_minimum`` with evidence ``dead_unit_end``: dead units of the last hidden layer of a deep
network beside a live unit (proofs/checker/deadend.py).

The fixture is bench/corpus problem 14's trained minimum 2 (1-4-3-1, no biases, λ = 1/100): units 0 and 1 of
hidden layer 2 are dead, unit 2 is live. Independent checks: the split circle through the certified centre
has exactly the centre's loss (σ positively homogeneous, cos² + sin² = 1, worked out with Fractions), and
sampled perturbations in floats never go below the centre's loss. Tampered certificates here and in
``tests/certs/bad/dead_unit_end_*`` (margin, repeated cone, partner named twice, witnesses, Gordan entries,
no sample with features) exercise the rule's checks; the partner's sign checks (``b_g² > R²`` and the
strict sign of ``w_g·h̃_j`` with its move bound) are reached only by the radius test below, which accepts
any rejection.
"""

from __future__ import annotations

import copy
import random
from fractions import Fraction as F
from pathlib import Path

import numpy as np
import pytest

from proofs import checker
from proofs.answers import answers
from proofs.checker.network import forward, loss_value
from proofs.checker.reading import read_point
from proofs.methods import dead_unit_end
from symbolic.problem import load_problem

DATA = Path(__file__).parent / "data" / "dead_last_layer.json"


@pytest.fixture(scope="module")
def verdict():
    problem = load_problem(DATA)
    return dead_unit_end.search(problem, problem.flatten(problem.point))


def _centre(cert):
    cp = checker.read_problem(cert["problem"])
    return cp, read_point(cert["center"], cp, "center")


def test_dead_units_of_the_last_layer_end_a_split_circle(verdict):
    assert verdict is not None and verdict.status == "CERTIFIED"
    assert verdict.claim == "nonisolated_local_minimum"
    assert answers(verdict.status, verdict.claim) == (True, False, None)
    ev = verdict.certificate["evidence"]
    assert ev["method"] == "dead_unit_end" and ev["dead"] == [0, 1]
    assert [e["unit"] for e in ev["cones"] if "unit" in e] == [2]
    assert checker.check_certificate(verdict.certificate).startswith("VALID")


def test_the_split_circle_has_the_centre_loss_exactly(verdict):
    cp, c = _centre(verdict.certificate)
    H = cp.depth
    base = loss_value(cp, c, forward(cp, c, None))
    cos, sin = F(3, 5), F(4, 5)
    moved = list(c)
    for d in range(cp.widths[H - 1]):
        moved[cp.index(H, 0, d)] = sin * c[cp.index(H, 2, d)]
        moved[cp.index(H, 2, d)] = cos * c[cp.index(H, 2, d)]
    moved[cp.index(H + 1, 0, 0)] = sin * c[cp.index(H + 1, 0, 2)]
    moved[cp.index(H + 1, 0, 2)] = cos * c[cp.index(H + 1, 0, 2)]
    assert moved != c
    assert loss_value(cp, moved, forward(cp, moved, None)) == base


def test_sampled_neighbours_are_not_lower(verdict):
    cp, c = _centre(verdict.certificate)
    base = float(loss_value(cp, c, forward(cp, c, None)))
    x = np.array([[float(v) for v in row] for row in cp.inputs])[:, 0]
    y = np.array([float(r[0]) for r in cp.targets])
    W1 = np.array([float(c[cp.index(1, i, 0)]) for i in range(4)])
    rng = random.Random(7)

    def loss(theta):
        w1, W2, a = theta[:4], theta[4:16].reshape(3, 4), theta[16:19]
        h = np.maximum(np.outer(x, w1), 0)
        f = np.maximum(h @ W2.T, 0) @ a
        return float(np.mean((f - y) ** 2) + 0.01 * np.sum(theta ** 2))

    theta0 = np.array([float(v) for v in c])
    assert np.allclose(theta0[:4], W1) and abs(loss(theta0) - base) < 1e-12
    for _ in range(2000):
        d = np.array([rng.gauss(0, 1) for _ in range(19)])
        d *= rng.choice([1e-2, 1e-3, 1e-4]) / np.linalg.norm(d)
        assert loss(theta0 + d) >= base - 1e-12


def _reject(cert, step, text):
    with pytest.raises(checker.CertificateInvalid) as err:
        checker.check_certificate(cert)
    assert err.value.step == step and text in err.value.message, err.value


def _partner(ev):
    return next(e for e in ev["cones"] if "unit" in e)


def _witnessed(ev):
    return next(e for e in ev["cones"] if "plus" in e)


TAMPER = {
    "dead unit not dead": (lambda ev: ev.__setitem__("dead", [0, 2]), "center", "dead unit 2"),
    "dead list unordered": (lambda ev: ev.__setitem__("dead", [1, 0]), "format", "evidence.dead"),
    "residual bound small": (lambda ev: ev.__setitem__("residual_bound", "0"), "residual bound", "Δ²"),
    "feature bound small": (lambda ev: ev.__setitem__("feature_bound", "0"), "residual bound", "feature_bound"),
    "sample norm small": (lambda ev: ev["sample_norms"].__setitem__(0, "0"), "residual bound", "sample_norms[0]"),
    "partner is dead": (lambda ev: _partner(ev).__setitem__("unit", 1), "format", ".unit"),
    "other witness off": (lambda ev: _partner(ev).__setitem__("other", ["0"] * len(_partner(ev)["other"])),
                          "cones", ".other"),
    "face witness off": (lambda ev: _partner(ev)["faces"].__setitem__(0, ["0"] * len(_partner(ev)["faces"][0])),
                         "cones", ".faces[0]"),
    "face weight negative elsewhere": (lambda ev: _partner(ev)["faces"][0].__setitem__(1, "-1"), "cones",
                                       "must be ≥ 0"),
    "plus witness off": (lambda ev: _witnessed(ev).__setitem__("plus", ["1000"] * len(_witnessed(ev)["plus"])),
                         "cones", ".plus"),
    "cone dropped": (lambda ev: ev["cones"].remove(_witnessed(ev)), "regions", ""),
    "no partner": (lambda ev: ev["cones"].__setitem__(ev["cones"].index(_partner(ev)),
                                                      {"signs": _partner(ev)["signs"], "plus": _partner(ev)["other"],
                                                       "minus": _partner(ev)["other"]}), "cones", ""),
    "local not a minimum method": (lambda ev: ev["local"].__setitem__("method", "curve"), "evidence",
                                   "does not prove a local minimum"),
}


@pytest.mark.parametrize("name", sorted(TAMPER))
def test_tampered_certificates_are_rejected(verdict, name):
    change, step, text = TAMPER[name]
    cert = copy.deepcopy(verdict.certificate)
    change(cert["evidence"])
    _reject(cert, step, text)


def test_partner_outgoing_weight_must_keep_its_sign(verdict):
    cert = copy.deepcopy(verdict.certificate)
    cert["radius"] = "1"   # the reduced evidence fails first or the enclosure ball is far too large
    with pytest.raises(checker.CertificateInvalid):
        checker.check_certificate(cert)


def test_latex_proof_names_the_dead_units_and_the_reduced_method(verdict):
    import json

    from proofs.latex import render

    tex = render(verdict.certificate, json.dumps(verdict.certificate).encode(), "cert.json")
    assert "dead unit(s) 0, 1 of hidden layer 2" in tex and r"rotation\_orbit" in tex


DORMANT = Path(__file__).parent / "data" / "dead_last_layer_dormant.json"


def test_dormant_samples_leave_the_arrangement():
    """bench/corpus problem 38 (1-2-2-1, no biases): both first-layer weights are positive, so the samples with
    x < 0 (indices 3, 5, 6) have features 0 for every nearby θ (dormant) and x = 0 (index 1) is null; the
    other three samples make the arrangement. A reach that the centre's margins cannot beat keeps the
    dormant samples in J, and the rule then rejects their zero features."""
    from proofs.checker.deadend import features

    problem = load_problem(DORMANT)
    v = dead_unit_end.search(problem, problem.flatten(problem.point))
    assert v is not None and v.status == "CERTIFIED" and v.certificate["evidence"]["dead"] == [0]
    assert checker.check_certificate(v.certificate).startswith("VALID")
    cp, c = _centre(v.certificate)
    assert features(cp, c, F(0))[0] == [0, 2, 4]
    assert features(cp, c, F(10) ** 6)[0] == [0, 2, 3, 4, 5, 6]
    cert = copy.deepcopy(v.certificate)
    cert["radius"] = "1000"   # the reach grows with the radius: the local evidence or the dormant test fails
    with pytest.raises(checker.CertificateInvalid):
        checker.check_certificate(cert)


# ---------------------------------------------------------------------------------------------------
# why minimality stays open where no method decides it


def chain(widths, weights):
    """The scalar chain ``f = c·σ(b·σ(w·x))`` with ``x = 1``, ``y = 5/4``, ``λ = 1/4`` at ``w = b = c = 1``: critical, as
    ``∂L/∂c = 2(f − y)·bw + 2λc = 2(1 − 5/4) + 1/2 = 0`` (and likewise for ``b``, ``w``), with dead units beside."""
    from symbolic.problem import parse_problem
    return parse_problem({"format": "pscert.problem/1", "network": {"widths": widths, "biases": False},
                          "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1]], "targets": [["5/4"]]},
                          "point": {"weights": weights}})


def test_a_dead_unit_of_a_lower_layer_says_why_minimality_stays_open():
    from proofs.generator import certify
    # unit 1 of hidden layer 1 dead; hidden layer 2 has one unit, so the outgoing weights are scalars
    v = certify(chain([1, 2, 1, 1], [[["1"], ["0"]], [["1", "0"]], [["1"]]]))
    assert (v.status, v.claim, v.facts["kind"]) == ("REFUTED", "not_isolated", "dead_end")
    assert v.reason.endswith("whether it is a local minimum stays open (Lemma D's search finds no descent for the dead "
                             "unit of hidden layer 1, and a dead unit's end point is proved a minimum in the last hidden "
                             "layer only)")
    # hidden layer 2 of width 2 (its second unit dead too): the first layer's outgoing weights are vectors
    v = certify(chain([1, 2, 2, 1], [[["1"], ["0"]], [["1", "0"], ["0", "0"]], [["1", "0"]]]))
    assert v.claim == "not_isolated"
    # dead_unit_end applies (a dead unit in the last hidden layer) and says which step failed: the network
    # without it is the first chain, with its own reason
    assert "stays open (the network without the dead unit(s) of hidden layer 2 is not certified a local minimum (" in v.reason
    assert v.reason.endswith("proved a minimum in the last hidden layer only)))")


def test_with_vector_outgoing_weights_the_reason_is_the_missing_rank_two_merge():
    from proofs.assemble import Verdict
    from proofs.generator import _open_because
    p = chain([1, 2, 2, 1], [[["1"], ["0"]], [["1", "0"], ["0", "0"]], [["1", "0"]]])
    dead_end = Verdict("REFUTED", "", "not_isolated", None, {"kind": "dead_end", "units": [0, 0, 1]})
    assert _open_because(p, p.flatten(p.point), dead_end).endswith(
        "below it the merge with the live unit would be a rank-two sum, docs/MATHEMATICS.md §3")
    last = Verdict("REFUTED", "", "not_isolated", None, {"kind": "dead_end", "units": [1, 0, 1]})
    assert _open_because(p, p.flatten(p.point), last) is None       # the last hidden layer: dead_unit_end's to say


def test_one_hidden_layer_leaves_the_reason_to_the_global_verdict():
    from proofs.generator import certify
    # f = a₁σ(w₁x) + a₂σ(w₂x) at (1, 0 | 1, 0): critical, 2(1 − 5/4) + 2·(1/4) = 0; unit 2 ends the split circle
    v = certify(chain([1, 2, 1], [[["1"], ["0"]], [["1", "0"]]]))
    assert (v.claim, v.facts["kind"]) == ("not_isolated", "dead_end")
    assert "stays open" not in v.reason


def test_a_rotation_at_a_deeper_kink_says_why_minimality_stays_open():
    from proofs.assemble import Verdict
    from proofs.generator import _open_because
    shared = Verdict("REFUTED", "", "not_isolated", None, {"kind": "shared_pattern", "units": [0, 0, 1]})
    # both first-layer units active on x = 1; the second layer's pre-activation 1·1 − 1·1 = 0 is a deeper kink
    on = chain([1, 2, 1, 1], [[["1"], ["1"]], [["1", "-1"]], [["1"]]])
    assert "a pre-activation of a deeper layer is within rounding of 0 at the centre" in _open_because(
        on, on.flatten(on.point), shared)
    off = chain([1, 2, 1, 1], [[["1"], ["1"]], [["1", "1"]], [["1"]]])       # 1 + 1 = 2: inside a region
    assert _open_because(off, off.flatten(off.point), shared) is None


def test_a_failed_dual_check_is_the_reason_minimality_stays_open(monkeypatch):
    """The fixture's dual check passes; with the float screen made to fail, the search returns UNKNOWN with the
    failed step, prefixed by what it is about (the reason a not_isolated verdict then carries)."""
    problem = load_problem(DATA)
    monkeypatch.setattr(dead_unit_end, "_screen_fails", lambda *_args: True)
    v = dead_unit_end.search(problem, problem.flatten(problem.point))
    assert v.status == "UNKNOWN" and v.certificate is None
    assert v.reason == ("Lemma D's dual check for the dead unit(s) of hidden layer 2 did not pass: a float screen "
                        "finds the dual inequality failing at a sampled direction (the dead units may grow downhill)")
