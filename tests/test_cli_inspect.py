"""``pscert inspect PROBLEM [--json]``: exact values on the examples, one-line errors on bad input."""

import importlib.metadata
import json
import os

import pytest
from click.testing import CliRunner

from cli import main

EXAMPLES = os.path.join(os.path.dirname(__file__), os.pardir, "examples")


def example(name):
    return os.path.join(EXAMPLES, name)


def run(*args):
    # click ≥ 8.2 keeps stderr apart from stdout in CliRunner results
    result = CliRunner().invoke(main, ["inspect", *args])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result


def test_click_separates_stderr():
    major, minor = (int(x) for x in importlib.metadata.version("click").split(".")[:2])
    assert (major, minor) >= (8, 2)


# ---------------------------------------------------------------------------------------------------
# exact values


def test_chain_json():
    """a = b = 0.866 = 433/500, x = y = 1, λ = 1/4, mean over N = 1.

    f = (433/500)² = 187489/250000; L = (f − 1)² + (a² + b²)/4 = (62511/250000)² + 187489/500000
    = 3907625121/62500000000 + 23436125000/62500000000 = 27343750121/62500000000.
    The only pre-activation is z = a = 433/500 > 0: pattern "1", margin 433/500, no boundary.
    """
    result = run(example("chain.json"), "--json")
    assert result.exit_code == 0 and result.stderr == ""
    info = json.loads(result.stdout)
    assert info["loss"] == "27343750121/62500000000"
    assert info["outputs"] == [["187489/250000"]]
    assert info["margin"] == "433/500"
    assert info["boundary"] == []
    assert info["pattern"] == [["1"]]
    assert (info["widths"], info["parameters"], info["samples"], info["weight_decay"]) == ([1, 1, 1], 2, 1, "1/4")


def test_chain_origin_json():
    """a = b = 0: z = 0 at (sample 0, layer 0, unit 0), f = 0, L = (0 − 1)² + 0 = 1, margin 0."""
    info = json.loads(run(example("chain_origin.json"), "--json").stdout)
    assert (info["loss"], info["outputs"], info["margin"], info["boundary"]) == ("1", [["0"]], "0", [[0, 0, 0]])


def test_xor_json():
    """W1 = [[6/5, −11/10], [−11/10, 6/5]], b1 = (−1/20, −1/20), W2 = [9/10, 9/10], b2 = 1/10, λ = 1/100.

    x = (0,0): z = (−1/20, −1/20), f = 1/10.       x = (0,1): z = (−23/20, 23/20), f = 9/10·23/20 + 1/10 = 227/200.
    x = (1,0): z = (23/20, −23/20), f = 227/200.   x = (1,1): z = (1/20, 1/20), f = 9/10·1/10 + 1/10 = 19/100.
    Data: (1/10)² + 2·(27/200)² + (19/100)² = 1651/20000, mean 1651/80000.
    ‖θ‖² = 36/25·2 + 121/100·2 + 2/400 + 81/100·2 + 1/100 = 1387/200, times 1/100: 1387/20000.
    L = 1651/80000 + 5548/80000 = 7199/80000. Margin 1/20, no boundary.
    """
    result = run(example("xor.json"), "--json")
    assert result.exit_code == 0
    info = json.loads(result.stdout)
    assert info["loss"] == "7199/80000"
    assert info["outputs"] == [["1/10"], ["227/200"], ["227/200"], ["19/100"]]
    assert info["pattern"] == [["00"], ["01"], ["10"], ["11"]]
    assert (info["margin"], info["boundary"]) == ("1/20", [])


def test_text_output_is_readable():
    result = run(example("chain.json"))
    assert result.exit_code == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "problem:      scalar chain f = b*relu(a*x)"
    assert "1-1-1 (no biases, relu); 2 parameters, 1 hidden layer(s)" in lines[1]
    assert "L(point):     27343750121/62500000000 (≈ 0.4375)" in lines
    assert "sample 0:     f = [187489/250000 (≈ 0.749956)]  pattern 1" in lines
    assert "margin:       min |z| = 433/500 (≈ 0.866)" in lines
    assert lines[-1] == "boundary:     none: the point lies inside one activation region"


def test_text_output_lists_boundary_triples():
    result = run(example("chain_origin.json"))
    assert result.stdout.splitlines()[-1] == (
        "boundary:     1 pre-activation(s) exactly 0 at (sample, layer, unit): (0, 0, 0)"
    )


def write(tmp_path, obj, name="p.json"):
    path = tmp_path / name
    path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return str(path)


def xor():
    with open(example("xor.json"), encoding="utf-8") as fh:
        return json.load(fh)


def test_identity_network_has_no_margin(tmp_path):
    obj = xor()
    obj["network"]["activation"] = "identity"
    path = write(tmp_path, obj)
    info = json.loads(run(path, "--json").stdout)
    assert info["margin"] is None and info["boundary"] == []
    text = run(path).stdout
    assert "boundary:     none: identity activations make one region" in text
    assert "margin" not in text and "pattern" not in text


def test_huge_numbers_print(tmp_path):
    """A 9000-digit weight decay is accepted; the decimal beside an exact value must not overflow."""
    obj = xor()
    obj["loss"]["weight_decay"] = "7" * 9000
    path = write(tmp_path, obj)
    result = run(path)
    assert result.exit_code == 0 and result.stderr == ""
    assert "e+9" in result.stdout.splitlines()[3]  # L ≈ 7.7…e+9000
    assert json.loads(run(path, "--json").stdout)["weight_decay"] == "7" * 9000


