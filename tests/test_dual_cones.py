"""``global_minimum`` / ``not_global_minimum``: Lemmas C and D over every width (docs/MATHEMATICS.md §3, §4).

Known answers, worked out by hand (SPEC conventions: mean reduction, everything decayed):

- case A (1-2-1, biases, x = 3/4, y = 9/5, λ = 1/4): the reduced minimum ``(w, b, a, c) = (12/25, 16/25,
  4/5, 4/5)`` has ``r = −1/5`` and ``|2r|·‖(3/4, 1)‖ = 1/2 = 2λ`` on the live cone; the other cone has
  ``c_S = 0``. The dead-unit endpoint and the orbit point ``(3/5, 4/5)`` are global minima.
- case C (1-1-1, no biases, x = ±1, y = 1, λ = 3/8): at ``w = a = 1/2``, ``r = (−3/4, −1)``; the left
  cone has ``|c_S| = 2·½·1 = 1 > 2λ = 3/4``. Adding the left unit ``(−1/2, 1/2)`` gives outputs ``1/4`` at
  both samples and ``L = ½(9/16 + 9/16) + (3/8)·1 = 15/16 < 31/32 = L(c)``.
- ``split_lam14_dead`` (x = y = 1, λ = 1/4, no biases) and ``examples/chain.json``: the minimum
  ``w = a = √3/2`` is irrational; ``r = −1/4``, so ``|G(right)| = 1/2 = 2λ`` and ``G(left) = 0``: global.

The checker rule is registered for these tests only (the claim table is being reorganised).
"""

from __future__ import annotations

import copy
import json
import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from scipy.optimize import minimize

from proofs import checker
from proofs.methods.dual_cones import global_verdict, render
from symbolic.problem import load_problem, parse_params

DATA = Path(__file__).parent / "data"
ROOT = Path(__file__).parent.parent


def verdict(path: Path):
    problem = load_problem(str(path))
    return problem, global_verdict(problem)


@pytest.fixture(scope="module")
def case_a():
    return verdict(DATA / "global_case_a.json")


@pytest.fixture(scope="module")
def case_c():
    return verdict(DATA / "global_case_c.json")


@pytest.fixture(scope="module")
def plane():
    return verdict(DATA / "global_plane.json")


def rejected(cert: dict) -> str:
    with pytest.raises(checker.CertificateInvalid) as err:
        checker.check_certificate(cert)
    line = str(err.value)
    assert "\n" not in line
    return line


def centre(problem, cert) -> list[Fraction]:
    return problem.flatten(parse_params(cert["center"], problem))


# --- known answers -----------------------------------------------------------------------------------

def test_case_a_endpoint_is_global(case_a):
    problem, v = case_a
    assert v.status == "CERTIFIED" and v.claim == "global_minimum", v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID: CERTIFIED global_minimum")
    c = centre(problem, v.certificate)
    rho = Fraction(v.certificate["radius"])
    exact = [Fraction(12, 25), 0, Fraction(16, 25), 0, Fraction(4, 5), 0, Fraction(4, 5)]  # W1, b1, W2, b2
    assert math.dist([float(x) for x in c], [float(x) for x in exact]) < 1e-12
    assert [c[1], c[3], c[5]] == [0, 0, 0]  # the dead unit stays exactly dead
    ev = v.certificate["evidence"]
    assert ev["kept"] == [0]
    assert ev["cones"] == [{"signs": "1", "unit": 0}, {"signs": "0", "plus": ["0"], "minus": ["0"]}]
    assert rho < Fraction(1, 10 ** 12)


def test_case_a_orbit_point_is_split_back_and_global():
    problem, v = verdict(DATA / "global_case_a_orbit.json")
    assert v.status == "CERTIFIED", v.reason
    c = centre(problem, v.certificate)
    # the units (3/5)p* and (4/5)p* of p* = (12/25, 16/25, 4/5) are certified where they are: the merged unit
    # p* is checked, and the split along the exact weights (3/5, 4/5) has the same outputs and loss
    assert v.certificate["evidence"]["groups"] == [{"units": [0, 1], "weights": ["3/5", "4/5"]}]
    for k, (w, b, a) in enumerate([(0, 2, 4), (1, 3, 5)]):
        scale = (Fraction(3, 5), Fraction(4, 5))[k]
        assert abs(float(c[w] / scale) - 12 / 25) < 1e-12 and abs(float(c[a] / scale) - 4 / 5) < 1e-12


