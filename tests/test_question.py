"""``pscert certify FILE``: the local verdict, the global one, the answers and the exit code.

Known answers (docs/MATHEMATICS.md §4): case C's reduced minimum w = a = 1/2 is an isolated local minimum
that is not global (a left-facing unit lowers the loss to 15/16 < 31/32); the chain's minimum √3/2 is
global; the deep example's two second-layer units rotate into each other, so it is not isolated and its
minimality is open; the trained case C end point with 1e-7 weights is not a local minimum.
"""

import json
from fractions import Fraction
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from proofs import checker
from proofs.question import ask
from symbolic.problem import load_problem

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data"


def certify(*args: str):
    return CliRunner().invoke(main, ["certify", "-q", *args])


@pytest.mark.parametrize("path, answers, code", [
    ("examples/chain.json", {"local_minimum": True, "isolated": True, "global_minimum": True}, 0),
    ("tests/data/global_case_c.json", {"local_minimum": True, "isolated": True, "global_minimum": False}, 0),
    ("examples/deep.json", {"local_minimum": None, "isolated": False, "global_minimum": None}, 3),
    ("tests/data/trained_dead_saddle.json", {"local_minimum": False, "isolated": False, "global_minimum": False}, 1),
])
def test_answers_and_exit_code(path, answers, code):
    r = certify(str(ROOT / path), "--json")
    assert r.exit_code == code, r.output
    out = json.loads(r.stdout)
    assert out["answers"] == answers


def test_the_global_certificate_is_written_beside_the_local_one_and_checks(tmp_path):
    out = tmp_path / "c.json"
    r = certify(str(DATA / "global_case_c.json"), "-o", str(out))
    assert r.exit_code == 0, r.output
    glob = tmp_path / "c.global.json"
    assert glob.exists() and out.exists()
    line = checker.check_file(str(glob), str(DATA / "global_case_c.json"))
    assert line.startswith("VALID: REFUTED not_global_minimum") and "the given point is within" in line
    assert "answers:              local minimum yes, isolated yes, global minimum no" in r.output


def test_no_check_skips_the_checker_and_says_so(tmp_path, monkeypatch):
    """--no-check: the same certificate as a checked run, written without any checker run (the checker is
    made to fail if called), facts saying not_rechecked; `check` accepts the file afterwards."""
    checked_out, unchecked_out = tmp_path / "checked.json", tmp_path / "unchecked.json"
    r = certify(str(ROOT / "examples" / "chain.json"), "--no-global", "--json", "-o", str(checked_out))
    assert r.exit_code == 0 and json.loads(r.stdout)["facts"]["checker"].startswith("VALID: CERTIFIED")

    def refuse(*_args, **_kwargs):
        raise AssertionError("the checker ran under --no-check")

    with monkeypatch.context() as m:
        m.setattr(checker, "check_certificate", refuse)
        r = certify(str(ROOT / "examples" / "chain.json"), "--no-global", "--json", "--no-check", "-o",
                    str(unchecked_out))
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["facts"]["checker"] == "not_rechecked"
    assert unchecked_out.read_text() == checked_out.read_text()
    assert checker.check_file(str(unchecked_out)).startswith("VALID: CERTIFIED isolated_local_minimum")


def test_no_check_is_refused_for_a_batch():
    r = CliRunner().invoke(main, ["certify", str(ROOT / "examples" / "chain.json"), str(ROOT / "examples" / "xor.json"),
                                  "--no-check"])
    assert r.exit_code == 2 and r.output.strip().splitlines()[-1].endswith(
        "certify: --no-check: applies to one file only; a batch always runs the checker on each "
        "certificate (its summary and --resume rely on that)")


def test_no_global_and_exact_point_options():
    problem = load_problem(str(ROOT / "examples" / "chain.json"))
    a = ask(problem, global_check=False)
    assert a.globally is None and a.answers.global_minimum is None and a.answers.local_minimum is True
    exact = ask(problem, snap=False, global_check=False)
    assert exact.local.certificate is not None and "origin" not in exact.local.certificate


def test_a_split_orbit_point_is_a_global_hence_local_minimum_about_the_users_point():
    """Case A's orbit point (3/5, 4/5): the two units share a pattern, so the point is not isolated; the
    global certificate splits the merged minimum along the user's exact ratio, so its centre is the
    user's point up to the certified ball, and it answers for the user's network."""
    problem = load_problem(str(DATA / "global_case_a_orbit.json"))
    a = ask(problem)
    assert a.answers == (True, False, True)
    cert = a.globally.certificate
    assert cert["evidence"]["groups"] == [{"units": [0, 1], "weights": ["3/5", "4/5"]}]
    assert Fraction(cert["origin_distance"]) < Fraction(cert["radius"]) < Fraction(1, 10 ** 15)
    assert checker.check_certificate(cert).startswith("VALID: CERTIFIED global_minimum")
