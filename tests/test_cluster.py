"""Batches on a real ``dask.distributed`` LocalCluster (2 worker processes), resumable and fault-tolerant.

The corpus is the five problems of ``examples/`` plus ``tests/certs/problems/chain_target_2.json``, a
malformed file and a problem without a point. The reference verdicts come from certifying each
problem on its own (:func:`proofs.batch.certify_file`, no engine at all), and every certificate a
test relies on is re-checked with :func:`proofs.checker.check_file`.

The fault and interrupt tests slow each task down by a sleep (the problems themselves take
milliseconds) so that a worker can be killed, or Ctrl-C sent, while a task is certainly running.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from proofs import batch, checker, cluster, resume, summary_log
from proofs.batch import Row
from symbolic.exceptions import ProblemError
from symbolic.problem import load_problem, parse_problem

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
try:
    import cloudpickle
    import distributed
except ImportError:  # the optional dask extra: the tests that need it skip; the others run
    distributed = None
else:
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers need not import this test module
PROBLEMS = sorted(os.path.join(ROOT, "examples", n) for n in os.listdir(os.path.join(ROOT, "examples"))) + [
    os.path.join(ROOT, "tests", "certs", "problems", "chain_target_2.json")]


@pytest.fixture
def corpus(tmp_path):
    """The corpus directory (sorted: chain, chain_origin, chain_target_2, deep, xor, xor_trained, y_pointless,
    z_broken)."""
    d = tmp_path / "problems"
    d.mkdir()
    for p in PROBLEMS:
        shutil.copy(p, d)
    pointless = json.load(open(PROBLEMS[0]))
    del pointless["point"]
    (d / "y_pointless.json").write_text(json.dumps(pointless))
    (d / "z_broken.json").write_text('{"format": "pscert.problem/1", "network": ')
    return str(d)


@pytest.fixture(scope="module")
def sequential(tmp_path_factory):
    """The reference: each problem certified on its own in this process, without any engine."""
    d = tmp_path_factory.mktemp("reference")
    for p in PROBLEMS:
        shutil.copy(p, d)
    return {os.path.basename(f): batch.certify_file(f) for f in batch.problem_files([str(d)])}


def verdict(r: Row) -> tuple:
    return (os.path.basename(r.file), r.status, r.claim, r.radius, r.mu, r.reason, r.answers)


def assert_certificates_valid(rows, out_dir):
    """Every decided row has its certificate, the checker accepts it against the problem, and it records
    the problem's hash; no temporary file is left in ``out_dir``."""
    for r in rows:
        if r.status in ("CERTIFIED", "REFUTED"):
            assert r.certificate == os.path.join(out_dir, os.path.basename(r.file)[:-5] + ".cert.json")
            assert checker.check_file(r.certificate, r.file).startswith(f"VALID: {r.status} {r.claim}")
            assert resume.recorded_sha256(r.certificate) == resume.file_sha256(r.file)
    assert not [n for n in os.listdir(out_dir) if n.endswith(".tmp")]


# ---------------------------------------------------------------------------------------------------
# the same verdicts as a sequential run


def test_cluster_gives_the_sequential_verdicts(scheduler, corpus, sequential, tmp_path):
    out = str(tmp_path / "certs")
    seen = []
    rows = cluster.certify_batch([corpus], out_dir=out, scheduler=scheduler, progress=seen.append)
    names = [os.path.basename(r.file) for r in rows]
    assert names == sorted(os.listdir(corpus))  # input order, whatever the completion order
    for r in rows:
        if r.file.endswith(("y_pointless.json", "z_broken.json")):
            assert r.status == "ERROR" and "\n" not in r.reason
        else:
            assert verdict(r) == verdict(sequential[os.path.basename(r.file)])
    assert {r.status for r in rows} == {"CERTIFIED", "REFUTED", "UNKNOWN", "ERROR"}
    assert "point: missing" in rows[names.index("y_pointless.json")].reason
    assert_certificates_valid(rows, out)
    assert [p.done for p in seen] == list(range(1, 9)) and {p.total for p in seen} == {8}
    assert sorted(os.path.basename(p.result.file) for p in seen) == names
    assert {p.what for p in seen} == {f"{os.path.basename(r.file)} {r.status}" for r in rows}


