"""Boundary certificates (``boundary_ball``): minima on first-layer kinks, and what the checker rejects.

Fixtures: the scalar chain with ``λ = 2`` at the origin (hand-worked below), and two minima of 1-1-1
networks with biases found by ``pscert train`` (``tests/data/kink_*.json``): one with a single kink,
one whose kink passes through a repeated sample (two identical constraints, so two of the four sign
combinations are empty and need Gordan certificates).
"""

import copy
import json
from fractions import Fraction
from pathlib import Path

import pytest

from proofs import checker
from proofs.generator import certify
from symbolic.network import loss
from symbolic.problem import load_problem, parse_params, parse_problem

DATA = Path(__file__).parent / "data"


def chain_origin(lam: str) -> dict:
    return {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
            "loss": {"weight_decay": lam}, "data": {"inputs": [["1"]], "targets": [["1"]]},
            "point": {"weights": [[["0"]], [["0"]]]}}


@pytest.fixture(scope="module")
def chain_cert() -> dict:
    """λ = 2, L(a, b) = (b·relu(a) − 1)² + 2(a² + b²). The origin lies on the kink a = 0. Piece a > 0:
    Hessian at 0 is [[2b² + 4, 4ab − 2], [4ab − 2, 2a² + 4]] = [[4, −2], [−2, 4]] (eigenvalues 2, 6); piece
    a < 0: 4I. Both gradients vanish at 0, so the multipliers are 0, and μ ≤ 1 (half of 2) works."""
    v = certify(parse_problem(chain_origin("2")))
    assert v.status == "CERTIFIED" and v.certificate["evidence"]["method"] == "boundary_ball"
    return v.certificate


def rejected(cert: dict) -> str:
    with pytest.raises(checker.CertificateInvalid) as err:
        checker.check_certificate(cert)
    return str(err.value)


def test_chain_origin_with_strong_decay_is_certified(chain_cert):
    ev = chain_cert["evidence"]
    assert ev["constraints"] == [[0, 0]]
    assert sorted(p["signs"] for p in ev["pieces"]) == ["0", "1"]
    assert all(p["multipliers"] == ["0"] for p in ev["pieces"])
    assert Fraction(chain_cert["mu"]) <= 1
    assert checker.check_certificate(chain_cert).startswith("VALID: CERTIFIED isolated_local_minimum")


def test_chain_origin_with_weak_decay_is_never_certified():
    """λ = 1/4: the piece a > 0 has Hessian [[1/2, −2], [−2, 1/2]] at 0 (eigenvalue −3/2): a saddle."""
    assert certify(parse_problem(chain_origin("1/4"))).status == "REFUTED"


def test_missing_piece_is_rejected(chain_cert):
    cert = copy.deepcopy(chain_cert)
    cert["evidence"]["pieces"] = [p for p in cert["evidence"]["pieces"] if p["signs"] == "1"]
    assert rejected(cert).startswith("regions: the region with kink signs 0 is neither listed")


def test_inflated_mu_is_rejected(chain_cert):
    cert = copy.deepcopy(chain_cert)
    cert["mu"] = "3"  # the piece a > 0 has smallest eigenvalue 2 < 3 + δ
    assert rejected(cert).startswith("hessian bound:")


def test_fake_empty_entry_is_rejected(chain_cert):
    cert = copy.deepcopy(chain_cert)
    cert["evidence"]["pieces"] = [p for p in cert["evidence"]["pieces"] if p["signs"] == "1"]
    cert["evidence"]["empty"] = [{"signs": "0", "gordan": ["1"]}]  # 1·(−a) ≠ 0: a = 0 is not an empty side
    assert rejected(cert).startswith("regions: evidence.empty[0]: Σ y_m s_m a_m must be 0")


def test_constraint_that_is_not_a_kink_is_rejected():
    cert = certify(load_problem(str(DATA / "kink_one_unit.json"))).certificate
    bad = copy.deepcopy(cert)
    bad["evidence"]["constraints"][0] = [0, 0] if cert["evidence"]["constraints"][0] != [0, 0] else [2, 0]
    assert rejected(bad).startswith("pattern: constraint")


