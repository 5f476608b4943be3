"""``collapsed_layer``: one hidden layer whose units are all dead, certified through the cone bound.

Fixture ``tests/data/dead_layer.json``: a trained 1-3-1 network (λ = 1/20) whose three units decay to
zero. Some region's Hessian at the centre is indefinite (the per-region test of ``boundary_ball`` fails),
yet the point is a strict minimum: a dead unit's coupling ``c_S`` exceeds ``λ`` only in directions
outside its cell, which the polar-cone witnesses show.
"""

import copy
import json
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from proofs import checker
from proofs.generator import certify
from symbolic.problem import load_problem, parse_params

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def dead():
    problem = load_problem(str(DATA / "dead_layer.json"))
    v = certify(problem)
    assert v.status == "CERTIFIED", v.reason
    assert v.certificate["evidence"]["method"] == "collapsed_layer"
    return problem, v.certificate


def rejected(cert: dict) -> str:
    with pytest.raises(checker.CertificateInvalid) as err:
        checker.check_certificate(cert)
    return str(err.value)


def test_centre_is_exact_and_growth_holds_on_random_directions(dead):
    """Independent float sanity check of the claim L(c + d) − L(c) ≥ (μ/2)‖d‖² on the ball."""
    problem, cert = dead
    c = problem.flatten(parse_params(cert["center"], problem))
    assert all(v == 0 for v in c[:-1])  # every hidden parameter exactly 0
    y = [t[0] for t in problem.targets]
    assert c[-1] == problem.alpha * sum(y) / (problem.alpha * len(y) + problem.weight_decay)
    rho, mu = float(Fraction(cert["radius"])), float(Fraction(cert["mu"]))
    X = np.array([float(x[0]) for x in problem.inputs])
    Y = np.array([float(v) for v in y])
    lam, alpha = float(problem.weight_decay), float(problem.alpha)

    def loss(t):
        w1, b1, w2, b2 = t[0:3], t[3:6], t[6:9], t[9]
        h = np.maximum(np.outer(X, w1) + b1, 0)
        return alpha * np.sum((h @ w2 + b2 - Y) ** 2) + lam * np.sum(t ** 2)

    c0 = np.array([float(v) for v in c])
    rng = np.random.default_rng(1)
    for _ in range(5000):
        d = rng.standard_normal(10)
        d *= rng.uniform(0.05, 1) * rho / np.linalg.norm(d)
        assert loss(c0 + d) - loss(c0) >= 0.99 * (mu / 2) * (d @ d)


@pytest.mark.parametrize("mutate, step", [
    (lambda cert: cert.update(mu="1"), "mu"),
    (lambda cert: cert.update(radius="1"), "gradient bound"),
    (lambda cert: cert["evidence"]["cells"].pop(), "regions"),
    (lambda cert: cert["evidence"]["cells"][0].update(plus=["0"] * len(cert["evidence"]["cells"][0]["plus"])),
     "hessian bound"),
    (lambda cert: cert["evidence"].update(epsilon="1"), "hessian bound"),
    (lambda cert: cert["evidence"].update(x_sum="0"), "hessian bound"),
    (lambda cert: cert["center"]["weights"][0][0].__setitem__(0, "1/1000"), "center"),
    (lambda cert: cert["center"]["biases"][1].__setitem__(0, "0"), "gradient bound"),
])
def test_tampered_collapsed_certificate_is_rejected(dead, mutate, step):
    cert = copy.deepcopy(dead[1])
    mutate(cert)
    assert rejected(cert).startswith(step + ":")


def test_undecayed_biases_are_refused(dead):
    cert = copy.deepcopy(dead[1])
    cert["problem"]["network"]["decay_biases"] = False
    assert rejected(cert).startswith("evidence: collapsed_layer needs decayed biases")