def test_case_c_reduced_minimum_is_not_global_and_the_left_unit_helps(case_c):
    problem, v = case_c
    assert v.status == "REFUTED" and v.claim == "not_global_minimum", v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID: REFUTED not_global_minimum")
    ev = v.certificate["evidence"]
    assert v.facts["cone"] == "01"  # active on x = −1 only: the left-facing cone
    assert ev["width"] == 2
    (w1, w2), (a1, a2) = [Fraction(r[0]) for r in ev["point"]["weights"][0]], \
        [Fraction(a) for a in ev["point"]["weights"][1][0]]
    assert (w1, a1) == (Fraction(1, 2), Fraction(1, 2))  # the centre's unit is kept as it is
    assert w2 < 0 < a2  # the new unit faces left and adds output there
    # independent exact loss of the wider network (hand formula, not the checker's forward pass)
    out = [a1 * max(w1 * x, 0) + a2 * max(w2 * x, 0) for x in (1, -1)]
    wide = Fraction(1, 2) * sum((f - 1) ** 2 for f in out) + Fraction(3, 8) * (w1 ** 2 + w2 ** 2 + a1 ** 2 + a2 ** 2)
    assert wide < Fraction(31, 32)
    if (w2, a2) == (Fraction(-1, 2), Fraction(1, 2)):
        assert wide == Fraction(15, 16)


@pytest.mark.parametrize("path", [DATA / "global_split_dead.json", ROOT / "examples" / "chain.json"])
def test_irrational_minimum_sqrt3_over_2_is_global(path):
    problem, v = verdict(path)
    assert v.status == "CERTIFIED" and v.claim == "global_minimum", v.reason
    c = centre(problem, v.certificate)
    assert abs(float(c[0]) - math.sqrt(3) / 2) < 1e-12 and c[0] * c[0] != Fraction(3, 4)
    cones = {k["signs"]: k for k in v.certificate["evidence"]["cones"]}
    assert cones["1"] == {"signs": "1", "unit": 0}  # the live right-facing cone, |G| = 2λ there
    assert set(cones["0"]) == {"signs", "plus", "minus"}  # G(left) = 0: witnessed with room to spare


@pytest.fixture(scope="module")
def xor():
    return verdict(DATA / "xor_kinks.json")


def test_xor_minimum_on_four_kinks_is_global(xor):
    """The trained 2-2-1 XOR minimum sits with both units on the kinks of (0,0) and (1,1) (kink_ball).
    On each unit's four adjacent cones its own sign saturates at θ* by the KKT multipliers; only the
    other sign carries a witness."""
    problem, v = xor
    assert v.status == "CERTIFIED" and v.claim == "global_minimum", v.reason
    ev = v.certificate["evidence"]
    assert ev["local"]["method"] == "kink_ball"
    kink = {k["signs"]: k["unit"] for k in ev["cones"] if "other" in k}
    # unit 0 is on (0,0) and (1,1) and active at (0,1) only: its cones are ?10? ; unit 1 the mirror ??10 → ?01?
    assert kink == {"1101": 0, "1100": 0, "0101": 0, "0100": 0, "1011": 1, "1010": 1, "0011": 1, "0010": 1}
    assert checker.check_certificate(v.certificate).startswith("VALID: CERTIFIED global_minimum")


def test_kink_cone_tampering(xor, case_a):
    cert = xor[1].certificate
    k = next(i for i, c in enumerate(cert["evidence"]["cones"]) if "other" in c)
    line = rejected(edit(cert, lambda c: c["evidence"]["cones"][k].__setitem__("other", ["0"] * 4)))
    assert line.startswith(f"cones: evidence.cones[{k}].other:")
    line = rejected(edit(cert, lambda c: c["evidence"]["cones"][k].__setitem__("unit", 1 - c["evidence"]["cones"][k]["unit"])))
    assert line.startswith(f"cones: evidence.cones[{k}]: sample")
    # a kink cone needs the kink_ball minimum (whose proof puts θ* on the kinks)
    line = rejected(edit(case_a[1].certificate, lambda c: c["evidence"]["cones"][0].__setitem__("other", ["0"])))
    assert line == "cones: a kink cone (unit with other) needs kink_ball local evidence"


