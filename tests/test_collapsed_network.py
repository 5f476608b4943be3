"""``collapsed_network``: two or more hidden layers whose units are all dead, certified by a-priori bounds.

Fixture ``tests/data/collapsed_network.json`` (and ``trained_deep_dust.json``, the same problem with float32
dust on every hidden parameter): a 1-2-2-1 network with biases, λ = 1/2, mean loss over N = 3 samples
(α = 1/3), x = (1, −1/2, 1/4), y = (1/5, −1/10, 3/10). Worked by hand:

- ``b* = αΣy / (αN + λ) = (2/15) / (3/2) = 4/45``; residuals ``r = b* − y = (−1/9, 17/90, −19/90)``,
  ``Σr = −2/15`` and ``αΣr + λb* = −2/45 + 2/45 = 0``; ``Σ‖r_j‖² = 5/54``.
- ``Σ‖x_j‖² = 21/16``; with ``S_ℓ = ρ²(S_{ℓ−1} + 1)`` summed over the samples, ``T_1 = ρ²(21/16 + 3)``,
  ``T_2 = ρ²(T_1 + 3)``. At ``ρ = 1/8``: ``T_1 = 69/1024``, ``T_2 = 3141/65536``, so the coupling must
  reach ``K² ≥ α²·(5/54)·T_1 = 115/165888`` (``K ≈ 0.0263``) and ``M² ≥ α²·N·T_2 = 1047/65536``
  (``M ≈ 0.1264``). Then ``2λ − 5M ≈ 0.37``, ``4λ(1 − ν) − 4K − 5M ≈ 1.09``, ``2λ − 4K ≈ 0.89``: all positive.
  At ``ρ = 1/4``, ``M² ≥ (1/3)·(1/16)(69/256 + 3) ≈ 0.0681`` and ``2λ − 5M ≈ 1 − 1.30 < 0``: ``1/8`` is the
  largest power of ½ that works.
"""

from __future__ import annotations

import copy
import json
import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from proofs import checker, latex
from proofs.latex_format import LatexError
from proofs.generator import certify
from proofs.methods import collapsed_network
from proofs.trained import certify_trained
from symbolic.problem import load_problem, parse_params, parse_problem

DATA = Path(__file__).parent / "data"
F = Fraction


def problem_with(targets: list[str], lam: str = "1/2", widths: list[int] | None = None, point: str = "0",
                 out: str = "0"):
    """The fixture's architecture and inputs with other targets, λ or widths; every hidden parameter ``point``,
    the output bias ``out``."""
    base = json.loads((DATA / "collapsed_network.json").read_text(encoding="utf-8"))
    base["data"]["targets"] = [[t] for t in targets]
    base["loss"]["weight_decay"] = lam
    base["network"]["widths"] = widths or [1, 2, 2, 1]
    w = base["network"]["widths"]
    base["point"] = {"weights": [[[point] * w[k] for _ in range(w[k + 1])] for k in range(len(w) - 1)],
                     "biases": [[point] * w[k + 1] for k in range(len(w) - 2)] + [[out] * w[-1]]}
    return parse_problem(base)


@pytest.fixture(scope="module")
def collapsed():
    problem = load_problem(str(DATA / "collapsed_network.json"))
    v = certify(problem)
    assert v.status == "CERTIFIED", v.reason
    assert v.certificate["evidence"]["method"] == "collapsed_network"
    return problem, v.certificate


def rejected(cert: dict) -> str:
    with pytest.raises(checker.CertificateInvalid) as err:
        checker.check_certificate(cert)
    return str(err.value)


