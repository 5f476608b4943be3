"""``pscert train --restarts N --jobs J --scheduler ADDRESS``: one task per restart on the batch engine.

The reference is :func:`numeric.training.train`, the plain loop in this process (no engine at all):
every engine must give its minima exactly (the same end points, bit for bit, grouped the same way),
whatever the number of workers. The chain problem's minima are known by hand (see
``tests/test_training.py``: ``a = b = √3/2`` with loss 7/16, and the origin with loss 1).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from numeric import training_batch
from numeric.training import start_points, train
from numeric.training_batch import Restart, TrainingInterrupted, restart_task, start_point, train_batch
from proofs import cluster
from proofs.cluster import TaskFailed
from symbolic.problem import load_problem
from training_cases import CHAIN, problem

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import cloudpickle
    import distributed
except ImportError:  # the optional dask extra (in the test extra): the tests that need it skip
    distributed = None
else:
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import this test module

# 24 samples of a 2-6-6-1 net with biases: a restart takes about 0.3 s here, long enough to interrupt
WAVY = {"format": "pscert.problem/1", "name": "wavy", "network": {"widths": [2, 6, 6, 1], "biases": True},
        "loss": {"weight_decay": "1/100"},
        "data": {"inputs": [[str(round(np.cos(k), 3)), str(round(np.sin(2 * k), 3))] for k in range(24)],
                 "targets": [[str(round(np.sin(3 * k), 3))] for k in range(24)]}}


@pytest.fixture
def chain_file(tmp_path):
    path = tmp_path / "chain.json"
    path.write_text(json.dumps(CHAIN))
    return str(path)


def same(a, b) -> bool:
    """Two train results are equal: the same minima in the same order, from the same starts, at the same
    points bit for bit, and the same counts."""
    return (a.restarts, a.seed, a.failed) == (b.restarts, b.seed, b.failed) and len(a.minima) == len(b.minima) and all(
        x.starts == y.starts and np.array_equal(x.theta, y.theta) and x.loss == y.loss for x, y in zip(a.minima, b.minima))


# ---------------------------------------------------------------------------------------------------
# deterministic starts


def test_start_r_depends_on_the_seed_and_r_only():
    p = problem([1, 3, 1])
    starts = start_points(p, 5)
    drawn = [next(starts) for _ in range(6)]
    assert all(np.array_equal(start_point(p, 5, r), drawn[r]) for r in range(6))
    # the He scales: the 1-3-1 net with biases has 6 first-layer parameters at √2 and 4 at √(2/3)
    rng = np.random.default_rng(5)
    assert np.allclose(drawn[0], rng.standard_normal(10) * np.array([2 ** 0.5] * 6 + [(2 / 3) ** 0.5] * 4),
                       rtol=1e-15, atol=0)
    assert not np.array_equal(start_point(p, 6, 0), drawn[0])
    with pytest.raises(Exception, match="restart: must be a non-negative index"):
        start_point(p, 5, -1)


def test_a_restart_is_a_function_of_its_start():
    """The same task twice gives the same end point. Restarts 0–2 of a 6-restart run are those of a
    3-restart run, and grouping goes in restart order, so every minimum of the short run is a minimum of
    the long one, at the same point, found by the same starts among 0–2."""
    p = problem([1, 3, 1])
    a, b = restart_task(p, 2, start_point(p, 1, 2)), restart_task(p, 2, start_point(p, 1, 2))
    assert a.index == 2 and np.array_equal(a.theta, b.theta) and a.loss == b.loss
    short, long = train_batch(p, restarts=3, seed=1), train_batch(p, restarts=6, seed=1)
    for m in short.minima:
        [twin] = [n for n in long.minima if n.starts[0] == m.starts[0]]
        assert np.array_equal(twin.theta, m.theta) and tuple(s for s in twin.starts if s < 3) == m.starts


def test_chain_minima_by_hand_on_one_task_per_restart():
    """``L = (ab − 1)² + (a² + b²)/4``: the minimum ``a = b = √3/2`` (loss 7/16) and the origin (loss 1)."""
    result = train_batch(load_chain(), restarts=10, seed=0)
    assert [round(m.loss, 9) for m in result.minima] == [0.4375, 1.0]
    assert result.minima[0].theta == pytest.approx([np.sqrt(3) / 2] * 2, abs=1e-9)
    assert sorted(s for m in result.minima for s in m.starts) == list(range(10))


def load_chain():
    from symbolic.problem import parse_problem

    return parse_problem(CHAIN)


# ---------------------------------------------------------------------------------------------------
# the same result whatever the engine and the number of workers


@pytest.mark.parametrize("widths", [[1, 3, 1], [2, 3, 3, 1]])
def test_one_and_two_local_processes_give_the_plain_loop_result(widths, monkeypatch):
    p = problem(widths, inputs=((1, 0), (0, 1), (-1, 1)) if widths[0] == 2 else ((1,), (-1,), ("1/2",)),
                targets=((1,), (0,), ("1/3",)))
    reference = train(p, restarts=8, seed=3)
    assert same(train_batch(p, restarts=8, seed=3, jobs=1), reference)
    monkeypatch.setattr(cluster, "dask_available", lambda: False)  # the process pool
    monkeypatch.setattr(cluster, "_on_dask", None)                 # would raise TypeError if called
    assert same(train_batch(p, restarts=8, seed=3, jobs=2), reference)


def test_a_dask_cluster_gives_the_plain_loop_result(scheduler):
    p = problem([1, 3, 1], inputs=((1,), (-1,), ("1/2",)), targets=((1,), (0,), ("1/3",)))
    seen = []
    result = train_batch(p, restarts=8, seed=3, scheduler=scheduler, progress=seen.append)
    assert same(result, train(p, restarts=8, seed=3))
    assert [s.done for s in seen] == list(range(1, 9)) and {s.total for s in seen} == {8}
    assert sorted(s.result.index for s in seen) == list(range(8))
    assert all(s.what.startswith(f"restart {s.result.index}: loss ≈ ") for s in seen)


def cli(*args: str):
    return CliRunner().invoke(main, ["train", *args])


def test_cli_output_and_files_do_not_depend_on_jobs(chain_file, tmp_path):
    """-j1 and -j2 (a LocalCluster of 2 workers here): the same table and byte-identical minimum files."""
    outs = {}
    for j in ("1", "2"):
        out = tmp_path / f"j{j}"
        r = cli(chain_file, "-k", "10", "-o", str(out), "-j", j, "-q")
        assert r.exit_code == 0, r.output
        assert r.stderr == ""  # -q: no progress
        outs[j] = (r.stdout.replace(str(out), "OUT"),
                   {n: (out / n).read_text() for n in sorted(os.listdir(out))})
    assert outs["1"] == outs["2"]
    assert list(outs["1"][1]) == ["chain-min1.json", "chain-min2.json"]
    assert outs["1"][0].splitlines()[2].split()[:2] == ["1", "0.4375"]


def test_cli_on_a_scheduler_gives_the_same_json(chain_file, tmp_path, scheduler):
    here = cli(chain_file, "-k", "6", "-o", str(tmp_path / "a"), "--json")
    there = cli(chain_file, "-k", "6", "-o", str(tmp_path / "b"), "--json", "--scheduler", scheduler)
    assert here.exit_code == there.exit_code == 0, there.output
    a, b = json.loads(here.stdout), json.loads(there.stdout)
    for rows in (a["minima"], b["minima"]):
        for row in rows:
            row["file"] = os.path.basename(row["file"])
    assert a == b and a["restarts"] == 6 and a["failed_starts"] == 0


# ---------------------------------------------------------------------------------------------------
# a restart that fails, bad options


def failing_restart_task(problem, r, start) -> Restart:
    if r == 2:
        raise ValueError("no descent\nfrom here")
    return restart_task(problem, r, start)


ENGINES = ["here", "pool", "dask"]


@pytest.mark.parametrize("engine", ENGINES)
def test_a_failing_restart_is_one_line_and_exit_2(engine, chain_file, tmp_path, monkeypatch, request):
    monkeypatch.setattr(training_batch, "restart_task", failing_restart_task)
    args = [chain_file, "-k", "5", "-o", str(tmp_path / "m"), "-q"]
    if engine == "pool":
        monkeypatch.setattr(cluster, "dask_available", lambda: False)
        args += ["-j", "2"]
    elif engine == "dask":
        args += ["--scheduler", request.getfixturevalue("scheduler")]
    r = cli(*args)
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.splitlines() == ["Error: restart 2 of 5 (seed 0): task failed (ValueError): no descent from here"]
    assert not (tmp_path / "m").exists()  # nothing written


def test_the_engine_stops_at_a_failing_restart(monkeypatch):
    monkeypatch.setattr(training_batch, "restart_task", failing_restart_task)
    with pytest.raises(TaskFailed, match=r"^restart 2 of 3 \(seed 4\): task failed \(ValueError\): no descent from here$"):
        train_batch(load_chain(), restarts=3, seed=4)


@pytest.mark.parametrize("args, message", [
    (["-j", "0"], "Error: main train: Invalid value for '-j' / '--jobs': 0 is not in the range x>=1."),
    (["--restarts", "0"], "Error: main train: Invalid value for '--restarts' / '-k': 0 is not in the range x>=1."),
])
def test_bad_options_are_one_line_and_exit_2(args, message, chain_file, tmp_path):
    """(``main`` is the test runner's name for ``pscert``.)"""
    r = cli(chain_file, "-o", str(tmp_path / "m"), *args)
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.splitlines() == [message]
    assert not (tmp_path / "m").exists()


def test_a_scheduler_without_dask_is_one_line(chain_file, tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "dask_available", lambda: False)
    r = cli(chain_file, "-o", str(tmp_path / "m"), "--scheduler", "tcp://127.0.0.1:8786")
    assert r.exit_code == 2
    assert r.stderr.splitlines() == ["Error: --scheduler: needs the optional dask extra: pip install '.[dask]' in the "
                                     "pscert source tree (or leave --scheduler out to use --jobs local processes)"]


@pytest.mark.skipif(distributed is None, reason="the optional dask extra is not installed")
def test_an_unreachable_scheduler_is_one_line(chain_file, tmp_path, monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 0.5)
    r = cli(chain_file, "-o", str(tmp_path / "m"), "-q", "--scheduler", "tcp://127.0.0.1:9")
    assert r.exit_code == 2 and r.stdout == ""
    [line] = r.stderr.splitlines()
    assert line.startswith("Error: --scheduler: cannot connect to tcp://127.0.0.1:9 ")
    assert not (tmp_path / "m").exists()


@pytest.mark.skipif(distributed is None, reason="the optional dask extra is not installed")
def test_a_malformed_scheduler_address_is_one_line_in_a_real_process(chain_file, tmp_path):
    """In a process of its own (the exit matters): one line, exit 2, and no hang or traceback at exit from
    the half-started dask client (closing it at the interpreter's exit used to wait 40 s, then print one)."""
    proc = subprocess.run([sys.executable, "-c", "from cli import main; main()", "train", chain_file,
                           "-o", str(tmp_path / "m"), "--scheduler", "nonsense"], cwd=ROOT, capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.splitlines() == ["Error: --scheduler: cannot connect to nonsense "
                                        "(missing port number in address 'nonsense')"]


# ---------------------------------------------------------------------------------------------------
# Ctrl-C


def interrupted_at_3(problem, r, start) -> Restart:
    if r == 3:
        raise KeyboardInterrupt
    return restart_task(problem, r, start)


def test_an_interrupt_keeps_the_minima_of_the_finished_restarts(monkeypatch):
    """In this process: Ctrl-C during restart 3 leaves restarts 0–2, whose minima are those of a 3-restart run."""
    monkeypatch.setattr(training_batch, "restart_task", interrupted_at_3)
    with pytest.raises(TrainingInterrupted) as stop:
        train_batch(load_chain(), restarts=5, seed=0)
    assert isinstance(stop.value, KeyboardInterrupt)
    assert str(stop.value) == "interrupted: 3 of 5 restarts finished" and stop.value.total == 5
    assert [d.index for d in stop.value.rows] == [0, 1, 2]
    assert same(stop.value.result, train(load_chain(), restarts=3, seed=0))


@pytest.mark.skipif(distributed is None, reason="the optional dask extra is not installed")
def test_ctrl_c_writes_the_finished_restarts_minima_and_exits_130(tmp_path):
    """-j 2 on a LocalCluster: Ctrl-C once the first restart finished. The files are the minima of exactly
    the restarts the progress lines named (the plain loop over those starts, grouped the same way)."""
    src = tmp_path / "wavy.json"
    src.write_text(json.dumps(WAVY))
    out = tmp_path / "m"
    proc = subprocess.Popen([sys.executable, "-c", "from cli import main; main()", "train", str(src), "-k", "60",
                             "-j", "2", "-o", str(out)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    first = proc.stderr.readline()
    assert first.startswith("train: 1/60 (1%), "), first
    os.kill(proc.pid, signal.SIGINT)  # Ctrl-C
    stdout, rest = proc.communicate(timeout=60)
    assert proc.returncode == 130, rest
    assert "Traceback" not in rest
    progress = [first] + rest.splitlines()[:-1]
    assert rest.splitlines()[-1] == f"interrupted: {len(progress)} of 60 restarts finished"
    finished = sorted(int(line.split(": restart ")[1].split(":")[0]) for line in progress)
    assert 1 <= len(finished) < 60
    assert stdout.splitlines()[0].startswith(f"{src}: {len(finished)} restarts, seed 0: ")
    p = load_problem(str(src))
    again = training_batch.merge(p, [restart_task(p, r, start_point(p, 0, r)) for r in finished], 0)
    assert sorted(os.listdir(out)) == [f"wavy-min{i}.json" for i in range(1, len(again.minima) + 1)]
    for i, m in enumerate(again.minima, 1):  # each file's point is that minimum's floats, exactly
        written = load_problem(str(out / f"wavy-min{i}.json")).point
        assert np.array_equal([float(t) for t in p.flatten(written)], m.theta)