def test_two_kink_units_share_a_cone():
    """Units 1 and 2 sit on the kinks of x = 7/8 and x = −1/8 with outgoing weights of opposite signs; the
    cone 01101 touches both, so each unit's KKT multipliers cover one sign (trained wide networks of 3, 8
    and 20 units reach 0.131390 or more against L = 0.131383)."""
    problem, v = verdict(DATA / "global_two_kinks.json")
    assert v.status == "CERTIFIED" and v.claim == "global_minimum", v.reason
    ev = v.certificate["evidence"]
    assert ev["local"]["method"] == "kink_ball"
    k = next(i for i, c in enumerate(ev["cones"]) if "units" in c)
    assert ev["cones"][k] == {"signs": "01101", "units": [1, 2]}
    assert checker.check_certificate(v.certificate).startswith("VALID: CERTIFIED global_minimum")
    line = rejected(edit(v.certificate, lambda c: c["evidence"]["cones"][k].__setitem__("units", [1, 1])))
    assert line == f"cones: evidence.cones[{k}]: units [1, 1] saturate the same sign of c_S; the other sign needs a witness"
    line = rejected(edit(v.certificate, lambda c: c["evidence"]["cones"][k].__setitem__("units", [0, 2])))
    assert line.startswith(f"cones: evidence.cones[{k}]: sample")  # unit 0 has no kink and is not on this cone
    line = rejected(edit(v.certificate, lambda c: c["evidence"]["cones"][k].__setitem__("units", [1])))
    assert line.startswith(f"format: evidence.cones[{k}]: a cone of two kink units")


def test_plane_inputs_use_gordan_exclusions(plane):
    problem, v = plane
    assert v.status in ("CERTIFIED", "REFUTED"), v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID:")
    assert problem.widths[0] == 2


def test_verdicts_agree_with_trained_wide_networks(case_a, case_c, plane, xor):
    """Independent float check: a trained 6-unit network never beats a certified global minimum, and
    does beat a refuted one."""
    rng = np.random.default_rng(5)
    for problem, v in (case_a, case_c, plane, xor):
        X = np.array([[float(t) for t in x] + ([1.0] if problem.biases else []) for x in problem.inputs])
        Y = np.array([float(y[0]) for y in problem.targets])
        lam, bias = float(problem.weight_decay), problem.biases
        c = np.array([float(t) for t in centre(problem, v.certificate)])
        L_c = loss(layout(c, X.shape[1], problem.widths[1], bias), X, Y, lam)[0]
        m = 6
        fixed = [(None, None)] * (m * X.shape[1] + m) + [(None, None) if bias else (0.0, 0.0)]  # no output bias
        best = min(minimize(loss, rng.standard_normal(len(fixed)) * np.r_[np.ones(len(fixed) - 1), bias],
                            args=(X, Y, lam), jac=True, method="L-BFGS-B", bounds=fixed).fun for _ in range(5))
        if v.status == "CERTIFIED":
            assert best >= L_c - 1e-7
        else:
            assert best < L_c - 1e-4


def layout(t: np.ndarray, d: int, m: int, bias: bool) -> np.ndarray:
    """Canonical order (W, b, a, c) → (V = [W | b], a, c) flat, with zeros where there are no biases."""
    n0 = d - bias
    W = t[: m * n0].reshape(m, n0)
    b = t[m * n0: m * n0 + m] if bias else np.zeros(m)
    rest = t[m * n0 + m * bias:]
    return np.concatenate([np.c_[W, b].ravel() if bias else W.ravel(), rest[:m], [rest[m] if bias else 0.0]])


