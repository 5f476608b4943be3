"""The activation-region graph: exact LP layer, arrangements, global and local modes, ``pscert regions``."""

import itertools
import json
import random
from fractions import Fraction as F

import networkx as nx
import pytest
from click.testing import CliRunner
from flint import fmpq, fmpq_mat
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import symbolic.arrangement as arrangement
import symbolic.lp as lp
import symbolic.regions as regions
from cli import main
from symbolic.arrangement import arrangement_cells, ball_cells, general_position_count
from symbolic.exceptions import PscertError
from symbolic.lp import excludes_ball, is_gordan, is_interior, open_cone, project
from symbolic.problem import parse_problem
from symbolic.region_graph import check_witness, graph_to_json, hessian_bound
from symbolic.regions import global_regions
from symbolic.regions_local import check_unit_exclusion, local_regions


def problem(widths, inputs, biases=False, point=None, targets=None, lam="1/10"):
    obj = {"format": "pscert.problem/1", "network": {"widths": widths, "biases": biases},
           "loss": {"weight_decay": lam},
           "data": {"inputs": inputs, "targets": targets or [[0] * widths[-1] for _ in inputs]}}
    if point is not None:
        obj["point"] = point
    return parse_problem(obj)


def assert_witnesses(p, g):
    """Every region witness has its pattern's strict signs; every edge witness lies on its facet only."""
    assert len({r.pattern for r in g.regions}) == len(g.regions)
    for r in g.regions:
        assert check_witness(p, r.witness, r.pattern)
    for e in g.edges:
        a, b = (g.regions[t].pattern for t in e.regions)
        diff = {(j, k, i) for j in range(p.samples) for k in range(p.depth) for i in range(p.widths[k + 1])
                if a[j][k][i] != b[j][k][i]}
        assert diff == {(j, 0, e.unit) for j in e.samples}
        assert check_witness(p, e.witness, a, [(j, 0, e.unit) for j in e.samples])


# ---------------------------------------------------------------------------------------------------
# the exact LP layer


def test_open_cone_interior_point():
    """{v : v_1 > 0, v_2 > 0, v_1 − v_2 > 0}: the LP point is re-checked exactly."""
    rows = [[1, 0], [0, 1], [1, -1]]
    r = open_cone(rows, 2)
    assert r.status == "nonempty" and is_interior(rows, r.point)


def test_farkas_certificate_of_an_empty_branch():
    """b > 0, w + b < 0, 2w + b > 0 is empty: the rows (0, 1), (−1, −1), (2, 1) have y = (1, 2, 1)/4 with yᵀA = 0.

    This is the branch (+, −, +) of the arrangement of x = 0, 1, 2 with biases.
    """
    rows = [[0, 1], [-1, -1], [2, 1]]
    r = open_cone(rows, 2)
    assert r.status == "empty"
    assert r.multipliers == (F(1, 4), F(1, 2), F(1, 4))
    assert is_gordan(rows, r.multipliers, 2)
    assert not is_interior(rows, [F(-2), F(3)])


def test_gordan_check_rejects_bad_multipliers():
    rows = [[1], [-1]]
    assert is_gordan(rows, [1, 1], 1)
    assert not is_gordan(rows, [1, 2], 1)          # yᵀA = −1
    assert not is_gordan(rows, [0, 0], 1)          # y = 0
    assert not is_gordan(rows, [-1, -1], 1)        # y < 0
    assert not is_gordan(rows, [1], 1)             # wrong length


def test_ball_exclusion_lemma():
    """The half-line v > 0 against balls about −2: it misses B(−2, 2) (touching only at 0) but meets B(−2, 3)."""
    assert excludes_ball([[1]], [1], [-2], 2)
    assert not excludes_ball([[1]], [1], [-2], 3)
    assert not excludes_ball([[1]], [-1], [-2], 1)
    assert not excludes_ball([[1]], [0], [-2], 1)


