"""Local regions next to dead units: each unit's cells meeting the ball, their product, and the bounds.

A dead unit has all its incoming parameters within the radius of 0, so every cell of the samples'
central arrangement meets its ball. On one input with a bias, ``N`` distinct inputs ``x_j`` give ``N``
distinct lines ``w·x_j + b = 0`` through the origin of the ``(w, b)`` plane, hence ``2N`` cells; without
a bias every nonzero input gives the same hyperplane ``w = 0`` of the line, hence 2 cells.
"""

import json
from fractions import Fraction as F

import pytest
from click.testing import CliRunner

import symbolic.regions_local as regions_local
from cli import main
from symbolic.arrangement import general_position_count
from symbolic.problem import load_problem, parse_problem
from symbolic.region_graph import graph_lines, graph_to_json
from symbolic.regions_local import local_regions

R = F(1, 10)


def net(inputs, first, biases=True, second=(1, 1)):
    """A 1-2-1 network at ``first = [(w_0, b_0), (w_1, b_1)]`` (``b`` dropped without biases)."""
    point = {"weights": [[[str(w)] for w, _ in first], [list(second)]]}
    if biases:
        point["biases"] = [[str(b) for _, b in first], [0]]
    return parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": biases},
                          "loss": {"weight_decay": "1/10"}, "data": {"inputs": [[x] for x in inputs],
                          "targets": [[0] for _ in inputs]}, "point": point})


FIVE = [-2, -1, 0, 1, 3]
LIVE = (1, F(1, 2))  # w·x + b ≥ 1/2 in size at every input: far from each line, 1 cell


@pytest.fixture
def counted(monkeypatch):
    """Force the counting path (no dead unit is listed cell by cell)."""
    monkeypatch.setattr(regions_local, "DEAD_LIST_LIMIT", 0)


def test_one_dead_unit_with_biases_has_2N_cells(counted):
    g = local_regions(net(FIVE, [(0, 0), LIVE]), R, hessian=False)
    assert (g.count, g.count_exact, g.at_most, g.regions, g.complete) == (10, True, 10, [], False)
    assert [(u["cells"], u["dead"], u["cells_exact"]) for u in g.units] == [(10, True, True), (1, False, True)]


def test_counting_agrees_with_listing(monkeypatch):
    """The same problems through the listing path (every combination with an exact witness)."""
    for first, want in [([(0, 0), LIVE], 10), ([(0, 0), (0, 0)], 100), ([(F(1, 1000), 0), (0, F(1, 1000))], 100)]:
        g = local_regions(net(FIVE, first), R, hessian=False)
        assert (g.count, g.count_exact, len(g.regions), g.complete) == (want, True, want, True)
        monkeypatch.setattr(regions_local, "DEAD_LIST_LIMIT", 0)
        h = local_regions(net(FIVE, first), R, hessian=False)
        assert (h.count, h.count_exact, h.regions) == (want, True, [])
        monkeypatch.undo()


def test_two_dead_units_multiply(counted):
    g = local_regions(net(FIVE, [(0, 0), (0, 0)]), R, hessian=False)
    assert (g.count, g.count_exact) == (100, True)
    out = graph_to_json(net(FIVE, [(0, 0), (0, 0)]), g)
    assert (out["unit_cells"], out["unit_cells_product"], out["regions"], out["listed"]) == ([10, 10], 100, 100, 0)
    lines = graph_lines(g, str)
    assert "units:      units 0–1: 10 cells each (dead)" in lines
    assert "product:    10^2 = 100 combinations of unit cells" in lines


def test_without_biases_a_dead_unit_has_two_cells(counted):
    g = local_regions(net(FIVE[:2] + FIVE[3:], [(0, None), (1, None)], biases=False), R, hessian=False)
    assert (g.count, g.count_exact) == (2, True)
    assert [u["cells"] for u in g.units] == [2, 1]


def test_a_zero_input_without_bias_gives_no_hyperplane(counted):
    g = local_regions(net([0], [(0, None), (0, None)], biases=False), R, hessian=False)
    assert (g.count, g.count_exact, [u["cells"] for u in g.units]) == (1, True, [1, 1])


