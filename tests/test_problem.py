"""Problem files (docs/SPEC.md §2): parsing, validation, normalisation, canonical writing and round trips."""

import copy
import json
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbolic.exceptions import ProblemError
from symbolic.problem import (
    FORMAT,
    Params,
    load_problem,
    params_to_json,
    parse_params,
    parse_problem,
    problem_to_json,
)
from symbolic.rationals import loads

F = Fraction

# The docs/SPEC.md §2 example: widths 2-2-1 with biases, three samples.
SPEC_EXAMPLE = """{
  "format": "pscert.problem/1",
  "name": "two-unit example",
  "network": {"widths": [2, 2, 1], "biases": true, "decay_biases": true},
  "loss": {"reduction": "mean", "weight_decay": "1/100"},
  "data": {"inputs": [["0", "1"], ["1", "0"], ["1", "1"]], "targets": [["1"], ["1"], ["0"]]},
  "point": {"weights": [[["1/2", "-1"], ["0.25", "2"]], [["1", "-3/2"]]],
            "biases": [["0", "0"], ["1/8"]]}
}"""


def spec_example():
    return loads(SPEC_EXAMPLE)


def parse_text(text):
    return parse_problem(loads(text))


def error_of(obj):
    with pytest.raises(ProblemError) as info:
        parse_problem(obj)
    return str(info.value)


# ---------------------------------------------------------------------------------------------------
# the SPEC example, field by field


def test_spec_example_parses_exactly():
    p = parse_text(SPEC_EXAMPLE)
    assert p.widths == (2, 2, 1) and p.depth == 1 and p.samples == 3
    assert (p.biases, p.decay_biases, p.activation, p.reduction) == (True, True, "relu", "mean")
    assert p.weight_decay == F(1, 100) and p.alpha == F(1, 3) and p.name == "two-unit example"
    assert p.inputs == ((0, 1), (1, 0), (1, 1)) and p.targets == ((1,), (1,), (0,))
    assert p.point.weights == (((F(1, 2), -1), (F(1, 4), 2)), ((1, F(-3, 2)),))
    assert p.point.biases == ((0, 0), (F(1, 8),))
    # 2·(2+1) + 1·(2+1) parameters, in layers of 6 and 3
    assert p.layer_sizes == (6, 3) and p.parameter_count == 9


def test_defaults_when_optional_fields_are_absent():
    p = parse_problem({"format": FORMAT, "network": {"widths": [1, 1]}, "loss": {"weight_decay": 0},
                       "data": {"inputs": [[1]], "targets": [[2]]}})
    assert (p.biases, p.decay_biases, p.activation, p.reduction, p.name, p.point) == (True, True, "relu", "mean", "", None)
    assert p.depth == 0 and p.parameter_count == 2


def test_sum_reduction_weights_the_data_by_one():
    obj = spec_example()
    obj["loss"]["reduction"] = "sum"
    assert parse_problem(obj).alpha == 1


def test_point_may_be_null_and_biases_null_without_biases():
    obj = spec_example()
    obj["point"] = None
    assert parse_problem(obj).point is None
    p = parse_problem({"format": FORMAT, "network": {"widths": [1, 1], "biases": False}, "loss": {"weight_decay": 0},
                       "data": {"inputs": [[1]], "targets": [[2]]}, "point": {"weights": [[[3]]], "biases": None}})
    assert p.point == Params((((3,),),), None)


def test_decay_mask_and_canonical_order():
    """θ = rows of W_1, b_1, rows of W_2, b_2: for the SPEC example (1/2, -1, 1/4, 2, 0, 0, 1, -3/2, 1/8)."""
    obj = spec_example()
    obj["network"]["decay_biases"] = False
    p = parse_problem(obj)
    theta = p.flatten(p.point)
    assert theta == [F(1, 2), -1, F(1, 4), 2, 0, 0, 1, F(-3, 2), F(1, 8)]
    assert p.decayed() == (True,) * 4 + (False,) * 2 + (True,) * 2 + (False,)
    assert p.unflatten(theta) == p.point
    with pytest.raises(ValueError, match=r"expected 9 parameters \(got 8\)"):
        p.unflatten(theta[:-1])