def test_projection_onto_a_quadrant():
    """c = (−3, −4) projects onto {v ≥ 0} at 0: y = (3, 4), distance² = 25."""
    p = project([[1, 0], [0, 1]], [-3, -4])
    assert p.nearest == (0, 0) and p.multipliers == (3, 4) and p.distance2 == 25
    assert lp.is_projection([[1, 0], [0, 1]], [-3, -4], p)
    assert not lp.is_projection([[1, 0], [0, 1]], [-3, -4], lp.Projection((F(0), F(0)), (F(3), F(3)), F(25)))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4).flatmap(lambda d: st.tuples(
    st.just(d), st.lists(st.lists(st.integers(-3, 3), min_size=d, max_size=d), max_size=7))))
def test_open_cone_always_decides_with_exact_evidence(case):
    d, rows = case
    r = open_cone(rows, d)
    assert r.status in ("nonempty", "empty")
    if r.status == "nonempty":
        assert is_interior(rows, r.point)
    else:
        assert is_gordan(rows, r.multipliers, d)


def test_sympy_linprog_is_not_used():
    import inspect

    assert "sympy" not in inspect.getsource(lp).split('"""', 2)[2]


# ---------------------------------------------------------------------------------------------------
# arrangements


def test_general_position_formula_by_hand():
    """2·Σ_{k<d} C(n−1, k): n lines through 0 in the plane make 2n regions; in space 4 planes make 14."""
    assert [general_position_count(n, 2) for n in (1, 2, 3)] == [2, 4, 6]
    assert general_position_count(4, 3) == 2 * (1 + 3 + 3)
    assert general_position_count(5, 1) == 2
    assert general_position_count(0, 3) == 1


def general_position(vectors, d):
    """Every min(N, d) of the N vectors are linearly independent (exact ranks)."""
    k = min(len(vectors), d)
    return all(fmpq_mat(k, d, [v for row in sub for v in row]).rank() == k
               for sub in itertools.combinations(vectors, k))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.integers(1, 3), st.integers(1, 9), st.booleans(), st.randoms(use_true_random=False))
def test_global_count_matches_the_general_position_formula(n0, N, biases, rnd):
    """A unit's arrangement in R^{n0+1} (biases) or R^{n0} has 2·Σ_{k<d} C(N−1, k) regions in general position."""
    d = n0 + (1 if biases else 0)
    inputs = [[rnd.randint(-10**4, 10**4) for _ in range(n0)] for _ in range(N)]
    vectors = [x + [1] if biases else x for x in inputs]
    assume(general_position(vectors, d))
    p = problem([n0, 2, 1], inputs, biases)
    g = global_regions(p, max_regions=50, hessian=False)
    r = general_position_count(N, d)
    assert g.unit_regions == r
    assert g.count == r ** 2 and g.count_exact
    assert_witnesses(p, g)


@pytest.mark.parametrize("n0,N", [(2, 6), (2, 12), (3, 7)])
def test_random_data_in_general_position(n0, N):
    rnd = random.Random(n0 * 100 + N)
    inputs = [[rnd.randint(-999, 999) for _ in range(n0)] for _ in range(N)]
    assert general_position([x + [1] for x in inputs], n0 + 1)
    arr = arrangement_cells([tuple(x + [1]) for x in inputs], n0 + 1)
    assert len(arr.signs) == general_position_count(N, n0 + 1)
    assert len(arr.facets) == N * general_position_count(N - 1, n0)   # each hyperplane: a restricted arrangement


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 4).flatmap(lambda d: st.tuples(
    st.just(d), st.lists(st.lists(st.integers(-2, 2), min_size=d, max_size=d), max_size=6))))
def test_arrangement_agrees_with_the_lp_oracle_on_every_sign_vector(case):
    """Degenerate arrangements included: the regions are exactly the sign vectors whose open cone is nonempty."""
    d, vecs = case
    arr = arrangement_cells(vecs, d)
    feasible = set()
    for signs in itertools.product((1, -1), repeat=len(arr.normals)):
        r = open_cone(arrangement.signed_rows(arr.normals, signs), d)
        assert r.status != "undecided"
        if r.status == "nonempty":
            feasible.add(signs)
    assert set(arr.signs) == feasible and len(arr.signs) == len(feasible)
    for signs, w in zip(arr.signs, arr.witnesses):
        assert is_interior(arrangement.signed_rows(arr.normals, signs), w)
    for a, b, k, q in arr.facets:
        assert lp.dot(arr.normals[k], q) == 0
        assert [s for j, s in enumerate(arr.signs[a]) if j != k] == [s for j, s in enumerate(arr.signs[b]) if j != k]
        assert arr.signs[a][k] == 1 and arr.signs[b][k] == -1
        others = [row for j, row in enumerate(arrangement.signed_rows(arr.normals, arr.signs[a])) if j != k]
        assert is_interior(others, q)