def explode(path: str) -> Row:
    if path.endswith("b"):
        raise ValueError("no good\nat all")
    return Row(path, "UNKNOWN", None, None, None, 0.0, "fine")


def test_a_task_that_raises_is_an_error_row_and_the_batch_goes_on(scheduler):
    rows = cluster.run(explode, [("a",), ("b",), ("c",)], scheduler=scheduler)
    assert [(r.file, r.status) for r in rows] == [("a", "UNKNOWN"), ("b", "ERROR"), ("c", "UNKNOWN")]
    assert rows[1].reason == "task failed (ValueError): no good at all"
    here = cluster.run(explode, [("a",), ("b",)])  # in-process: the same rows
    assert [(r.file, r.status, r.reason) for r in here] == [(r.file, r.status, r.reason) for r in rows[:2]]


def square(k: int) -> int:
    if k == 3:
        raise ValueError("three\nis bad")
    return k * k


def test_gather_returns_any_results_in_input_order(scheduler):
    args = [(k,) for k in (5, 1, 2, 4)]
    assert cluster.gather(square, args, scheduler=scheduler) == [25, 1, 4, 16]
    assert cluster.gather(square, args) == [25, 1, 4, 16]


@pytest.mark.parametrize("engine", ["here", "pool", "local", "dask"])
def test_gather_without_a_failure_policy_stops_at_a_failed_task(engine, request, monkeypatch):
    """A batch that does not tolerate failures: one line naming the task (its first argument), the rest
    cancelled (an own LocalCluster's workers stopped); a shared scheduler stays usable for the next batch."""
    options = {}
    if engine == "local":
        if distributed is None:
            pytest.skip("the optional dask extra is not installed")
        options = {"jobs": 2}
    elif engine == "pool":
        monkeypatch.setattr(cluster, "dask_available", lambda: False)
        options = {"jobs": 2}
    elif engine == "dask":
        options = {"scheduler": request.getfixturevalue("scheduler")}
    seen = []
    with pytest.raises(cluster.TaskFailed) as err:
        cluster.gather(square, [(k,) for k in range(6)], progress=seen.append, **options)
    assert str(err.value) == "3: task failed (ValueError): three is bad"
    assert 9 not in [p.result for p in seen] and all(p.what == str(p.result) for p in seen)
    if engine == "dask":
        assert cluster.gather(square, [(2,)], **options) == [4]


# ---------------------------------------------------------------------------------------------------
# faults: a worker killed mid-task


def slow_certify(started_log: str, victim: int, path: str, refine: bool, cert_path: str | None) -> Row:
    """Record (worker pid, path) on start, then certify; on the ``victim`` worker, first sleep far longer
    than it takes to kill it, so that the kill surely lands mid-task."""
    with open(started_log, "a") as fh:
        fh.write(f"{os.getpid()} {path}\n")
    time.sleep(30 if os.getpid() == victim else 0.2)
    return cluster.certify_task(path, refine, cert_path)


def starts(log: str) -> list[tuple[int, str]]:
    if not os.path.exists(log):
        return []
    with open(log) as fh:
        return [(int(pid), path) for pid, path in (line.split(" ", 1) for line in fh.read().splitlines())]


def test_a_killed_worker_has_its_task_rerun_and_every_certificate_is_valid(scheduler, corpus, sequential,
                                                                            tmp_path):
    with distributed.Client(scheduler, set_as_default=False) as client:
        pids = sorted(client.run(os.getpid).values())
    victim = pids[0]
    files = [os.path.join(corpus, os.path.basename(p)) for p in PROBLEMS]
    out = str(tmp_path / "certs")
    os.makedirs(out)
    log = str(tmp_path / "started.log")
    killed: list[str] = []

    def kill_mid_task():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            mine = [path for pid, path in starts(log) if pid == victim]
            if mine:
                time.sleep(0.2)
                killed.append(mine[-1])
                os.kill(victim, signal.SIGKILL)
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_mid_task)
    killer.start()
    args = [(log, victim, f, True, os.path.join(out, os.path.basename(f)[:-5] + ".cert.json")) for f in files]
    rows = cluster.run(slow_certify, args, scheduler=scheduler)
    killer.join()
    assert len(killed) == 1
    again = [pid for pid, path in starts(log) if path == killed[0]]
    assert again[0] == victim and len(again) == 2 and again[1] != victim  # re-run on another worker
    assert [verdict(r) for r in rows] == [verdict(sequential[os.path.basename(f)]) for f in files]
    assert_certificates_valid(rows, out)
    assert sum(r.certificate is not None for r in rows) == 5


