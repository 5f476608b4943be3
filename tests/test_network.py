"""The exact forward pass: outputs, pre-activations, patterns, margins and boundary triples.

Hand-worked fixtures first; then a property check against an independent evaluator written with
sympy's rationals and matrices (no code shared with ``symbolic.network``).
"""

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symbolic.exceptions import PatternError
from symbolic.network import forward, loss, pattern_from_json, pattern_to_json
from symbolic.problem import FORMAT, Params, parse_problem

F = Fraction


def problem(widths, inputs, targets, weights, biases=None, weight_decay=0, **options):
    network = {"widths": widths, "biases": biases is not None}
    network.update({k: v for k, v in options.items() if k in ("decay_biases", "activation")})
    obj = {
        "format": FORMAT,
        "network": network,
        "loss": {"weight_decay": weight_decay, "reduction": options.get("reduction", "mean")},
        "data": {"inputs": inputs, "targets": targets},
        "point": {"weights": weights, "biases": biases},
    }
    return parse_problem(obj)


# ---------------------------------------------------------------------------------------------------
# hand-worked examples


def two_hidden_layers(decay_biases=False):
    """Widths 1-2-1-1 with biases; W1 = [1; 1], b1 = (0, -1), W2 = [1, -2], b2 = 0, W3 = [3], b3 = 1.

    x = 1: z1 = (1, 0)  → a1 = (1, 0); z2 = 1      → f = 3·1 + 1 = 4.  Boundary (0, 0, 1): first layer.
    x = 2: z1 = (2, 1)  → a1 = (2, 1); z2 = 2 − 2 = 0 → f = 1.       Boundary (1, 1, 0): second layer.
    x = 3: z1 = (3, 2)  → a1 = (3, 2); z2 = 3 − 4 = −1 → f = 1.
    Targets 4, 0, 2: residuals 0, 1, −1, Σ = 2 ("sum"). λ = 1/2 on the weights 1, 1, 1, −2, 3:
    ‖W‖² = 16, so L = 2 + 8 = 10; with the biases 0, −1, 0, 1 decayed too, L = 2 + 9 = 11.
    """
    return problem([1, 2, 1, 1], [[1], [2], [3]], [[4], [0], [2]],
                   [[[1], [1]], [[1, -2]], [[3]]], [[0, -1], [0], [1]],
                   weight_decay="1/2", reduction="sum", decay_biases=decay_biases)


def test_boundaries_in_the_first_and_second_hidden_layer():
    fw = forward(two_hidden_layers())
    assert fw.outputs == ((4,), (1,), (1,))
    assert fw.preactivations == (((1, 0), (1,)), ((2, 1), (0,)), ((3, 2), (-1,)))
    assert fw.pattern == (((1, 0), (1,)), ((1, 1), (0,)), ((1, 1), (0,)))  # z = 0 counts as inactive
    assert fw.boundary == ((0, 0, 1), (1, 1, 0))
    assert fw.margin == 0
    assert pattern_to_json(fw.pattern) == [["10", "1"], ["11", "0"], ["11", "0"]]


def test_loss_with_and_without_decayed_biases():
    assert loss(two_hidden_layers()) == 10
    assert loss(two_hidden_layers(decay_biases=True)) == 11


def chain(a, b):
    """f = b·relu(a·x) on x = y = 1, λ = 1/4, no biases: L = (f − 1)² + (a² + b²)/4."""
    return problem([1, 1, 1], [[1]], [[1]], [[[a]], [[b]]], weight_decay="1/4")


def test_chain_inside_a_region():
    """a = b = 0.866 = 433/500: f = 187489/250000, L = (62511/250000)² + 187489/500000 = 27343750121/62500000000."""
    p = chain("0.866", "0.866")
    fw = forward(p)
    assert fw.outputs == ((F(187489, 250000),),)
    assert fw.margin == F(433, 500) and fw.boundary == () and fw.pattern == (((1,),),)
    assert loss(p) == F(62511, 250000) ** 2 + F(187489, 500000) == F(27343750121, 62500000000)


def test_chain_at_the_origin_is_on_a_boundary():
    """a = b = 0: z = 0, f = 0, L = 1."""
    fw = forward(chain(0, 0))
    assert fw.boundary == ((0, 0, 0),) and fw.margin == 0 and fw.outputs == ((0,),)
    assert loss(chain(0, 0)) == 1


