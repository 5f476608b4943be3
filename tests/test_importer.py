"""Tests for numeric.importer and ``pscert import``: trained models to exact problem files."""

from __future__ import annotations

import importlib.util
import json
import math
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from symbolic.exceptions import ProblemError
from numeric.datafiles import float_to_rational
from numeric.importer import import_model, model_layers, parse_denominator, torch_objective
from symbolic.derivatives import piece_derivatives
from symbolic.network import forward, loss
from symbolic.problem import load_problem, parse_problem, problem_to_json

TENTH = Fraction(3602879701896397, 36028797018963968)  # the float64 nearest 0.1: 0x1.999999999999ap-4


def run(*args):
    result = CliRunner().invoke(main, ["import", *map(str, args)])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result


def one_error_line(result, *fragments):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert result.stdout == ""


@pytest.fixture
def net(tmp_path):
    """A 2-3-1 network with biases and XOR-like data stored beside it, as ``W1, b1, W2, b2, X, y``."""
    path = tmp_path / "net.npz"
    np.savez(path, W1=[[0.1, -0.5], [0.25, 1.0], [-1.5, 2.0]], b1=[0.0, 0.1, -0.25], W2=[[1.0, -2.0, 0.5]], b2=[0.1],
             X=[[0, 0], [0, 1], [1, 0], [1, 1]], y=[0, 1, 1, 0])
    return path


# ---------------------------------------------------------------------------------------------------
# floats to rationals


def test_exact_conversion_of_a_tenth():
    assert float_to_rational(0.1) == TENTH
    assert float_to_rational(-0.0) == 0 and float_to_rational(2.5) == Fraction(5, 2)


def test_rounding_to_a_denominator():
    """0.1·16 = 1.6 rounds to 2, so 2/16 = 1/8; 0.15625·32 = 5 exactly; 0.5·3 = 1.5 ties to even, 2/3."""
    assert float_to_rational(0.1, 16) == Fraction(1, 8)
    assert float_to_rational(0.15625, 32) == Fraction(5, 32)
    assert float_to_rational(0.5, 3) == Fraction(2, 3)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False), st.integers(1, 2**60))
def test_conversion_is_exact_and_rounding_is_nearest(x, q):
    assert float(float_to_rational(x)) == x
    r = float_to_rational(x, q)
    assert r.denominator <= q and q % r.denominator == 0
    assert abs(r - Fraction(x)) <= Fraction(1, 2 * q)


def test_non_finite_floats_are_refused():
    with pytest.raises(ValueError):
        float_to_rational(math.inf)


@pytest.mark.parametrize("text, value", [("2^40", 2**40), ("2**3", 8), (" 1000 ", 1000), ("1", 1)])
def test_parse_denominator(text, value):
    assert parse_denominator(text) == value


@pytest.mark.parametrize("text", ["0", "-4", "2^-3", "x", "", "1/2", "0^5", "2^99999"])
def test_parse_denominator_refuses(text):
    with pytest.raises(ProblemError, match="--denominator: must be a positive integer"):
        parse_denominator(text)


# ---------------------------------------------------------------------------------------------------
# round trips


def test_npz_round_trip_exact(net):
    p = import_model(str(net), weight_decay="1/100")
    assert p.widths == (2, 3, 1) and p.biases and p.decay_biases and p.activation == "relu"
    assert p.weight_decay == Fraction(1, 100) and p.reduction == "mean"
    assert p.point.weights[0][0] == (TENTH, Fraction(-1, 2))
    assert p.point.biases[0] == (0, TENTH, Fraction(-1, 4))
    assert p.inputs[1] == (0, 1) and [y for (y,) in p.targets] == [0, 1, 1, 0]
    assert p.name == "imported from net.npz; weights = exact float64 binary values"
    assert parse_problem(json.loads(json.dumps(problem_to_json(p)))) == p
    # the rational network computes what the float arrays compute, up to rounding
    z = np.array([[0.1, -0.5], [0.25, 1.0], [-1.5, 2.0]]) @ np.array([1.0, 1.0]) + [0.0, 0.1, -0.25]
    expected = np.array([1.0, -2.0, 0.5]) @ np.maximum(z, 0) + 0.1
    assert float(forward(p).outputs[3][0]) == pytest.approx(expected, abs=1e-15)


