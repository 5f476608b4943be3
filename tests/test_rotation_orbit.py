"""``rotation_orbit``: units sharing a pattern inside a region, whose nearby minima are one rotation orbit.

The committed problems are trained ReLU networks whose hidden units are active on every sample, so on
their region the network is the linear map ``x ↦ V(Ux + b) + c`` and ``O(3)`` (``O(2)``) rotates the
hidden units' stacked parameters ``p_i = (u_i, b_i, V_i)`` without changing ``L``. The independent
checks are in floats: two separately trained points of the 2-3-2 problem have the same loss and
stacked matrices related by an orthogonal ``Q`` (Procrustes), rotations of the centre keep ``L``, and
steps across the orbit raise it by at least ``μ/2`` times their squared length.
"""

from __future__ import annotations

import json
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cli import main  # noqa: E402
from proofs.checker import CertificateInvalid, check_certificate  # noqa: E402
from proofs.checker.rotation import read_groups  # noqa: E402
from proofs.generator import certify  # noqa: E402
from proofs.methods.rotation_orbit import shared_groups  # noqa: E402
from symbolic.problem import load_problem  # noqa: E402

DATA = ROOT / "tests" / "data"


@pytest.fixture(scope="module")
def verdicts():
    return {name: certify(load_problem(str(DATA / f"{name}.json")))
            for name in ("rotation_2_3_2", "rotation_2_3_2_other", "rotation_1_2_2")}


def _stacked(theta: list[Fraction], n_in: int, n_hidden: int, n_out: int) -> np.ndarray:
    """Rows ``p_i = (W_1[i], b_1[i], W_2[:, i])`` of a one-hidden-layer net in canonical order."""
    t = np.array([float(v) for v in theta])
    W1 = t[:n_in * n_hidden].reshape(n_hidden, n_in)
    b1 = t[n_in * n_hidden:n_in * n_hidden + n_hidden]
    off = n_in * n_hidden + n_hidden
    W2 = t[off:off + n_out * n_hidden].reshape(n_out, n_hidden)
    return np.hstack([W1, b1[:, None], W2.T])


def _float_loss(problem, theta: np.ndarray) -> float:
    X = np.array([[float(v) for v in x] for x in problem.inputs])
    Y = np.array([[float(v) for v in y] for y in problem.targets])
    n_in, n_h, n_out = problem.widths
    W1 = theta[:n_in * n_h].reshape(n_h, n_in)
    b1 = theta[n_in * n_h:n_in * n_h + n_h]
    off = n_in * n_h + n_h
    W2 = theta[off:off + n_out * n_h].reshape(n_out, n_h)
    b2 = theta[off + n_out * n_h:]
    F = np.maximum(X @ W1.T + b1, 0) @ W2.T + b2
    return float(np.mean(np.sum((F - Y) ** 2, axis=1)) + float(problem.weight_decay) * np.sum(theta ** 2))


def _unstack(P: np.ndarray, b2: np.ndarray, n_in: int) -> np.ndarray:
    return np.concatenate([P[:, :n_in].ravel(), P[:, n_in], P[:, n_in + 1:].T.ravel(), b2])


def test_trained_2_3_2_is_a_non_isolated_minimum(verdicts):
    v = verdicts["rotation_2_3_2"]
    assert (v.status, v.claim) == ("CERTIFIED", "nonisolated_local_minimum"), v.reason
    assert v.certificate["evidence"]["method"] == "rotation_orbit"
    assert v.certificate["evidence"]["groups"] == [{"layer": 1, "units": [0, 1, 2]}]
    # three units whose stacked 3×5 matrix has rank 3: O(3) acts freely, the orbit has dimension 3
    assert v.facts["orbit_dimension"] == 3
    assert check_certificate(v.certificate).startswith("VALID: CERTIFIED nonisolated_local_minimum")


def test_two_trained_points_lie_on_one_orbit(verdicts):
    """Independent of the certificate: the two centres' stacked matrices differ by an orthogonal Q."""
    a, b = verdicts["rotation_2_3_2"], verdicts["rotation_2_3_2_other"]
    assert b.status == "CERTIFIED" and b.claim == "nonisolated_local_minimum", b.reason
    assert abs(float(Fraction(a.facts["loss"])) - float(Fraction(b.facts["loss"]))) < 1e-12
    problem = load_problem(str(DATA / "rotation_2_3_2.json"))
    ca, cb = (a.certificate["center"], b.certificate["center"])
    ta = _theta(problem, ca)
    tb = _theta(problem, cb)
    Pa, Pb = _stacked(ta, 2, 3, 2), _stacked(tb, 2, 3, 2)
    assert np.linalg.norm(Pa - Pb) > 0.1      # genuinely different points
    U, _, Vt = np.linalg.svd(Pb @ Pa.T)       # Procrustes: the orthogonal Q minimising ‖Q·Pa − Pb‖
    Q = U @ Vt
    assert np.linalg.norm(Q @ Pa - Pb) < 1e-8
    assert np.allclose([float(v) for v in ta[-2:]], [float(v) for v in tb[-2:]], atol=1e-9)  # the output bias