def test_a_problem_without_a_point(tmp_path):
    obj = xor()
    del obj["point"]
    path = write(tmp_path, obj)
    for args in ([path], [path, "--json"]):
        result = run(*args)
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr == f"Error: {path}: point: missing: this command needs a point\n"


# ---------------------------------------------------------------------------------------------------
# malformed input: exit 2, one "Error: <file>: <json path>: <what>" line on stderr, nothing on stdout


def mutated(fn):
    obj = xor()
    fn(obj)
    return obj


def swap(old, new):
    """The xor example's text with one substring replaced (for faults json.dumps cannot write)."""
    with open(example("xor.json"), encoding="utf-8") as fh:
        text = fh.read()
    assert old in text
    return text.replace(old, new)


CASES = {
    "wrong shape": (mutated(lambda o: o["data"]["inputs"][3].append("1")), "data.inputs[3]: expected 2 entries (got 3)"),
    "missing field": (mutated(lambda o: o["loss"].pop("weight_decay")), "loss.weight_decay: missing required field"),
    "unknown top key": (mutated(lambda o: o.__setitem__("comment", "x")), "comment: unknown key"),
    "unknown network key": (mutated(lambda o: o["network"].__setitem__("depth", 1)), "network.depth: unknown key"),
    "unknown loss key": (mutated(lambda o: o["loss"].__setitem__("l2", 1)), "loss.l2: unknown key"),
    "unknown data key": (mutated(lambda o: o["data"].__setitem__("x", 1)), "data.x: unknown key"),
    "unknown point key": (mutated(lambda o: o["point"].__setitem__("w", 1)), "point.w: unknown key"),
    "not a number": (mutated(lambda o: o["data"]["targets"][1].__setitem__(0, "one")),
                     'data.targets[1][0]: must be an integer, p/q or decimal (got "one")'),
    "zero denominator": (mutated(lambda o: o["point"]["biases"][1].__setitem__(0, "1/0")),
                         'point.biases[1][0]: denominator must be nonzero (got "1/0")'),
    "negative weight decay": (mutated(lambda o: o["loss"].__setitem__("weight_decay", "-1/100")),
                              "loss.weight_decay: must be non-negative (got -1/100)"),
    "NaN": (swap('"1/100"', "NaN"), "loss.weight_decay: must be a finite number (got NaN)"),
    "Infinity": (swap('["0", "0"]', "[Infinity, 0]"), "data.inputs[0][0]: must be a finite number (got Infinity)"),
    "empty string": (mutated(lambda o: o["loss"].__setitem__("weight_decay", "")),
                     'loss.weight_decay: must be an integer, p/q or decimal (got "")'),
    "truncated JSON": (swap('"point"', '"point"')[:300], "not valid JSON: "),
    "wrong format version": (mutated(lambda o: o.__setitem__("format", "pscert.problem/2")),
                             'format: must be "pscert.problem/1" (got "pscert.problem/2")'),
    "sample/target count": (mutated(lambda o: o["data"]["targets"].pop()), "data.targets: expected 4 entries (got 3)"),
    "point of the wrong shape": (mutated(lambda o: o["point"]["weights"][0].append(["1", "1"])),
                                 "point.weights[0]: expected 2 entries (got 3)"),
    "20000 digits": (mutated(lambda o: o["loss"].__setitem__("weight_decay", "1" * 20000)),
                     "loss.weight_decay: must have at most 10000 digits (got 20000 digits)"),
    "20000-digit JSON integer": (swap('"1/100"', "1" * 20000),
                                 "loss.weight_decay: must have at most 10000 digits (got 20000 digits)"),
    "duplicate key": (swap('"biases": true,', '"biases": true, "biases": false,'), "network.biases: duplicate key"),
    "empty file": ("", "not valid JSON: Expecting value (line 1, column 1)"),
    "top-level array": ("[]", "(top level): must be an object (got a list of 0)"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_problem_gives_one_error_line(tmp_path, case):
    obj, expected = CASES[case]
    path = write(tmp_path, obj)
    for args in ([path], [path, "--json"]):
        result = run(*args)
        assert result.exit_code == 2
        assert result.stdout == ""
        assert result.stderr.count("\n") == 1 and result.stderr.endswith("\n")
        assert result.stderr.startswith(f"Error: {path}: {expected}"), result.stderr
        assert "Traceback" not in result.output


def test_non_utf8_file(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"name": "café"}'.encode("latin-1"))
    result = run(str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"Error: {path}: must be UTF-8 text (got byte 0xe9 at offset 13)\n"


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.json")
    result = run(path)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: {path}: cannot read file (No such file or directory)\n"


def test_directory(tmp_path):
    result = run(str(tmp_path))
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"Error: {tmp_path}: cannot read file (") and result.stderr.count("\n") == 1


def test_debug_shows_the_traceback(tmp_path):
    path = write(tmp_path, "")
    result = CliRunner().invoke(main, ["--debug", "inspect", path])
    assert result.exit_code == 2
    assert "Traceback" in result.stderr and result.stderr.rstrip().endswith("(line 1, column 1)")


def test_approx_beyond_the_float_range():
    """The decimal beside an exact value stays meaningful where a float overflows or underflows."""
    from fractions import Fraction

    from cli import approx

    assert approx(Fraction(1, 3)) == "1/3 (≈ 0.333333)"
    assert approx(Fraction(10**400 + 1, 3)).endswith("(≈ 3.33333e+399)")
    assert approx(Fraction(-1, 10**400)).endswith("(≈ -1e-400)")
    assert approx(Fraction(0)) == "0" and approx(None) == "-"