def test_npz_round_trip_rounded(net):
    p = import_model(str(net), denominator=2**4)
    assert p.point.weights[0][0] == (Fraction(1, 8), Fraction(-1, 2))
    assert p.name.endswith("weights = rounded to multiples of 1/2^4")
    assert p.inputs[1] == (0, 1)  # data stay exact whatever the rounding


def test_float32_weights_are_their_exact_binary_value(tmp_path):
    """float32(0.1) = 13421773 · 2⁻²⁷, exactly representable in float64."""
    path = tmp_path / "f32.npz"
    np.savez(path, W1=np.array([[0.1]], dtype=np.float32), W2=np.array([[1]], dtype=np.int64), X=[1.0], y=[1.0])
    p = import_model(str(path))
    assert p.point.weights[0][0][0] == Fraction(13421773, 2**27)
    assert p.point.weights[1][0][0] == 1 and not p.biases


@pytest.mark.parametrize("names", [
    ("layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"),
    ("0.weight", "0.bias", "2.weight", "2.bias"),            # nn.Sequential(Linear, ReLU, Linear)
    ("net.fc1.weight", "net.fc1.bias", "net.fc2.weight", "net.fc2.bias"),
    ("w0", "B0", "w1", "B1"),
])
def test_accepted_naming(tmp_path, names):
    path = tmp_path / "m.npz"
    arrays = dict(zip(names, ([[1.0, 2.0]], [0.5], [[3.0]], [0.25])))
    np.savez(path, **arrays, inputs=[[1, 2]], targets=[[3]])
    p = import_model(str(path))
    assert p.widths == (2, 1, 1)
    assert p.point.weights == (((1, 2),), ((3,),)) and p.point.biases == ((Fraction(1, 2),), (Fraction(1, 4),))


def test_modules_order_by_their_number_not_their_text():
    """fc2 before fc10 (text order would put fc10 first, and the shapes 1×3, 3×2 would not chain)."""
    arrays = {"fc1.weight": np.ones((2, 2)), "fc10.weight": np.ones((1, 3)), "fc2.weight": np.ones((3, 2))}
    assert [layer.weight_name for layer in model_layers(arrays)] == ["fc1.weight", "fc2.weight", "fc10.weight"]


def test_single_linear_layer_has_no_hidden_layer(tmp_path):
    path = tmp_path / "lin.npz"
    np.savez(path, **{"linear.weight": [[2.0, -1.0]], "linear.bias": [0.5]}, X=[[1, 1]], y=[[1.5]])
    p = import_model(str(path))
    assert p.widths == (2, 1) and p.depth == 0