def test_trained_kink_minimum_is_certified_with_positive_multiplier():
    """The trained 1-1-1 minimum has its unit's kink exactly at a sample; L is strictly larger a radius
    away on both sides of the kink (checked exactly, independently of the certificate's lemmas)."""
    problem = load_problem(str(DATA / "kink_one_unit.json"))
    v = certify(problem)
    assert v.status == "CERTIFIED"
    cert = v.certificate
    ev = cert["evidence"]
    assert ev["method"] == "boundary_ball" and len(ev["constraints"]) == 1
    assert all(Fraction(p["multipliers"][0]) > 0 for p in ev["pieces"])  # a true kink, not a tangency
    c = center_theta(cert, problem)
    rho = Fraction(cert["radius"])
    base = loss(problem, problem.unflatten(c))
    for i in range(4):
        for sign in (1, -1):
            moved = list(c)
            moved[i] += sign * rho
            assert loss(problem, problem.unflatten(moved)) > base
    # a flipped multiplier sign makes the first-order condition false
    bad = copy.deepcopy(cert)
    bad["evidence"]["pieces"][0]["multipliers"] = ["-" + ev["pieces"][0]["multipliers"][0]]
    assert rejected(bad).startswith("gradient bound:")
    # a radius far beyond the nearest other constraint breaks sign stability
    bad = copy.deepcopy(cert)
    bad["radius"] = "1"
    assert rejected(bad).split(":")[0] in ("sign stability", "hessian bound")


def test_repeated_sample_kink_is_one_hyperplane():
    """Two samples with the same input x = 1 give the same hyperplane twice: the certificate lists the kink
    once (sample 1) and sample 3, its twin, vanishes with it and takes its sign on both pieces 0 and 1
    (the combinations 10 and 01 of two listed constraints would be empty: a − a = 0)."""
    v = certify(load_problem(str(DATA / "kink_repeated_sample.json")))
    assert v.status == "CERTIFIED", v.reason
    ev = v.certificate["evidence"]
    assert ev["constraints"] == [[1, 0]]
    assert sorted(p["signs"] for p in ev["pieces"]) == ["0", "1"]
    assert ev["pattern"][3] == ["0"]
    # the twin's pattern entry must be '0' at the centre (z = 0 there, as at sample 1)
    bad = copy.deepcopy(v.certificate)
    bad["evidence"]["pattern"][3] = ["1"]
    assert rejected(bad) == "pattern: constraint [3, 0]: the pattern entry must be '0' (σ(0) = 0)"
    # a sample that is no twin (another input) must not sit on the kink
    bad = copy.deepcopy(v.certificate)
    bad["problem"]["data"]["inputs"][3] = ["99/100"]
    assert rejected(bad).startswith("pattern: evidence.pattern[3][0] unit 0")


def test_boundary_certificate_survives_a_json_round_trip(chain_cert):
    assert checker.check_certificate(json.loads(json.dumps(chain_cert))).startswith("VALID")


@pytest.fixture(scope="module")
def xor_cert() -> dict:
    """A trained 2-2-1 XOR minimum: both units have kinks at samples 0 and 3 (four independent
    constraints). Some regions' Hessians are indefinite (the kink, not curvature, holds the point), so
    only the second-order ``kink_ball`` evidence can certify it."""
    v = certify(load_problem(str(DATA / "xor_kinks.json")))
    assert v.status == "CERTIFIED", v.reason
    assert v.certificate["evidence"]["method"] == "kink_ball"
    return v.certificate


def test_xor_kink_minimum_has_an_indefinite_region(xor_cert):
    """The certificate is needed: the all-active region's Hessian has a negative eigenvalue at c."""
    import numpy as np

    from symbolic.derivatives import piece_derivatives
    from symbolic.network import pattern_from_json

    problem = load_problem(str(DATA / "xor_kinks.json"))
    c = center_theta(xor_cert, problem)
    ev = xor_cert["evidence"]
    pattern = [[list(layer) for layer in sample] for sample in pattern_from_json(ev["pattern"], problem)]
    for j, i in ev["constraints"]:
        pattern[j][0][i] = 1
    H = piece_derivatives(problem, c, tuple(tuple(tuple(l) for l in s) for s in pattern)).hessian
    assert np.linalg.eigvalsh(np.array([[float(H[p, q]) for q in range(9)] for p in range(9)]))[0] < 0
    assert len(ev["pieces"]) == 16 and all(Fraction(v) > 0 for p in ev["pieces"] for v in p["multipliers"])