def test_decay_biases_is_normalised_without_biases():
    """Without biases ``decay_biases`` means nothing; it is stored as True so equal problems compare equal."""
    base = {"format": FORMAT, "network": {"widths": [1, 1], "biases": False}, "loss": {"weight_decay": 0},
            "data": {"inputs": [[1]], "targets": [[2]]}}
    other = copy.deepcopy(base)
    other["network"]["decay_biases"] = False
    assert parse_problem(base) == parse_problem(other)
    assert parse_problem(other).decay_biases is True


# ---------------------------------------------------------------------------------------------------
# malformed problems: every message is "<json path>: <what>", one line


def mutate(fn):
    obj = spec_example()
    fn(obj)
    return obj


MALFORMED = [
    # shapes
    ("top-level list", [1, 2], "(top level): must be an object (got a list of 2)"),
    ("network not object", mutate(lambda o: o.__setitem__("network", [2, 2, 1])),
     "network: must be an object (got a list of 3)"),
    ("widths string", mutate(lambda o: o["network"].__setitem__("widths", "2,2,1")),
     'network.widths: must be a list of at least 2 positive integers (got "2,2,1")'),
    ("widths too short", mutate(lambda o: o["network"].__setitem__("widths", [2])),
     "network.widths: must be a list of at least 2 positive integers (got a list of 1)"),
    ("width zero", mutate(lambda o: o["network"]["widths"].__setitem__(1, 0)),
     "network.widths[1]: must be an integer from 1 to 10000 (got 0)"),
    ("width float", mutate(lambda o: o["network"]["widths"].__setitem__(1, loads("2.0"))),
     "network.widths[1]: must be an integer from 1 to 10000 (got 2.0)"),
    ("width bool", mutate(lambda o: o["network"]["widths"].__setitem__(1, True)),
     "network.widths[1]: must be an integer from 1 to 10000 (got true)"),
    ("biases string", mutate(lambda o: o["network"].__setitem__("biases", "yes")),
     'network.biases: must be true or false (got "yes")'),
    ("activation", mutate(lambda o: o["network"].__setitem__("activation", "tanh")),
     'network.activation: must be one of relu, identity (got "tanh")'),
    ("reduction", mutate(lambda o: o["loss"].__setitem__("reduction", "max")),
     'loss.reduction: must be "mean" or "sum" (got "max")'),
    ("name", mutate(lambda o: o.__setitem__("name", 3)), "name: must be a string (got 3)"),
    ("inputs object", mutate(lambda o: o["data"].__setitem__("inputs", {})), "data.inputs: must be a list (got an object)"),
    ("no samples", mutate(lambda o: o.__setitem__("data", {"inputs": [], "targets": []})),
     "data.inputs: must hold at least one sample (got 0)"),
    ("input row", mutate(lambda o: o["data"]["inputs"].append(["1", "2", "3"])),
     "data.inputs[3]: expected 2 entries (got 3)"),
    ("input row not list", mutate(lambda o: o["data"]["inputs"].__setitem__(0, "0 1")),
     'data.inputs[0]: must be a list of 2 numbers (got "0 1")'),
    ("target count", mutate(lambda o: o["data"]["targets"].pop()), "data.targets: expected 3 entries (got 2)"),
    ("target width", mutate(lambda o: o["data"]["targets"][2].append("1")), "data.targets[2]: expected 1 entries (got 2)"),
    ("point layers", mutate(lambda o: o["point"]["weights"].pop()), "point.weights: expected 2 layers (got a list of 1)"),
    ("point rows", mutate(lambda o: o["point"]["weights"][1].append(["1", "1"])),
     "point.weights[1]: expected 1 entries (got 2)"),
    ("point cols", mutate(lambda o: o["point"]["weights"][0][1].pop()), "point.weights[0][1]: expected 2 entries (got 1)"),
    ("point bias layers", mutate(lambda o: o["point"]["biases"].pop()), "point.biases: expected 2 layers (got a list of 1)"),
    ("point bias length", mutate(lambda o: o["point"]["biases"][0].append("1")),
     "point.biases[0]: expected 2 entries (got 3)"),
    ("point not object", mutate(lambda o: o.__setitem__("point", [])), "point: must be an object (got a list of 0)"),
    ("bias given without biases", mutate(lambda o: o["network"].__setitem__("biases", False)),
     "point.biases: must be absent or null when network.biases is false (got a value)"),
    # missing fields
    ("missing format", mutate(lambda o: o.pop("format")), "format: missing required field"),
    ("missing network", mutate(lambda o: o.pop("network")), "network: missing required field"),
    ("missing widths", mutate(lambda o: o["network"].pop("widths")), "network.widths: missing required field"),
    ("missing loss", mutate(lambda o: o.pop("loss")), "loss: missing required field"),
    ("missing weight decay", mutate(lambda o: o["loss"].pop("weight_decay")), "loss.weight_decay: missing required field"),
    ("missing targets", mutate(lambda o: o["data"].pop("targets")), "data.targets: missing required field"),
    ("missing weights", mutate(lambda o: o["point"].pop("weights")), "point.weights: missing required field"),
    ("missing biases", mutate(lambda o: o["point"].pop("biases")),
     "point.biases: missing required field (network.biases is true)"),
    # unknown keys at every level
    ("unknown top", mutate(lambda o: o.__setitem__("extra", 1)),
     "extra: unknown key (allowed: data, format, loss, name, network, point)"),
    ("unknown network", mutate(lambda o: o["network"].__setitem__("depth", 1)),
     "network.depth: unknown key (allowed: activation, biases, decay_biases, widths)"),
    ("unknown loss", mutate(lambda o: o["loss"].__setitem__("lambda", 1)),
     "loss.lambda: unknown key (allowed: reduction, weight_decay)"),
    ("unknown data", mutate(lambda o: o["data"].__setitem__("weights", 1)),
     "data.weights: unknown key (allowed: inputs, targets)"),
    ("unknown point", mutate(lambda o: o["point"].__setitem__("bias", 1)),
     "point.bias: unknown key (allowed: biases, weights)"),
    ("odd key is quoted", mutate(lambda o: o["loss"].__setitem__("weight decay", 1)),
     'loss["weight decay"]: unknown key (allowed: reduction, weight_decay)'),
    ("key with newline", mutate(lambda o: o.__setitem__("a\nb", 1)),
     '["a\\nb"]: unknown key (allowed: data, format, loss, name, network, point)'),
    # numbers
    ("not a number", mutate(lambda o: o["data"]["inputs"][1].__setitem__(0, "one")),
     'data.inputs[1][0]: must be an integer, p/q or decimal (got "one")'),
    ("null entry", mutate(lambda o: o["point"]["biases"][1].__setitem__(0, None)),
     "point.biases[1][0]: must be a number (got null)"),
    ("zero denominator", mutate(lambda o: o["point"]["weights"][1][0].__setitem__(1, "1/0")),
     'point.weights[1][0][1]: denominator must be nonzero (got "1/0")'),
    ("negative decay", mutate(lambda o: o["loss"].__setitem__("weight_decay", "-0.01")),
     "loss.weight_decay: must be non-negative (got -1/100)"),
    ("empty string", mutate(lambda o: o["data"]["targets"][0].__setitem__(0, "")),
     'data.targets[0][0]: must be an integer, p/q or decimal (got "")'),
    ("format version", mutate(lambda o: o.__setitem__("format", "pscert.problem/2")),
     'format: must be "pscert.problem/1" (got "pscert.problem/2")'),
    ("format number", mutate(lambda o: o.__setitem__("format", 1)), 'format: must be "pscert.problem/1" (got 1)'),
]