def test_tiny_degenerate_arrangement_by_hand():
    """One input, no biases, x = 1 and x = −1, two hidden units.

    Unit i's hyperplanes w_i·1 = 0 and w_i·(−1) = 0 are the same point w_i = 0 of the line, so each
    unit has 2 regions (w_i > 0: bit 1 at x = 1 and 0 at x = −1; w_i < 0: the reverse) and one facet,
    across which both of its bits flip at once. The network has 2·2 = 4 regions joined in a 4-cycle.
    """
    p = problem([1, 2, 1], [[1], [-1]])
    g = global_regions(p, hessian=False)
    assert (g.unit_regions, g.count, g.edge_count, g.complete) == (2, 4, 4, True)
    pats = {tuple(tuple(s[0]) for s in r.pattern) for r in g.regions}
    assert pats == {((1, 1), (0, 0)), ((1, 0), (0, 1)), ((0, 1), (1, 0)), ((0, 0), (1, 1))}
    assert len(g.edges) == 4 and all(e.samples == (0, 1) for e in g.edges)
    G = nx.Graph([e.regions for e in g.edges])
    assert sorted(d for _, d in G.degree()) == [2, 2, 2, 2] and nx.is_connected(G)
    assert_witnesses(p, g)


def test_zero_sample_without_biases_has_no_hyperplane():
    """x = 0 without biases: z ≡ 0, bit 0 everywhere; x = 1 gives the only hyperplane: 2 regions per unit."""
    p = problem([1, 1, 1], [[0], [1]])
    g = global_regions(p, hessian=False)
    assert g.count == 2
    assert {r.pattern for r in g.regions} == {(((0,),), ((1,),)), (((0,),), ((0,),))}
    assert_witnesses(p, g)


def test_max_regions_caps_materialisation_honestly():
    """XOR inputs with biases: 4 points, no three collinear, so 14 regions per unit and 14² = 196 in all."""
    p = problem([2, 2, 1], [[0, 0], [0, 1], [1, 0], [1, 1]], biases=True)
    g = global_regions(p, max_regions=5, hessian=False)
    assert (g.count, g.count_exact, g.complete, len(g.regions)) == (196, True, False, 5)
    assert g.edge_count == 2 * 24 * 14     # n_1·e·r^{n_1−1}, e = 24 facets per unit
    assert any("--max-regions" in r for r in g.reasons)
    full = global_regions(p, max_regions=196, hessian=False)
    assert full.complete and len(full.regions) == 196 and len(full.edges) == full.edge_count
    assert_witnesses(p, full)


def test_unit_limit_stops_with_a_lower_bound(monkeypatch):
    monkeypatch.setattr(regions, "UNIT_LIMIT", 3)
    p = problem([2, 1, 1], [[0, 0], [0, 1], [1, 0], [1, 1]], biases=True)
    g = global_regions(p, max_regions=2, hessian=False)
    assert not g.complete and not g.count_exact and g.regions == []


def test_global_mode_rejects_two_hidden_layers():
    p = problem([1, 1, 1, 1], [[1]])
    with pytest.raises(PscertError, match="at most one hidden layer"):
        global_regions(p)


# ---------------------------------------------------------------------------------------------------
# local mode


def two_units(w1, w2, radius):
    p = problem([1, 2, 1], [[1]], point={"weights": [[[str(w1)], [str(w2)]], [[1, 1]]]})
    return p, local_regions(p, F(radius), hessian=False)


def test_one_kink_gives_two_regions():
    """x = 1: unit i is active iff w_i > 0. At w = (0, 1) the ball of radius 1/10 meets w_1 ≷ 0, w_2 > 0."""
    p, g = two_units(0, 1, "1/10")
    assert (g.count, g.edge_count, g.complete) == (2, 1, True)
    assert {r.pattern for r in g.regions} == {(((1, 1),),), (((0, 1),),)}
    assert_witnesses(p, g)