def loss(t: np.ndarray, X: np.ndarray, Y: np.ndarray, lam: float) -> tuple[float, np.ndarray]:
    """Mean squared loss + λ‖θ‖² of V (m × d, bias folded into X), a, c, and its gradient."""
    d = X.shape[1]
    m = (len(t) - 1) // (d + 1)
    V, a, c = t[: m * d].reshape(m, d), t[m * d: m * d + m], t[-1]
    Z = X @ V.T
    H = np.maximum(Z, 0)
    r = H @ a + c - Y
    g = 2 * r / len(Y)
    grad = np.concatenate([((np.outer(g, a) * (Z > 0)).T @ X).ravel(), H.T @ g, [g.sum()]]) + 2 * lam * t
    return float(r @ r) / len(Y) + lam * float(t @ t), grad


def test_render_states_both_lemmas(case_a, case_c, xor):
    text = render(case_a[1].certificate)
    assert "Lemma C" in text and "Lemma D" in text and "live unit 0" in text
    assert r"\frac{15}{16}" in render(case_c[1].certificate)
    assert "8 cone(s) a unit on its kinks" in render(xor[1].certificate)
    bad = edit(case_a[1].certificate, lambda c: c["evidence"].__setitem__("residual_bound", "0"))
    with pytest.raises(checker.CertificateInvalid):
        render(bad)


# --- unsupported settings ------------------------------------------------------------------------------

def test_unsupported_settings_are_unknown_with_a_reason():
    problem = load_problem(str(DATA / "global_case_a.json"))
    from dataclasses import replace
    v = global_verdict(replace(problem, weight_decay=Fraction(0)))
    assert v.status == "UNKNOWN" and "λ > 0" in v.reason
    v = global_verdict(replace(problem, decay_biases=False))
    assert v.status == "UNKNOWN" and "decayed biases" in v.reason
    deep = load_problem(str(ROOT / "examples" / "deep.json"))
    v = global_verdict(deep)
    assert v.status == "UNKNOWN" and "one hidden ReLU layer" in v.reason


# --- tampered certificates ------------------------------------------------------------------------------

def edit(cert: dict, change) -> dict:
    bad = copy.deepcopy(cert)
    change(bad)
    return bad


def test_changed_witness_entry(case_a):
    cert = case_a[1].certificate
    line = rejected(edit(cert, lambda c: c["evidence"]["cones"][1].__setitem__("plus", ["3"])))
    assert line.startswith("cones: evidence.cones[1].plus") and "must be at most (2λ − margin)²" in line


def test_negative_witness_weight(case_a):
    line = rejected(edit(case_a[1].certificate, lambda c: c["evidence"]["cones"][1].__setitem__("minus", ["-1"])))
    assert "polar-cone weights must be ≥ 0" in line


def test_dropped_cone(case_a):
    line = rejected(edit(case_a[1].certificate, lambda c: c["evidence"]["cones"].pop(1)))
    assert line.startswith("regions: the region with kink signs 0 is neither listed")


def test_live_cone_claimed_for_the_wrong_signs(case_a):
    def swap(c):
        c["evidence"]["cones"] = [{"signs": "0", "unit": 0}, {"signs": "1", "plus": ["0"], "minus": ["0"]}]
    assert "unit 0 is not live on this cone" in rejected(edit(case_a[1].certificate, swap))


def test_saturated_cone_cannot_be_witnessed_with_a_margin(case_a):
    """On the live cone ‖c_S‖ = 2λ exactly at θ*: a witness can only reach 2λ, never 2λ − margin."""
    def witness(c):
        c["evidence"]["cones"][0] = {"signs": "1", "plus": ["0"], "minus": ["0"]}
    assert rejected(edit(case_a[1].certificate, witness)).startswith("cones: evidence.cones[0].")


def test_deflated_residual_bound_and_norms(case_a):
    cert = case_a[1].certificate
    assert rejected(edit(cert, lambda c: c["evidence"].__setitem__("residual_bound", "0"))).startswith(
        "residual bound: must be ≥ 0 with Δ² ≥ P·F1²·ρ²")
    assert "sample_norms[0] must bound" in rejected(edit(cert, lambda c: c["evidence"].__setitem__(
        "sample_norms", ["1"])))