def test_a_forced_pattern_evaluates_the_piece():
    """a = −1, b = 2: the ReLU network gives f = 0, L = 1 + 5/4; the active piece gives f = −2, L = 9 + 5/4."""
    p = chain(-1, 2)
    assert forward(p).outputs == ((0,),) and forward(p).pattern == (((0,),),)
    piece = forward(p, pattern=(((1,),),))
    assert piece.outputs == ((-2,),) and piece.pattern == (((1,),),)
    assert loss(p) == F(9, 4) and loss(p, pattern=(((1,),),)) == F(41, 4)


def test_identity_activation_has_no_boundary():
    """Widths 2-2-1, identity, W1 = [[1, −1], [2, 0]], W2 = [1, 1], no biases.

    x = (1, 1): z = (0, 2), f = 2 (a zero pre-activation is no boundary without ReLU).
    x = (1, 2): z = (−1, 2), f = 1 (ReLU would give 2).
    """
    p = problem([2, 2, 1], [[1, 1], [1, 2]], [[0], [0]], [[[1, -1], [2, 0]], [[1, 1]]], activation="identity")
    fw = forward(p)
    assert fw.outputs == ((2,), (1,))
    assert fw.preactivations == (((0, 2),), ((-1, 2),))
    assert fw.boundary == () and fw.pattern == (((1, 1),), ((1, 1),))


def test_several_outputs_without_biases():
    """Widths 2-1-3, W1 = [1, 2], W2 = [1; −1; 2].

    x = (1, 1): z = 3, f = (3, −3, 6); x = (−1, 0): z = −1, f = 0.
    Targets (3, −3, 6) and (1, 0, 0): data Σ = 0 + 1, mean 1/2; λ = 1/10, ‖θ‖² = 1 + 4 + 1 + 1 + 4 = 11.
    L = 1/2 + 11/10 = 8/5.
    """
    p = problem([2, 1, 3], [[1, 1], [-1, 0]], [[3, -3, 6], [1, 0, 0]], [[[1, 2]], [[1], [-1], [2]]], weight_decay="1/10")
    fw = forward(p)
    assert fw.outputs == ((3, -3, 6), (0, 0, 0))
    assert fw.margin == 1 and fw.boundary == ()
    assert loss(p) == F(8, 5)


def test_no_hidden_layer():
    """Widths 2-1, f = x_1 − x_2 + 1/2 at x = (1, 3): f = −3/2; no pre-activations, no margin."""
    p = problem([2, 1], [[1, 3]], [[0]], [[[1, -1]]], [["1/2"]])
    fw = forward(p)
    assert fw.outputs == ((F(-3, 2),),) and fw.preactivations == ((),) and fw.margin is None
    assert pattern_to_json(fw.pattern) == [[]]


def test_explicit_params_override_the_point():
    p = chain(1, 1)
    assert forward(p, Params((((F(2),),), ((F(3),),)), None)).outputs == ((6,),)
    with pytest.raises(ValueError, match="no point"):
        forward(p.with_point(None))


# ---------------------------------------------------------------------------------------------------
# patterns as JSON


def test_pattern_json_round_trip():
    p = two_hidden_layers()
    fw = forward(p)
    assert pattern_from_json(pattern_to_json(fw.pattern), p) == fw.pattern


@pytest.mark.parametrize(
    "obj, message",
    [
        ([["10", "1"]], r"^pattern: expected a list of 3 samples \(got a list of 1\)$"),
        ("10", r'^pattern: expected a list of 3 samples \(got "10"\)$'),
        ([["10", "1"], ["10"], ["10", "1"]], r"^pattern\[1\]: expected a list of 2 hidden layers \(got a list of 1\)$"),
        ([["10", "1"], ["10", "1"], ["1", "1"]], r'^pattern\[2\]\[0\]: expected a string of 2 characters 0/1 \(got "1"\)$'),
        ([["10", "1"], ["10", "1"], ["10", "2"]], r'^pattern\[2\]\[1\]: expected a string of 1 characters 0/1 \(got "2"\)$'),
        ([["10", "1"], ["10", 1], ["10", "1"]], r"^pattern\[1\]\[1\]: expected a string of 1 characters 0/1 \(got 1\)$"),
    ],
)
def test_bad_patterns(obj, message):
    with pytest.raises(PatternError, match=message):
        pattern_from_json(obj, two_hidden_layers())


# ---------------------------------------------------------------------------------------------------
# against an independent evaluator