def _theta(problem, center: dict) -> list[Fraction]:
    from proofs.checker import read_point

    return read_point(center, _checker_problem(problem), "center")


def _checker_problem(problem):
    from proofs.assemble import checker_problem

    return checker_problem(problem)


def test_rotations_keep_the_loss_and_steps_across_raise_it(verdicts):
    v = verdicts["rotation_2_3_2"]
    problem = load_problem(str(DATA / "rotation_2_3_2.json"))
    theta = np.array([float(x) for x in _theta(problem, v.certificate["center"])])
    mu = float(Fraction(v.certificate["mu"]))
    L0 = _float_loss(problem, theta)
    P, b2 = _stacked(list(theta), 2, 3, 2), theta[-2:]
    rng = np.random.default_rng(0)
    for _ in range(5):
        S = rng.normal(size=(3, 3))
        Q = np.linalg.matrix_power(np.eye(3) + 1e-3 * (S - S.T) / 2, 1)
        Q, _ = np.linalg.qr(Q)
        Q = Q @ np.diag(np.sign(np.diag(Q)))     # near the identity
        assert abs(_float_loss(problem, _unstack(Q @ P, b2, 2)) - L0) < 1e-12
    tangents = []
    for a, b in ((0, 1), (0, 2), (1, 2)):
        X = np.zeros((3, 3))
        X[a, b], X[b, a] = 1, -1
        tangents.append(_unstack(X @ P, np.zeros(2), 2))
    T = np.array(tangents).T
    across = np.linalg.svd(T, full_matrices=True)[0][:, 3:]
    for _ in range(5):
        d = across @ rng.normal(size=across.shape[1])
        d *= 1e-3 / np.linalg.norm(d)
        assert _float_loss(problem, theta + d) - L0 >= 0.9 * mu / 2 * 1e-6


def _case_b(cos: Fraction, sin: Fraction):
    """Case B of the symmetry notes (exact): units p_1 = (1, 1 | 1, 1), p_2 = (−1, 3 | −1, 3) rotated by
    (cos, sin); at (1, 0) the pre-activations are [[2, 3], [2, 1]], ∇L = 0 and L = 66/25 (worked by hand)."""
    problem = load_problem(str(DATA / "rotation_case_b.json"))
    p1, p2 = (Fraction(1), Fraction(1), Fraction(1), Fraction(1)), (Fraction(-1), Fraction(3), Fraction(-1), Fraction(3))
    q1 = [cos * a - sin * b for a, b in zip(p1, p2)]
    q2 = [sin * a + cos * b for a, b in zip(p1, p2)]
    theta = [q1[0], q2[0], q1[1], q2[1], q1[2], q2[2], q1[3], q2[3], Fraction(0), Fraction(1)]  # canonical order
    return problem.with_point(problem.unflatten(theta))


@pytest.mark.parametrize("cos,sin", [(Fraction(1), Fraction(0)), (Fraction(99, 101), Fraction(20, 101))])
def test_case_b_two_non_parallel_units(cos, sin):
    """Two points of one SO(2) orbit whose units are never parallel: no reduced network exists, yet each
    point is certified a non-isolated minimum on a curve of dimension 1, with L = 66/25 exactly and the
    centre the given point (gradient exactly 0)."""
    v = certify(_case_b(cos, sin), refine=False)
    assert (v.status, v.claim) == ("CERTIFIED", "nonisolated_local_minimum"), v.reason
    assert v.certificate["evidence"]["method"] == "rotation_orbit"
    assert (v.facts["orbit_dimension"], v.facts["loss"], v.facts["distance_bound"]) == (1, "66/25", "0")
    assert check_certificate(v.certificate).startswith("VALID: CERTIFIED nonisolated_local_minimum")


def test_two_units_of_a_vector_output_net(verdicts):
    v = verdicts["rotation_1_2_2"]
    assert (v.status, v.claim, v.facts["orbit_dimension"]) == ("CERTIFIED", "nonisolated_local_minimum", 1), v.reason