def test_hand_worked_centre_radius_and_bounds(collapsed):
    problem, cert = collapsed
    c = problem.flatten(parse_params(cert["center"], problem))
    assert all(v == 0 for v in c[:-1]) and c[-1] == F(4, 45)
    assert cert["radius"] == "1/8"
    assert collapsed_network.bounds(problem, c, F(1, 8)) == (F(115, 165888), F(1047, 65536))
    ev = cert["evidence"]
    K, M, nu = F(ev["coupling"]), F(ev["h_sum"]), F(ev["bstar_norm"])
    assert K * K >= F(115, 165888) and 0.0263 < float(K) < 0.0264
    assert M * M >= F(1047, 65536) and 0.1263 < float(M) < 0.1265
    assert nu >= F(4, 45) and float(nu) < 0.0889
    assert F(cert["mu"]) <= 2 * (F(1, 2) * (1 - nu) - K)
    # the next radius up fails at 2λ − (2H+1)·h_sum: (1/3)(1/16)(69/256 + 3) = 0.0681…, 1 − 5·√0.0681 < 0
    need_M = collapsed_network.bounds(problem, c, F(1, 4))[1]
    assert need_M == F(1, 3) * F(1, 16) * (F(69, 256) + 3) and 25 * need_M > 1


def loss(problem, theta: np.ndarray) -> float:
    """An independent float64 forward pass and loss (canonical order: per layer the rows of W, then b)."""
    w, pos, h = problem.widths, 0, np.array([[float(v) for v in x] for x in problem.inputs])
    for k in range(len(w) - 1):
        W = theta[pos:pos + w[k + 1] * w[k]].reshape(w[k + 1], w[k])
        pos += w[k + 1] * w[k]
        b = theta[pos:pos + w[k + 1]]
        pos += w[k + 1]
        h = h @ W.T + b
        if k < len(w) - 2:
            h = np.maximum(h, 0)
    Y = np.array([[float(v) for v in y] for y in problem.targets])
    return float(problem.alpha) * float(np.sum((h - Y) ** 2)) + float(problem.weight_decay) * float(theta @ theta)


def test_growth_holds_on_random_displacements(collapsed):
    """Independent float check of L(c + d) − L(c) ≥ (μ/2)‖d‖² on the ball, including displacements that
    turn every hidden unit on (positive biases) and grow the bias path b_H → A along b*."""
    problem, cert = collapsed
    c = np.array([float(v) for v in problem.flatten(parse_params(cert["center"], problem))])
    rho, mu = float(F(cert["radius"])), float(F(cert["mu"]))
    L0, P = loss(problem, c), len(c)
    rng = np.random.default_rng(7)
    for n in range(4000):
        d = rng.standard_normal(P)
        if n % 2:
            d[[2, 3, 8, 9]] = np.abs(d[[2, 3, 8, 9]])            # live first- and second-layer biases
            d[10:12] = np.abs(d[10:12])                           # outgoing weights along b* > 0
        d *= rng.uniform(0.01, 1) * rho / np.linalg.norm(d)
        assert loss(problem, c + d) - L0 >= 0.999 * (mu / 2) * (d @ d)


def test_the_dusty_trained_point_is_certified_at_the_collapsed_centre():
    """float32 dust (≤ 1e-43) on every hidden parameter: the answer is about the collapsed centre, the
    dust's norm away (it used to be UNKNOWN: a descent curve whose slope was only rounding)."""
    p = load_problem(str(DATA / "trained_deep_dust.json"))
    v = certify_trained(p)
    assert (v.status, v.claim) == ("CERTIFIED", "isolated_local_minimum"), v.reason
    cert = v.certificate
    assert cert["evidence"]["method"] == "collapsed_network"
    assert cert["center"]["biases"][-1] == ["4/45"]
    assert float(F(cert["origin_distance"])) < 3e-9      # |4/45 − float32(4/45)| ≈ 2.2e-9, the dust far below
    assert checker.check_certificate(cert).startswith("VALID: CERTIFIED isolated_local_minimum, radius 1/8")