def test_wrong_lambda(case_a):
    line = rejected(edit(case_a[1].certificate, lambda c: c["problem"]["loss"].__setitem__("weight_decay", "1/5")))
    assert "evidence.local (the reduced network)" in line


def test_kept_units_must_be_the_nonzero_ones(case_a):
    cert = case_a[1].certificate
    assert rejected(edit(cert, lambda c: c["evidence"].__setitem__("kept", [1]))).startswith(
        "center: unit 0 is not kept")
    for kept in ([], [0, 0], [2], ["0"], [True]):
        assert rejected(edit(cert, lambda c: c["evidence"].__setitem__("kept", kept))).startswith(
            "format: evidence.kept")


def test_local_evidence_is_rechecked(case_a):
    cert = case_a[1].certificate
    assert "evidence.local (the reduced network)" in rejected(
        edit(cert, lambda c: c["evidence"]["local"].__setitem__("delta", "0")))
    assert rejected(edit(cert, lambda c: c["evidence"]["local"].__setitem__("method", "curve"))).startswith(
        "evidence: evidence.local: method \"curve\" does not prove a local minimum")


@pytest.mark.parametrize("change, start", [
    (lambda c: c["evidence"].__setitem__("residual_bound", "2/4"), "format: evidence.residual_bound"),
    (lambda c: c["evidence"]["cones"][1].__setitem__("signs", "01"), "format: evidence.cones[1].signs"),
    (lambda c: c["evidence"]["cones"][1].__setitem__("plus", ["0", "0"]), "format: evidence.cones[1].plus"),
    (lambda c: c["evidence"]["cones"][0].__setitem__("plus", ["0"]), "format: evidence.cones[0]"),
    (lambda c: c["evidence"]["cones"][1].pop("minus"), "format: evidence.cones[1]"),
    (lambda c: c["evidence"].pop("empty"), "format: evidence.empty"),
    (lambda c: c["evidence"]["cones"][0].__setitem__("unit", 1), "format: evidence.cones[0].unit"),
    (lambda c: c.__setitem__("status", "REFUTED"), "claim: global_minimum must have status CERTIFIED"),
])
def test_malformed_fields(case_a, change, start):
    assert rejected(edit(case_a[1].certificate, change)).startswith(start)


def test_undecayed_biases_are_outside_lemma_c(case_a):
    line = rejected(edit(case_a[1].certificate, lambda c: c["problem"]["network"].__setitem__("decay_biases", False)))
    assert line.startswith("evidence: dual_cones needs every parameter decayed")


def test_gordan_tampering(plane):
    cert = plane[1].certificate
    if cert["claim"] != "global_minimum" or not cert["evidence"]["empty"]:
        pytest.fail("the plane fixture must be a global minimum with excluded sign strings")
    entry = cert["evidence"]["empty"][0]
    k = next(i for i, v in enumerate(entry["gordan"]) if v != "0")
    bumped = str(Fraction(entry["gordan"][k]) + 1)
    line = rejected(edit(cert, lambda c: c["evidence"]["empty"][0]["gordan"].__setitem__(k, bumped)))
    assert line.startswith("regions: evidence.empty[0]: Σ y_m s_m a_m must be 0")


def test_refutation_tampering(case_c):
    cert = case_c[1].certificate
    # the new unit's outgoing weight with the wrong sign subtracts output: the loss rises
    line = rejected(edit(cert, lambda c: c["evidence"]["point"]["weights"][1][0].__setitem__(1, "-1/2")))
    assert line.startswith("wider network: its loss")
    assert rejected(edit(cert, lambda c: c["evidence"].__setitem__("residual_bound", "0"))).startswith(
        "residual bound:")
    assert rejected(edit(cert, lambda c: c.__setitem__("radius", "1/8"))).startswith("residual bound:")
    assert rejected(edit(cert, lambda c: c["evidence"].__setitem__("width", 3))).startswith(
        "format: evidence.point.weights[0]")
    # with the whole ball's drop accounted for, a large ball is refuted honestly: the drop exceeds the gain
    def big(c):
        c["radius"] = "1/8"
        c["evidence"]["residual_bound"] = "100"
    assert rejected(edit(cert, big)).startswith("wider network: its loss 15/16 must be below")