def test_two_independent_kinks_give_four_regions():
    """At w = (0, 0) both units are on their kinks: 4 regions in a 4-cycle."""
    p, g = two_units(0, 0, "1/10")
    assert (g.count, g.edge_count, g.complete) == (4, 4, True)
    assert_witnesses(p, g)


def test_a_point_on_a_kink_lies_in_no_open_region():
    p, g = two_units(0, 1, 0)
    assert (g.count, g.complete) == (0, True)
    p, g = two_units(1, 1, 0)
    assert (g.count, g.complete) == (1, True)


def test_units_couple_through_the_ball():
    """w = (3/5, 4/5), R = 1: flipping unit 1 costs distance² 9/25, unit 2 16/25, both 1 = R²: not < R².

    So 3 regions meet the closed ball (the fourth only touches it at w = 0, which is not in the open
    region), and each unit's far side is listed with its exact distance.
    """
    p, g = two_units(F(3, 5), F(4, 5), 1)
    assert (g.count, g.complete) == (3, True)
    assert sorted(r.distance2 for r in g.regions) == [0, F(9, 25), F(16, 25)]
    assert {u["regions"][1]["distance2"] for u in g.units} == {"9/25", "16/25"}
    assert_witnesses(p, g)
    p, g = two_units(F(3, 5), F(4, 5), F(11, 10))
    assert g.count == 4


def test_tangent_side_is_unreachable_with_the_one_row_certificate():
    """w = (0, 1), R = 1: the side w_2 < 0 is at distance exactly 1, touching the closed ball only at w_2 = 0.

    Sample 0 is not reachable for unit 1 ((w_2·x)² = 1 ≥ R²·x²), so that side is never tried; its
    exclusion is the one-row certificate y_0 = 1 on the row −x̃_0.
    """
    p, g = two_units(0, 1, 1)
    assert g.count == 2 and g.complete
    assert g.units[1]["reachable"] == [] and g.units[0]["reachable"] == [0]
    centre = p.flatten(p.point)
    assert check_unit_exclusion(p, centre, F(1), 1, [0], {0: F(1)})
    assert not check_unit_exclusion(p, centre, F(11, 10), 1, [0], {0: F(1)})


def test_far_neighbour_is_excluded_with_a_certificate():
    """One input with bias, samples x = 0, 1: lines b = 0 and w + b = 0; centre (w, b) = (−1, 2), R = 21/10.

    The line b = 0 is at distance 2 < R, but the region beyond it, {b < 0, w + b > 0}, is the wedge whose
    nearest point to the centre is its apex 0, at distance √5 > R: excluded as "far" (pattern "01").
    The other three regions meet the ball: distances² 0, 1/2 ({b > 0, w + b < 0}) and 4 ({b < 0, w + b < 0}).
    """
    p = problem([1, 1, 1], [[0], [1]], biases=True, point={"weights": [[[-1]], [[1]]], "biases": [[2], [0]]})
    g = local_regions(p, F(21, 10), hessian=False)
    assert (g.count, g.complete) == (3, True)
    assert sorted(r.distance2 for r in g.regions) == [0, F(1, 2), 4]
    (ex,) = g.units[0]["excluded"]
    assert (ex["kind"], ex["pattern"]) == ("far", "01")
    y = {int(j): F(v) for j, v in ex["multipliers"].items()}
    centre = p.flatten(p.point)
    assert check_unit_exclusion(p, centre, F(21, 10), 0, [0, 1], y)
    assert not check_unit_exclusion(p, centre, F(23, 10), 0, [0, 1], y)
    assert local_regions(p, F(23, 10), hessian=False).count == 4
    assert_witnesses(p, g)