def test_near_the_surface_the_count_is_only_bounded(counted, monkeypatch):
    """Sample ``x = 1`` only, so each unit has the one line ``w + b = 0``; ``R² = 1/100``.

    Unit 0 at ``(0, 6/100)`` is dead (``‖c_0‖² = 36/10⁴``); its far cell has ``d² = 18/10⁴``. Unit 1 at
    ``(1/2, −38/100)`` has ``w + b = 12/100``: its far cell has ``d² = 72/10⁴``. All four combinations have
    ``Σ d² ≤ 90/10⁴ < R²``, so 4 regions meet the ball; the product bound only proves
    ``n(R² − ‖c_0‖²)·2 = 1·2 ≤ count ≤ n(R²)·2 = 2·2``, and must not call either exact.
    """
    p = net([1], [(0, F(6, 100)), (F(1, 2), F(-38, 100))])
    g = local_regions(p, R, hessian=False)
    assert (g.count, g.count_exact, g.at_most) == (2, False, 4)
    assert any("between 2 and 4" in r for r in g.reasons)
    # the listing path decides it exactly
    monkeypatch.setattr(regions_local, "DEAD_LIST_LIMIT", 64)
    h = local_regions(p, R, hessian=False)
    assert (h.count, h.count_exact, len(h.regions)) == (4, True, 4)


def test_a_large_arrangement_stops_at_the_limit(counted, monkeypatch):
    """Five lines give 10 cells; with a limit of 3 the count says more than 3 per dead unit, and the upper
    bound is the general-position count of 5 lines in the plane, 10."""
    monkeypatch.setattr(regions_local, "DEAD_CELL_LIMIT", 3)
    g = local_regions(net(FIVE, [(0, 0), (0, 0)]), R, hessian=False)
    assert (g.count, g.count_exact, g.at_most) == (16, False, 100)
    assert [(u["cells"], u.get("cells_more_than")) for u in g.units] == [(None, 3), (None, 3)]
    lines = graph_lines(g, str)
    assert "units:      units 0–1: more than 3 cells each (dead)" in lines
    assert not any(line.startswith("product:") for line in lines)
    assert any("more than 3 cells; counting stopped" in r for r in g.reasons)


def test_trained_net_with_eight_dead_units_is_counted_fast():
    """2-8-1 trained by SGD: every first-layer unit is dead at 0; its 29 samples' directions in ``Q³`` are
    in general position, so each unit has ``2·(1 + 28 + C(28, 2)) = 814`` cells (the classical count)."""
    p = load_problem("bench/practitioner/problems/2-8-1_sgd_f32_s1.json")
    g = local_regions(p, F(1, 100), hessian=False)
    assert general_position_count(29, 3) == 814
    assert (g.count, g.count_exact, g.at_most, len(g.regions)) == (814 ** 8, True, 814 ** 8, 0)
    assert all(u["dead"] and u["cells"] == 814 for u in g.units)


def test_command_shows_the_product(tmp_path):
    path = tmp_path / "dead.json"
    p = {"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": True},
         "loss": {"weight_decay": "1/10"}, "data": {"inputs": [[x] for x in FIVE], "targets": [[0]] * 5},
         "point": {"weights": [[[0], [0]], [[1, 1]]], "biases": [[0, 0], [0]]}}
    path.write_text(json.dumps(p))
    result = CliRunner().invoke(main, ["regions", str(path), "--radius", "1/10", "--json", "-q"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["regions"], out["unit_cells"], out["unit_cells_product"], out["listed"]) == (100, [10, 10], 100, 100)
    result = CliRunner().invoke(main, ["regions", str(path), "--radius", "1/10"])
    assert "units:      units 0–1: 10 cells each (dead)" in result.stdout
    assert result.stderr.startswith("regions:")  # the progress bar's label (no terminal: no bar)
    bad = CliRunner().invoke(main, ["regions", str(path), "--radius", "-1/10"])
    assert bad.exit_code == 2 and bad.stderr.count("\n") == 1 and "radius must be non-negative" in bad.stderr


def test_counting_a_dead_unit_reports_progress():
    """29 samples in general position in Q³: 814 cells, reported at every 100th; the total never falls
    below what is reported (the general-position count, 814, caps it)."""
    p = load_problem("bench/practitioner/problems/2-8-1_sgd_f32_s1.json")
    seen = []
    local_regions(p, F(1, 100), hessian=False, progress=lambda stage, done, total: seen.append((stage, done, total)))
    cells = [(d, t) for s, d, t in seen if s.startswith("cells")]
    assert cells == [(100 * k, 814) for k in range(1, 9)]
    assert seen[-1] == ("units", 8, 8)