# ---------------------------------------------------------------------------------------------------
# resume


def test_resume_recomputes_exactly_the_missing_the_corrupt_and_the_changed(scheduler, corpus, tmp_path):
    out = str(tmp_path / "certs")
    first = cluster.certify_batch([corpus], out_dir=out, scheduler=scheduler)
    assert_certificates_valid(first, out)
    os.remove(os.path.join(out, "chain.cert.json"))                      # missing
    with open(os.path.join(out, "deep.cert.json")) as fh:                # corrupt: the checker rejects it
        cert = json.load(fh)
    cert["evidence"]["t0"] = "1/3"
    with open(os.path.join(out, "deep.cert.json"), "w") as fh:
        json.dump(cert, fh)
    with pytest.raises(checker.CertificateInvalid):
        checker.check_file(os.path.join(out, "deep.cert.json"))
    summary = str(tmp_path / "rows.jsonl")
    again = cluster.certify_batch([corpus], out_dir=out, scheduler=scheduler, resume=True, summary=summary)
    recomputed = {os.path.basename(r.file) for r in again if not r.reason.startswith("resumed:")}
    # UNKNOWN and ERROR rows have no certificate to resume from: they are computed again too
    assert recomputed == {"chain.json", "deep.json", "xor.json", "y_pointless.json", "z_broken.json"}
    assert [verdict(r)[:5] for r in again] == [verdict(r)[:5] for r in first]
    assert_certificates_valid(again, out)
    assert summary_log.read_rows(summary) == again


def test_resume_does_not_trust_a_valid_certificate_of_another_point(corpus, tmp_path):
    out = str(tmp_path / "certs")
    cluster.certify_batch([os.path.join(corpus, "chain.json")], out_dir=out)
    path = os.path.join(corpus, "chain.json")
    obj = json.load(open(path))
    obj["point"]["weights"][0] = [["0.87"]]  # the same minimum from another start: a new problem
    with open(path, "w") as fh:
        json.dump(obj, fh)
    with pytest.raises(checker.CertificateInvalid, match="speaks about a different point"):
        checker.check_file(os.path.join(out, "chain.cert.json"), path)   # its origin is the old start
    [row] = cluster.certify_batch([path], out_dir=out, resume=True)
    assert row.status == "CERTIFIED" and not row.reason.startswith("resumed:")
    [row] = cluster.certify_batch([path], out_dir=out, resume=True)
    assert row.reason.startswith("resumed: the certificate exists and passes the checker (CERTIFIED ")


def test_resume_needs_an_output_directory(corpus):
    with pytest.raises(ProblemError, match="^--resume: needs --output DIR"):
        cluster.certify_batch([corpus], resume=True)


def test_problem_hash_is_of_the_normalised_problem():
    """Equal after normalisation ("0.25" = "1/4", name dropped); any change of data, loss or point shows."""
    base = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
            "loss": {"weight_decay": "0.25"}, "data": {"inputs": [["1"]], "targets": [["1"]]},
            "point": {"weights": [[["0.866"]], [["0.866"]]]}}
    h = resume.problem_sha256(parse_problem(base))
    same = json.loads(json.dumps(base))
    same["loss"]["weight_decay"], same["name"] = "1/4", "another name"
    assert resume.problem_sha256(parse_problem(same)) == h
    for edit in (lambda o: o["data"]["targets"][0].__setitem__(0, "2"),
                 lambda o: o["loss"].__setitem__("weight_decay", "1/5"),
                 lambda o: o["point"]["weights"][1][0].__setitem__(0, "0.867")):
        other = json.loads(json.dumps(base))
        edit(other)
        assert resume.problem_sha256(parse_problem(other)) != h
    assert resume.file_sha256(os.path.join(ROOT, "examples", "chain.json")) == \
        resume.problem_sha256(load_problem(os.path.join(ROOT, "examples", "chain.json")))