def test_csv_data_exact_decimals_with_header(net, tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("x1,x2,y\n0.1,0,1\n\n1,1e-1,-2/3\n")
    p = import_model(str(net), str(data), reduction="sum", decay_biases=False)
    assert p.inputs == ((Fraction(1, 10), 0), (1, Fraction(1, 10)))
    assert p.targets == ((1,), (Fraction(-2, 3),))
    assert p.reduction == "sum" and not p.decay_biases
    assert "(data d.csv)" in p.name


def test_npz_data_with_inputs_and_targets(net, tmp_path):
    data = tmp_path / "d.npz"
    np.savez(data, inputs=[[0.5, 0.5]], targets=[[0.1]])
    p = import_model(str(net), str(data))
    assert p.inputs == ((Fraction(1, 2), Fraction(1, 2)),) and p.targets == ((TENTH,),)


def test_cli_import_writes_a_problem_file(net, tmp_path):
    out = tmp_path / "p.json"
    r = run(net, "--weight-decay", "0.01", "-o", out)
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith(f"wrote {out}: 2-3-1 network, 4 samples")
    p = load_problem(str(out))
    assert p.weight_decay == Fraction(1, 100) and p.point.weights[0][0][0] == TENTH


def test_cli_import_to_stdout_with_denominator(net):
    r = run(net, "--denominator", "2^4")
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["point"]["weights"][0][0] == ["1/8", "-1/2"]
    assert obj["name"].endswith("rounded to multiples of 1/2^4")
    assert set(obj) == {"format", "name", "network", "loss", "data", "point"}


# ---------------------------------------------------------------------------------------------------
# malformed models and data: one line naming the layer or array, exit 2


def _save(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize("arrays, fragments", [
    ({"conv1.weight": np.ones((8, 3, 3, 3)), "fc.weight": np.ones((1, 8))},
     ["conv1.weight: must be a rank-2 weight matrix", "(got shape (8, 3, 3, 3), a convolution kernel?)"]),
    ({"W1": np.ones((3, 2)), "W2": np.ones((1, 4))},
     ["W2: shape must be (m, 3) to follow W1 of shape (3, 2) (got (1, 4))"]),
    ({"fc1.weight": np.ones((2, 2)), "bn.running_mean": np.zeros(2), "fc2.weight": np.ones((1, 2))},
     ["bn.running_mean: is not a parameter of a fully connected ReLU network"]),
    ({"bn.weight": np.ones(2), "fc.weight": np.ones((1, 2))}, ["bn.weight: must be a rank-2 weight matrix", "(2,)"]),
    ({"W1": np.ones((3, 2)), "b1": np.ones(2), "W2": np.ones((1, 3)), "b2": np.ones(1)},
     ["b1: shape must be (3,) to match W1 (got (2,))"]),
    ({"W1": np.ones((3, 2)), "b1": np.ones(3), "W2": np.ones((1, 3))}, ["W2: has no bias, but b1 exists"]),
    ({"W1": np.ones((3, 2)), "W3": np.ones((1, 3))}, ["layer numbers must run consecutively from 0 or 1 (got W1, W3)"]),
    ({"W1": np.ones((3, 2)), "layers.1.weight": np.ones((1, 3))}, ["layers.1.weight: cannot be mixed with W1"]),
    ({"encoder.0.weight": np.ones((3, 2)), "decoder.0.weight": np.ones((1, 3))},
     ["cannot order the layers: module names must differ only in one integer (got decoder.0, encoder.0)"]),
    ({"W1": np.array([[1.0, np.nan]])}, ["W1: must hold finite numbers"]),
    ({"W1": np.array([["a", "b"]])}, ["W1: must hold real numbers (got dtype <U1)"]),
    ({"b1": np.ones(1)}, ["b1: has no matching weight"]),
])
def test_malformed_models(tmp_path, arrays, fragments):
    path = _save(tmp_path, **arrays, X=[[1, 2]], y=[1])
    one_error_line(run(path), f"{path}: ", *fragments)


def test_object_arrays_are_never_unpickled(tmp_path):
    path = _save(tmp_path, W1=np.array([[{"evil": 1}]], dtype=object))
    one_error_line(run(path), "W1: must be a numeric array")


def test_a_file_that_is_not_a_model(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"not a zip")
    one_error_line(run(path), f"{path}: cannot read as .npz")


@pytest.mark.parametrize("data, text, fragments", [
    ("d.csv", "1,2,3,4\n", ["d.csv: row 1: expected 3 columns (2 inputs, 1 targets) (got 4)"]),
    ("d.csv", "a,b,c\n0,1,x\n", ["d.csv: row 2 column 3: must be an integer, p/q or decimal"]),
    ("d.csv", "a,b,c\n", ["d.csv: must hold at least one sample row"]),
])
def test_malformed_csv_data(net, tmp_path, data, text, fragments):
    path = tmp_path / data
    path.write_text(text)
    one_error_line(run(net, "--data", path), *fragments)


@pytest.mark.parametrize("arrays, fragments", [
    ({"X": np.ones((2, 3)), "y": np.ones(2)}, ["X: shape must be (N, 2) for the model's input width 2 (got (2, 3))"]),
    ({"X": np.ones((2, 2)), "y": np.ones((2, 2))}, ["y: shape must be (N, 1) for the model's output width 1 (got (2, 2))"]),
    ({"X": np.ones((2, 2)), "y": np.ones(3)}, ["y: must have one row per input row (2) (got 3)"]),
    ({"inputs": np.ones((2, 2))}, ["must hold an inputs array (inputs, X, x) and a targets array (targets, y, Y) (got inputs)"]),
    ({"X": np.ones((1, 2)), "y": [np.inf]}, ["y: must hold finite real numbers"]),
])
def test_malformed_npz_data(net, tmp_path, arrays, fragments):
    path = tmp_path / "d.npz"
    np.savez(path, **arrays)
    one_error_line(run(net, "--data", path), *fragments)


def test_missing_data(tmp_path):
    path = _save(tmp_path, W1=np.ones((1, 1)))
    one_error_line(run(path), "--data: required: the model holds no inputs/X/x and targets/y/Y arrays")


@pytest.mark.parametrize("args, fragments", [
    (["--exact", "--denominator", "2^8"], ["--denominator: cannot be combined with --exact"]),
    (["--targets", "2"], ["--targets: must equal the model's output width 1 (got 2)"]),
    (["--weight-decay", "-1/2"], ["--weight-decay: must be non-negative (got -1/2)"]),
    (["--weight-decay", "nan"], ["--weight-decay: must be an integer, p/q or decimal"]),
])
def test_bad_options(net, args, fragments):
    one_error_line(run(net, *args), *fragments)


def test_exact_flag_is_the_default(net):
    assert run(net, "--exact").stdout == run(net).stdout


# ---------------------------------------------------------------------------------------------------
# PyTorch state_dict files


def test_torch_missing_is_one_line(net, tmp_path, monkeypatch):
    """Whether or not torch is installed here, a missing torch gives one line and exit 2."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    path = tmp_path / "model.pt"
    path.write_bytes(b"PK\x03\x04 pretend")
    one_error_line(run(path, "--data", net), "model.pt: reading a PyTorch state_dict needs torch, which is not installed")


def test_torch_state_dict_round_trip(tmp_path):
    torch = pytest.importorskip("torch", reason="torch is an optional extra and is not installed here")
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    data = tmp_path / "d.csv"
    data.write_text("1,0,1\n0,1,0\n")
    p = import_model(str(path), str(data))
    assert p.widths == (2, 3, 1)
    W = model.state_dict()["0.weight"]
    assert p.point.weights[0][1][0] == Fraction(float(W[1, 0]))
    with torch.no_grad():
        expected = model(torch.tensor([[1.0, 0.0]], dtype=torch.float32)).item()
    assert float(forward(p).outputs[0][0]) == pytest.approx(expected, abs=1e-6)
    # arbitrary pickled objects are refused by weights_only=True
    evil = tmp_path / "evil.pt"
    torch.save({"0.weight": W, "callback": object()}, evil)
    one_error_line(run(evil, "--data", data), "evil.pt: cannot read as a PyTorch state_dict with weights_only=True")


# ---------------------------------------------------------------------------------------------------
# the PyTorch objective: λ and the reduction from nn.MSELoss and weight_decay


@pytest.mark.parametrize("loss, w, k, lam, reduction", [
    ("mse-mean", Fraction(1, 1000), 1, Fraction(1, 2000), "mean"),   # k·w/2 = 1/2000
    ("mse-mean", Fraction(1, 1000), 2, Fraction(1, 1000), "mean"),   # 2·(1/1000)/2
    ("mse-mean", Fraction(1, 10), 3, Fraction(3, 20), "mean"),       # 3·(1/10)/2
    ("mse-sum", Fraction(1, 10), 3, Fraction(1, 20), "sum"),         # w/2 whatever k
    ("mse-mean", Fraction(0), 4, Fraction(0), "mean"),
])
def test_torch_objective(loss, w, k, lam, reduction):
    assert torch_objective(loss, w, k)[:2] == (lam, reduction)


@pytest.fixture
def two_outputs(tmp_path):
    """A 1-1-2 network without biases: f(x) = (2·σ(x), −σ(x)), at x = 1 with targets (1, 1).

    Residuals r = (1, −2), Σ‖r‖² = 5, ‖θ‖² = 1 + 4 + 1 = 6. torch: MSE = 5/2 (mean over N·k = 2 numbers),
    objective T = 5/2 + (w/2)·6 = 5/2 + 3/1000 for w = 1/1000. pscert mean, λ = 2·w/2 = 1/1000:
    L = 5 + 6/1000 = 2·T. pscert sum from mse-sum, λ = 1/2000: L = 5 + 3/1000 = Σ‖r‖² + (w/2)‖θ‖².
    """
    path = tmp_path / "k2.npz"
    np.savez(path, W1=[[1.0]], W2=[[2.0], [-1.0]], X=[[1.0]], y=[[1.0, 1.0]])
    return path


def test_torch_mean_loss_is_k_times_torch_objective(two_outputs):
    p = import_model(str(two_outputs), torch_weight_decay="1e-3")
    assert p.weight_decay == Fraction(1, 1000) and p.reduction == "mean"
    assert loss(p) == 2 * (Fraction(5, 2) + Fraction(3, 1000))
    assert "λ = k·w/2 = 1/1000, reduction mean, pscert's loss = 2 × torch's" in p.name


def test_torch_sum_loss_is_torch_objective(two_outputs):
    p = import_model(str(two_outputs), torch_loss="mse-sum", torch_weight_decay="0.001")
    assert p.weight_decay == Fraction(1, 2000) and p.reduction == "sum"
    assert loss(p) == 5 + Fraction(3, 1000)
    assert "λ = w/2 = 1/2000, reduction sum" in p.name


def test_torch_loss_alone_means_no_decay(two_outputs):
    p = import_model(str(two_outputs), torch_loss="mse-sum")
    assert p.weight_decay == 0 and p.reduction == "sum" and loss(p) == 5


def test_cli_torch_options(two_outputs):
    r = run(two_outputs, "--torch-weight-decay", "1e-3")
    assert r.exit_code == 0, r.output
    obj = json.loads(r.stdout)
    assert obj["loss"] == {"reduction": "mean", "weight_decay": "1/1000"}
    r = run(two_outputs, "--torch-weight-decay", "1e-3", "--torch-loss", "mse-sum")
    assert json.loads(r.stdout)["loss"] == {"reduction": "sum", "weight_decay": "1/2000"}


@pytest.mark.parametrize("args, fragments", [
    (["--torch-weight-decay", "1e-3", "--weight-decay", "1/2000"], ["--weight-decay: cannot be combined with --torch"]),
    (["--torch-loss", "mse-sum", "--reduction", "sum"], ["--reduction: cannot be combined with --torch"]),
    (["--torch-weight-decay", "-1e-3"], ["--torch-weight-decay: must be non-negative (got -1/1000)"]),
    (["--torch-weight-decay", "abc"], ["--torch-weight-decay: must be an integer, p/q or decimal"]),
    (["--torch-loss", "l1"], ["--torch-loss", "'l1' is not one of 'mse-mean', 'mse-sum'"]),
])
def test_torch_option_errors(two_outputs, args, fragments):
    one_error_line(run(two_outputs, *args), *fragments)


# ---------------------------------------------------------------------------------------------------
# data formats: .npy, torch.save, and a clear line for any other file


def test_npy_data_has_the_csv_layout(net, tmp_path):
    data = tmp_path / "d.npy"
    np.save(data, np.array([[0.5, 0.0, 0.1], [1.0, 1.0, -2.0]]))
    p = import_model(str(net), str(data))
    assert p.inputs == ((Fraction(1, 2), 0), (1, 1)) and p.targets == ((TENTH,), (-2,))


def test_npy_data_of_the_wrong_shape(net, tmp_path):
    data = tmp_path / "d.npy"
    np.save(data, np.ones((3, 2)))
    one_error_line(run(net, "--data", data), "d.npy: shape must be (N, 3): 2 input then 1 target columns (got (3, 2))")


def test_npy_object_arrays_are_never_unpickled(net, tmp_path):
    data = tmp_path / "d.npy"
    pair = np.empty(2, dtype=object)
    pair[0], pair[1] = np.ones((2, 2)), np.ones(2)  # (X, y) as one object array: loading it would unpickle
    np.save(data, pair, allow_pickle=True)
    one_error_line(run(net, "--data", data), "d.npy: cannot read as a numeric .npy array")


def test_npz_data_with_other_names(net, tmp_path):
    data = tmp_path / "d.npz"
    np.savez(data, x=[[0.5, 0.5]], Y=[[3.0]])
    p = import_model(str(net), str(data))
    assert p.inputs == ((Fraction(1, 2), Fraction(1, 2)),) and p.targets == ((3,),)
    np.savez(data, x=[[0.5, 0.5]], X=[[0.5, 0.5]], y=[[3.0]])
    one_error_line(run(net, "--data", data), "must hold one array of X and x, which name the same data (got both)")


@pytest.mark.parametrize("content", [bytes(range(256)) * 4, b"\x00\x01binary\xff\xfe"])
def test_unknown_data_format_lists_the_accepted_ones(net, tmp_path, content):
    data = tmp_path / "d.bin"
    data.write_bytes(content)
    one_error_line(run(net, "--data", data), "d.bin: is not a data file pscert reads; accepted: CSV", ".npy", ".npz",
                   "torch.save")


@pytest.mark.parametrize("name, content, got", [("d.csv", b"1,2,3\n", "(got a text file)"),
                                                ("m.bin", bytes(range(256)), "(got an unknown format)")])
def test_a_file_that_is_no_model_format(tmp_path, name, content, got):
    path = tmp_path / name
    path.write_bytes(content)
    one_error_line(run(path), f"{name}: a model must be a NumPy .npz of named arrays or a PyTorch state_dict", got)


def test_torch_data_pair_and_dict(net, tmp_path):
    torch = pytest.importorskip("torch", reason="torch is an optional extra and is not installed here")
    X = torch.tensor([[0.5, 0.0], [1.0, 1.0]], dtype=torch.float32)
    Y = torch.tensor([[0.1], [-2.0]], dtype=torch.float32)
    pair, named = tmp_path / "pair.pt", tmp_path / "named.pt"
    torch.save((X, Y), pair)
    torch.save({"inputs": X, "targets": Y.flatten(), "seed": 7}, named)
    tenth32 = Fraction(13421773, 2**27)  # float32(0.1), exactly
    for path in (pair, named):
        p = import_model(str(net), str(path))
        assert p.inputs == ((Fraction(1, 2), 0), (1, 1)) and p.targets == ((tenth32,), (-2,))
    triple = tmp_path / "triple.pt"
    torch.save((X, Y, Y), triple)
    one_error_line(run(net, "--data", triple), "triple.pt: must hold a pair (X, Y) of tensors or a dict of them "
                   "(got tuple of length 3)")
    wide = tmp_path / "wide.pt"
    torch.save((X, torch.ones(2, 2)), wide)
    one_error_line(run(net, "--data", wide), "wide.pt: targets (item 1): shape must be (N, 1)")
    dataset = tmp_path / "dataset.pt"
    torch.save(torch.utils.data.TensorDataset(X, Y), dataset)  # a class: refused by weights_only=True
    one_error_line(run(net, "--data", dataset), "dataset.pt: cannot read as a torch.save file with weights_only=True")


def test_trained_torch_objective_is_imported_exactly(tmp_path):
    """Train 2-4-2 with SGD, weight_decay, nn.MSELoss(); import with the torch options.

    pscert's mean loss with λ = k·w/2 is k = 2 times torch's objective T = MSE + (w/2)‖θ‖², so its exact
    gradient at the trained point is 2·∇T, with ∇T computed by torch's autograd (float64, whose error
    is far below the 1e-5 asked). Importing with the naive λ = w/2 gives another objective: its gradient
    is not 2·∇T (nor ∇T), so the comparison can fail.
    """
    torch = pytest.importorskip("torch", reason="torch is an optional extra and is not installed here")
    torch.manual_seed(0)
    X = torch.rand(12, 2, dtype=torch.float64) * 2 - 1
    Y = torch.stack([X[:, 0] - X[:, 1], torch.relu(X.sum(1))], dim=1)
    model = torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2)).to(torch.float64)
    w = 0.05
    opt = torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=w)
    for _ in range(300):
        opt.zero_grad()
        torch.nn.MSELoss()(model(X), Y).backward()
        opt.step()
    opt.zero_grad()
    params = list(model.parameters())
    objective = torch.nn.MSELoss()(model(X), Y) + w / 2 * sum((q ** 2).sum() for q in params)
    objective.backward()
    torch_grad = np.concatenate([q.grad.numpy().ravel() for q in params])  # W1, b1, W2, b2: pscert's order
    model_path, data_path = tmp_path / "model.pt", tmp_path / "data.pt"
    torch.save(model.state_dict(), model_path)
    torch.save((X, Y), data_path)

    def gradient(problem):
        theta = problem.flatten(problem.point)
        exact = piece_derivatives(problem, theta, forward(problem).pattern, hessian=False).gradient
        return np.array([float(g) for g in exact])

    out = tmp_path / "p.json"
    assert run(model_path, "--data", data_path, "--torch-weight-decay", "0.05", "-o", out).exit_code == 0
    p = load_problem(str(out))
    assert p.weight_decay == Fraction(1, 20) and p.reduction == "mean"
    assert float(loss(p)) == pytest.approx(2 * objective.item(), rel=1e-12)
    g = gradient(p)
    assert np.linalg.norm(g - 2 * torch_grad) <= 1e-5 * np.linalg.norm(2 * torch_grad)
    naive = gradient(import_model(str(model_path), str(data_path), weight_decay="0.025"))
    for scale in (1, 2):
        assert np.linalg.norm(naive - scale * torch_grad) > 0.1 * np.linalg.norm(scale * torch_grad)
