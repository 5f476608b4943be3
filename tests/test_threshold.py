"""Tests of the paper's threshold (symbolic/threshold*.py, dropout.py, sweeps.py) and its checker.

Hand computations used below (H = hidden layers, α = 1/N for "mean", K = α H² θ^(2H−2) Σ‖x̃_j‖², ε* = λ²/K):

* chain f = b·σ(a·x), x = y = 1, N = 1: H = 1, X₂ = 1, K = 1, so ε* = λ² for every θ (θ^0 = 1).
* deep chain f = c·σ(b·σ(a·x)), x = y = 1: H = 2, K = 4θ², ε* = λ²/(4θ²).
* the exact critical point a = b = 4/5 of the chain with λ = 9/25 (a² = 1 − λ): r = ab − 1 = −9/25 = −λ,
  so E = λ² = ε* exactly (not below it), while ∇²L = [[2b² + 2λ, 2(2ab − 1)], [·, 2a² + 2λ]]
  = [[2, 14/25], [14/25, 2]] has λ_min = 36/25 = 4λ > 0: the gap of paper.md §5.4.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from cli import main
from proofs.checker import CertificateInvalid, check_certificate
from symbolic.dropout import DropoutModel, dropout_threshold, expected_loss, keep_live
from symbolic.exceptions import ProblemError
from symbolic.network import forward
from symbolic.problem import parse_problem
from numeric.sweeps import depth_member, depth_sweep, parse_range
from symbolic.threshold import modulus, sqrt_upper, threshold
from proofs.methods.lemma_a_norm_box import certificate, certified
from symbolic.linalg import semidefinite_class as elimination
from symbolic.threshold_gap import smallest_eigenvalue, spectral_square_bounds, symmetry_directions

F = Fraction


def problem(widths, weights, lam, inputs=((1,),), targets=((1,),), biases=None, activation="relu",
            reduction="mean", decay_biases=True):
    net = {"widths": list(widths), "biases": biases is not None, "activation": activation}
    if biases is not None:
        net["decay_biases"] = decay_biases
    point = {"weights": weights}
    if biases is not None:
        point["biases"] = biases
    return parse_problem({"format": "pscert.problem/1", "network": net,
                          "loss": {"weight_decay": str(lam), "reduction": reduction},
                          "data": {"inputs": [[str(v) for v in x] for x in inputs],
                                   "targets": [[str(v) for v in y] for y in targets]},
                          "point": point})


def chain(a, b, lam, activation="relu"):
    return problem([1, 1, 1], [[[str(a)]], [[str(b)]]], lam, activation=activation)


# ---------------------------------------------------------------------------------------------------
# thresholds against hand computations


def test_chain_threshold_is_lambda_squared_for_every_theta():
    """f = b·σ(a·x), x = y = 1, λ = 1/4 at a = b = 1: E = 0, ε* = λ² = 1/16, μ = 2λ = 1/2."""
    p = chain(1, 1, "1/4")
    for theta in (None, F(1), F(3), F(1, 2)):
        t = threshold(p, theta)
        assert t.epsilon_star == F(1, 16)
        assert t.K == 1
    t = threshold(p)
    assert (t.theta, t.error, t.in_set, t.mu) == (1, 0, True, F(1, 2))
    # θ below the point's norms: outside the box, whatever the error
    assert threshold(p, F(1, 2)).in_set is False


def test_chain_modulus_inside_the_set():
    """a = 1, b = 9/10: r = −1/10, E = 1/100 < 1/16; μ = 2(λ − √E) = 2(1/4 − 1/10) = 3/10 exactly."""
    t = threshold(chain(1, "9/10", "1/4"))
    assert t.in_set and t.error == F(1, 100)
    assert t.mu == F(3, 10)


def test_deep_chain_threshold():
    """f = c·σ(b·σ(a·x)), H = 2: ε* = λ²/(4θ²); λ = 1/2, θ = 2 gives 1/64."""
    p = problem([1, 1, 1, 1], [[["1"]], [["1"]], [["1"]]], "1/2")
    assert threshold(p, F(2)).epsilon_star == F(1, 64)
    assert threshold(p).epsilon_star == F(1, 16)


def test_sum_reduction_and_two_samples():
    """α = 1 (sum), N = 2, x = 1 and 2: X₂ = 5, H = 1 → ε* = λ²/5."""
    p = problem([1, 1, 1], [[["1"]], [["1"]]], "1/10", inputs=((1,), (2,)), targets=((1,), (2,)), reduction="sum")
    assert threshold(p).epsilon_star == F(1, 500)
    pm = problem([1, 1, 1], [[["1"]], [["1"]]], "1/10", inputs=((1,), (2,)), targets=((1,), (2,)))
    assert threshold(pm).epsilon_star == F(1, 250)  # α = 1/2 doubles it


def test_biases_use_the_augmented_matrices():
    """W̃₁ = [[2, 1], [0, 1]], W̃₂ = [[3, 0]]: ‖W̃₁‖_F² = 6, ‖W̃₂‖_F² = 9; x̃ = (1, 1): X₂ = 2, K = α·X₂ = 2."""
    p = problem([1, 1, 1], [[["2"]], [["3"]]], "1", biases=[["1"], ["0"]])
    t = threshold(p)
    assert t.norm_bounds == (6, 9) and t.theta == 3 and t.x2 == 2 and t.K == 2
    assert t.epsilon_star == F(1, 2)


def test_undecayed_biases_are_refused():
    p = problem([1, 1, 1], [[["2"]], [["3"]]], "1", biases=[["1"], ["0"]], decay_biases=False)
    with pytest.raises(ProblemError, match="decay_biases: must be true"):
        threshold(p)


def test_no_hidden_layer_has_no_threshold():
    """H = 0: the residual term vanishes, L is 2λ-strongly convex: ε* = none, μ = 2λ."""
    p = problem([1, 1], [[["5"]]], "1/3")
    t = threshold(p)
    assert t.epsilon_star is None and t.K == 0 and t.in_set and t.mu == F(2, 3)


def test_zero_weight_decay_has_empty_set():
    t = threshold(chain(1, 1, 0))
    assert t.epsilon_star == 0 and not t.in_set and t.mu is None
    assert any("λ = 0" in n for n in t.notes)


@settings(max_examples=40, deadline=None)
@given(st.fractions(min_value=0, max_value=10), st.integers(min_value=0, max_value=40))
def test_sqrt_upper_is_an_upper_bound(q, digits):
    s = sqrt_upper(q, digits)
    assert s * s >= q and s >= 0
    assert (s - F(1, 10 ** digits)) ** 2 < q or s == 0


@settings(max_examples=40, deadline=None)
@given(st.fractions(min_value=F(1, 100), max_value=5), st.fractions(min_value=0, max_value=10),
       st.fractions(min_value=0, max_value=10))
def test_modulus_satisfies_the_squared_condition(lam, K, eps):
    mu = modulus(lam, K, eps)
    if K * eps >= lam * lam:
        assert mu is None
    else:
        assert mu is not None and 0 < mu <= 2 * lam and (lam - mu / 2) ** 2 >= K * eps


def test_lemma_a_holds_on_random_small_pieces():
    """The exact λ_min of the piece Hessian is never below the Lemma (A) modulus (random rational nets)."""
    rng = np.random.default_rng(0)
    checked = 0
    for _ in range(12):
        w = [int(v) for v in rng.integers(1, 3, size=3)]
        weights = [[[str(F(int(rng.integers(-6, 7)), 4)) for _ in range(w[k])] for _ in range(w[k + 1])] for k in range(2)]
        inputs = [[str(F(int(rng.integers(-3, 4)), 2)) for _ in range(w[0])] for _ in range(2)]
        targets = [[str(F(int(rng.integers(-3, 4)), 2)) for _ in range(w[2])] for _ in range(2)]
        p = parse_problem({"format": "pscert.problem/1", "network": {"widths": w, "biases": False},
                           "loss": {"weight_decay": "3"}, "data": {"inputs": inputs, "targets": targets},
                           "point": {"weights": weights}})
        t = threshold(p, gap=True)
        if t.mu is not None and not t.boundary:
            assert t.gaps[0][1].hi >= t.mu
            checked += 1
    assert checked >= 3


# ---------------------------------------------------------------------------------------------------
# the bias-free fact (paper.md §5.4) and the gap


@pytest.mark.parametrize("activation", ["relu", "identity"])
def test_exact_critical_point_is_not_in_the_set_but_is_strongly_convex(activation):
    """a = b = 4/5, λ = 9/25: a critical point with E = ε* (so not in U) and exact λ_min = 36/25 = 4λ."""
    p = chain("4/5", "4/5", "9/25", activation)
    t = threshold(p, gap=True)
    assert t.error == t.epsilon_star == F(81, 625)
    assert not t.in_set and t.mu is None
    (_, iv), = t.gaps
    assert iv.lo == iv.hi == F(36, 25)
    assert any("bias-free" in n for n in t.notes)
    # the homogeneity identity α Σ r_j f(x_j) = −λ‖W_k‖² behind the fact, exactly, for both layers
    r, f = F(16, 25) - 1, F(16, 25)
    assert r * f == -F(9, 25) * F(16, 25)


def test_deep_chain_critical_point_lies_outside_the_set():
    """f = c·σ(b·σ(a·x)), x = y = 1, a = b = c = t = 1/2 is critical for λ = t − t⁴ = 7/16 (r·t = −λ):
    E = (1/8 − 1)² = 49/64 while ε* = λ²/(4θ²) = (49/256)/(4·1/4) = 49/256: far outside U."""
    p = problem([1, 1, 1, 1], [[["1/2"]], [["1/2"]], [["1/2"]]], "7/16")
    from symbolic.derivatives import piece_derivatives

    d = piece_derivatives(p, p.flatten(p.point), forward(p).pattern, hessian=False)
    assert all(g == 0 for g in d.gradient)  # exactly critical
    t = threshold(p)
    assert t.theta == F(1, 2) and t.error == F(49, 64) and t.epsilon_star == F(49, 256) and not t.in_set


def test_near_critical_rational_approximation_is_outside():
    """a = b = 0.866 ≈ √(3/4) for λ = 1/4: ab = 0.749956 < 3/4, so |r| > λ and E > ε* = 1/16."""
    t = threshold(chain("0.866", "0.866", "1/4"), gap=True)
    assert t.error > t.epsilon_star == F(1, 16) and not t.in_set
    assert t.gaps[0][1].lo == F(125011, 125000)  # exact: 2(0.749956) + 1/2 − 2(2·0.749956 − 1)


def test_boundary_point_reports_adjacent_pieces():
    """At a = b = 0 the chain's unit has z = 0: pieces 'inactive' (L = 1 + λ‖θ‖², λ_min = 2λ = 1/2) and
    'active' (∇²L = [[2λ, −2], [−2, 2λ]], λ_min = 2λ − 2 = −3/2); the dead piece has no threshold."""
    t = threshold(chain(0, 0, "1/4"), gap=True)
    assert t.boundary and len(t.regions) == 2 and t.theta == 1
    dead, live = t.regions
    assert dead.live == () and dead.epsilon_star is None and live.epsilon_star == F(1, 16)
    assert [iv.lo for _, iv in t.gaps] == [F(1, 2), F(-3, 2)]


def test_dead_sample_raises_the_region_threshold():
    """x = 1 and x = −1, a = 1: the second sample is inactive, so X₂ = 2 globally but X₂_P = 1: ε*_P = 2ε*."""
    p = problem([1, 1, 1], [[["1"]], [["1"]]], "1/4", inputs=((1,), (-1,)), targets=((1,), (0,)))
    t = threshold(p)
    (r,) = t.regions
    assert r.live == (0,) and t.x2 == 2 and r.x2 == 1
    assert r.epsilon_star == 2 * t.epsilon_star


def test_elimination_and_eigen_intervals():
    assert elimination([[1, 2], [2, 1]])[0] == "not_psd"
    assert elimination([[0, 1], [1, 0]])[0] == "not_psd"
    assert elimination([[0, 0], [0, 1]])[0] == "psd"
    rng = np.random.default_rng(1)
    for n in (1, 3, 5):
        M = rng.integers(-5, 6, size=(n, n))
        A = [[F(int(v), 3) for v in row] for row in (M + M.T)]
        iv = smallest_eigenvalue(A)
        true = np.linalg.eigvalsh(np.array(A, dtype=float))[0]
        assert iv.lo <= true + 1e-12 and true - 1e-12 <= iv.hi and iv.hi - iv.lo < F(1, 10 ** 6)
        assert elimination(A, iv.lo)[0] in ("pd", "psd") and elimination(A, iv.hi)[0] in ("not_psd", "psd")


def test_spectral_bounds_are_between_truth_and_frobenius():
    p = problem([2, 2, 1], [[["1", "2"], ["3", "4"]], [["1", "1"]]], "1", inputs=((1, 0),))
    (b1, b2) = spectral_square_bounds(p, p.point)
    true = np.linalg.norm(np.array([[1, 2], [3, 4]], dtype=float), 2) ** 2
    assert true - 1e-9 <= b1 <= true + 1e-9 and b1 < 30
    assert b2 == 2
    t = threshold(p, spectral=True)
    assert t.norm_method == "spectral" and t.theta ** 2 >= b1


# ---------------------------------------------------------------------------------------------------
# linear networks: orthogonal symmetry


LINEAR = {"format": "pscert.problem/1", "network": {"widths": [2, 2, 2], "biases": False, "activation": "identity"},
          "loss": {"weight_decay": "3/8"}, "data": {"inputs": [[1, 0], [0, 1]], "targets": [[1, 0], [0, 1]]},
          "point": {"weights": [[["1/2", 0], [0, "1/2"]], [["1/2", 0], [0, "1/2"]]]}}


def test_linear_critical_point_has_an_exact_null_direction():
    """W₁ = W₂ = I/2 is critical for λ = 3/8 (t(t² − 1) + 2λt = 0): the skew tangent (A/2, −A/2) is null."""
    p = parse_problem(LINEAR)
    (d,) = symmetry_directions(p, p.point)
    assert d.hv_square == 0 and d.rayleigh == 0 and d.v_square == 1
    t = threshold(p, gap=True)
    assert t.gaps[0][1].lo == t.gaps[0][1].hi == 0 and any("linear network" in n for n in t.notes)


def test_linear_near_critical_point_reports_exact_residual():
    obj = json.loads(json.dumps(LINEAR))
    obj["point"]["weights"][0][0][0] = "0.51"
    p = parse_problem(obj)
    (d,) = symmetry_directions(p, p.point)
    assert d.hv_square > 0 and abs(d.rayleigh) < F(1, 10)


def test_relu_network_has_no_symmetry_report():
    p = chain(1, 1, "1/4")
    assert symmetry_directions(p, p.point) == []


# ---------------------------------------------------------------------------------------------------
# dropout


def test_dropout_closed_form_matches_enumeration():
    p = problem([2, 3, 1], [[["1", "-1/2"], ["1/2", "1"], ["1/3", "1/4"]], [["1", "-2", "1/2"]]], "1/10",
                inputs=((1, 0), (1, 1)), targets=((1,), (0,)), biases=[["0", "1/4", "1/5"], ["1/7"]])
    for model in (DropoutModel(F(1, 3)), DropoutModel(F(3, 4), True)):
        e1, h1, n1, how1 = expected_loss(p, p.point, model)
        e2, h2, n2, how2 = expected_loss(p, p.point, model, enumerate_all=True)
        assert e1 == e2 and h1 == h2 and "closed" in how1 and n2 == 8


def test_dropout_matches_the_variance_formula():
    """Bias-free one hidden layer: E = ‖pW₂a − y‖² + p(1−p) Σ_i W₂[i]² a_i² (N = 1, mean).
    W₁ = (1, 2)ᵀ, x = 1: a = (1, 2); W₂ = (1, 1), y = 1, p = 1/2: (3/2 − 1)² + 1/4·(1 + 4) = 3/2."""
    p = problem([1, 2, 1], [[["1"], ["2"]], [["1", "1"]]], "1/10")
    e, _, _, _ = expected_loss(p, p.point, DropoutModel(F(1, 2)))
    assert e == F(3, 2)
    e_inv, _, _, _ = expected_loss(p, p.point, DropoutModel(F(1, 2), True))
    assert e_inv == (3 - 1) ** 2 + 1 * 5  # ‖W₂a − y‖² + (1−p)/p Σ W₂[i]² a_i²


def test_dropout_threshold_scaling():
    """Plain: ε*_p = ε*/q; inverted: ε*_p = ε*·p^(2H)/q; q = 1 − (1−p)^n for one hidden layer, bias-free."""
    p = problem([1, 2, 1], [[["1"], ["2"]], [["1", "1"]]], "1/10")
    base = threshold(p)
    q = keep_live(p, F(1, 2))
    assert q == F(3, 4)
    plain = dropout_threshold(p, DropoutModel(F(1, 2)), base.theta)
    inv = dropout_threshold(p, DropoutModel(F(1, 2), True), base.theta)
    assert plain.epsilon_star == base.epsilon_star / q
    assert inv.epsilon_star == base.epsilon_star * F(1, 4) / q
    full = dropout_threshold(p, DropoutModel(F(1)), base.theta)
    assert full.epsilon_star == base.epsilon_star and full.expected_error == base.error
    with pytest.raises(ProblemError, match="keep probability"):
        DropoutModel(F(0))


def test_dropout_two_hidden_layers_enumerates():
    p = problem([1, 1, 1, 1], [[["1"]], [["1"]], [["1"]]], "1/4")
    e, _, n, how = expected_loss(p, p.point, DropoutModel(F(1, 2)))
    assert n == 4 and "enumeration" in how and e == F(1, 4) * 0 + F(3, 4) * 1  # kept by both: r = 0


# ---------------------------------------------------------------------------------------------------
# depth family


def test_depth_family_keeps_the_function_and_shrinks_the_threshold():
    p = problem([2, 2, 1], [[["1", "1/2"], ["-1/2", "1"]], [["1", "2"]]], "1/10", inputs=((1, 0), (0, 1)),
                targets=((1,), (2,)), biases=[["1/10", "0"], ["0"]])
    outs = forward(depth_member(p, 1)).outputs
    assert all(forward(depth_member(p, H)).outputs == outs for H in (2, 5))
    theta, rows = depth_sweep(p, [1, 2, 3, 4], gap=False)
    stars = [r.report.epsilon_star for r in rows]
    assert theta >= 1 and all(a > b for a, b in zip(stars, stars[1:]))
    assert stars[1] == stars[0] / (4 * theta ** 2)  # H² θ^(2H−2): 1 → 4θ²
    assert len({r.report.error for r in rows}) == 1


@pytest.mark.parametrize("bad", ["0..3", "3..2", "a..b", "1..2..3", "1..99"])
def test_parse_range_rejects(bad):
    with pytest.raises(ProblemError, match="--depth-sweep"):
        parse_range(bad)


# ---------------------------------------------------------------------------------------------------
# certificates and their checker


def check_piecewise_strong_convexity(problem, cert):
    """The trusted checker on the whole certificate (which embeds its problem)."""
    try:
        return check_certificate(json.loads(json.dumps(cert, default=str)))
    except CertificateInvalid as err:
        raise ValueError(str(err)) from None


def good_cert():
    p = chain(1, "9/10", "1/4")
    return certified(threshold(p))


def test_certificate_accepted_and_self_contained():
    cert = good_cert()
    msg = check_piecewise_strong_convexity(cert["problem"], cert)
    assert "mu = 3/10" in msg and "centre inside" in msg and "region mu" in msg
    assert cert["evidence"]["center_in_set"] is True and cert["radius"] == "0"
    # the same with Fraction values in the problem object
    prob = json.loads(json.dumps(cert["problem"]))
    prob["loss"]["weight_decay"] = F(1, 4)
    check_piecewise_strong_convexity(prob, cert)


def test_certificate_with_biases_and_spectral_norms():
    p = problem([2, 2, 1], [[["1", "1/2"], ["-1/2", "1"]], [["1", "1"]]], "1", inputs=((1, 0), (0, 1)),
                targets=((1,), (1,)), biases=[["0", "0"], ["0"]])
    t = threshold(p, spectral=True)
    cert = certified(t, F(1, 1000))
    assert cert["evidence"]["layer_norms"][0]["method"] == "spectral"
    check_piecewise_strong_convexity(cert["problem"], cert)


def tamper(path, value):
    cert = json.loads(json.dumps(good_cert()))
    obj = cert
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = value
    return cert


@pytest.mark.parametrize("path, value, message", [
    (("mu",), "1/2", "modulus: (λ − μ/2)²"),
    (("mu",), "0", "mu: must be positive"),
    (("mu",), "6/10", "must be in lowest terms"),
    (("evidence", "theta"), "1/2", "membership: layer 1: norm bound 1 exceeds θ² = 1/4"),
    (("evidence", "epsilon"), "1/10", "threshold: epsilon 1/10 must be below"),
    (("evidence", "epsilon"), "1/200", "membership: training error 1/100 exceeds"),
    (("evidence", "epsilon_star"), "1/8", "threshold: epsilon_star is 1/8"),
    (("evidence", "training_error"), "0", "membership: training_error is 0"),
    (("evidence", "method"), "other", "evidence: method"),
    (("claim",), "isolated_local_minimum", "is not supported for isolated_local_minimum"),
    (("center", "weights"), [[["3"]], [["9/10"]]], "membership"),
    (("evidence", "region", "live_samples"), [], "region: live_samples"),
    (("evidence", "region", "mu"), "1/2", "region: (λ − μ/2)²"),
    (("evidence", "region", "mu"), "1", "region: mu is 1, must be at most 2λ"),
    (("evidence", "region", "pattern"), [["0"]], "region: live_samples must be []"),
    (("problem", "loss", "weight_decay"), "1", "threshold: epsilon_star is 1/16, recomputed 1"),
])
def test_tampered_certificates_are_rejected(path, value, message):
    cert = tamper(path, value)
    with pytest.raises(ValueError, match=re.escape(message)):
        check_piecewise_strong_convexity(cert["problem"], cert)


def test_theta_deflated_is_caught():
    """Deep chain (H = 2, K = 4θ²): a deflated θ changes K; restating every derived number leaves the
    centre outside the smaller norm box."""
    p = problem([1, 1, 1, 1], [[["1"]], [["1"]], [["9/10"]]], "1/2")
    cert = json.loads(json.dumps(certified(threshold(p))))
    cert["evidence"]["theta"] = "1/2"
    with pytest.raises(ValueError, match="constant: constant is 4, recomputed 1"):
        check_piecewise_strong_convexity(cert["problem"], cert)
    ev = cert["evidence"]
    ev["constant"], ev["epsilon_star"] = "1", "1/4"
    ev["region"].update(constant="1", epsilon_star="1/4")
    with pytest.raises(ValueError, match="membership: layer 1: norm bound 1 exceeds θ² = 1/4"):
        check_piecewise_strong_convexity(cert["problem"], cert)


def test_region_pattern_must_match_the_centre():
    cert = tamper(("evidence", "region", "pattern"), [["0"]])
    cert["evidence"]["region"].update(live_samples=[], x2="0", constant="0", epsilon_star=None)
    with pytest.raises(ValueError, match="region: the centre's exact pattern"):
        check_piecewise_strong_convexity(cert["problem"], cert)


def test_certificate_refuses_epsilon_at_threshold():
    t = threshold(chain("4/5", "4/5", "9/25"))
    with pytest.raises(ProblemError, match="--epsilon: must be below"):
        certificate(t)
    cert = certified(t, F(1, 10))
    assert cert["evidence"]["center_in_set"] is False
    check_piecewise_strong_convexity(cert["problem"], cert)


def test_checker_imports_only_the_standard_library():
    code = ("import sys, proofs.checker.threshold; bad = [m for m in ('symbolic', 'sympy', 'flint', 'numpy', 'networkx') "
            "if m in sys.modules]; print(bad); sys.exit(1 if bad else 0)")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=".")
    assert res.returncode == 0, res.stdout + res.stderr


# ---------------------------------------------------------------------------------------------------
# the command line


def write(tmp_path, obj, name="p.json"):
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return str(path)


CHAIN = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
         "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["1"]], "targets": [["1"]]},
         "point": {"weights": [[["1"]], [["9/10"]]]}}


def test_cli_threshold_text_and_json(tmp_path):
    path = write(tmp_path, CHAIN)
    res = CliRunner().invoke(main, ["threshold", path])
    assert res.exit_code == 0, res.output
    assert "ε* (global):   1/16" in res.output and "in U:          yes" in res.output and "μ (modulus):   3/10" in res.output
    assert "gap:" in res.output and "bias-free" in res.output
    res = CliRunner().invoke(main, ["threshold", path, "--json", "--theta", "2"])
    obj = json.loads(res.output)
    assert res.exit_code == 0 and obj["epsilon_star"] == "1/16" and obj["theta"] == "2" and obj["in_set"] is True
    assert obj["mu"] == "3/10" and obj["theta_rule"] == "given"


def test_cli_certificate_round_trip(tmp_path):
    path = write(tmp_path, CHAIN)
    cert_path = str(tmp_path / "c.json")
    res = CliRunner().invoke(main, ["threshold", path, "-o", cert_path])
    assert res.exit_code == 0 and "wrote" in res.output
    cert = json.loads(open(cert_path).read())
    check_piecewise_strong_convexity(cert["problem"], cert)


@pytest.mark.parametrize("args, message", [
    (["--theta", "-1"], "--theta: must be positive"),
    (["--theta", "abc"], "--theta"),
    (["--inverted"], "--inverted: needs --dropout"),
    (["--plot", "x.png"], "--plot: needs --depth-sweep"),
    (["--epsilon", "1/100"], "--epsilon: needs -o"),
    (["--dropout", "2"], "keep probability must be in (0, 1]"),
    (["--depth-sweep", "1..3", "--dropout", "1/2"], "one at a time"),
])
def test_cli_bad_usage_exits_2(tmp_path, args, message):
    path = write(tmp_path, CHAIN)
    res = CliRunner().invoke(main, ["threshold", path, *args])
    assert res.exit_code == 2 and message in res.output


def test_cli_sweeps(tmp_path):
    path = write(tmp_path, CHAIN)
    res = CliRunner().invoke(main, ["threshold", path, "--depth-sweep", "1..3"])
    assert res.exit_code == 0 and "identity-extension" in res.output and res.output.count("\n") >= 5
    res = CliRunner().invoke(main, ["threshold", path, "--dropout-sweep", "--json"])
    obj = json.loads(res.output)
    assert res.exit_code == 0 and len(obj["rows"]) == 10 and obj["rows"][-1][0]["p"] == "1"
    res = CliRunner().invoke(main, ["threshold", path, "--dropout", "1/2", "--inverted"])
    assert res.exit_code == 0 and "inverted" in res.output


def test_cli_plot_without_matplotlib(tmp_path, monkeypatch):
    import builtins

    real = builtins.__import__

    def fake(name, *a, **k):
        if name.startswith("matplotlib"):
            raise ImportError(name)
        return real(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", fake)
    path = write(tmp_path, CHAIN)
    res = CliRunner().invoke(main, ["threshold", path, "--depth-sweep", "1..2", "--plot", str(tmp_path / "d.png")])
    assert res.exit_code == 2 and "needs matplotlib" in res.output


def test_cli_plot_written(tmp_path):
    pytest.importorskip("matplotlib")
    path = write(tmp_path, CHAIN)
    out = tmp_path / "d.png"
    res = CliRunner().invoke(main, ["threshold", path, "--depth-sweep", "1..3", "--plot", str(out)])
    assert res.exit_code == 0 and out.stat().st_size > 1000


# ---------------------------------------------------------------------------------------------------
# trajectories


def test_batch_gradient_matches_the_exact_gradient():
    from symbolic.derivatives import piece_derivatives
    from numeric.trajectory import batch_gradient

    p = problem([2, 2, 1], [[["1", "1/2"], ["-1/2", "1"]], [["1", "2"]]], "1/10", inputs=((1, 0), (0, 1)),
                targets=((1,), (2,)), biases=[["1/10", "1/5"], ["0"]])
    exact = piece_derivatives(p, p.flatten(p.point), forward(p).pattern, hessian=False).gradient
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    Y = np.array([[1.0], [2.0]])
    g = batch_gradient(p, np.array([float(v) for v in p.flatten(p.point)]), X, Y)
    assert np.allclose(g, [float(v) for v in exact], atol=1e-12)


def test_trajectory_checkpoints_are_exact_and_summarised():
    """The chain from a = b = 1 (λ = 1/4) converges to a = b = √(3/4): never in U (§5.4), always PD."""
    from numeric.trajectory import SCALE, summary, train

    rows = train(chain(1, 1, "1/4"), steps=60, lr=0.1, checkpoints=3)
    assert [r.step for r in rows] == [0, 20, 40, 60]
    assert rows[0].report.in_set and rows[0].report.error == 0  # the start interpolates: E = 0 < ε*
    last = rows[-1]
    assert not last.report.in_set and last.piece_pd is True
    assert last.report.error.denominator % SCALE == 0 or SCALE % last.report.error.denominator == 0
    s = summary(rows)
    assert s["checkpoints"] == 4 and s["condition_holds"] >= 1 and s["piece_hessian_pd"] == 4


def test_cli_trajectory(tmp_path):
    path = write(tmp_path, CHAIN)
    res = CliRunner().invoke(main, ["trajectory", path, "--steps", "20", "--checkpoints", "2", "--json"])
    obj = json.loads(res.output)
    assert res.exit_code == 0 and len(obj["checkpoints"]) == 3 and obj["summary"]["checkpoints"] == 3
    res = CliRunner().invoke(main, ["trajectory", path, "--steps", "50", "--lr", "1000"])
    assert res.exit_code == 2 and "--lr: must be smaller" in res.output
    res = CliRunner().invoke(main, ["trajectory", path, "--steps", "0"])
    assert res.exit_code == 2