def test_shared_groups_by_hand():
    """Units 0 and 2 of layer 1 agree on both samples; unit 1 differs; a dead pair is no group."""
    problem = load_problem(str(DATA / "rotation_2_3_2.json"))
    pattern = [[(1, 0, 1)], [(0, 0, 0)]]
    assert shared_groups(problem, pattern) == [(1, [0, 2])]
    assert shared_groups(problem, [[(0, 0, 0)], [(0, 0, 0)]]) == []


def test_checker_refuses_units_with_different_patterns():
    cp = _checker_problem(load_problem(str(DATA / "rotation_2_3_2.json")))
    pattern = [[(1, 1, 1)], [(1, 0, 1)]]
    assert read_groups([{"layer": 1, "units": [0, 2]}], cp, pattern) == [(1, [0, 2])]
    with pytest.raises(CertificateInvalid, match="sample 1 activates only some of them"):
        read_groups([{"layer": 1, "units": [0, 1, 2]}], cp, pattern)


def test_proof_compiles(tmp_path, verdicts):
    from test_latex import compile_ok, flat, pdf_text  # the LaTeX test helpers (tests/ is on sys.path)

    path = tmp_path / "cert.json"
    path.write_text(json.dumps(verdicts["rotation_2_3_2"].certificate), encoding="utf-8")
    result = CliRunner().invoke(main, ["latex", str(path)])
    assert result.exit_code == 0, result.output
    tex = result.output
    for name in ("Rotation invariance", "Strong convexity across the orbit"):
        assert f"\\begin{{lemma}}[{name}]" in tex
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert "localminimaofLintheopenballareexactlythepointsoftheorbit" in text


def _kink_point(cos: Fraction, sin: Fraction):
    """``tests/data/rotation_kink.json`` with units 0, 1 at (cos, sin)·p, p = (w, b, a) = (4/5, −3/5, 1), active
    on x = 1, 2 only; unit 2 = (−1, 0, 1) on its kink at x = 0; output bias −8/5. Worked by hand: residuals
    (−1/2, 1, 1, −7/10) on x = −1, 0, 1, 2; every partial derivative but the kink unit's bias is 0; that one is
    (1/2)·(r_0 + r_−1) = 1/4 in the region where the kink unit is active at x = 0 and (1/2)·r_−1 = −1/4 where
    it is not (multipliers 1/4 and 1/4 along ±(0, 1), both positive); L = (1/4)(137/50) + (1/8)(2 + 2 + 64/25) = 301/200 on the whole circle."""
    problem = load_problem(str(DATA / "rotation_kink.json"))
    w, b, a = Fraction(4, 5), Fraction(-3, 5), Fraction(1)
    theta = [cos * w, sin * w, Fraction(-1), cos * b, sin * b, Fraction(0), cos * a, sin * a, Fraction(1), Fraction(-8, 5)]
    return problem, theta


def _kink_loss(theta: np.ndarray) -> float:
    X, Y = np.array([-1.0, 0.0, 1.0, 2.0]), np.array([-0.1, -2.6, -2.4, 0.1])
    W, B, A, c = theta[:3], theta[3:6], theta[6:9], theta[9]
    F = np.maximum(np.outer(X, W) + B, 0) @ A + c
    return float(np.mean((F - Y) ** 2) + np.sum(theta ** 2) / 8)


@pytest.mark.parametrize("cos,sin", [(Fraction(3, 5), Fraction(4, 5)), (Fraction(5, 13), Fraction(12, 13))])
def test_rotation_orbit_beside_a_kink_by_hand(cos, sin):
    """Two points of the circle of splits, each certified by ``rotation_kink_orbit`` exactly at the given
    point (gradient ≡ multipliers, so the distance bound is 0) with L* = 301/200; the float loss agrees on
    the arc of the circle where both units keep their pattern (cos, sin > 0) and grows at least μ/2 times the squared distance to it (dist² = ‖rest‖² + ‖M‖² + ‖p‖² −
    2‖Mp‖ for the 2×3 block M of units 0, 1)."""
    from proofs.methods.rotation_orbit import search  # it hands points on kinks to rotation_kink_orbit

    problem, theta = _kink_point(cos, sin)
    v = search(problem, theta, False, lambda _m: None)
    assert v is not None and (v.status, v.claim) == ("CERTIFIED", "nonisolated_local_minimum"), v and v.reason
    ev = v.certificate["evidence"]
    assert (ev["method"], ev["constraints"], ev["groups"]) == ("rotation_kink_orbit", [[1, 2]], [{"layer": 1, "units": [0, 1]}])
    assert [p["multipliers"] for p in sorted(ev["pieces"], key=lambda p: p["signs"])] == [["1/4"], ["1/4"]]
    assert (v.facts["loss"], v.facts["distance_bound"], v.facts["orbit_dimension"]) == ("301/200", "0", 1)
    assert check_certificate(v.certificate).startswith("VALID: CERTIFIED nonisolated_local_minimum")
    c = np.array([float(x) for x in theta])
    p = np.array([0.8, -0.6, 1.0])
    for phi in np.linspace(0.05, np.pi / 2 - 0.05, 7):   # both units keep the pattern on this arc
        q = c.copy()
        q[[0, 3, 6]], q[[1, 4, 7]] = np.cos(phi) * p, np.sin(phi) * p
        assert abs(_kink_loss(q) - 301 / 200) < 1e-14
    mu, rng = float(Fraction(v.certificate["mu"])), np.random.default_rng(1)
    for _ in range(20):
        d = rng.normal(size=10)
        q = c + 1e-4 * d / np.linalg.norm(d)
        M = q[[0, 3, 6, 1, 4, 7]].reshape(2, 3)
        rest = q[[2, 5, 8, 9]] - c[[2, 5, 8, 9]]
        dist2 = rest @ rest + np.sum(M * M) + p @ p - 2 * np.linalg.norm(M @ p)
        assert _kink_loss(q) - 301 / 200 >= 0.99 * mu / 2 * dist2