@pytest.mark.parametrize("label, obj, message", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_problem_names_the_json_path(label, obj, message):
    text = error_of(obj)
    assert text == message
    assert "\n" not in text


@pytest.mark.parametrize(
    "text, message",
    [
        (SPEC_EXAMPLE.replace('"1/100"', "NaN"), "loss.weight_decay: must be a finite number (got NaN)"),
        (SPEC_EXAMPLE.replace('"1/100"', "Infinity"), "loss.weight_decay: must be a finite number (got Infinity)"),
        (SPEC_EXAMPLE.replace('["0", "1"]', "[NaN, 1]"), "data.inputs[0][0]: must be a finite number (got NaN)"),
        (SPEC_EXAMPLE.replace("[2, 2, 1]", "[2, NaN, 1]"),
         "network.widths[1]: must be an integer from 1 to 10000 (got NaN)"),
        (SPEC_EXAMPLE.replace('"name"', '"loss": {"weight_decay": 0}, "name"'),
         "loss: duplicate key (each key may appear once in an object)"),
        (SPEC_EXAMPLE.replace('"biases": true,', '"biases": true, "biases": false,'),
         "network.biases: duplicate key (each key may appear once in an object)"),
    ],
)
def test_json_level_faults_name_the_json_path(text, message):
    with pytest.raises(ProblemError) as info:
        parse_text(text)
    assert str(info.value) == message


def test_json_numbers_in_a_problem_are_the_literal_written():
    p = parse_text(SPEC_EXAMPLE.replace('"1/100"', "1e-2").replace('["0", "1"]', "[0.1, 1E2]").replace('["1/8"]', "[-0.0]"))
    assert p.weight_decay == F(1, 100)
    assert p.inputs[0] == (F(1, 10), 100)
    assert p.point.biases[1] == (0,)


def test_number_size_limit_in_a_problem():
    ok = parse_text(SPEC_EXAMPLE.replace('"1/100"', '"1/' + "3" * 9000 + '"'))
    assert ok.weight_decay == F(1, int("3" * 9000))
    with pytest.raises(ProblemError, match=r"^loss\.weight_decay: must have at most 10000 digits \(got 20000 digits\)$"):
        parse_text(SPEC_EXAMPLE.replace('"1/100"', "1" * 20000))
    with pytest.raises(ProblemError, match=r"^loss\.weight_decay: must have at most 5 digits \(got 6 digits\)$"):
        parse_problem(loads(SPEC_EXAMPLE.replace('"1/100"', '"1/100000"')), max_digits=5)


# ---------------------------------------------------------------------------------------------------
# files


def write(tmp_path, data, name="p.json"):
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return str(path)


def load_error(path):
    with pytest.raises(ProblemError) as info:
        load_problem(path)
    return info.value


def test_load_problem_reads_a_file(tmp_path):
    assert load_problem(write(tmp_path, SPEC_EXAMPLE)) == parse_text(SPEC_EXAMPLE)


def test_load_problem_accepts_a_byte_order_mark(tmp_path):
    assert load_problem(write(tmp_path, b"\xef\xbb\xbf" + SPEC_EXAMPLE.encode())) == parse_text(SPEC_EXAMPLE)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "not valid JSON: Expecting value (line 1, column 1)"),
        (SPEC_EXAMPLE[:200], "not valid JSON: "),
        (b'{"format": "\xff"}', "must be UTF-8 text (got byte 0xff at offset 12)"),
        (SPEC_EXAMPLE.replace("[2, 2, 1]", "[2, 3, 1]"), "point.weights[0]: expected 3 entries (got 2)"),
    ],
)
def test_load_problem_errors_name_the_file(tmp_path, data, message):
    path = write(tmp_path, data)
    err = load_error(path)
    assert err.source == path
    assert str(err).startswith(f"{path}: {message}")
    assert "\n" not in str(err)