def test_dead_unit_with_strong_coupling_is_never_certified():
    """A 2-1-1 network (4 samples, λ = 1/100, mean loss so α = 1/4) with its unit dead up to dust.

    The all-dead point has output bias b* = α·Σy / (αN + λ) = (−3/40)/(101/100) = −15/202. Growing the
    unit along v = (−1, 2, 1) (weights, bias) activates samples 0 and 3 (v·x̃ = 3/10 and 7/2); with
    c = Σ_active 2α(b* − y_j)(v·x̃_j) and outgoing weight a = −c/(2λ), the loss along t ↦ (t·v, t·a, b*)
    is L(0) + (λ‖v‖² − c²/(4λ))·t² + O(t⁴) with c² > 4λ²‖v‖²: the point is no minimum. The dead-layer
    test must see a cell coupling at 2λ or more and never certify; it grows the unit instead (Lemma D at
    the exact all-dead centre), a descent the checker verifies."""
    from proofs.methods import collapsed_layer
    from symbolic.network import forward

    problem = load_problem(str(DATA / "dead_layer_coupled.json"))
    v = collapsed_layer.search(problem, problem.flatten(problem.point), lambda _msg: None)
    assert v is not None and v.status == "REFUTED" and v.claim == "not_a_local_minimum", v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID: REFUTED not_a_local_minimum")
    assert "the dead layer is a saddle" in v.reason and "exact minimiser" in v.reason
    assert parse_params(v.certificate["center"], problem).biases[-1] == (Fraction(-15, 202),)
    assert certify(problem).status != "CERTIFIED"

    lam, b = problem.weight_decay, Fraction(-15, 202)
    assert (lam, problem.alpha) == (Fraction(1, 100), Fraction(1, 4))
    direction = [Fraction(-1), Fraction(2), Fraction(1)]
    acts = [direction[0] * x[0] + direction[1] * x[1] + direction[2] for x in problem.inputs]
    assert acts == [Fraction(3, 10), Fraction(-3, 10), Fraction(-2, 5), Fraction(7, 2)]
    c = sum((2 * problem.alpha * (b - y[0]) * z for z, y in zip(acts, problem.targets) if z > 0), Fraction(0))
    a = -c / (2 * lam)

    def loss(t: Fraction) -> Fraction:
        params = parse_params({"weights": [[[str(t * direction[0]), str(t * direction[1])]], [[str(t * a)]]],
                               "biases": [[str(t * direction[2])], [str(b)]]}, problem)
        out = forward(problem, params).outputs
        fit = problem.alpha * sum(((f[0] - y[0]) ** 2 for f, y in zip(out, problem.targets)), Fraction(0))
        return fit + lam * (t * t * (sum((d * d for d in direction), Fraction(0)) + a * a) + b * b)

    assert loss(Fraction(1, 1000)) < loss(Fraction(0))


def test_collapsed_certificate_survives_json(dead):
    assert checker.check_certificate(json.loads(json.dumps(dead[1]))).startswith(
        "VALID: CERTIFIED isolated_local_minimum")


def test_vector_output_dead_layer_uses_the_spectral_cell_bound():
    """Two outputs: each cell's bound is a positive-definiteness certificate of (λ − ε)²I − M_SᵀM_S.
    λ = 1 dominates the couplings here (all |r_j| < 1, |x̃_j| ≤ √2, α = 1/3), so every cell passes;
    setting ε = λ leaves no room and must be rejected at the first cell."""
    from proofs.methods import collapsed_layer

    problem = load_problem(str(DATA / "dead_layer_vector.json"))
    v = collapsed_layer.search(problem, problem.flatten(problem.point), lambda _msg: None)
    assert v is not None and v.status == "CERTIFIED", v and v.reason
    cert = v.certificate
    assert cert["evidence"]["method"] == "collapsed_layer"
    assert all("pd" in cell for cell in cert["evidence"]["cells"])
    assert checker.check_certificate(cert).startswith("VALID")
    bad = copy.deepcopy(cert)
    bad["evidence"]["epsilon"] = "1"
    assert rejected(bad).startswith("hessian bound: evidence.cells[0]")