# ---------------------------------------------------------------------------------------------------
# check batches


def test_check_batch_on_the_cluster(scheduler, corpus, tmp_path):
    out = str(tmp_path / "certs")
    cluster.certify_batch([corpus], out_dir=out)
    with open(os.path.join(out, "chain.cert.json")) as fh:
        cert = json.load(fh)
    cert["mu"] = "1000"  # far beyond the Hessian's smallest eigenvalue 1
    with open(os.path.join(out, "chain.cert.json"), "w") as fh:
        json.dump(cert, fh)
    with open(os.path.join(out, "zz.cert.json"), "w") as fh:
        fh.write("not json")
    summary = str(tmp_path / "check.json")
    rows = cluster.check_batch([out], scheduler=scheduler, summary=summary)
    got = {os.path.basename(r.file): (r.status, r.claim, tuple(r.answers)) for r in rows}
    # a VALID row answers what its claim proves about the certificate's centre; the others nothing
    assert got == {"chain.cert.json": ("INVALID", "isolated_local_minimum", (None, None, None)),
                   "chain.global.cert.json": ("VALID", "global_minimum", (True, None, True)),
                   "chain_origin.cert.json": ("VALID", "not_a_local_minimum", (False, False, False)),
                   "chain_target_2.cert.json": ("VALID", "isolated_local_minimum", (True, True, None)),
                   "chain_target_2.global.cert.json": ("VALID", "global_minimum", (True, None, True)),
                   "deep.cert.json": ("VALID", "not_isolated", (None, False, None)),
                   "xor_trained.cert.json": ("VALID", "isolated_local_minimum", (True, True, None)),
                   "xor_trained.global.cert.json": ("VALID", "global_minimum", (True, None, True)),
                   "zz.cert.json": ("ERROR", None, (None, None, None))}
    assert json.load(open(summary))["counts"] == {"VALID": 7, "INVALID": 1, "ERROR": 1}
    with pytest.raises(ProblemError, match="must contain \\*.cert.json"):
        cluster.check_batch([corpus])


# ---------------------------------------------------------------------------------------------------
# the command line on a scheduler


def test_the_command_line_certifies_and_checks_on_a_scheduler(scheduler, corpus, sequential, tmp_path):
    from click.testing import CliRunner

    from cli import main

    out = tmp_path / "certs"
    r = CliRunner().invoke(main, ["certify", corpus, "-q", "-o", str(out), "--scheduler", scheduler])
    assert r.exit_code == 2, r.output  # the two ERROR rows
    lines = r.stdout.splitlines()
    assert lines[-1] == "SUMMARY: 3 CERTIFIED, 2 REFUTED, 1 UNKNOWN, 2 ERROR"
    for line, name in zip(lines, sorted(os.listdir(corpus))):
        assert line.startswith(os.path.join(corpus, name) + " (")
        if name in sequential:
            ref = sequential[name]
            assert line.endswith(f"s): {ref.status}: " + (f"{ref.claim}: " if ref.claim else "") + ref.reason)
    certs = sorted(os.listdir(out))
    assert len(certs) == 8  # five local certificates, and the global ones of the three one-hidden-layer minima
    r = CliRunner().invoke(main, ["check", str(out), "-q", "--scheduler", scheduler])
    assert r.exit_code == 0 and r.stdout.splitlines()[-1] == "SUMMARY: 8 VALID, 0 INVALID, 0 ERROR"
    assert r.stdout.splitlines()[:-1] == [f"{out / n}: {checker.check_file(str(out / n))}" for n in certs]


# ---------------------------------------------------------------------------------------------------
# without dask, and a scheduler that is not there


def test_without_dask_a_scheduler_is_refused_in_one_line(monkeypatch):
    monkeypatch.setattr(cluster, "dask_available", lambda: False)
    with pytest.raises(ProblemError) as err:
        cluster.run(explode, [("a",)], scheduler="tcp://127.0.0.1:8786")
    assert str(err.value).startswith("--scheduler: needs the optional dask extra: pip install '.[dask]'")
    assert "\n" not in str(err.value)