def test_missing_file_and_directory(tmp_path):
    missing = str(tmp_path / "nope.json")
    assert str(load_error(missing)) == f"{missing}: cannot read file (No such file or directory)"
    assert str(load_error(str(tmp_path))).startswith(f"{tmp_path}: cannot read file (")


# ---------------------------------------------------------------------------------------------------
# canonical writing and the round trip


CANONICAL = re.compile(r"-?(0|[1-9]\d*)(/[1-9]\d*)?\Z")


def numbers_of(out):
    """Every number of a problem's JSON object (the widths are counts, not numbers)."""
    point = out.get("point") or {"weights": [], "biases": None}
    vectors = [*out["data"]["inputs"], *out["data"]["targets"], *(row for W in point["weights"] for row in W)]
    vectors += point["biases"] or []
    return [out["loss"]["weight_decay"], *(v for row in vectors for v in row)]


def test_problem_to_json_of_the_spec_example():
    out = problem_to_json(parse_text(SPEC_EXAMPLE))
    assert out == {
        "format": "pscert.problem/1",
        "name": "two-unit example",
        "network": {"widths": [2, 2, 1], "biases": True, "decay_biases": True},
        "loss": {"reduction": "mean", "weight_decay": "1/100"},
        "data": {"inputs": [["0", "1"], ["1", "0"], ["1", "1"]], "targets": [["1"], ["1"], ["0"]]},
        "point": {"weights": [[["1/2", "-1"], ["1/4", "2"]], [["1", "-3/2"]]], "biases": [["0", "0"], ["1/8"]]},
    }
    assert "point" not in problem_to_json(parse_text(SPEC_EXAMPLE), with_point=False)


