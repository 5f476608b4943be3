"""``RegionError``: region-graph requests that do not fit the problem, with the same one-line messages.

Hand cases: a 1-1-1-1 network has two hidden layers, so global mode (flat first-layer arrangement only)
refuses it; local mode needs a point and ``R ≥ 0``; neither mode takes a negative ``max_regions``.
"""

import pytest
from click.testing import CliRunner

from cli import main
from symbolic.exceptions import PscertError, ProblemError, RegionError
from symbolic.problem import parse_problem
from symbolic.regions import global_regions
from symbolic.regions_local import local_regions


def problem(widths, point=None):
    obj = {"format": "pscert.problem/1", "network": {"widths": widths, "biases": False},
           "loss": {"weight_decay": "1/10"}, "data": {"inputs": [[1]], "targets": [[0]]}}
    if point is not None:
        obj["point"] = point
    return parse_problem(obj)


DEEP = ([1, 1, 1, 1], None)
SHALLOW = ([1, 1, 1], None)
AT_POINT = ([1, 1, 1], {"weights": [[[1]], [[1]]]})


@pytest.mark.parametrize("case, call, message", [
    (DEEP, lambda p: global_regions(p), "regions: global mode needs at most one hidden layer (got 2)"),
    (SHALLOW, lambda p: global_regions(p, max_regions=-1), "regions: max_regions must be non-negative (got -1)"),
    (SHALLOW, lambda p: local_regions(p, 1), "regions: point must be given for local mode (got a problem without one)"),
    (AT_POINT, lambda p: local_regions(p, -1), "regions: radius must be non-negative (got -1)"),
    (AT_POINT, lambda p: local_regions(p, 1, max_regions=-2), "regions: max_regions must be non-negative (got -2)"),
])
def test_region_requests_that_do_not_fit_raise_region_error(case, call, message):
    with pytest.raises(RegionError) as info:
        call(problem(*case))
    assert str(info.value) == message
    assert isinstance(info.value, PscertError) and not isinstance(info.value, ProblemError)


def test_cli_reports_a_region_error_as_one_line(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"format": "pscert.problem/1", "network": {"widths": [1, 1, 1, 1], "biases": false}, '
                    '"loss": {"weight_decay": "1/10"}, "data": {"inputs": [[1]], "targets": [[0]]}}')
    result = CliRunner().invoke(main, ["regions", str(path), "--global"])
    assert result.exit_code == 2
    assert result.stderr == "Error: regions: global mode needs at most one hidden layer (got 2)\n"