@pytest.mark.parametrize("b, status", [(F(99, 100), "CERTIFIED"), (F(1), "UNKNOWN"), (F(101, 100), "REFUTED")])
def test_the_threshold_is_a_unit_output_bias(b, status):
    """Every target equal to y (mean loss, λ = 1/2): b* = y/(1 + λ) = 2y/3. Just below ‖b*‖ = 1 the centre is
    certified, at 1 UNKNOWN, just above refuted by the curve b_{2,0} = t, A_{0,0} = t·b*."""
    y = b * F(3, 2)
    p = problem_with([str(y)] * 3, out=str(b))
    v = certify(p)
    assert v.status == status, v.reason
    if status == "CERTIFIED":
        assert v.certificate["evidence"]["method"] == "collapsed_network"
    elif status == "REFUTED":
        assert (v.claim, v.certificate["evidence"]["method"]) == ("not_a_local_minimum", "curve")
    else:
        assert "norm exactly 1" in v.reason


def test_just_over_the_threshold_the_curve_lowers_the_loss_by_hand():
    """b* = 101/100: along b_{2,0} = t, A_{0,0} = t·b* every output is b* + t²b*, so
    L(t) − L(0) = λt²(1 − b*²) + αN·b*²·t⁴ = −(201/20000)t² + (10201/10000)t⁴, negative for small t;
    checked here with the independent forward pass, and the checker accepts the refutation."""
    p = problem_with(["303/200"] * 3)
    v = certify(p)
    assert v.status == "REFUTED" and checker.check_certificate(v.certificate).startswith("VALID: REFUTED")
    c = np.zeros(p.parameter_count)
    c[-1] = 1.01
    L0 = loss(p, c)
    for t in (0.01, 0.05, 0.09):
        d = np.zeros_like(c)
        d[8], d[10] = t, t * 1.01                        # b_2[0] and A[0, 0]
        expected = -(201 / 20000) * t ** 2 + (10201 / 10000) * t ** 4
        assert abs((loss(p, c + d) - L0) - expected) < 1e-12 and expected < 0


def test_three_hidden_layers_and_no_biases():
    """1-2-2-2-1 with biases certifies; without biases the centre is 0 (b* = 0) and certifies as well."""
    v = certify(problem_with(["1/5", "-1/10", "3/10"], widths=[1, 2, 2, 2, 1]))
    assert v.status == "CERTIFIED" and v.certificate["evidence"]["method"] == "collapsed_network"
    assert checker.check_certificate(v.certificate).startswith("VALID: CERTIFIED isolated_local_minimum")
    base = json.loads((DATA / "collapsed_network.json").read_text(encoding="utf-8"))
    base["network"]["biases"] = False
    base["point"] = {"weights": base["point"]["weights"]}
    v = certify(parse_problem(base))
    assert v.status == "CERTIFIED" and v.certificate["evidence"]["method"] == "collapsed_network", v.reason
    assert "there is no output bias" in v.reason and v.certificate["evidence"]["bstar_norm"] == "0"
    assert "The network has no biases." in latex.render(v.certificate, b"", "c.json")


def test_a_live_layer_is_not_collapsed():
    """One hidden weight of 1/100 (far above rounding): the search declines, so another method decides."""
    p = problem_with(["1/5", "-1/10", "3/10"])
    theta = p.flatten(p.point)
    theta[0] = F(1, 100)
    assert collapsed_network.search(p, theta, lambda _msg: None) is None


@pytest.mark.parametrize("mutate, line", [
    (lambda cert: cert["center"]["biases"][2].__setitem__(0, "1/10"),
     "gradient bound: the output bias 0 must be exactly critical"),
    (lambda cert: cert["center"]["weights"][2][0].__setitem__(1, "1/1000"),
     "center: parameter 11 must be 0"),
    (lambda cert: cert["center"]["biases"][1].__setitem__(0, "1/1000"),
     "center: parameter 8 must be 0"),
    (lambda cert: cert.update(radius="1/4"), "hessian bound: coupling must satisfy"),
    (lambda cert: cert["evidence"].update(bstar_norm="2/23"), "hessian bound: bstar_norm must satisfy"),
    (lambda cert: cert["evidence"].update(bstar_norm="1"), "hessian bound: bstar_norm must be below 1"),
    (lambda cert: cert["evidence"].update(coupling="1/40"), "hessian bound: coupling must satisfy"),
    (lambda cert: cert["evidence"].update(h_sum="1/8"), "hessian bound: h_sum must satisfy"),
    (lambda cert: cert["evidence"].update(h_sum="1/4"), "gradient bound: 2λ − (2H+1)·h_sum"),
    (lambda cert: cert.update(mu="1"), "mu: must be at most 2·(λ(1 − bstar_norm) − coupling)"),
    (lambda cert: cert["problem"]["network"].update(decay_biases=False), "evidence: collapsed_network needs decayed"),
    (lambda cert: cert["evidence"].pop("h_sum"), "format: evidence.h_sum: missing required field"),
])
def test_tampered_certificate_is_rejected(collapsed, mutate, line):
    cert = copy.deepcopy(collapsed[1])
    mutate(cert)
    assert rejected(cert).startswith(line)


