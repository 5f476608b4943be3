"""The determinant form ``f_o(x_j) = −det B`` and its cofactor derivatives (symbolic/determinant.py).

The property tests build the piece polynomial independently, from the layer formulas
``a_0 = x``, ``a_k = D_k (W_k a_{k−1} + b_k)``, ``f = W_{H+1} a_H + b_{H+1}`` in ``QQ[θ]``, with their own
symbol names, and compare it with ``−det B``, its gradient with the cofactors and its Hessian with the
second-order cofactors.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings, strategies as st
from sympy.polys.rings import ring

from symbolic.determinant import (
    cofactor, determinant, determinant_form, determinant_report, first_derivative, gradient, hessian,
    matrix_to_json, parameter_names, parameter_position, parameter_symbols, piece_output, second_cofactor,
    second_derivative, to_latex, to_text)
from symbolic.exceptions import PatternError, ProblemError, SelectionError
from symbolic.network import forward
from symbolic.problem import parse_problem
from symbolic.rationals import canonical

v, w, c, d = sympy.symbols("W1_0_0 W2_0_0 b1_0 b2_0")


def make(widths, biases=True, inputs=None, targets=None, point=None, activation="relu"):
    """A problem with the given shapes; point is a flat θ in canonical order (or None)."""
    inputs = inputs or [[1] * widths[0]]
    targets = targets or [[0] * widths[-1] for _ in inputs]
    obj = {"format": "pscert.problem/1",
           "network": {"widths": list(widths), "biases": biases, "activation": activation},
           "loss": {"weight_decay": "1/10"},
           "data": {"inputs": [[canonical(Fraction(q)) for q in x] for x in inputs],
                    "targets": [[canonical(Fraction(q)) for q in y] for y in targets]}}
    p = parse_problem(obj)
    if point is not None:
        p = p.with_point(p.unflatten([Fraction(t) for t in point]))
    return p


def names(widths, biases):
    """Canonical parameter names, written out independently of the module."""
    out = []
    for k in range(1, len(widths)):
        out += [f"W{k}_{a}_{col}" for a in range(widths[k]) for col in range(widths[k - 1])]
        out += [f"b{k}_{a}" for a in range(widths[k])] if biases else []
    return out


def piece_polynomial(problem, sample, output, pattern):
    """``f_o(x_j)`` of the piece in ``QQ[θ]`` from the layer formulas, and the ring's generators."""
    R, *gens = ring(names(problem.widths, problem.biases), sympy.QQ)
    th = problem.unflatten(gens)
    a = [R(sympy.Rational(q.numerator, q.denominator)) for q in problem.inputs[sample]]
    for k, W in enumerate(th.weights):
        z = [sum((wi * ai for wi, ai in zip(row, a)), R.zero) + (th.biases[k][i] if th.biases else 0)
             for i, row in enumerate(W)]
        a = z if k == problem.depth else [zi * pattern[sample][k][i] for i, zi in enumerate(z)]
    return R, gens, a[output]


# ---------------------------------------------------------------------------------------------------
# hand-worked fixtures


def test_one_unit_no_bias():
    """``f = w·σ(v·x)`` at ``x = 2``, active: ``B = [[1,0,2],[−v,1,0],[0,w,0]]``, ``det B = −2vw``.

    Gradient ``(2w, 2v)``: ``∂f/∂v = −s C_10`` with ``s = −1``, ``C_10 = 2w``; ``∂f/∂w = −C_21``,
    ``C_21 = −2v``. Hessian ``[[0, 2], [2, 0]]``.
    """
    p = make([1, 1, 1], biases=False, inputs=[[2]])
    form = determinant_form(p, pattern=(((1,),),))
    assert form.matrix == sympy.Matrix([[1, 0, 2], [-v, 1, 0], [0, w, 0]])
    assert piece_output(form) == 2 * v * w
    assert form.entries == ((1, 0, -1), (2, 1, 1))
    assert cofactor(form.matrix, 1, 0) == 2 * w and cofactor(form.matrix, 2, 1) == -2 * v
    assert gradient(form) == [2 * w, 2 * v]
    assert hessian(form) == sympy.Matrix([[0, 2], [2, 0]])