def test_without_dask_jobs_use_the_process_pool(monkeypatch, corpus, sequential):
    monkeypatch.setattr(cluster, "dask_available", lambda: False)
    monkeypatch.setattr(cluster, "_on_dask", None)  # would raise TypeError if it were called
    rows = cluster.certify_batch([corpus], jobs=2)
    assert [verdict(r) for r in rows[:6]] == [verdict(sequential[os.path.basename(r.file)]) for r in rows[:6]]
    assert [r.status for r in rows[6:]] == ["ERROR", "ERROR"]
    assert [r.certificate for r in rows] == [None] * 8  # no output directory: nothing written


@pytest.mark.skipif(distributed is None, reason="the optional dask extra is not installed")
def test_an_unreachable_scheduler_is_one_line(monkeypatch):
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", 0.5)
    with pytest.raises(ProblemError, match="^--scheduler: cannot connect to tcp://127.0.0.1:9 "):
        cluster.run(explode, [("a",)], scheduler="tcp://127.0.0.1:9")


# ---------------------------------------------------------------------------------------------------
# Ctrl-C


DRIVER = textwrap.dedent("""\
    import sys
    sys.path.insert(0, {root!r})
    import proofs.cluster as cl

    try:
        cl.certify_batch([{corpus!r}], out_dir={out!r}, scheduler={scheduler!r}, summary={summary!r},
                         progress=lambda p: print(p.line(), file=sys.stderr, flush=True))
    except cl.Interrupted as stop:
        print(f"interrupted with {{len(stop.rows)}} rows", file=sys.stderr, flush=True)
        sys.exit(130)
    """)
SLOW = os.path.join(ROOT, "tests", "data", "dead_layer_vector.json")  # about 0.7 s to certify


def wait_until_idle(scheduler: str, timeout: float) -> bool:
    """Whether every worker of ``scheduler`` runs no task (cancelled ones included) within ``timeout`` s, seen
    twice 0.2 s apart (a task a worker received just before the cancellation starts in between, if at all)."""
    with distributed.Client(scheduler, set_as_default=False) as client:
        deadline, idle = time.monotonic() + timeout, 0
        while time.monotonic() < deadline and idle < 2:
            busy = any(client.run(lambda dask_worker: len(dask_worker.state.executing)).values())
            idle = 0 if busy else idle + 1
            time.sleep(0.2)
    return idle == 2


def test_ctrl_c_keeps_the_finished_rows_and_resume_finishes(scheduler, tmp_path):
    corpus = tmp_path / "problems"
    corpus.mkdir()
    for k in range(8):
        shutil.copy(SLOW, corpus / f"d{k}.json")
    out, summary = str(tmp_path / "certs"), str(tmp_path / "rows.csv")
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER.format(root=ROOT, corpus=str(corpus), out=out, scheduler=scheduler, summary=summary))
    proc = subprocess.Popen([sys.executable, str(driver)], stderr=subprocess.PIPE, text=True)
    first = proc.stderr.readline()
    assert first.startswith("1/8 "), first
    os.kill(proc.pid, signal.SIGINT)  # Ctrl-C
    rest = proc.stderr.read()
    assert proc.wait(timeout=30) == 130, rest
    assert "Traceback" not in rest
    kept = summary_log.read_rows(summary)
    assert rest.splitlines()[-1] == f"interrupted with {len(kept)} rows"
    assert 1 <= len(kept) < 8 and {r.status for r in kept} == {"CERTIFIED"}
    assert [r.file for r in kept] == sorted(r.file for r in kept)  # rewritten in input order on the way out
    # A task already running on the (external) cluster cannot be stopped by Ctrl-C: it finishes on its worker
    # and writes its certificate atomically after the batch has exited. Until it does, its temporary file is
    # there (never a half certificate under the final name); once it has, none may be left. The wait is for
    # the workers to finish what they run (a cancelled task stays in ``executing`` until its thread returns),
    # not a fixed time: on a loaded machine the last task may end long after the batch.
    assert wait_until_idle(scheduler, timeout=300), "a cancelled task still runs after 300 s"
    assert_certificates_valid(kept, out)
    again = cluster.certify_batch([str(corpus)], out_dir=out, scheduler=scheduler, resume=True)
    assert [r.status for r in again] == ["CERTIFIED"] * 8
    assert {r.file for r in again if r.reason.startswith("resumed:")} >= {r.file for r in kept}
    assert_certificates_valid(again, out)