def test_one_hidden_layer_is_refused(collapsed):
    cert = copy.deepcopy(collapsed[1])
    cert["problem"]["network"]["widths"] = [1, 2, 1]
    cert["center"] = {"weights": [[["0"], ["0"]], [["0", "0"]]], "biases": [["0", "0"], ["4/45"]]}
    assert rejected(cert).startswith("evidence: collapsed_network needs a ReLU network with at least two")


def test_the_proof_typesets(tmp_path, collapsed):
    from click.testing import CliRunner

    from cli import main

    path = tmp_path / "c.json"
    path.write_text(json.dumps(collapsed[1]), encoding="utf-8")
    result = CliRunner().invoke(main, ["latex", str(path)])
    assert result.exit_code == 0, result.output
    assert "b^* = \\frac{4}{45}" in result.output and "\\begin{theorem}" in result.output
    done = latex.compile_pdf(result.output, str(tmp_path / "proof.pdf"))
    assert done.pages >= 1 and not re.search(r"^! ", done.log, re.M), done.log[-2000:]
    assert "undefined references" not in done.log and "multiply defined" not in done.log
    widths = [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide", done.log)]
    assert all(w <= 20 for w in widths), widths


def test_the_typesetter_refuses_a_false_bound(collapsed):
    """A coupling below its a-priori bound: the checker rejects it, and the typesetter alone refuses to
    state the inequality."""
    bad = copy.deepcopy(collapsed[1])
    bad["evidence"]["coupling"] = "1/40"
    with pytest.raises(LatexError, match="K²"):
        latex.render(bad, b"", "bad.json")


def test_two_outputs_compare_the_norm_of_the_output_bias_with_1():
    """Two outputs, every target (9/8, 9/8): b* = (3/4, 3/4), each entry below 1 but ‖b*‖² = 9/8 > 1, so the
    centre is a saddle (the curve b_{2,0} = t, A_{:,0} = t·b* lowers L by λ·(1/8)·t² to second order);
    targets (3/5, −3/10), (3/10, 0), (0, −3/5) give b* = (1/5, −1/5), ‖b*‖² = 2/25, certified."""
    def problem(targets: list[list[str]], out: list[str]):
        return parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 2, 2]},
                              "loss": {"weight_decay": "1/2"},
                              "data": {"inputs": [["1"], ["-1/2"], ["1/4"]], "targets": targets},
                              "point": {"weights": [[["0"]] * 2, [["0", "0"]] * 2, [["0", "0"]] * 2],
                                        "biases": [["0", "0"], ["0", "0"], out]}})

    v = certify(problem([["9/8", "9/8"]] * 3, ["3/4", "3/4"]))
    assert (v.status, v.claim) == ("REFUTED", "not_a_local_minimum") and "9/8 > 1" in v.reason
    assert checker.check_certificate(v.certificate).startswith("VALID: REFUTED not_a_local_minimum")
    v = certify(problem([["3/5", "-3/10"], ["3/10", "0"], ["0", "-3/5"]], ["1/5", "-1/5"]))
    assert v.status == "CERTIFIED" and v.certificate["evidence"]["method"] == "collapsed_network"
    assert v.certificate["center"]["biases"][-1] == ["1/5", "-1/5"]
    assert F(v.certificate["evidence"]["bstar_norm"]) ** 2 >= F(2, 25)