def test_one_unit_with_biases():
    """``f = w·σ(v·x + c) + d`` at ``x = 2``: ``B`` is 5×5 with constant coordinates 1 and 3.

    Active: ``−det B = w(2v + c) + d``; inactive: the row of ``(v, c)`` is zero and ``−det B = d``.
    """
    p = make([1, 1, 1], inputs=[[2]])
    on = determinant_form(p, pattern=(((1,),),))
    assert on.matrix == sympy.Matrix([[1, 0, 0, 0, 2], [0, 1, 0, 0, 1], [-v, -c, 1, 0, 0], [0, -1, 0, 1, 0],
                                      [0, 0, w, d, 0]])
    assert sympy.expand(piece_output(on) - (w * (2 * v + c) + d)) == 0
    assert gradient(on) == [2 * w, w, 2 * v + c, 1]
    off = determinant_form(p, pattern=(((0,),),))
    assert piece_output(off) == d
    assert off.entries[:2] == (None, None) and gradient(off) == [0, 0, 0, 1]
    assert [parameter_position(p, i) for i in range(4)] == [(2, 0), (2, 1), (4, 2), (4, 3)]


def test_depth_zero_is_affine():
    """No hidden layer: ``B = [[I, (x; 1)], [(w, b), 0]]`` and ``−det B = w·x + b`` for each output.

    Canonical order ``W1_0_0, W1_0_1, W1_1_0, W1_1_1, b1_0, b1_1``: output ``o`` uses θ[2o], θ[2o+1], θ[4+o].
    """
    p = make([2, 2], inputs=[[3, -1]])
    s = parameter_symbols(p)
    for o in range(2):
        form = determinant_form(p, output=o, pattern=((),))
        assert form.size == 4
        assert piece_output(form) == 3 * s[2 * o] - s[2 * o + 1] + s[4 + o]
    assert parameter_position(p, 0, output=1) is None and parameter_position(p, 2, output=1) == (3, 0)
    assert parameter_position(p, 5, output=1) == (3, 2) and parameter_position(p, 4, output=1) is None


def test_numeric_form_at_the_point():
    """``f = 3·σ(x/2)`` at ``x = 2``: numeric ``B = [[1,0,2],[−1/2,1,0],[0,3,0]]``, ``−det B = 3``."""
    p = make([1, 1, 1], biases=False, inputs=[[2]], point=["1/2", 3])
    form = determinant_form(p, numeric=True)
    assert form.matrix == sympy.Matrix([[1, 0, 2], [sympy.Rational(-1, 2), 1, 0], [0, 3, 0]])
    assert piece_output(form) == 3
    assert gradient(form) == [6, 1]
    assert matrix_to_json(form) == [["1", "0", "2"], ["-1/2", "1", "0"], ["0", "3", "0"]]
    report = determinant_report(p)
    assert report.value == report.forward_value == 3 and report.agrees


def test_identity_activation_default_pattern_is_all_active():
    """With identity activations the default pattern is all ones, whatever the signs: ``f = w·v·x = −2``."""
    p = make([1, 1, 1], biases=False, inputs=[[1]], point=[-1, 2], activation="identity")
    form = determinant_form(p, numeric=True)
    assert form.pattern == (((1,),),) and piece_output(form) == -2


def test_parameter_names_and_symbols():
    p = make([2, 3, 1])
    assert parameter_names(p) == tuple(names([2, 3, 1], True))
    assert parameter_names(p)[6:10] == ("b1_0", "b1_1", "b1_2", "W2_0_0")
    assert [s.name for s in parameter_symbols(p)] == list(parameter_names(p))
    assert parameter_names(make([1, 2, 1], biases=False)) == ("W1_0_0", "W1_1_0", "W2_0_0", "W2_0_1")


