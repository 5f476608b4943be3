"""The answers contract of ``certify --json`` and its exit code (proofs/answers.py, docs/SPEC.md §5)."""

import pytest

from proofs.answers import Answers, answers, exit_code, merge
from proofs.checker import CLAIMS


@pytest.mark.parametrize("status, claim, expected, code", [
    ("CERTIFIED", "isolated_local_minimum", (True, True, None), 0),
    ("REFUTED", "not_a_local_minimum", (False, False, False), 1),
    ("REFUTED", "not_isolated", (None, False, None), 3),
    ("UNKNOWN", None, (None, None, None), 3),
])
def test_each_verdict_answers_what_it_proves(status, claim, expected, code):
    assert tuple(answers(status, claim)) == expected
    assert exit_code(answers(status, claim)) == code


def test_every_point_claim_the_checker_knows_has_answers():
    """A claim about a point that answered nothing would leave scripts guessing."""
    point_claims = [c for c in CLAIMS if c != "piecewise_strong_convexity"]
    for claim in point_claims:
        assert answers(CLAIMS[claim].status, claim) != Answers(None, None, None), claim


def test_a_refutation_of_minimality_also_refutes_isolation_and_global_optimality():
    a = answers("REFUTED", "not_a_local_minimum")
    assert a.local_minimum is False and a.isolated is False and a.global_minimum is False


def test_merge_keeps_what_each_proves_and_refuses_contradictions():
    assert merge(Answers(None, False, None), Answers(True, None, None)) == Answers(True, False, None)
    with pytest.raises(ValueError):
        merge(Answers(True, None, None), Answers(False, None, None))