def center_theta(cert: dict, problem) -> list:
    return problem.flatten(parse_params(cert["center"], problem))


def test_xor_kink_minimum_grows_in_every_coordinate_direction(xor_cert):
    """Independent of the lemmas: L(c ± ρ e_i) > L(c) exactly for every coordinate i."""
    problem = load_problem(str(DATA / "xor_kinks.json"))
    c = center_theta(xor_cert, problem)
    rho = Fraction(xor_cert["radius"])
    base = loss(problem, problem.unflatten(c))
    for i in range(len(c)):
        for sign in (1, -1):
            moved = list(c)
            moved[i] += sign * rho
            assert loss(problem, problem.unflatten(moved)) > base


@pytest.mark.parametrize("mutate, step", [
    (lambda ev: ev["pieces"][0].update(tau=str(10 ** 80)), "hessian bound"),
    (lambda ev: ev["pieces"][0].update(multipliers=["1"] + ev["pieces"][0]["multipliers"][1:]), "gradient bound"),
    (lambda ev: ev["pieces"].pop(), "regions"),
    (lambda ev: ev["row_norms"].__setitem__(0, "0"), "gradient bound"),
    (lambda ev: ev["pieces"][0].update(hessian_norm="0"), "hessian bound"),
    (lambda ev: ev["pieces"][0].update(tau="0"), "hessian bound"),
])
def test_tampered_kink_certificate_is_rejected(xor_cert, mutate, step):
    cert = copy.deepcopy(xor_cert)
    mutate(cert["evidence"])
    assert rejected(cert).startswith(step + ":")


def test_kink_certificate_with_inflated_mu_is_rejected(xor_cert):
    cert = copy.deepcopy(xor_cert)
    cert["mu"] = "1"
    assert rejected(cert).startswith("hessian bound:")


@pytest.mark.parametrize("name", ["forged_zero_normal.json", "forged_zero_normal_xor.json"])
def test_zero_normal_constraint_is_never_a_kink(name):
    """Without biases a sample with x = 0 has z ≡ 0: its 'constraint' has normal a = 0, so Gordan would
    'exclude' both signs and no region would be left to check. These forged certificates (centre (5, 7)
    for L = 1 + (a² + b²)/10, not a minimum; an arbitrary XOR centre) must be rejected."""
    cert = json.loads((DATA / name).read_text())
    assert rejected(cert) == "regions: evidence.constraints[0]: x̃_0 = 0, so z ≡ 0 there: not a kink"


def test_empty_piece_list_is_rejected(chain_cert):
    cert = copy.deepcopy(chain_cert)
    cert["evidence"]["pieces"] = []
    cert["evidence"]["empty"] = [{"signs": "1", "gordan": ["1"]}, {"signs": "0", "gordan": ["1"]}]
    assert rejected(cert).startswith("regions:")


def test_sample_at_the_origin_without_biases_is_handled():
    """x = 0 without biases gives f = 0 whatever θ: for x = (1, 0), y = (1, 1), mean, λ = 1/8,
    L = ½(b·relu(a) − 1)² + ½ + (a² + b²)/8. On the diagonal ∂L/∂a = (t² − 1)t + t/4 = 0 gives t² = 3/4,
    with Hessian [[1, 1/2], [1/2, 1]]: the x = 0 entry is no boundary, and the minimum is certified."""
    problem = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
                             "loss": {"weight_decay": "1/8"}, "data": {"inputs": [["1"], ["0"]], "targets": [["1"], ["1"]]},
                             "point": {"weights": [[["0.866"]], [["0.866"]]]}})
    v = certify(problem)
    assert v.status == "CERTIFIED", v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID")