def test_cofactor_formulas_on_a_generic_matrix():
    """First and second derivatives of a generic 4×4 determinant are the (second-order) cofactors."""
    m = sympy.Matrix(4, 4, lambda i, j: sympy.Symbol(f"m{i}{j}"))
    det = m.det(method="berkowitz")
    for p in range(4):
        for q in range(4):
            assert sympy.expand(cofactor(m, p, q) - sympy.diff(det, m[p, q])) == 0
            for p2 in range(4):
                for q2 in range(4):
                    got = second_cofactor(m, p, q, p2, q2)
                    assert sympy.expand(got - sympy.diff(det, m[p, q], m[p2, q2])) == 0


def test_renderings():
    p = make([1, 1, 1], biases=False, inputs=[[2]])
    form = determinant_form(p, pattern=(((1,),),))
    assert to_text(form) == ["      1 |       0 |       2",
                             "-" * 27,
                             "-W1_0_0 |       1 |       0",
                             "-" * 27,
                             "      0 |  W2_0_0 |       0"]
    tex = to_latex(form)
    assert tex == ("\\[ f_{0}(x_{0}) = -\\det B, \\qquad B = \\begin{pmatrix}1 & 0 & 2\\\\- W^{(1)}_{0,0} & 1 & 0"
                   "\\\\0 & W^{(2)}_{0,0} & 0\\end{pmatrix} \\]")
    wide = determinant_form(make([3, 3, 3, 1]), pattern=(((1, 1, 1), (1, 0, 1)),))
    assert to_latex(wide).startswith("\\setcounter{MaxMatrixCols}{13}\n\\[")
    assert matrix_to_json(form)[1] == ["-W1_0_0", "1", "0"]


# ---------------------------------------------------------------------------------------------------
# errors


def test_bad_indices_raise_selection_error():
    p = make([1, 1, 2], inputs=[[1], [2]], point=[1, 0, 1, 1, 0, 0])
    with pytest.raises(SelectionError, match=r"^sample: must be an index in 0\.\.1 \(got 2\)$"):
        determinant_form(p, sample=2)
    with pytest.raises(SelectionError, match=r"^output: must be an index in 0\.\.1 \(got -1\)$"):
        determinant_form(p, output=-1)
    with pytest.raises(SelectionError, match=r"^parameter: must be an index in 0\.\.5 \(got 6\)$"):
        first_derivative(determinant_form(p), 6)
    with pytest.raises(SelectionError, match="output"):
        parameter_position(p, 0, output=2)


def test_bad_patterns_raise_pattern_error():
    p = make([1, 2, 1], inputs=[[1], [2]])
    with pytest.raises(PatternError, match=r"^pattern: must have 2 samples \(got 1\)$"):
        determinant_form(p, pattern=(((1, 1),),))
    with pytest.raises(PatternError, match=r"^pattern\[1\]\[0\]: must be 2 bits 0/1 \(got \(1, 2\)\)$"):
        determinant_form(p, pattern=(((1, 1),), ((1, 2),)))
    with pytest.raises(PatternError, match=r"^pattern\[0\]: must have 1 hidden layers \(got 2\)$"):
        determinant_form(p, pattern=(((1, 1), (1,)), ((1, 1),)))


def test_missing_point():
    p = make([1, 1, 1])
    with pytest.raises(ProblemError, match="^point: missing"):
        determinant_form(p)
    with pytest.raises(ProblemError, match="^point: missing"):
        determinant_form(p, pattern=(((1,),),), numeric=True)


# ---------------------------------------------------------------------------------------------------
# properties over random architectures, patterns and points

small_q = st.fractions(min_value=-3, max_value=3, max_denominator=4)