def test_empty_branches_carry_verified_farkas_certificates():
    """Inputs 0, 1, 2 with biases, centre 0: all three lines b = 0, w + b = 0, 2w + b = 0 pass through it.

    The arrangement has 2·3 = 6 regions, all meeting every ball about 0. The flips that cross a line
    which is not a facet give empty sign vectors such as (+, −, +) (see the Farkas test above); each
    must carry a Gordan certificate that checks against the problem's own data.
    """
    p = problem([1, 1, 1], [[0], [1], [2]], biases=True, point={"weights": [[[0]], [[1]]], "biases": [[0], [0]]})
    g = local_regions(p, F(1, 10), hessian=False)
    assert (g.count, g.edge_count, g.complete) == (6, 6, True)
    excluded = g.units[0]["excluded"]
    assert excluded and all(e["kind"] == "empty" for e in excluded)
    centre = p.flatten(p.point)
    for e in excluded:
        bits = [int(c) for c in e["pattern"]]
        y = {int(j): F(v) for j, v in e["multipliers"].items()}
        assert check_unit_exclusion(p, centre, F(1, 10), 0, bits, y)
        assert not check_unit_exclusion(p, centre, F(1, 10), 0, [1, 1, 1], y)   # that region exists
    assert "101" in {e["pattern"] for e in excluded}
    assert_witnesses(p, g)


def test_local_mode_matches_global_mode_for_a_huge_ball():
    """A ball containing the origin with room to spare meets every region of a one-hidden-layer network."""
    p = problem([2, 2, 1], [[0, 0], [0, 1], [1, 0], [1, 1]], biases=True,
                point={"weights": [[["1/10", 0], [0, "1/10"]], [[1, 1]]], "biases": [[0, 0], [0]]})
    glob = global_regions(p, max_regions=1000, hessian=False)
    loc = local_regions(p, F(10), max_regions=1000, hessian=False)
    assert loc.count == glob.count == 196 and loc.complete
    assert {r.pattern for r in loc.regions} == {r.pattern for r in glob.regions}
    assert loc.edge_count == glob.edge_count


def test_undecided_oracle_makes_the_answer_incomplete(monkeypatch):
    monkeypatch.setattr(arrangement, "open_cone", lambda rows, d: lp.ConeFeasibility("undecided", reason="test"))
    p, g = two_units(0, 0, "1/10")
    assert not g.complete and not g.count_exact
    assert g.layers[0]["complete"] is False


def test_deeper_layers_with_constant_signs_stay_complete():
    """1-1-1-1, x = 1, all weights 1: z_2 = w_2·σ(w_1) ∈ [81/100, 121/100] on the box of radius 1/10."""
    p = problem([1, 1, 1, 1], [[1]], point={"weights": [[[1]], [[1]], [[1]]]})
    g = local_regions(p, F(1, 10), hessian=False)
    assert (g.count, g.complete) == (1, True)
    assert g.layers == [{"layer": 1, "complete": True, "reason": ""}, {"layer": 2, "complete": True, "reason": ""}]
    assert_witnesses(p, g)


def test_first_layer_kink_under_a_sign_constant_second_layer():
    """1-2-1-1, x = 1, w = (0, 1), second layer z_2 = σ(w_1) + σ(w_2) ∈ [9/10, 12/10] on the box of radius 1/10.

    The kink of unit 1 splits the ball in two; layer 2 stays active on both sides: 2 regions, 1 edge, complete.
    """
    p = problem([1, 2, 1, 1], [[1]], point={"weights": [[[0], [1]], [[1, 1]], [[1]]]})
    g = local_regions(p, F(1, 10), hessian=False)
    assert (g.count, g.edge_count, g.complete) == (2, 1, True)
    assert {r.pattern for r in g.regions} == {(((1, 1), (1,)),), (((0, 1), (1,)),)}
    assert_witnesses(p, g)


def test_local_max_regions_keeps_the_count_exact():
    """Two kinks: 4 regions; listing 3 keeps the count exact but the graph incomplete."""
    p = problem([1, 2, 1], [[1]], point={"weights": [[[0], [0]], [[1, 1]]]})
    g = local_regions(p, F(1, 10), max_regions=3, hessian=False)
    assert (g.count, g.count_exact, g.complete, g.edges_exact, len(g.regions)) == (4, True, False, False, 3)
    assert g.edge_count == len(g.edges) == 2