def test_vector_output_collapsed_proof_compiles(tmp_path):
    from click.testing import CliRunner

    from cli import main
    from proofs.methods import collapsed_layer

    problem = load_problem(str(DATA / "dead_layer_vector.json"))
    cert = collapsed_layer.search(problem, problem.flatten(problem.point), lambda _msg: None).certificate
    path = tmp_path / "vector.cert.json"
    path.write_text(json.dumps(cert))
    result = CliRunner().invoke(main, ["latex", str(path), "-o", str(tmp_path / "vector.tex"), "--pdf"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "vector.pdf").exists()
    assert "M_S" in (tmp_path / "vector.tex").read_text()


def test_dead_layer_saddle_grows_its_unit_by_hand():
    """``[1, 1, 1]`` with biases, ``x = ±1``, ``y = ±1``, ``λ = 1/4`` (``α = 1/2``): ``b* = 0``, ``L(c) = 1``.
    On the cell of ``x = 1`` alone ``c(v) = 2α(b* − 1)(v₁ + v₂) = −(v₁ + v₂)``, largest against ``‖v‖`` at
    ``v = (1, 1)`` (on the kink of ``x = −1``), so ``a = −c/(2λ) = 4`` and along ``(t, t | 4t)``:
    ``f(1) = 8t²``, ``f(−1) = 0``, ``L = ½((8t² − 1)² + 1) + ¼·18t² = 1 − (7/2)t² + 32t⁴``. The data are
    symmetric under ``x, y ↦ −x, −y``: the cell of ``x = −1`` gives ``v = (−1, 1)``, ``a = −4`` and the same ``L``."""
    from proofs.methods import collapsed_layer
    from symbolic.problem import parse_problem

    problem = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": True},
                             "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1], [-1]], "targets": [[1], [-1]]},
                             "point": {"weights": [[[0]], [[0]]], "biases": [[0], [0]]}})
    v = collapsed_layer.search(problem, problem.flatten(problem.point), lambda _msg: None)
    assert v.status == "REFUTED" and v.claim == "not_a_local_minimum", v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID: REFUTED not_a_local_minimum")
    assert (v.facts["direction"], v.facts["outgoing"]) in ((["1", "1"], ["4"]), (["-1", "1"], ["-4"]))
    assert v.facts["rate"] == "-7/2"
    assert "7/2·t² + O(t⁴)" in v.reason and "snapped" not in v.reason


def null_dead(y1: str):
    """``[1, 1, 1]``, no biases, ``λ = 1/4``, ``x = 1, 0``, ``y = y1, 1`` (``α = 1/2``), every parameter 0.
    The sample ``x = 0`` outputs 0 whatever the weights (a null sample); on the cell ``v > 0`` the
    coupling is ``G(v) = α(0 − y1)v``, on ``v < 0`` it is 0."""
    from symbolic.problem import parse_problem

    return parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
                          "loss": {"weight_decay": "1/4"}, "data": {"inputs": [[1], [0]], "targets": [[y1], [1]]},
                          "point": {"weights": [[[0]], [[0]]]}})


def test_dead_layer_beside_a_null_sample():
    """``y1 = 1/4``: ``|G(v)| = v/8 < λv``, a strict minimum on the cells ``10`` and ``00`` (the null sample is
    '0' in both). ``y1 = 1``: ``|G(v)| = v/2 > λv``, the unit grows: ``c = −1``, ``a = 2``, rate ``λ − c²/(4λ) = −3/4``."""
    from proofs.methods import collapsed_layer

    problem = null_dead("1/4")
    v = collapsed_layer.search(problem, problem.flatten(problem.point), lambda _msg: None)
    assert v.status == "CERTIFIED", v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID: CERTIFIED isolated_local_minimum")
    assert [c["signs"] for c in v.certificate["evidence"]["cells"]] == ["10", "00"]
    lit = copy.deepcopy(v.certificate)
    lit["evidence"]["cells"][1]["signs"] = "01"
    with pytest.raises(checker.CertificateInvalid) as err:
        checker.check_certificate(lit)
    assert "must be '0' at every null sample" in str(err.value)
    forged = copy.deepcopy(v.certificate)
    forged["evidence"]["empty"].append({"signs": "*0", "gordan": ["0", "1"]})
    with pytest.raises(checker.CertificateInvalid) as err:
        checker.check_certificate(forged)
    assert "sample 1 is null" in str(err.value)

    saddle = null_dead("1")
    v = collapsed_layer.search(saddle, saddle.flatten(saddle.point), lambda _msg: None)
    assert v.status == "REFUTED" and v.facts["rate"] == "-3/4", v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID: REFUTED not_a_local_minimum")