@st.composite
def pieces(draw, max_depth=4, max_width=4):
    """A random problem with a point, a sample, an output and a random (not the point's) pattern."""
    depth = draw(st.integers(0, max_depth))
    widths = [draw(st.integers(1, max_width)) for _ in range(depth + 1)] + [draw(st.integers(1, 3))]
    biases = draw(st.booleans())
    n_samples = draw(st.integers(1, 2))
    inputs = [[draw(small_q) for _ in range(widths[0])] for _ in range(n_samples)]
    P = sum(widths[k + 1] * (widths[k] + biases) for k in range(depth + 1))
    point = [draw(small_q) for _ in range(P)]
    p = make(widths, biases, inputs, point=point)
    pattern = tuple(tuple(tuple(draw(st.integers(0, 1)) for _ in range(n)) for n in widths[1:-1])
                    for _ in range(n_samples))
    return p, draw(st.integers(0, n_samples - 1)), draw(st.integers(0, widths[-1] - 1)), pattern


@settings(max_examples=40, deadline=None)
@given(pieces(max_depth=4, max_width=3))
def test_minus_det_is_the_piece_polynomial(case):
    p, j, o, pattern = case
    R, gens, f = piece_polynomial(p, j, o, pattern)
    assert R(piece_output(determinant_form(p, j, o, pattern))) == f


@settings(max_examples=40, deadline=None)
@given(pieces())
def test_numeric_minus_det_is_the_piece_output(case):
    p, j, o, pattern = case
    value = piece_output(determinant_form(p, j, o, pattern, numeric=True))
    assert value == forward(p, p.point, pattern).outputs[j][o]
    R, gens, f = piece_polynomial(p, j, o, pattern)
    assert value == f(*[sympy.Rational(t.numerator, t.denominator) for t in p.flatten(p.point)])


@settings(max_examples=30, deadline=None)
@given(pieces(max_depth=3, max_width=3))
def test_cofactors_are_the_gradient(case):
    p, j, o, pattern = case
    R, gens, f = piece_polynomial(p, j, o, pattern)
    form = determinant_form(p, j, o, pattern)
    assert [R(g) for g in gradient(form)] == [f.diff(x) for x in gens]


@settings(max_examples=30, deadline=None)
@given(pieces(max_depth=3, max_width=2))
def test_second_cofactors_are_the_hessian(case):
    p, j, o, pattern = case
    R, gens, f = piece_polynomial(p, j, o, pattern)
    form = determinant_form(p, j, o, pattern)
    Hm = hessian(form)
    assert all(R(Hm[a, b]) == f.diff(x).diff(y) for a, x in enumerate(gens) for b, y in enumerate(gens))


@settings(max_examples=30, deadline=None)
@given(pieces(max_depth=3, max_width=3))
def test_numeric_cofactors_are_the_derivatives_at_the_point(case):
    p, j, o, pattern = case
    R, gens, f = piece_polynomial(p, j, o, pattern)
    at = [sympy.Rational(t.numerator, t.denominator) for t in p.flatten(p.point)]
    form = determinant_form(p, j, o, pattern, numeric=True)
    assert gradient(form) == [f.diff(x)(*at) for x in gens]
    P = len(gens)
    pairs = [(a, b) for a in range(P) for b in range(P)][:: max(1, P * P // 60)]
    assert all(second_derivative(form, a, b) == f.diff(gens[a]).diff(gens[b])(*at) for a, b in pairs)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5).flatmap(lambda n: st.lists(st.lists(small_q, min_size=n, max_size=n), min_size=n,
                                                     max_size=n)))
def test_determinant_matches_sympy(rows):
    m = sympy.Matrix(rows)
    assert determinant(m) == m.det(method="bareiss")
    x = sympy.Symbol("x")
    mx = m + x * sympy.eye(m.rows)       # a polynomial matrix: the (shifted) characteristic polynomial
    assert sympy.expand(determinant(mx) - mx.det(method="berkowitz")) == 0


# ---------------------------------------------------------------------------------------------------
# pscert det


def run_det(*args):
    from click.testing import CliRunner

    from cli import main

    return CliRunner().invoke(main, ["det", *args])


