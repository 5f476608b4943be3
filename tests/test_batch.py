"""Batch certification (``pscert certify`` on several files or a directory) and its summaries.

Fixtures, each worked out by hand:

- ``good``: the scalar chain ``f = b·σ(a·x)``, ``x = y = 1``, ``λ = 1/4``, point ``(0.866, 0.866)``.
  On ``a > 0``, ``L = (ab − 1)² + (a² + b²)/4``; ``∇L = 0`` gives ``(b − a)(2(ab − 1) − 1/2) = 0``, and
  ``a = b = t`` with ``t² = 3/4``: the minimum ``(√3/2, √3/2)``, Hessian ``[[2, 1], [1, 2]]`` (eigenvalues
  1 and 3). CERTIFIED, ``isolated_local_minimum``.
- ``saddle``: the depth-3 chain ``f = c·σ(b·σ(a·x))``, ``λ = 1/8``, point ``(0.125, 0.125, 0.125)``. On the
  diagonal ``g(t) = (t³ − 1)² + 3t²/8``, ``g'(t) = 6t(t⁴ − t + 1/8)``; the smaller root ``t ≈ 0.1252`` has
  ``g'' = 6t(4t³ − 1) < 0``: negative curvature along ``(1, 1, 1)``. REFUTED, ``not_a_local_minimum``.
- ``flat``: the scalar chain with ``λ = 0`` at ``(0, 0)``: without weight decay pscert never certifies, and
  no hidden unit is live (all its weights are 0), so there is no rescaling curve to show: UNKNOWN.
- ``broken``: not JSON; ``pointless``: a valid problem without a point. Both ERROR rows.
- ``split_dead`` (``tests/data/global_split_dead.json``): the ``good`` chain's live unit beside a dead one,
  ``f = b₁σ(a₁x) + b₂σ(a₂x)`` at ``(√3/2, 0; √3/2, 0)``. The dead unit is the end of the split circle
  ``(a₁, b₁)cos φ, (a₁, b₁)sin φ`` of constant loss: not isolated, REFUTED ``not_isolated``. Yet for any
  width, with the one sample ``x = y = 1``, ``λ(a² + b²) ≥ 2λ|ab|`` gives ``L ≥ (f − 1)² + |f|/2 ≥ 7/16``
  (the minimum at ``f = 3/4``), which the point attains (``f = 3/4``): a global, hence local, minimum.
  The same bound makes ``good`` a global minimum.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from proofs import batch, checker, summary_log
from proofs.batch import Row
from symbolic.exceptions import ProblemError


def chain(depth: int, lam: str, point: list[str] | None) -> dict:
    """The bias-free scalar chain with ``depth`` hidden units in a row, x = y = 1."""
    obj = {"format": "pscert.problem/1", "network": {"widths": [1] * (depth + 2), "biases": False},
           "loss": {"weight_decay": lam}, "data": {"inputs": [["1"]], "targets": [["1"]]}}
    if point is not None:
        obj["point"] = {"weights": [[[p]] for p in point]}
    return obj


ROOT = Path(__file__).resolve().parent.parent
GOOD = chain(1, "1/4", ["0.866", "0.866"])
SPLIT_DEAD = json.loads((ROOT / "tests" / "data" / "global_split_dead.json").read_text())
SADDLE = chain(2, "1/8", ["0.125", "0.125", "0.125"])
FLAT = chain(1, "0", ["0", "0"])


def write(directory, name: str, content) -> str:
    path = os.path.join(str(directory), name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(content if isinstance(content, str) else json.dumps(content))
    return path


@pytest.fixture
def mixed(tmp_path):
    """A directory with a minimum, a saddle and a malformed file (sorted: a_good, b_saddle, c_broken)."""
    d = tmp_path / "problems"
    d.mkdir()
    write(d, "a_good.json", GOOD)
    write(d, "b_saddle.json", SADDLE)
    write(d, "c_broken.json", '{"format": "pscert.problem/1", "network": ')
    write(d, "notes.txt", "not a problem")  # ignored: not *.json
    return d


def run(*args: str):
    return CliRunner().invoke(main, ["certify", *args])


def last_line(result) -> str:
    return result.stdout.strip().splitlines()[-1]


# ---------------------------------------------------------------------------------------------------
# single file: unchanged


def test_single_file_keeps_its_exit_codes_and_status_line(tmp_path):
    good, saddle = write(tmp_path, "good.json", GOOD), write(tmp_path, "saddle.json", SADDLE)
    r = run(good)
    assert r.exit_code == 0 and last_line(r).startswith("CERTIFIED: isolated_local_minimum: ")
    assert "SUMMARY" not in r.output
    r = run(saddle)
    assert r.exit_code == 1 and last_line(r).startswith("REFUTED: not_a_local_minimum: ")
    r = run(write(tmp_path, "flat.json", FLAT))
    assert r.exit_code == 3 and last_line(r).startswith("UNKNOWN: no weight decay")


def test_single_file_errors_exit_2_without_a_row(tmp_path):
    r = run(write(tmp_path, "broken.json", "{"))
    assert r.exit_code == 2 and "Error:" in r.output and "SUMMARY" not in r.output
    r = run(write(tmp_path, "pointless.json", chain(1, "1/4", None)))
    assert r.exit_code == 2 and "point: missing" in r.output


def test_single_file_output_must_not_be_a_directory(tmp_path):
    r = run(write(tmp_path, "good.json", GOOD), "-o", str(tmp_path))
    assert r.exit_code == 2 and "is a directory" in r.output


def test_single_file_summary_is_one_row_and_keeps_the_exit_code(tmp_path):
    cert, summary = tmp_path / "s.cert.json", tmp_path / "s.csv"
    r = run(write(tmp_path, "saddle.json", SADDLE), "-o", str(cert), "--summary", str(summary))
    assert r.exit_code == 1 and last_line(r).startswith("REFUTED: ")
    rows = list(csv.DictReader(io.StringIO(summary.read_text())))
    assert len(rows) == 1 and rows[0]["status"] == "REFUTED" and rows[0]["certificate"] == str(cert)
    assert rows[0]["radius"] == json.loads(cert.read_text())["radius"]


def test_unknown_with_output_writes_nothing_and_says_so(tmp_path):
    cert = tmp_path / "flat.cert.json"
    r = run(write(tmp_path, "flat.json", FLAT), "-o", str(cert))
    assert r.exit_code == 3 and last_line(r).startswith("UNKNOWN: ")
    assert not cert.exists()
    assert r.stderr.strip().splitlines()[-1] == f"note: nothing written to {cert}: an UNKNOWN verdict has no certificate"
    decided = run(write(tmp_path, "good.json", GOOD), "-o", str(tmp_path / "good.cert.json"))
    assert decided.exit_code == 0 and "nothing written" not in decided.stderr


# ---------------------------------------------------------------------------------------------------
# batches


def test_directory_keeps_going_past_a_malformed_file(mixed):
    r = run(str(mixed), "-q")
    assert r.exit_code == 2  # an ERROR row
    lines = r.stdout.strip().splitlines()
    assert lines[-1] == "SUMMARY: 1 CERTIFIED, 1 REFUTED, 0 UNKNOWN, 1 ERROR"
    assert [line.split(" (")[0] for line in lines[:-1]] == [str(mixed / n) for n in
                                                            ("a_good.json", "b_saddle.json", "c_broken.json")]
    assert "CERTIFIED: isolated_local_minimum" in lines[0] and "REFUTED: not_a_local_minimum" in lines[1]
    assert "ERROR: " in lines[2] and "not valid JSON" in lines[2]


def test_decided_batch_exits_0_and_unknown_exits_3(tmp_path):
    good, saddle, flat = (write(tmp_path, n, p) for n, p in (("g.json", GOOD), ("s.json", SADDLE), ("f.json", FLAT)))
    r = run(good, saddle, "-q")
    assert r.exit_code == 0 and last_line(r) == "SUMMARY: 1 CERTIFIED, 1 REFUTED, 0 UNKNOWN, 0 ERROR"
    r = run(good, flat, "-q")
    assert r.exit_code == 3 and last_line(r) == "SUMMARY: 1 CERTIFIED, 0 REFUTED, 1 UNKNOWN, 0 ERROR"


def test_missing_file_and_missing_point_are_error_rows(tmp_path):
    good = write(tmp_path, "g.json", GOOD)
    pointless = write(tmp_path, "p.json", chain(1, "1/4", None))
    r = run(good, str(tmp_path / "nowhere.json"), pointless, "-q")
    assert r.exit_code == 2
    lines = r.stdout.strip().splitlines()
    assert "ERROR: " in lines[1] and "cannot read file" in lines[1]
    assert "ERROR: " in lines[2] and "point: missing" in lines[2]


def test_summary_csv_content(mixed, tmp_path):
    out, summary = tmp_path / "certs", tmp_path / "summary.csv"
    r = run(str(mixed), "-q", "-o", str(out), "--summary", str(summary))
    assert r.exit_code == 2
    rows = list(csv.DictReader(io.StringIO(summary.read_text())))
    assert list(rows[0]) == list(batch.COLUMNS)
    assert [row["status"] for row in rows] == ["CERTIFIED", "REFUTED", "ERROR"]
    good_cert = json.loads((out / "a_good.cert.json").read_text())
    assert rows[0]["claim"] == "isolated_local_minimum"
    assert (rows[0]["radius"], rows[0]["mu"]) == (good_cert["radius"], good_cert["mu"])
    assert rows[1]["claim"] == "not_a_local_minimum" and rows[1]["mu"] == ""  # refutations have no μ
    assert rows[2]["claim"] == rows[2]["radius"] == rows[2]["certificate"] == ""
    assert "not valid JSON" in rows[2]["reason"]
    assert all(float(row["seconds"]) >= 0 for row in rows)


def test_summary_json_content_and_certificates(mixed, tmp_path):
    out, summary = tmp_path / "certs", tmp_path / "summary.json"
    r = run(str(mixed), "-q", "-o", str(out), "--summary", str(summary))
    assert r.exit_code == 2
    obj = json.loads(summary.read_text())
    assert obj["format"] == "pscert.batch/1"
    assert obj["counts"] == {"CERTIFIED": 1, "REFUTED": 1, "UNKNOWN": 0, "ERROR": 1}
    good, saddle, broken = obj["problems"]
    assert good["certificate"] == str(out / "a_good.cert.json") and saddle["certificate"] == str(out / "b_saddle.cert.json")
    assert broken["certificate"] is None and broken["status"] == "ERROR"
    # the saddle has two hidden layers: no global question; the chain's global certificate goes beside
    assert sorted(os.listdir(out)) == ["a_good.cert.json", "a_good.global.cert.json", "b_saddle.cert.json"]
    assert checker.check_file(str(out / "a_good.global.cert.json")).startswith("VALID: CERTIFIED global_minimum")
    for row in (good, saddle):
        assert checker.check_file(row["certificate"]).startswith("VALID")
        assert json.loads(open(row["certificate"]).read())["status"] == row["status"]


@pytest.mark.parametrize("dask", [True, False], ids=["local-cluster", "process-pool"])
def test_jobs_2_equals_jobs_1(mixed, tmp_path, monkeypatch, dask):
    """Rows come back in input order with the same content, on either engine; only the times differ."""
    if not dask:
        monkeypatch.setitem(sys.modules, "distributed", None)  # as if the dask extra were not installed
    elif importlib.util.find_spec("distributed") is None:
        pytest.skip("the optional dask extra is not installed")

    def rows(jobs: int) -> tuple[list, list]:
        summary = tmp_path / f"s{jobs}.json"
        r = run(str(mixed), "-q", "--jobs", str(jobs), "--summary", str(summary))
        assert r.exit_code == 2
        table = json.loads(summary.read_text())["problems"]
        lines = [line.split(" (")[0] + line.split(" s): ")[-1] for line in r.stdout.splitlines()]
        return [{k: v for k, v in row.items() if k != "seconds"} for row in table], lines

    assert rows(2) == rows(1)


def test_batch_json_prints_the_summary_object(mixed):
    r = run(str(mixed), "--json")
    assert r.exit_code == 2
    obj = json.loads(r.stdout)
    assert [p["status"] for p in obj["problems"]] == ["CERTIFIED", "REFUTED", "ERROR"]


@pytest.fixture
def answered(tmp_path):
    """An isolated global minimum, a non-isolated global minimum and a saddle (sorted in that order)."""
    d = tmp_path / "answered"
    d.mkdir()
    write(d, "a_good.json", GOOD)
    write(d, "b_split_dead.json", SPLIT_DEAD)
    write(d, "c_saddle.json", SADDLE)
    return d


# (status, claim, local_minimum, isolated, global_minimum) of each problem of ``answered``, by hand (module
# docstring): the non-isolated point is a minimum although its local verdict alone leaves that open
ANSWERED = [("CERTIFIED", "isolated_local_minimum", True, True, True),
            ("REFUTED", "not_isolated", True, False, True),
            ("REFUTED", "not_a_local_minimum", False, False, False)]


def test_summary_csv_carries_the_answers(answered, tmp_path):
    out, summary = tmp_path / "certs", tmp_path / "summary.csv"
    r = run(str(answered), "-q", "-o", str(out), "--summary", str(summary))
    assert r.exit_code == 0
    text = summary.read_text()
    assert text.splitlines()[0] == ("file,status,claim,radius,mu,seconds,reason,certificate,"
                                    "local_minimum,isolated,global_minimum")
    cells = {"true": True, "false": False, "": None}
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(row["status"], row["claim"], *(cells[row[k]] for k in batch.ANSWER_COLUMNS)) for row in rows] == ANSWERED
    assert [tuple(r.answers) for r in summary_log.read_rows(str(summary))] == [a[2:] for a in ANSWERED]
    # the global answers rest on global certificates beside the local ones (none for two hidden layers)
    for stem in ("a_good", "b_split_dead"):
        line = checker.check_file(str(out / f"{stem}.global.cert.json"), str(answered / f"{stem}.json"))
        assert line.startswith("VALID: CERTIFIED global_minimum")
    assert not (out / "c_saddle.global.cert.json").exists()


def test_batch_json_rows_carry_the_answers_object_of_certify_json(answered, tmp_path):
    r = run(str(answered), "--json")
    assert r.exit_code == 0
    problems = json.loads(r.stdout)["problems"]
    assert [(p["status"], p["claim"], *p["answers"].values()) for p in problems] == ANSWERED
    assert list(problems[0]["answers"]) == ["local_minimum", "isolated", "global_minimum"]
    one = CliRunner().invoke(main, ["certify", str(answered / "b_split_dead.json"), "--json"])
    assert one.exit_code == 0 and json.loads(one.stdout)["answers"] == problems[1]["answers"]
    for kind in ("jsonl", "json"):
        summary = tmp_path / f"rows.{kind}"
        assert run(str(answered), "-q", "--summary", str(summary)).exit_code == 0
        assert [tuple(r.answers) for r in summary_log.read_rows(str(summary))] == [a[2:] for a in ANSWERED]


def test_no_global_leaves_the_global_answers_open(answered):
    r = run(str(answered), "--json", "--no-global")
    problems = json.loads(r.stdout)["problems"]
    assert [tuple(p["answers"].values()) for p in problems] == [(True, True, None), (None, False, None),
                                                                (False, False, False)]
    assert r.exit_code == 0 and not list(answered.glob("*.global.cert.json"))


def test_single_file_summary_carries_the_answers(tmp_path):
    summary = tmp_path / "s.csv"
    r = run(write(tmp_path, "split.json", SPLIT_DEAD), "--summary", str(summary))
    assert r.exit_code == 0 and last_line(r).startswith("REFUTED: not_isolated: ")
    [row] = summary_log.read_rows(str(summary))
    assert tuple(row.answers) == (True, False, True)


OLD_CSV = ("file,status,claim,radius,mu,seconds,reason,certificate\n"
           "a.json,CERTIFIED,isolated_local_minimum,1/8,1,0.250,why,a.cert.json\n"
           "b.json,ERROR,,,,0.010,not valid JSON,\n")


def test_summaries_written_before_the_answers_are_read(tmp_path):
    """Eight columns (CSV) or no ``answers`` key (JSON lines, JSON): the rows answer nothing."""
    old = {"file": "a.json", "status": "CERTIFIED", "claim": "isolated_local_minimum", "radius": "1/8", "mu": "1",
           "seconds": 0.25, "reason": "why", "certificate": "a.cert.json"}
    expected = Row("a.json", "CERTIFIED", "isolated_local_minimum", "1/8", "1", 0.25, "why", "a.cert.json")
    csv_path = write(tmp_path, "old.csv", OLD_CSV)
    jsonl_path = write(tmp_path, "old.jsonl", json.dumps(old) + "\n")
    json_path = write(tmp_path, "old.json", {"format": "pscert.batch/1", "counts": {}, "problems": [old]})
    for path in (csv_path, jsonl_path, json_path):
        assert summary_log.read_rows(path)[0] == expected
        assert tuple(summary_log.read_rows(path)[0].answers) == (None, None, None)
    bad = write(tmp_path, "bad.csv", OLD_CSV.replace("certificate\n", "certificate,isolated\n", 1)
                .replace("a.cert.json\n", "a.cert.json,yes\n"))
    with pytest.raises(ProblemError, match="bad.csv: isolated: must be true, false or empty \\(got 'yes'\\)"):
        summary_log.read_rows(bad)


def test_resume_across_a_summary_and_certificates_written_before_the_answers(answered, tmp_path):
    """A run from before the answers left local certificates only and an eight-column summary: --resume
    reuses every local certificate, asks the global question again, writes the global certificates and a
    summary with the answers, the same as a fresh run's."""
    out, summary = tmp_path / "certs", tmp_path / "summary.csv"
    fresh = run(str(answered), "-q", "-o", str(out), "--summary", str(summary))
    assert fresh.exit_code == 0
    for g in out.glob("*.global.cert.json"):
        g.unlink()  # as an earlier version left the directory
    summary.write_text(OLD_CSV)
    again = run(str(answered), "-q", "-o", str(out), "--resume", "--summary", str(summary))
    assert again.exit_code == 0
    assert [": resumed: the certificate exists" in line for line in again.stdout.splitlines()[:3]] == [True] * 3
    rows = summary_log.read_rows(str(summary))
    assert [(r.status, r.claim, *r.answers) for r in rows] == ANSWERED
    assert sorted(g.name for g in out.glob("*.global.cert.json")) == ["a_good.global.cert.json",
                                                                      "b_split_dead.global.cert.json"]