def test_rotation_kink_orbit_refuses_a_kink_on_part_of_a_group():
    """The kink at x = 0 moved onto unit 0 as well (b_0 = 0): its partner unit 1 is not on it, so the rotation
    would move the kink; the groups offered exclude that pair, and a certificate naming it is rejected."""
    from proofs.methods.rotation_kink_orbit import kink_groups

    problem, _ = _kink_point(Fraction(3, 5), Fraction(4, 5))
    pattern = [[(0, 0, 1)], [(0, 0, 0)], [(1, 1, 0)], [(1, 1, 0)]]
    assert kink_groups(problem, pattern, [(1, 2)]) == [(1, [0, 1])]
    assert kink_groups(problem, pattern, [(1, 0), (1, 2)]) == []
    assert kink_groups(problem, pattern, [(1, 0), (1, 1), (1, 2)]) == [(1, [0, 1])]


PRACTITIONER = ROOT / "bench" / "practitioner" / "problems"


@pytest.mark.parametrize("name,dimension", [("3-5-2_sgd_f32_s3", 3), ("3-5-2_adam_f32_s4", 1)])
def test_trained_3_5_2_on_kinks_is_a_non_isolated_minimum(name, dimension):
    """Trained nets that the independent reference (bench/practitioner/reference.json) classifies as local
    minima on a symmetry orbit, with the same orbit dimension. 3-5-2_sgd_f32_s3: units 0, 1 and 2, 3, 4 each
    share a kink (samples 16 and 1), 4 tangents of rank 3. 3-5-2_adam_f32_s4: units 0, 4 share the kink at
    sample 22 beside four kinks of units 1 and 3; refinement of the piece crosses a kink the minimum is not
    on, so the snapped structure's kinks are the ones certified."""
    v = certify(load_problem(str(PRACTITIONER / f"{name}.json")))
    assert (v.status, v.claim) == ("CERTIFIED", "nonisolated_local_minimum"), v.reason
    assert v.certificate["evidence"]["method"] == "rotation_kink_orbit"
    assert v.facts["orbit_dimension"] == dimension


def test_trained_3_5_2_with_a_negative_multiplier_is_not_certified():
    """3-5-2_sgd_f32_s1: the reference finds a negative multiplier (descent into a neighbouring region): not
    a local minimum. The kink search must not certify it; the verdict stays ``not_isolated`` (true either way)."""
    v = certify(load_problem(str(PRACTITIONER / "3-5-2_sgd_f32_s1.json")))
    assert v.claim != "nonisolated_local_minimum" and v.status != "CERTIFIED", v.reason
    assert (v.status, v.claim) == ("REFUTED", "not_isolated"), v.reason
    assert "whether it is a local minimum stays open" in v.reason and "negative multiplier" in v.reason


def test_kink_orbit_proof_compiles(tmp_path):
    from test_latex import compile_ok, flat, pdf_text  # the LaTeX test helpers (tests/ is on sys.path)

    result = CliRunner().invoke(main, ["latex", str(ROOT / "tests" / "certs" / "good" / "rotation_kink_orbit.json")])
    assert result.exit_code == 0, result.output
    tex = result.output
    for name in ("Rotations on the kinks", "Curvature on the kinks across the orbit", "Independent kinks"):
        assert f"\\begin{{lemma}}[{name}]" in tex
    text = flat(pdf_text(compile_ok(tmp_path, tex).path))
    assert "localminimaofLintheopenballareexactlythepointsoftheorbit" in text