def test_deeper_boundaries_through_the_ball_are_marked_incomplete():
    """At w_1 = 0 the second layer's z_2 = w_2·σ(w_1) vanishes on the whole side w_1 < 0 (no biases).

    The first layer is complete (2 regions), but layer 2 is undetermined: the side w_1 < 0 has no
    strict region at all, so only w_1 > 0 gets a witness and the answer says it is incomplete.
    """
    p = problem([1, 1, 1, 1], [[1]], point={"weights": [[[0]], [[1]], [[1]]]})
    g = local_regions(p, F(1, 10), hessian=False)
    assert not g.complete and not g.count_exact
    assert g.layers[0]["complete"] and not g.layers[1]["complete"]
    assert "layer 2" in g.layers[1]["reason"]
    assert [r.pattern for r in g.regions] == [(((1,), (1,)),)]
    assert (g.count, g.at_most) == (1, 4)      # 2 first-layer regions × both signs of the one undetermined z_2
    assert any("no witness" in r for r in g.reasons)
    assert_witnesses(p, g)


def test_local_mode_needs_a_point_and_a_non_negative_radius():
    p = problem([1, 1, 1], [[1]])
    with pytest.raises(PscertError, match="point"):
        local_regions(p, 1)
    p, _ = two_units(0, 0, "1/10")
    with pytest.raises(PscertError, match="radius must be non-negative"):
        local_regions(p, -1)


def test_ball_cells_excludes_every_unreachable_side():
    """Line v_1 = 0 at distance 2 from the centre (2, 0), R = 1: one region, no flip is even tried."""
    b = ball_cells([(1, 0)], [2, 0], 1)
    assert [c.signs for c in b.cells] == [(1,)] and b.reachable == () and b.excluded == ()


# ---------------------------------------------------------------------------------------------------
# Hessian bounds


def test_hessian_bound_positive_definite():
    """[[5/2, 2], [2, 5/2]] (the chain at a = b = 1) has eigenvalues 1/2 and 9/2."""
    b = hessian_bound(fmpq_mat(2, 2, [fmpq(5, 2), 2, 2, fmpq(5, 2)]), "point")
    assert b.positive_definite and F(499, 1000) < b.lower <= F(1, 2)


def test_hessian_bound_indefinite():
    """[[1, 2], [2, 1]] has eigenvalues −1 and 3: not PD, and the bound is at most −1."""
    b = hessian_bound(fmpq_mat(2, 2, [1, 2, 2, 1]), "witness")
    assert not b.positive_definite and F(-1001, 1000) < b.lower <= -1 and b.at == "witness"


def test_hessian_bound_singular():
    """[[1, 1], [1, 1]] has eigenvalues 0 and 2: PSD but not PD, bound ≤ 0."""
    b = hessian_bound(fmpq_mat(2, 2, [1, 1, 1, 1]), "point")
    assert not b.positive_definite and b.lower <= 0


def test_chain_regions_report_piece_hessians():
    """f = b·σ(a·x), x = y = 1, λ = 1/4 at a = b = 0: piece a > 0 has L = (ab − 1)² + (a² + b²)/4 with
    Hessian [[1/2, −2], [−2, 1/2]] at 0 (eigenvalues −3/2, 5/2); piece a < 0 has L = 1 + (a² + b²)/4,
    Hessian I/2."""
    p = problem([1, 1, 1], [[1]], point={"weights": [[[0]], [[0]]]}, targets=[[1]], lam="1/4")
    g = local_regions(p, F(1, 10))
    by_bit = {r.pattern[0][0][0]: r.hessian for r in g.regions}
    assert not by_bit[1].positive_definite and F(-1501, 1000) < by_bit[1].lower <= F(-3, 2)
    assert by_bit[0].positive_definite and F(499, 1000) < by_bit[0].lower <= F(1, 2)


# ---------------------------------------------------------------------------------------------------
# the command


def write(tmp_path, name, obj):
    path = tmp_path / name
    path.write_text(json.dumps(obj))
    return str(path)


KINK = {"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": False},
        "loss": {"weight_decay": "1/10"}, "data": {"inputs": [[1]], "targets": [[1]]},
        "point": {"weights": [[[0], [0]], [[1, 1]]]}}


def invoke(*args):
    result = CliRunner().invoke(main, ["regions", *args])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result