def test_worker_processes_are_started_with_ctrl_c_ignored():
    """Ctrl-C in a terminal reaches the whole process group; workers inherit "ignore" across exec, so only
    the batch's own process acts on it (cancels, closes the cluster, keeps the rows)."""
    before = signal.getsignal(signal.SIGINT)
    with cluster._sigint_ignored():
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
        child = subprocess.run([sys.executable, "-c", "import signal; print(signal.getsignal(signal.SIGINT) is signal.SIG_IGN)"],
                               capture_output=True, text=True)
    assert child.stdout.strip() == "True"
    assert signal.getsignal(signal.SIGINT) is before


# ---------------------------------------------------------------------------------------------------
# the incremental summary and progress


def test_summary_log_appends_whole_lines_then_rewrites_in_input_order(tmp_path):
    a, b = (Row(f"{n}.json", "UNKNOWN", None, None, None, 0.5, f"why, {n}") for n in "ab")
    for name in ("s.csv", "s.jsonl", "s.json"):
        path = str(tmp_path / name)
        log = summary_log.SummaryLog(path)
        assert summary_log.read_rows(path) == []
        log.add(b)
        assert summary_log.read_rows(path) == [b]  # on disk after each row, completion order
        log.add(a)
        assert summary_log.read_rows(path) == [b, a]
        log.finish([a, b])
        assert summary_log.read_rows(path) == [a, b]
    with open(str(tmp_path / "s.csv")) as fh:
        assert fh.read() == batch.summary_csv([a, b])  # the same CSV as the batch's own summary
    assert json.load(open(str(tmp_path / "s.json"))) == batch.summary_json([a, b])
    with open(str(tmp_path / "s.csv"), "a") as fh:
        fh.write("c.json,UNKNOWN,,,,0.5,cut sh")  # a line cut short by a crash is not a row
    assert summary_log.read_rows(str(tmp_path / "s.csv")) == [a, b]
    with pytest.raises(ProblemError, match=r"^--summary: must end in \.csv, \.jsonl or \.json \(got 's.txt'\)"):
        summary_log.SummaryLog("s.txt")


def test_progress_rate_and_eta():
    row = Row("x.json", "CERTIFIED", None, None, None, 0.1, "")
    p = cluster.Progress(10, 40, 4.0, row, "x.json CERTIFIED")
    assert (p.rate, p.eta) == (2.5, 12.0)  # 10 rows in 4 s; 30 left at 2.5 per second
    assert cluster.Progress(0, 40, 0.0, row, "x.json CERTIFIED").eta is None


@pytest.mark.skipif(distributed is None, reason="the optional dask extra is not installed")
def test_a_task_lost_with_its_workers_is_a_failure():
    """What dask reports for a future without a result (``KilledWorker`` after allowed-failures deaths, or
    anything else) becomes a Failure with one line; a batch of rows makes it an ERROR row naming the file."""

    class Lost:
        def __init__(self, status, exc=None):
            self.status, self.exc = status, exc

        def exception(self):
            return self.exc

    killed = cluster._lost(distributed, Lost("error", distributed.KilledWorker("k", "w", 3)))
    assert killed.reason == "every worker that ran this task died (distributed.scheduler.allowed-failures reached)"
    row = cluster.error_row(("p.json",), killed.reason)
    assert (row.file, row.status, row.reason) == ("p.json", "ERROR", killed.reason)
    other = cluster._lost(distributed, Lost("error", MemoryError("x")))
    assert other.reason == "task failed outside its guard: MemoryError('x')"
    assert cluster._lost(distributed, Lost("cancelled")).reason == "task ended without a result (status cancelled)"
