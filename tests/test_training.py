"""Tests for numeric.training and ``pscert train``: float search for candidate minima."""

from __future__ import annotations

import json
import os
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from symbolic.problem import load_problem, parse_problem
from symbolic.float_loss import FloatObjective
from numeric.training import canonicalise, distinct_minima, he_scales, minimum_problem, train, write_minima
from training_cases import CHAIN, problem


def test_chain_finds_the_known_minimum():
    """``L = (ab − 1)² + (a² + b²)/4``: on ``a > 0`` the only critical point is ``a = b = √3/2``.

    ``∂_a L = 2(ab − 1)b + a/2`` and ``∂_b L = 2(ab − 1)a + b/2`` vanish with ``b = ±a``; ``b = −a`` gives
    ``a = 0``, ``b = a`` gives ``a² = 3/4``. The loss there is ``(3/4 − 1)² + (3/4)/2 = 1/16 + 3/8 = 7/16``.
    """
    result = train(parse_problem(CHAIN), restarts=6, seed=0)
    best = result.minima[0]
    assert best.loss == pytest.approx(7 / 16, abs=1e-12)
    assert best.theta == pytest.approx([np.sqrt(3) / 2] * 2, abs=1e-9)
    assert best.gradient_norm < 1e-9
    assert (best.boundary_near, best.dead) == (0, 0)
    assert sorted(s for m in result.minima for s in m.starts) == list(range(6))


def test_chain_starts_on_the_dead_side_end_at_the_origin():
    """With ``a < 0`` the data term is flat (``L = 1 + (a² + b²)/4``), so descent ends at ``a = b = 0``.

    There ``z = a·x = 0``: one unit both boundary-near and dead, loss ``1``.
    """
    result = train(parse_problem(CHAIN), restarts=10, seed=0)
    assert [round(m.loss, 9) for m in result.minima] == [0.4375, 1.0]
    origin = result.minima[1]
    assert np.max(np.abs(origin.theta)) < 1e-8
    assert (origin.boundary_near, origin.dead) == (1, 1)


def test_same_seed_same_result_and_different_seed_different_starts():
    p = problem([1, 2, 1])
    a, b = train(p, restarts=4, seed=7), train(p, restarts=4, seed=7)
    assert [m.starts for m in a.minima] == [m.starts for m in b.minima]
    assert all(np.array_equal(x.theta, y.theta) for x, y in zip(a.minima, b.minima))
    c = train(p, restarts=4, seed=8)
    assert not all(len(x.theta) == len(y.theta) and np.array_equal(x.theta, y.theta)
                   for x, y in zip(a.minima, c.minima))


def test_he_scales_follow_the_fan_in():
    """Widths 4-2-1 with biases: layer 1 has 2·(4+1) = 10 parameters at √(2/4), layer 2 has 3 at √(2/2) = 1."""
    scales = he_scales(problem([4, 2, 1], inputs=[(1, 0, 0, 0)], targets=[(1,)]))
    assert scales.tolist() == [np.sqrt(0.5)] * 10 + [1.0] * 3


def test_identity_activation_is_linear():
    """With the identity activation ``f = b·a·x``; no unit is ever dead or near a kink."""
    p = problem([1, 1, 1], biases=False, lam="1/4", inputs=[(-1,)], targets=[(-1,)], activation="identity")
    best = train(p, restarts=3, seed=0).minima[0]
    assert best.loss == pytest.approx(7 / 16, abs=1e-12)
    assert (best.boundary_near, best.dead) == (0, 0)


def test_canonicalise_swapped_units_of_a_1_2_1_net():
    """Units ``(w, c; v)`` = ``(1, 2; 3)`` and ``(−1, 0; 5)``; θ order ``w1 w2 c1 c2 v1 v2 d``."""
    p = problem([1, 2, 1])
    theta = np.array([1.0, -1.0, 2.0, 0.0, 3.0, 5.0, 0.5])
    swapped = np.array([-1.0, 1.0, 0.0, 2.0, 5.0, 3.0, 0.5])
    assert canonicalise(p, theta).tolist() == [-1.0, 1.0, 0.0, 2.0, 5.0, 3.0, 0.5]
    assert np.array_equal(canonicalise(p, theta), canonicalise(p, swapped))


def test_canonicalise_near_tie_on_the_first_weight():
    """Equal first weights up to noise: the bias must decide the order, not the noise."""
    p = problem([1, 2, 1])
    theta = np.array([1.0, 1.0 + 1e-13, 2.0, -2.0, 3.0, 5.0, 0.0])
    swapped = np.array([1.0 + 1e-13, 1.0, -2.0, 2.0, 5.0, 3.0, 0.0])
    assert np.max(np.abs(canonicalise(p, theta) - canonicalise(p, swapped))) <= 1e-12


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_canonicalise_is_invariant_under_permutations_of_two_hidden_layers(seed):
    p = problem([2, 3, 2, 1], inputs=[(1, 0)], targets=[(1,)])
    obj = FloatObjective(p)
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(p.parameter_count)
    (W1, b1), (W2, b2), (W3, b3) = [(W.copy(), b.copy()) for W, b in obj.layers(theta)]
    p1, p2 = rng.permutation(3), rng.permutation(2)
    W1, b1, W2 = W1[p1], b1[p1], W2[:, p1]
    W2, b2, W3 = W2[p2], b2[p2], W3[:, p2]
    permuted = np.concatenate([W1.ravel(), b1, W2.ravel(), b2, W3.ravel(), b3])
    assert np.allclose(canonicalise(p, theta), canonicalise(p, permuted), atol=1e-15)