def test_command_json_schema(tmp_path):
    path = write(tmp_path, "kink.json", KINK)
    result = invoke(path, "--radius", "1/10", "--json", "-q")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert (out["regions"], out["edges"], out["complete"]) == (4, 4, True)
    assert (out["count_exact"], out["edges_exact"], out["regions_at_most"], out["mode"]) == (True, True, 4, "local")
    assert isinstance(out["regions"], int) and isinstance(out["complete"], bool)
    assert len(out["region_list"]) == 4 and len(out["edge_list"]) == 4
    for r in out["region_list"]:
        assert set(r) >= {"id", "pattern", "witness", "hessian"}
        assert isinstance(r["pattern"][0][0], str) and set(r["witness"]) == {"weights", "biases"}
        lb = r["hessian"]["min_eigenvalue_lower_bound"]
        assert isinstance(lb, str) and F(lb) is not None and "." not in lb
        assert isinstance(r["hessian"]["positive_definite"], bool)
    for e in out["edge_list"]:
        assert e["layer"] == 1 and e["samples"] == [0]


def test_command_text_and_graphml(tmp_path):
    path = write(tmp_path, "kink.json", KINK)
    graph = tmp_path / "g.graphml"
    result = invoke(path, "--radius", "1/10", "--graphml", str(graph))
    assert result.exit_code == 0
    assert "regions:    4 (exact)" in result.stdout and "complete:   yes" in result.stdout
    G = nx.read_graphml(str(graph))
    assert G.number_of_nodes() == 4 and G.number_of_edges() == 4
    assert json.loads(G.nodes["r0"]["pattern"])[0][0] in {"00", "01", "10", "11"}
    assert not [f for f in tmp_path.iterdir() if f.name.startswith(".pscert-")]


def test_command_global_with_max_regions(tmp_path):
    path = write(tmp_path, "kink.json", KINK)
    out = json.loads(invoke(path, "--global", "--json", "--max-regions", "1", "-q").stdout)
    assert (out["regions"], out["count_exact"], out["complete"], out["listed"]) == (4, True, False, 1)


@pytest.mark.parametrize("args,message", [
    (["--radius", "-1"], "radius must be non-negative"),
    (["--radius", "1", "--global"], "--radius and --global must not be combined"),
    (["--radius", "abc"], "--radius"),
    (["--max-regions", "-2"], "max_regions must be non-negative"),
])
def test_command_bad_input(tmp_path, args, message):
    path = write(tmp_path, "kink.json", KINK)
    result = invoke(path, *args)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ") and message in result.stderr


def test_command_global_rejects_deep_networks(tmp_path):
    deep = dict(KINK, network={"widths": [1, 1, 1, 1], "biases": False})
    deep.pop("point")
    result = invoke(write(tmp_path, "deep.json", deep), "--global")
    assert result.exit_code == 2 and "at most one hidden layer" in result.stderr
    assert result.stderr.strip().count("\n") == 0


def test_command_local_needs_a_point(tmp_path):
    nopoint = {k: v for k, v in KINK.items() if k != "point"}
    result = invoke(write(tmp_path, "nopoint.json", nopoint))
    assert result.exit_code == 2 and "point" in result.stderr
    assert invoke(write(tmp_path, "nopoint.json", nopoint), "--global", "-q").exit_code == 0


def test_json_output_is_exact_everywhere():
    p, g = two_units(F(3, 5), F(4, 5), 1)
    text = json.dumps(graph_to_json(p, g))
    assert "e-" not in text and not any(isinstance(v, float) for v in _leaves(json.loads(text)))


def _leaves(obj):
    if isinstance(obj, dict):
        for v in obj.values():
            yield from _leaves(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _leaves(v)
    else:
        yield obj


def test_progress_reads_as_progress(monkeypatch):
    """Each stage's bar is labelled ``regions:`` and its item reads ``done/total stage``."""
    import contextlib

    import cli

    seen: list[tuple[str, int, object]] = []

    class Bar:
        def update(self, n, item=None):
            seen.append(("update", n, item))

    @contextlib.contextmanager
    def fake(quiet, total, label):
        seen.append(("open", total, label))
        yield Bar()

    monkeypatch.setattr(cli, "_progress", fake)
    bars = cli._Bars(quiet=False)
    bars("units", 1, 3)
    bars("units", 3, 3)
    bars("regions", 2, 12)
    bars.close()
    assert seen == [("open", 3, "regions"), ("update", 1, "1/3 units"), ("update", 2, "3/3 units"),
                    ("open", 12, "regions"), ("update", 2, "2/12 regions")]