def test_a_certificate_name_that_is_another_problems_global_certificate_is_refused(tmp_path):
    a, b = write(tmp_path, "x.json", GOOD), write(tmp_path, "x.global.json", GOOD)
    r = run(a, b)
    assert r.exit_code == 2 and (f"PROBLEM: certificate names must be distinct (got {a} and {b}: "
                                 f"{tmp_path / 'x.global.cert.json'} would be the global certificate of the first)"
                                 in r.stderr)
    r = run(a, b, "-o", str(tmp_path / "certs"))
    assert r.exit_code == 2 and "--output: certificate names must be distinct" in r.stderr
    assert not (tmp_path / "x.cert.json").exists() and not (tmp_path / "certs").exists()


def test_directory_skips_certificates_it_may_have_written(mixed):
    r = run(str(mixed), "-q", "-o", str(mixed))
    assert (mixed / "a_good.cert.json").exists()
    again = run(str(mixed), "-q")
    assert last_line(again) == last_line(r) == "SUMMARY: 1 CERTIFIED, 1 REFUTED, 0 UNKNOWN, 1 ERROR"


def test_batch_without_output_writes_each_certificate_beside_its_problem(mixed):
    r = run(str(mixed), "-q")
    assert r.exit_code == 2 and last_line(r) == "SUMMARY: 1 CERTIFIED, 1 REFUTED, 0 UNKNOWN, 1 ERROR"
    assert sorted(n for n in os.listdir(mixed) if n.endswith(".cert.json")) == [
        "a_good.cert.json", "a_good.global.cert.json", "b_saddle.cert.json"]
    assert checker.check_file(str(mixed / "b_saddle.cert.json")).startswith("VALID: ")
    assert "certificates: beside each problem" in r.stderr