def test_distinct_minima_merges_permutations_and_keeps_different_points():
    p = problem([1, 2, 1])
    obj = FloatObjective(p)
    theta = np.array([1.0, -1.0, 2.0, 0.0, 3.0, 5.0, 0.5])
    swapped = np.array([-1.0, 1.0, 0.0, 2.0, 5.0, 3.0, 0.5])
    other = theta + np.array([0, 0, 0, 0, 0, 1e-3, 0])
    minima = distinct_minima(obj, [(0, theta), (1, swapped), (2, other)])
    assert sorted(m.starts for m in minima) == [(0, 1), (2,)]
    assert [m.loss for m in minima] == sorted(m.loss for m in minima)


def test_trained_files_are_distinct_up_to_permutation():
    """A 1-2-1 net on two samples: whatever the starts, no two written minima are permutations of each other."""
    p = problem([1, 2, 1])
    result = train(p, restarts=8, seed=3)
    canon = [canonicalise(p, m.theta) for m in result.minima]
    for i in range(len(canon)):
        for j in range(i):
            assert np.max(np.abs(canon[i] - canon[j])) > 1e-6
    assert sum(len(m.starts) for m in result.minima) + result.failed == 8


def test_minimum_problem_is_exact_or_rounded():
    p = parse_problem(CHAIN)
    result = train(p, restarts=2, seed=0)
    exact = minimum_problem(p, result, 1)
    a = exact.point.weights[0][0][0]
    assert a == Fraction(float(result.minima[0].theta[0]))
    assert a.denominator & (a.denominator - 1) == 0  # a dyadic rational: the binary value itself
    assert exact.name.endswith("point = exact float64 binary values")
    rounded = minimum_problem(p, result, 1, denominator=2**10)
    assert rounded.point.weights[0][0][0] == Fraction(887, 1024)  # √3/2 · 1024 = 886.8…
    assert "1/2^10" in rounded.name
    assert rounded.point.weights[1][0][0] == Fraction(887, 1024)


def test_write_minima_writes_loadable_files(tmp_path):
    p = parse_problem(CHAIN)
    result = train(p, restarts=4, seed=0)
    paths = write_minima(p, result, str(tmp_path / "out"), "chain")
    assert [os.path.basename(x) for x in paths] == [f"chain-min{k}.json" for k in range(1, len(result.minima) + 1)]
    loaded = load_problem(paths[0])
    assert loaded.point == minimum_problem(p, result, 1).point
    assert not [f for f in os.listdir(tmp_path / "out") if f.startswith(".pscert-")]


def test_restarts_must_be_positive():
    from symbolic.exceptions import ProblemError

    with pytest.raises(ProblemError, match="--restarts: must be at least 1"):
        train(parse_problem(CHAIN), restarts=0)


# ---------------------------------------------------------------------------------------------------
# CLI


@pytest.fixture
def chain_file(tmp_path):
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(CHAIN))
    return str(path)


def test_cli_train_table_and_files(chain_file, tmp_path):
    out = tmp_path / "minima"
    res = CliRunner().invoke(main, ["train", chain_file, "--restarts", "4", "--seed", "0", "-o", str(out)])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert "2 distinct candidate minima" in lines[0] and "nothing is certified" in lines[0]
    progress = res.stderr.splitlines()  # one line per restart, in completion order (here: restart order)
    assert [line.split(" (")[0] for line in progress] == [f"train: {k}/4" for k in range(1, 5)]
    assert [line.split(": ", 2)[2] for line in progress[:1]] == ["restart 0: loss ≈ 1"]
    assert lines[2].split()[:2] == ["1", "0.4375"]
    assert lines[2].endswith("chain-min1.json")
    assert sorted(os.listdir(out)) == ["chain-min1.json", "chain-min2.json"]
    first = load_problem(str(out / "chain-min1.json"))
    assert float(first.point.weights[0][0][0]) == pytest.approx(np.sqrt(3) / 2, abs=1e-9)


def test_cli_train_json_and_denominator(chain_file, tmp_path):
    out = tmp_path / "m"
    res = CliRunner().invoke(main, ["train", chain_file, "-k", "3", "-o", str(out), "--denominator", "2^16", "--json"])
    assert res.exit_code == 0, res.output
    info = json.loads(res.output)
    assert info["seed"] == 0 and info["restarts"] == 3 and info["failed_starts"] == 0
    assert info["minima"][0]["loss_approx"] == pytest.approx(0.4375)
    point = load_problem(info["minima"][0]["file"]).point
    assert point.weights[0][0][0] == Fraction(56756, 65536)  # round(√3/2 · 2^16) = 56756


@pytest.mark.parametrize("args, message", [
    (["--restarts", "0"], "Invalid value for '--restarts'"),
    (["--denominator", "zero"], "Error: --denominator: must be a positive integer or a power such as 2^40"),
    (["--denominator", "0"], "Error: --denominator: must be a positive integer"),
])
def test_cli_train_bad_options(chain_file, tmp_path, args, message):
    res = CliRunner().invoke(main, ["train", chain_file, "-o", str(tmp_path), *args])
    assert res.exit_code == 2
    assert message in res.output
    assert not [f for f in os.listdir(tmp_path) if f.endswith("-min1.json")]


def test_cli_train_bad_problem_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**CHAIN, "loss": {"weight_decay": "-1"}}))
    res = CliRunner().invoke(main, ["train", str(bad), "-o", str(tmp_path)])
    assert res.exit_code == 2
    assert res.output.strip().splitlines() == [f"Error: {bad}: loss.weight_decay: must be non-negative (got -1)"]


def test_a_diverging_start_is_counted_as_failed():
    """A target of 10³⁰⁰: at every start ``(f − y)²`` overflows float64, so descent cannot even begin."""
    p = problem([1, 1, 1], inputs=[(1,)], targets=[("1e300",)])
    result = train(p, restarts=2, seed=0)
    assert result.minima == () and result.failed == 2