def test_params_round_trip_through_parse_params():
    p = parse_text(SPEC_EXAMPLE)
    assert parse_params(params_to_json(p.point), p) == p.point
    with pytest.raises(ProblemError, match=r"^center\.weights: expected 2 layers \(got a list of 1\)$"):
        parse_params({"weights": [[["1", "1"]]], "biases": None}, p, "center")


def written(q: Fraction, form: int) -> object:
    """``q`` in one of the lenient forms a problem file may use (JSON int or float, strings)."""
    if q.denominator == 1:
        return [q.numerator, f"{q.numerator:+d}", f"{q.numerator}.0"][form]
    if form == 1:
        return f"{q.numerator * 3}/{q.denominator * 3}"  # not in lowest terms
    if form == 2 and 10**6 % q.denominator == 0:
        # json.dumps writes repr(float); when that reads back as q, the file holds a JSON decimal
        return float(q) if Fraction(repr(float(q))) == q else str(Decimal(q.numerator) / q.denominator)
    return f"{q.numerator}/{q.denominator}"


numbers = st.fractions(min_value=-50, max_value=50, max_denominator=40)
decimals = st.integers(-10**6, 10**6).map(lambda n: Fraction(n, 1000))


@st.composite
def problems(draw):
    widths = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    biases = draw(st.booleans())
    n = draw(st.integers(1, 3))
    form = st.integers(0, 2)

    def num():
        return written(draw(st.one_of(numbers, decimals)), draw(form))

    def mat(rows, cols):
        return [[num() for _ in range(cols)] for _ in range(rows)]

    obj = {
        "format": FORMAT,
        "network": {"widths": widths, "biases": biases},
        "loss": {"weight_decay": written(abs(draw(numbers)), draw(form))},
        "data": {"inputs": mat(n, widths[0]), "targets": mat(n, widths[-1])},
    }
    if draw(st.booleans()):
        obj["name"] = draw(st.text(max_size=8))
    if draw(st.booleans()):
        obj["network"]["decay_biases"] = draw(st.booleans())
    if draw(st.booleans()):
        obj["network"]["activation"] = draw(st.sampled_from(["relu", "identity"]))
    if draw(st.booleans()):
        obj["loss"]["reduction"] = draw(st.sampled_from(["mean", "sum"]))
    if draw(st.booleans()):
        layers = range(len(widths) - 1)
        obj["point"] = {"weights": [mat(widths[k + 1], widths[k]) for k in layers]}
        if biases:
            obj["point"]["biases"] = [mat(1, widths[k + 1])[0] for k in layers]
    return obj


@settings(max_examples=150, deadline=None)
@given(problems())
def test_round_trip_through_canonical_json(obj):
    p = parse_text(json.dumps(obj))
    out = problem_to_json(p)
    assert all(isinstance(v, str) and CANONICAL.match(v) for v in numbers_of(out))
    again = parse_text(json.dumps(out))
    assert again == p
    assert problem_to_json(again) == out


@settings(max_examples=100, deadline=None)
@given(problems())
def test_parsed_values_are_the_values_written(obj):
    p = parse_text(json.dumps(obj))
    value = lambda v: Fraction(repr(v)) if isinstance(v, float) else Fraction(v)  # noqa: E731
    assert p.inputs == tuple(tuple(value(v) for v in row) for row in obj["data"]["inputs"])
    assert p.weight_decay == value(obj["loss"]["weight_decay"])
    if "point" in obj:
        assert p.flatten(p.point) == [value(v) for v in _flat_point(obj["point"])]
        assert len(p.flatten(p.point)) == p.parameter_count == len(p.decayed())


def _flat_point(point):
    """The canonical order θ, written out independently of Problem.flatten."""
    out = []
    for k, W in enumerate(point["weights"]):
        out += [v for row in W for v in row]
        if point.get("biases") is not None:
            out += point["biases"][k]
    return out