def test_cli_det_symbolic_text():
    """examples/deep.json, sample 0: pattern ``110 11``, ``B`` is 11×11 and ``−det B = 2343/2000 = f``."""
    r = run_det("examples/deep.json")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "sample 0, output 0: pattern 110 11 (the point's region)"
    assert lines[1] == "B (11×11, symbolic):"
    assert "-W1_0_0 -W1_0_1   -b1_0 |" in r.stdout
    assert "identity:      f_0(x_0) = −det B" in lines
    assert any(line.startswith("−det B =       W1_0_0*W2_0_0*W3_0_0 + ") for line in lines)
    assert lines[-1] == ("at the point:  −det B = 2343/2000 (≈ 1.1715), forward pass f = 2343/2000 (≈ 1.1715): "
                         "agree")


def test_cli_det_numeric_latex_and_json():
    r = run_det("examples/deep.json", "--sample", "3", "--numeric")
    assert r.exit_code == 0 and "pattern 011 11" in r.stdout and "-1/5 -9/10 -1/20 |" in r.stdout
    assert "−det B =       " not in r.stdout and r.stdout.rstrip().endswith("93/250 (≈ 0.372): agree")
    r = run_det("examples/deep.json", "--latex")
    assert r.exit_code == 0 and "\\setcounter{MaxMatrixCols}{11}" in r.stdout and "- b^{(1)}_{0}" in r.stdout
    r = run_det("examples/deep.json", "--json", "--numeric", "--latex", "--sample", "1")
    assert r.exit_code == 0
    import json

    obj = json.loads(r.stdout)
    assert obj["size"] == 11 and len(obj["matrix"]) == 11 and all(len(row) == 11 for row in obj["matrix"])
    assert obj["matrix"][3][:3] == ["-4/5", "-3/10", "-1/10"] and obj["matrix"][0][10] == "0"
    assert obj["value"] == obj["forward"] == "2691/2000" and obj["agrees"] is True
    assert obj["pattern"] == ["111", "11"] and obj["latex"].startswith("\\setcounter")


def test_cli_det_boundary_point():
    """chain_origin.json: ``z = 0`` at the only unit, counted inactive, so ``B`` has no ``W1`` and ``f = 0``."""
    r = run_det("examples/chain_origin.json")
    assert r.exit_code == 0
    assert r.stdout.splitlines()[0] == ("sample 0, output 0: pattern 0 (the point is on a boundary, z = 0 at "
                                        "(hidden layer, unit) (0, 0) counted inactive)")
    assert r.stdout.rstrip().endswith("−det B = 0, forward pass f = 0: agree")


@pytest.mark.parametrize("args, message", [
    (["--sample", "4"], "Error: sample: must be an index in 0..3 (got 4)"),
    (["--sample", "-1"], "Error: sample: must be an index in 0..3 (got -1)"),
    (["--output", "1"], "Error: output: must be an index in 0..0 (got 1)"),
])
def test_cli_det_bad_index(args, message):
    r = run_det("examples/deep.json", *args)
    assert r.exit_code == 2 and r.stdout == "" and r.stderr.strip() == message


def test_cli_det_needs_a_point(tmp_path):
    path = tmp_path / "nopoint.json"
    path.write_text('{"format": "pscert.problem/1", "network": {"widths": [1, 1, 1]},'
                    ' "loss": {"weight_decay": 0}, "data": {"inputs": [[1]], "targets": [[1]]}}')
    r = run_det(str(path))
    assert r.exit_code == 2 and r.stderr.startswith("Error: ") and "point: missing" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert run_det(str(tmp_path / "absent.json")).exit_code == 2


def test_cli_det_reports_a_disagreement(monkeypatch):
    """If −det B ever differed from the forward pass the command must say so and exit 1."""
    import symbolic.determinant as det_module

    real = det_module.determinant_report

    def broken(*args, **kwargs):
        rep = real(*args, **kwargs)
        return det_module.DeterminantReport(rep.form, rep.polynomial, rep.value + 1, rep.forward_value, ())

    monkeypatch.setattr(det_module, "determinant_report", broken)
    r = run_det("examples/deep.json")
    assert r.exit_code == 1 and "DISAGREE" in r.stdout.splitlines()[-1]