def test_batch_refuses_the_same_file_twice_when_writing_beside_it(tmp_path):
    good = write(tmp_path, "good.json", GOOD)
    r = run(good, good)
    assert r.exit_code == 2 and f"PROBLEM: must be distinct files (got {good} twice)" in r.stderr
    assert not (tmp_path / "good.cert.json").exists()


ROOT = Path(__file__).parent.parent


def _workers(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc), except multiprocessing's resource tracker: a helper,
    not a worker, that ends by itself once the batch's process has exited and closed its pipe."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"multiprocessing.resource_tracker" not in command:
                found.append(int(entry))
    return found


def _default_sigint() -> None:
    """In the child: SIGINT as at a terminal (a shell's background job inherits it ignored, and so would the batch)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


ENGINES = {"local-cluster": "from cli import main; main()",
           "process-pool": "import proofs.cluster as c; c.dask_available = lambda: False; from cli import main; main()"}


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads worker processes from /proc (Linux)")
@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_interrupt_stops_the_workers_and_reports_what_finished(tmp_path, engine):
    """SIGINT during ``--jobs 2``: exit 130 with the finished rows in the CSV and a SUMMARY line; no worker
    outlives the batch. Two fast problems (a*) finish first; the trained dead layers (b*, a 2-4-1 network on 40
samples whose 1562 cells and 18278 empty prefixes take about 15 s of CPU each to certify) are cut off."""
    if engine == "local-cluster" and importlib.util.find_spec("distributed") is None:
        pytest.skip("the optional dask extra is not installed")
    d = tmp_path / "batch"
    d.mkdir()
    for i in range(2):
        write(d, f"a{i}.json", GOOD)
    for i in range(4):
        shutil.copy(ROOT / "tests" / "data" / "dead_layer_trained_slow.json", d / f"b{i}.json")
    summary = tmp_path / "summary.csv"
    proc = subprocess.Popen([sys.executable, "-c", ENGINES[engine], "certify", str(d), "-q",
                             "--jobs", "2", "--summary", str(summary)], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=_default_sigint)
    try:
        for _ in range(1200):  # until both fast certificates are written (a guard, not a timing assertion)
            if all((d / f"a{i}.cert.json").exists() for i in range(2)) or proc.poll() is not None:
                break
            time.sleep(0.05)
        time.sleep(0.5)  # let the parent collect the two finished rows
        workers = _workers(proc.pid)
        assert proc.poll() is None and workers, "the batch ended before it could be interrupted"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    rows = list(csv.DictReader(io.StringIO(summary.read_text())))
    assert [(os.path.basename(r["file"]), r["status"]) for r in rows] == [("a0.json", "CERTIFIED"), ("a1.json", "CERTIFIED")]
    lines = out.strip().splitlines()
    assert lines[-1] == "SUMMARY: 2 CERTIFIED, 0 REFUTED, 0 UNKNOWN, 0 ERROR" and len(lines) == 3
    assert "interrupted: 2 of 6 problems finished" in err
    assert not [w for w in workers if _alive(w)]


@pytest.mark.parametrize("args, message", [
    (["--summary", "out.txt"], "--summary: must end in .csv, .jsonl or .json (got 'out.txt')"),
    (["-o", "FILE"], "--output: must be a directory when certifying several problems"),
])
def test_bad_batch_options_exit_2_before_any_work(mixed, tmp_path, args, message):
    target = tmp_path / "a-file"
    target.write_text("")
    args = [str(target) if a == "FILE" else a for a in args]
    r = run(str(mixed), *args)
    assert r.exit_code == 2 and message in r.output and "SUMMARY" not in r.output


def test_clashing_certificate_names_are_refused(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "q").mkdir()
    a, b = write(tmp_path / "p", "x.json", GOOD), write(tmp_path / "q", "x.json", SADDLE)
    r = run(a, b, "-o", str(tmp_path / "certs"))
    assert r.exit_code == 2 and "certificate names must be distinct" in r.output
    assert not (tmp_path / "certs").exists()


def test_empty_directory_is_bad_input(tmp_path):
    r = run(str(tmp_path))
    assert r.exit_code == 2 and "must contain *.json problem files (got none)" in r.output


# ---------------------------------------------------------------------------------------------------
# engines, --resume, progress and check of a directory


def check(*args: str):
    return CliRunner().invoke(main, ["check", *args])


def test_scheduler_without_dask_is_one_line_before_any_work(mixed, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the dask extra were not installed
    out, summary = tmp_path / "certs", tmp_path / "s.csv"
    r = run(str(mixed), "--scheduler", "tcp://127.0.0.1:8786", "-o", str(out), "--summary", str(summary))
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr.startswith("Error: --scheduler: needs the optional dask extra: pip install '.[dask]'")
    assert r.stderr.count("\n") == 1
    assert not out.exists() and not summary.exists()
    certs = tmp_path / "c"
    certs.mkdir()
    r = check(str(certs), "--scheduler", "tcp://127.0.0.1:8786")
    assert r.exit_code == 2 and "pip install '.[dask]'" in r.stderr and r.stderr.count("\n") == 1


@pytest.mark.parametrize("command, args", [
    ("certify", ["--resume"]), ("certify", ["--scheduler", "tcp://127.0.0.1:8786"]),
    ("check", ["--scheduler", "tcp://127.0.0.1:8786"]), ("check", ["--summary", "s.csv"]),
])
def test_batch_options_on_one_file_are_refused(tmp_path, command, args):
    path = write(tmp_path, "good.json", GOOD)
    r = CliRunner().invoke(main, [command, path, *args])
    assert r.exit_code == 2 and f"{args[0]}: applies to batches only (several files or a directory)" in r.stderr


def test_resume_reuses_exactly_the_certificates_of_these_problems(mixed, tmp_path):
    """A second run with --resume re-checks and reuses what is there; a deleted certificate and one whose
    recorded hash is of another problem are computed again; ERROR rows are retried."""
    from proofs import resume

    out, summary = tmp_path / "certs", tmp_path / "rows.jsonl"
    first = run(str(mixed), "-q", "-o", str(out))
    assert first.exit_code == 2
    good, saddle = out / "a_good.cert.json", out / "b_saddle.cert.json"
    for cert, problem in ((good, "a_good.json"), (saddle, "b_saddle.json")):
        assert resume.recorded_sha256(str(cert)) == resume.file_sha256(str(mixed / problem))
    again = run(str(mixed), "-q", "-o", str(out), "--resume")
    lines = again.stdout.splitlines()
    assert lines[0].endswith("CERTIFIED: isolated_local_minimum: resumed: the certificate exists and passes the "
                             "checker (" + checker.check_file(str(good), str(mixed / "a_good.json"))[len("VALID: "):] + ")")
    assert "REFUTED: not_a_local_minimum: resumed: " in lines[1] and "ERROR: " in lines[2]
    assert lines[-1] == "SUMMARY: 1 CERTIFIED, 1 REFUTED, 0 UNKNOWN, 1 ERROR" and again.exit_code == 2
    good.unlink()
    cert = json.loads(saddle.read_text())
    cert["producer"]["problem_sha256"] = resume.file_sha256(str(mixed / "a_good.json"))  # another problem's
    saddle.write_text(json.dumps(cert))
    third = run(str(mixed), "-q", "-o", str(out), "--resume", "--summary", str(summary))
    assert third.exit_code == 2 and "resumed:" not in third.stdout
    assert [r.status for r in summary_log.read_rows(str(summary))] == ["CERTIFIED", "REFUTED", "ERROR"]
    assert resume.recorded_sha256(str(saddle)) == resume.file_sha256(str(mixed / "b_saddle.json"))
    for cert_path in (good, saddle):
        assert checker.check_file(str(cert_path)).startswith("VALID: ")


def test_resume_beside_the_problems(mixed):
    assert run(str(mixed), "-q").exit_code == 2
    r = run(str(mixed), "-q", "--resume")
    assert [("resumed: " in line) for line in r.stdout.splitlines()[:3]] == [True, True, False]


def test_progress_and_the_table_by_verdict_go_to_stderr(mixed):
    r = run(str(mixed))
    assert r.exit_code == 2 and last_line(r) == "SUMMARY: 1 CERTIFIED, 1 REFUTED, 0 UNKNOWN, 1 ERROR"
    err = r.stderr.splitlines()
    assert [line.split(" (")[0] for line in err[:3]] == ["certify: 1/3", "certify: 2/3", "certify: 3/3"]
    assert err[2].startswith("certify: 3/3 (100%), ") and "/s, ETA 0 s: c_broken.json ERROR" in err[2]
    table = err[err.index("status        count  share  median s"):][:6]
    assert [line.split()[:3] for line in table[1:]] == [["CERTIFIED", "1", "33%"], ["REFUTED", "1", "33%"],
                                                         ["UNKNOWN", "0", "0%"], ["ERROR", "1", "33%"],
                                                         ["total", "3", "100%"]]
    assert "certify:" not in run(str(mixed), "-q").stderr


@pytest.fixture
def certificates(mixed, tmp_path):
    """The certificates of ``mixed``: a_good (CERTIFIED) and b_saddle (REFUTED)."""
    out = tmp_path / "certs"
    assert run(str(mixed), "-q", "-o", str(out)).exit_code == 2
    return out


def test_check_of_a_directory_is_a_batch(certificates, tmp_path):
    good, saddle = certificates / "a_good.cert.json", certificates / "b_saddle.cert.json"
    (certificates / "a_good.global.cert.json").unlink()  # the local certificates only
    r = check(str(certificates), "-q")
    assert r.exit_code == 0
    assert r.stdout.splitlines() == [f"{good}: {checker.check_file(str(good))}",
                                     f"{saddle}: {checker.check_file(str(saddle))}",
                                     "SUMMARY: 2 VALID, 0 INVALID, 0 ERROR"]
    cert = json.loads(good.read_text())
    cert["mu"] = "1000"  # beyond the Hessian's smallest eigenvalue 1: the checker must reject it
    good.write_text(json.dumps(cert))
    alone = check(str(good))
    assert alone.exit_code == 1 and alone.stdout.startswith("INVALID: ")
    r = check(str(certificates), "-q")
    assert r.exit_code == 1
    assert r.stdout.splitlines()[0] == f"{good}: {alone.stdout.strip()}"
    (certificates / "zz.cert.json").write_text("not json")
    summary = tmp_path / "check.json"
    r = check(str(certificates), "--json", "--summary", str(summary))
    assert r.exit_code == 2
    obj = json.loads(r.stdout)
    assert obj["counts"] == {"VALID": 1, "INVALID": 1, "ERROR": 1} == json.loads(summary.read_text())["counts"]
    assert [(os.path.basename(p["file"]), p["status"], p["claim"]) for p in obj["problems"]] == [
        ("a_good.cert.json", "INVALID", "isolated_local_minimum"), ("b_saddle.cert.json", "VALID", "not_a_local_minimum"),
        ("zz.cert.json", "ERROR", None)]


def test_check_of_one_certificate_is_unchanged(certificates):
    good = str(certificates / "a_good.cert.json")
    r = check(good)
    assert r.exit_code == 0 and r.stdout == checker.check_file(good) + "\n" and r.stderr == ""
    r = check(good, "--json")
    assert json.loads(r.stdout) == {"valid": True, "step": None, "message": checker.check_file(good)[len("VALID: "):],
                                    "line": checker.check_file(good)}


@pytest.mark.skipif(importlib.util.find_spec("distributed") is None, reason="the optional dask extra is not installed")
def test_check_batch_with_jobs_2_equals_jobs_1(certificates):
    one, two = check(str(certificates), "-q"), check(str(certificates), "-q", "--jobs", "2")
    assert (two.exit_code, two.stdout) == (one.exit_code, one.stdout) == (0, one.stdout)


def test_check_of_an_empty_directory_is_bad_input(tmp_path):
    r = check(str(tmp_path))
    assert r.exit_code == 2 and "must contain *.cert.json certificates (got none)" in r.stderr


# ---------------------------------------------------------------------------------------------------
# library


def test_internal_errors_become_rows_not_crashes(tmp_path, monkeypatch):
    import proofs.question

    def boom(problem, **options):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(proofs.question, "ask", boom)
    rows = batch.certify_batch([write(tmp_path, "g.json", GOOD)])
    assert rows[0].status == "ERROR" and rows[0].reason == "internal error (RuntimeError): boom second line"


def test_interrupting_one_problem_exits_130_not_a_verdict_code(tmp_path, monkeypatch):
    import proofs.question

    def interrupted(problem, **options):
        raise KeyboardInterrupt

    monkeypatch.setattr(proofs.question, "ask", interrupted)
    r = run(write(tmp_path, "good.json", GOOD))
    assert r.exit_code == 130 and r.stdout == "" and r.stderr.strip() == "Aborted!"


def test_serial_interrupt_keeps_the_rows_that_finished(mixed, monkeypatch):
    """Ctrl-C during the second problem of a one-process batch: Interrupted carries the first row."""
    real = batch.certify_file

    def second_interrupted(path, *args):
        if path.endswith("b_saddle.json"):
            raise KeyboardInterrupt
        return real(path, *args)

    monkeypatch.setattr(batch, "certify_file", second_interrupted)
    with pytest.raises(batch.Interrupted) as stop:
        batch.certify_batch([str(mixed)])
    assert [(os.path.basename(r.file), r.status) for r in stop.value.rows] == [("a_good.json", "CERTIFIED")]
    assert stop.value.total == 3 and str(stop.value) == "interrupted: 1 of 3 problems finished"
    assert isinstance(stop.value, KeyboardInterrupt)


def test_progress_is_called_once_per_problem(mixed):
    seen: list[tuple[int, int, str]] = []
    rows = batch.certify_batch([str(mixed)], progress=lambda d, t, r: seen.append((d, t, r.status)))
    assert [s[:2] for s in seen] == [(1, 3), (2, 3), (3, 3)]
    assert [s[2] for s in seen] == [r.status for r in rows]


@pytest.mark.parametrize("statuses, code", [
    (["CERTIFIED", "REFUTED"], 0), (["CERTIFIED", "UNKNOWN"], 3), (["UNKNOWN", "ERROR"], 2), ([], 0),
])
def test_exit_code(statuses, code):
    assert batch.exit_code([Row("f", s, None, None, None, 0.0, "") for s in statuses]) == code


def test_csv_quotes_reasons_with_commas():
    text = batch.summary_csv([Row("a,b.json", "UNKNOWN", None, None, None, 1.23456, 'x, "y"')])
    (row,) = csv.DictReader(io.StringIO(text))
    assert (row["file"], row["reason"], row["seconds"], row["claim"]) == ("a,b.json", 'x, "y"', "1.235", "")
