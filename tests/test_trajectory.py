"""Tests for numeric.trajectory: numbers too large for the float run give one line, never a traceback."""

from __future__ import annotations

import json
import warnings
from fractions import Fraction

import pytest
from click.testing import CliRunner

from cli import main
from numeric.trajectory import _size, train
from symbolic.exceptions import ProblemError
from symbolic.problem import parse_problem


def chain(a: str, b: str = "1", x: str = "1") -> dict:
    """``f = b·σ(a·x)``, one sample ``(x, 1)``, no decay: at ``a = 10^6, b = 0`` the error is ``(0 − 1)² = 1``."""
    return {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
            "loss": {"weight_decay": "0"}, "data": {"inputs": [[x]], "targets": [["1"]]},
            "point": {"weights": [[[a]], [[b]]]}}


def run(tmp_path, obj, *args):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(obj))
    result = CliRunner().invoke(main, ["trajectory", str(path), "--steps", "3", *args])
    assert not (result.exception and not isinstance(result.exception, SystemExit)), result.exception
    return result


@pytest.mark.parametrize("a, size", [("1e300", "about 1e+300"), ("1e400", "about 1e+400"), ("-2.6e1000", "about -3e+1000"),
                                     ("1000001", "about 1e+06")])
def test_a_start_too_large_for_floats_is_one_line(tmp_path, a, size):
    result = run(tmp_path, chain(a))
    assert result.exit_code == 2, result.output
    assert result.stderr.strip() == (f"Error: point.weights[0][0][0]: must be at most 1e+06 in size to start "
                                     f"float SGD (got {size})")
    assert result.stdout == ""


def test_data_beyond_the_float_range_is_one_line(tmp_path):
    result = run(tmp_path, chain("1", x="1e400"))
    assert result.exit_code == 2
    assert result.stderr.strip() == ("Error: data.inputs[0][0]: must be within the float range to train with float "
                                     "SGD (got about 1e+400)")


def test_data_whose_squares_overflow_is_divergence_not_a_warning():
    """x = 10^200 is a float, but the gradient (≈ x²) is not: the run stops as diverged, silently in numpy."""
    problem = parse_problem(chain("1", x="1e200"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ProblemError, match="SGD diverged at step 1, a coordinate passed 1e\\+06"):
            train(problem, steps=3, lr=0.05)


def test_a_start_at_the_limit_runs():
    """a = 10^6, b = 0: ∂L/∂a = 2(ab − 1)b = 0 and ∂L/∂b = 2(ab − 1)a = −2·10^6, so a step of 10^-13 moves b
    by 2·10^-7 and a not at all; the first checkpoint is exact at the start, E = (0 − 1)² = 1."""
    rows = train(parse_problem(chain("1000000", b="0")), steps=1, lr=1e-13, checkpoints=1)
    assert [r.step for r in rows] == [0, 1]
    assert rows[0].report.error == 1 and rows[1].report.error < 1


@pytest.mark.parametrize("q, text", [(Fraction(10) ** 400, "about 1e+400"), (Fraction(999, 100), "about 1e+01"),
                                     (Fraction(-3, 10**7), "about -3e-07"), (Fraction(1), "about 1e+00")])
def test_size_without_floats(q, text):
    assert _size(q) == text