def test_certificates_round_trip_through_the_file_checker(case_a, case_c, tmp_path):
    for v in (case_a[1], case_c[1]):
        path = tmp_path / "cert.json"
        path.write_text(json.dumps(v.certificate))
        assert checker.check_file(str(path)).startswith("VALID:")


def test_case_c_cannot_be_forged_into_a_global_minimum(case_c):
    """The left cone of case C has c_S = 1: the plus witness y = (1, 0) closes c_S − y_0 − y_1 = 0, but the
    minus gap is −1 − y_0 − y_1 for every witness, so |gap| ≥ 1 > 2λ = 3/4."""
    from proofs.generator import certify
    from proofs.assemble import sqrt_above
    from proofs.checker.network import bounds

    problem, _ = case_c
    local = certify(problem)
    assert local.claim == "isolated_local_minimum", local.reason
    cert = copy.deepcopy(local.certificate)
    cp = checker.read_problem(cert["problem"])
    c = [Fraction(cert["center"]["weights"][0][0][0]), Fraction(cert["center"]["weights"][1][0][0])]
    rho = Fraction(cert["radius"])
    delta = sqrt_above(cp.count * bounds(cp, c, rho).F1[-1] ** 2 * rho * rho)
    cert["claim"] = "global_minimum"
    for y in (["0", "0"], ["1/2", "0"], ["0", "3"]):
        cert["evidence"] = {
            "method": "dual_cones", "kept": [0], "local": local.certificate["evidence"],
            "residual_bound": str(delta), "sample_norms": ["1", "1"],
            "cones": [{"signs": "10", "unit": 0}, {"signs": "01", "plus": ["1", "0"], "minus": y}],
            "empty": [{"signs": "11", "gordan": ["1", "1"]}, {"signs": "00", "gordan": ["1", "1"]}]}
        assert rejected(cert).startswith("cones: evidence.cones[1].minus: ‖−c_S + Σ y_j s_j x̃_j‖²")
    # the same evidence with the failing sign dropped is incomplete, not accepted
    cert["evidence"]["cones"].pop(1)
    assert rejected(cert).startswith("regions: the region with kink signs 01 is neither listed")


def test_repeated_cone(case_a):
    def repeat(c):
        c["evidence"]["cones"].append(dict(c["evidence"]["cones"][1]))
    assert rejected(edit(case_a[1].certificate, repeat)).startswith("format: evidence.cones[2].signs: must be a new")


def test_margin_above_2_lambda(xor, case_a):
    """A residual bound that is valid but too coarse leaves no room: Δ = 1000 makes m_S > 2λ = 1/50."""
    line = rejected(edit(xor[1].certificate, lambda c: c["evidence"].__setitem__("residual_bound", "1000")))
    assert line.startswith("cones: evidence.cones[0]: the residual margin 2αΔΣ n_j = ") and line.endswith(
        "exceeds 2λ = 1/50")
    # on case A the only witnessed cone has S = ∅ (c_S = 0, no margin): a coarse Δ costs nothing there
    ok = edit(case_a[1].certificate, lambda c: c["evidence"].__setitem__("residual_bound", "1000"))
    assert checker.check_certificate(ok).startswith("VALID:")


@pytest.mark.parametrize("biases", [True, False])
def test_exact_1d_cones_match_the_lpcase_split(biases):
    """The exact 1-D listing (prefix/suffix structure, hand Gordan vectors) against the LP-based case
    split, on data with repeated and signed inputs; every Gordan vector is checked exactly here too."""
    from dataclasses import replace
    from proofs.boundary import case_split
    from proofs.methods.dual_cones import _cones_1d

    base = load_problem(str(DATA / "global_case_c.json"))
    xs = [Fraction(v) for v in ("-3/2", "1", "1/2", "1", "-1/3", "2")]
    problem = replace(base, inputs=tuple((x,) for x in xs), targets=tuple((Fraction(1),) for _ in xs),
                      biases=biases, decay_biases=biases, point=None)
    cells, empty = _cones_1d(problem)
    lp_cells, _ = case_split(problem, [(j, 0) for j in range(len(xs))])
    assert sorted(cells) == sorted(lp_cells)
    assert len(cells) == (10 if biases else 2)  # 5 distinct x: 2·5 threshold cones; without biases v > 0, v < 0
    for signs, y in empty:
        xt = [(x, Fraction(1)) if biases else (x,) for x in xs]
        total = [sum((w * (1 if s == "1" else -1) * x[p] for w, x, s in zip(y, xt, signs)), Fraction(0))
                 for p in range(len(xt[0]))]
        assert all(w >= 0 for w in y) and any(y) and not any(total)