def reference(widths, inputs, weights, biases, relu):
    """Outputs, pre-activations, boundary triples and margin with sympy matrices."""
    outputs, pres, boundary = [], [], []
    for j, x in enumerate(inputs):
        a = sympy.Matrix([sympy.Rational(v) for v in x])
        layers = []
        for k, W in enumerate(weights):
            z = sympy.Matrix(W) * a + (sympy.Matrix(biases[k]) if biases else sympy.zeros(len(W), 1))
            if k == len(weights) - 1:
                outputs.append(tuple(z))
                break
            layers.append(tuple(z))
            if relu:
                boundary += [(j, k, i) for i, v in enumerate(z) if v == 0]
            a = z.applyfunc(lambda t: sympy.Max(t, 0)) if relu else z
        pres.append(layers)
    zs = [abs(v) for layers in pres for z in layers for v in z]
    return outputs, pres, boundary, (min(zs) if zs else None)


small = st.sampled_from([F(0), F(1), F(-1), F(2), F(-2), F(1, 2), F(-1, 3), F(3, 4)])


@st.composite
def networks(draw):
    widths = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    has_biases = draw(st.booleans())
    n = draw(st.integers(1, 3))
    mat = lambda r, c: [[draw(small) for _ in range(c)] for _ in range(r)]  # noqa: E731
    weights = [mat(widths[k + 1], widths[k]) for k in range(len(widths) - 1)]
    biases = [mat(1, widths[k + 1])[0] for k in range(len(widths) - 1)] if has_biases else None
    return widths, mat(n, widths[0]), mat(n, widths[-1]), weights, biases, draw(st.sampled_from(["relu", "identity"]))


def as_text(m):
    return [[str(v) for v in row] for row in m]


@settings(max_examples=80, deadline=None)
@given(networks(), st.sampled_from(["0", "1/3"]), st.booleans())
def test_forward_and_loss_match_an_independent_evaluation(net, lam, decay_biases):
    widths, inputs, targets, weights, biases, activation = net
    p = problem(widths, as_text(inputs), as_text(targets), [as_text(W) for W in weights],
                as_text(biases) if biases else None, weight_decay=lam, activation=activation, decay_biases=decay_biases)
    outputs, pres, boundary, margin = reference(widths, inputs, weights, biases, activation == "relu")
    fw = forward(p)
    assert [tuple(map(sympy.Rational, o)) for o in fw.outputs] == outputs
    assert [[tuple(map(sympy.Rational, z)) for z in zs] for zs in fw.preactivations] == pres
    assert list(fw.boundary) == boundary
    assert (fw.margin is None and margin is None) or sympy.Rational(fw.margin) == margin
    expected_pattern = [[tuple((1 if v > 0 else 0) if activation == "relu" else 1 for v in z) for z in zs] for zs in pres]
    assert [list(ps) for ps in fw.pattern] == expected_pattern

    residual = sum((o - sympy.Rational(y)) ** 2 for out, ys in zip(outputs, targets) for o, y in zip(out, ys))
    decay = sum(sympy.Rational(v) ** 2 for W in weights for row in W for v in row)
    if biases and decay_biases:
        decay += sum(sympy.Rational(v) ** 2 for b in biases for v in b)
    expected = residual / len(inputs) + sympy.Rational(lam) * decay
    assert sympy.Rational(loss(p)) == expected


def test_the_pass_is_remembered_per_problem_point_and_pattern():
    """``forward`` remembers recent passes: the same problem and an equal point give the same pass; another
    problem (other inputs), another point or a forced pattern are computed afresh (values by hand as in
    :func:`two_hidden_layers`)."""
    p = two_hidden_layers()
    fw = forward(p)
    assert forward(p) is fw and forward(p, p.unflatten(list(p.flatten(p.point)))) is fw
    moved = p.flatten(p.point)
    moved[-2] = F(1)                       # W3 = [1]: f = z2 + 1 = 2, 1, 1 (z2 = 1, 0, 0 after ReLU)
    assert forward(p, p.unflatten(moved)).outputs == ((2,), (1,), (1,))
    other = problem([1, 2, 1, 1], [[3], [2], [1]], [[4], [0], [2]], [[[1], [1]], [[1, -2]], [[3]]], [[0, -1], [0], [1]],
                    weight_decay="1/2", reduction="sum")   # the inputs reversed: f = 1, 1, 4
    assert forward(other).outputs == ((1,), (1,), (4,))
    forced = [[[1, 1], [1]], [[1, 1], [1]], [[1, 1], [1]]]   # lists: not hashable, computed each time
    # x = 1 with both units on: a1 = (1, 0), z2 = 1, f = 4; x = 2, 3: z2 = 0, −1 kept: f = 1, −2
    assert forward(p, pattern=forced).outputs == ((4,), (1,), (-2,))
    assert forward(p).outputs == ((4,), (1,), (1,))