def test_the_rule_imports_only_the_standard_library():
    import subprocess
    import sys

    code = ("import sys, proofs.checker.duality; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'numpy', 'scipy', 'sympy', 'flint', 'symbolic'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_proof_of_a_split_certificate_states_the_split():
    """The LaTeX proof must not call split units zero: it names each group's exact weights."""
    cert = json.loads((ROOT / "tests" / "certs" / "good" / "case_a_orbit_global.json").read_text())
    from proofs import latex
    tex = latex.render(cert, json.dumps(cert).encode(), "c.json")
    assert "or split from a kept unit" in tex and "($0: 3/5$, $1: 4/5$)" in tex


def test_split_orbit_point_is_refuted_where_it_is():
    """Case C's orbit point ``w = a = (3/10, 2/5)`` (``(3/5, 4/5)`` times ``p* = (1/2, 1/2)``, ``L = 31/32``):
    the merged unit is case C's refuted minimum, and the refutation is stated about the split point
    itself, which has the merged point's outputs and loss (distance 0 from the user's point, not
    ``‖split − merged‖ = √(2/5)``). The wider network keeps the split units and adds one left-facing unit."""
    from proofs.question import ask
    from symbolic.problem import parse_problem

    problem = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
                             "loss": {"weight_decay": "3/8"}, "data": {"inputs": [[1], [-1]], "targets": [[1], [1]]},
                             "point": {"weights": [[["3/10"], ["2/5"]], [["3/10", "2/5"]]]}})
    v = global_verdict(problem)
    assert v.status == "REFUTED" and v.claim == "not_global_minimum", v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID: REFUTED not_global_minimum")
    assert centre(problem, v.certificate) == problem.flatten(problem.point)
    ev = v.certificate["evidence"]
    (w1, w2, w3), (a1, a2, a3) = [Fraction(r[0]) for r in ev["point"]["weights"][0]], \
        [Fraction(a) for a in ev["point"]["weights"][1][0]]
    assert (w1, w2, a1, a2) == (Fraction(3, 10), Fraction(2, 5), Fraction(3, 10), Fraction(2, 5))
    assert w3 < 0 < a3
    out = [a1 * max(w1 * x, 0) + a2 * max(w2 * x, 0) + a3 * max(w3 * x, 0) for x in (1, -1)]
    wide = Fraction(1, 2) * sum((f - 1) ** 2 for f in out) + Fraction(3, 8) * sum(
        t * t for t in (w1, w2, w3, a1, a2, a3))
    assert wide < Fraction(31, 32)
    answer = ask(problem)
    assert answer.answers.global_minimum is False
    assert Fraction(answer.globally.certificate["origin_distance"]) == 0


def test_global_question_is_asked_again_at_the_local_centre():
    """A trained 2-4-1 point (bench/corpus problem 46, minimum 3): from the point itself the global search
    does not see units 0 and 1 as proportional (they are, up to training's rounding), so it stays open;
    the local verdict's centre, its structure solved exactly, is a global minimum within 1.6·10⁻⁶ of the
    point, and the answer says so."""
    from proofs.question import ask

    problem = load_problem(str(DATA / "trained_split_global.json"))
    alone = global_verdict(problem)
    assert alone.status == "UNKNOWN" and "not proportional" in alone.reason
    answer = ask(problem)
    assert answer.answers.local_minimum is True and answer.answers.global_minimum is True
    assert checker.check_certificate(answer.globally.certificate).startswith("VALID: CERTIFIED global_minimum")
    assert Fraction(answer.globally.certificate["origin_distance"]) < Fraction(2, 10 ** 6)


# --- null samples (x = 0 without biases): never active, on no hyperplane ---------------------------------

def null_sample_problem(y_left=None):
    """``[1, 1, 1]``, no biases, ``λ = 1/4``, ``x = 1, 0`` (and ``−1``), ``y = 7/4, 1`` (and ``y_left``), at
    ``w = a = 1``. The sample ``x = 0`` outputs 0 whatever the weights. Without the left sample
    (``α = 1/2``): ``dL/ds = 2(s² − 7/4)s + s = 0`` is ``s² = 5/4``, so the point is taken with ``y = 3/2``
    instead: ``2(1 − 3/2) + 1 = 0``, ``e = −1/2``, and the right cone's ``|c_S| = 2·½·½ = 1/2 = 2λ`` (live),
    the left cone's ``c_S = 0``: a global minimum. With ``x = −1, y = 1`` (``α = 1/3``, ``y₁ = 7/4``):
    ``(4/3)(1 − 7/4) + 1 = 0``, and the left cone has ``|c_S| = (2/3)·1·1 = 2/3 > 1/2``: a left-facing
    unit helps."""
    from symbolic.problem import parse_problem

    xs, ys = ([[1], [0]], [["3/2"], [1]]) if y_left is None else ([[1], [0], [-1]], [["7/4"], [1], [y_left]])
    return parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
                          "loss": {"weight_decay": "1/4"}, "data": {"inputs": xs, "targets": ys},
                          "point": {"weights": [[[1]], [[1]]]}})


def test_null_sample_is_in_no_cone_and_the_minimum_is_global():
    p = null_sample_problem()
    v = global_verdict(p)
    assert v.status == "CERTIFIED" and v.claim == "global_minimum", v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID: CERTIFIED global_minimum")
    assert centre(p, v.certificate) == [1, 1]
    ev = v.certificate["evidence"]
    assert ev["cones"] == [{"signs": "10", "unit": 0}, {"signs": "00", "plus": ["0", "0"], "minus": ["0", "0"]}]


def test_null_sample_beside_a_left_cone_that_helps():
    p = null_sample_problem(y_left=1)
    v = global_verdict(p)
    assert v.status == "REFUTED" and v.claim == "not_global_minimum", v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID: REFUTED not_global_minimum")
    assert v.facts["cone"] == "001"


def test_null_sample_tampering():
    """A null sample must be '0' in every cone, and '*' with Gordan weight 0 in every empty entry: a
    Gordan vector on the null sample alone would 'exclude' any prefix."""
    _, good = null_sample_problem(), global_verdict(null_sample_problem()).certificate
    lit = edit(good, lambda c: c["evidence"]["cones"][1].__setitem__("signs", "01"))
    assert rejected(lit) == ("format: evidence.cones[1].signs: must be '0' at every null sample (x̃_j = 0 is "
                             "never active; got \"01\")")
    for signs, gordan in (("*0", ["0", "1"]), ("**", ["0", "1"]), ("1*", ["1", "1"])):
        bad = edit(good, lambda c: c["evidence"]["empty"].append({"signs": signs, "gordan": gordan}))
        assert rejected(bad) == ("regions: evidence.empty[0]: sample 1 is null (x̃_j = 0, on no "
                                 "hyperplane): its sign must be '*' and its Gordan weight \"0\"")
    short = edit(good, lambda c: c["evidence"]["empty"].append({"signs": "1", "gordan": ["1"]}))
    assert rejected(short) == ("regions: evidence.empty[0]: signs and gordan must have 2 entries, one per sample "
                               "(null samples included)")
    # with the null position deleted the old rules apply: excluding the live cone needs a Gordan identity
    cut = edit(good, lambda c: c["evidence"]["empty"].append({"signs": "1*", "gordan": ["1", "0"]}))
    assert rejected(cut) == "regions: evidence.empty[0]: Σ y_m s_m a_m must be 0 (Gordan), it is not"
