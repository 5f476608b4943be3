"""Certify many problems at once (``pscert certify A.json B.json …`` or ``pscert certify DIR``).

Each problem is certified exactly as ``pscert certify FILE`` would (:func:`proofs.generator.certify`,
refinement on, the checker run on every certificate). A problem that cannot be read or certified does
not stop the batch: it becomes a row with status ``ERROR`` and a one-line message. Rows come back in
input order whatever the number of worker processes, so a batch's summary does not depend on
``jobs`` except for the times.

Conventions (documented in ``pscert certify --help``):

- A directory stands for its ``*.json`` files, sorted by name, skipping ``*.cert.json`` (certificates
  a previous batch may have written there). Files named explicitly are taken as given.
- Certificates go to ``<out_dir>/<stem>.cert.json``, ``<stem>`` the file name without ``.json``;
  two inputs with the same stem are refused before any work. With ``beside`` (the command line's
  default without ``-o``) each goes beside its problem, ``<dir>/<stem>.cert.json``.
- An interrupt (Ctrl-C, ``SIGINT``) stops the workers at once and raises :class:`Interrupted` with
  the rows that finished, so the caller can still report them.
- Each problem's row carries the answers of ``pscert certify FILE --json`` (:mod:`proofs.answers`: local
  verdict and, for one hidden layer and one output, global verdict), so that a script reading a summary
  never parses claim names. The global certificate goes beside the local one as
  ``<stem>.global.cert.json`` (:func:`global_certificate_path`).
- Exit code of a batch (:func:`exit_code`): 2 if any row is ``ERROR``, else 3 if any is ``UNKNOWN``,
  else 0 (every problem decided: CERTIFIED or REFUTED).
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from dataclasses import dataclass, fields
from typing import Any, Callable, Sequence

from symbolic.exceptions import ProblemError
from symbolic.files import dumps_certificate, write_atomic

from .answers import UNANSWERED, Answers, answers
from .assemble import Verdict

STATUSES = ("CERTIFIED", "REFUTED", "UNKNOWN", "ERROR")
ANSWER_COLUMNS = Answers._fields
"""``local_minimum``, ``isolated``, ``global_minimum``: the answers, the last columns of a CSV summary."""
COLUMNS = ("file", "status", "claim", "radius", "mu", "seconds", "reason", "certificate", *ANSWER_COLUMNS)
"""The columns of a CSV summary; the answers were appended last, so that the first eight keep their places."""
SUMMARY_FORMAT = "pscert.batch/1"


@dataclass(frozen=True)
class Row:
    """One problem of a batch: its verdict in brief. ``radius`` and ``mu`` are canonical rationals
    (from the checked certificate) or ``None``; ``seconds`` is wall time (load, certify, write);
    ``certificate`` is the path written, if any; ``answers`` what the verdicts prove
    (:mod:`proofs.answers`; nothing for an ``ERROR`` row, or a row of a summary written before
    summaries had answers)."""

    file: str
    status: str
    claim: str | None
    radius: str | None
    mu: str | None
    seconds: float
    reason: str
    certificate: str | None = None
    answers: Answers = UNANSWERED

    def to_json(self) -> dict[str, Any]:
        """The row as JSON: the verdict's keys, and ``answers`` as the object of ``certify --json``.

        Examples
        --------
        >>> Row("a.json", "REFUTED", "not_isolated", "0", None, 0.5, "why", None,
        ...     Answers(True, False, True)).to_json()["answers"]
        {'local_minimum': True, 'isolated': False, 'global_minimum': True}
        """
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["answers"] = self.answers.to_json()
        return out

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> "Row":
        """The row of :meth:`to_json`; a row without ``answers`` (written before rows had them) answers nothing."""
        given = obj.get("answers") or {}
        return cls(**{k: v for k, v in obj.items() if k != "answers"},
                   answers=Answers(*(given.get(k) for k in ANSWER_COLUMNS)))

    def cells(self) -> list[str]:
        """The row's CSV cells in the order of :data:`COLUMNS`: empty for ``None``, seconds to the
        millisecond, answers ``true`` or ``false``.

        Examples
        --------
        >>> Row("a.json", "CERTIFIED", "isolated_local_minimum", "1/8", "1", 0.25, "why", "a.cert.json",
        ...     Answers(True, True, None)).cells()[5:]
        ['0.250', 'why', 'a.cert.json', 'true', 'true', '']
        """
        head = [self.file, self.status, self.claim, self.radius, self.mu, f"{self.seconds:.3f}", self.reason,
                self.certificate]
        return ["" if v is None else v for v in head] + [_answer_cell(a) for a in self.answers]


Progress = Callable[[int, int, Row], None]
"""Called as ``progress(done, total, row)`` each time a problem finishes (in completion order)."""


class Interrupted(KeyboardInterrupt):
    """Raised when a batch is interrupted (``SIGINT``): ``rows`` are the results of the tasks that
    finished (for certify and check, :class:`Row`), in input order, and ``total`` is how many tasks
    the batch had; ``noun`` names them in the message. A ``KeyboardInterrupt``, so callers that do
    not know about batches still see an interrupt."""

    def __init__(self, rows: list[Any], total: int, noun: str = "problems"):
        super().__init__(f"interrupted: {len(rows)} of {total} {noun} finished")
        self.rows, self.total = rows, total


def problem_files(inputs: Sequence[str]) -> list[str]:
    """The problem files of a batch: files as given, directories as their sorted ``*.json`` files.

    Raises
    ------
    ProblemError
        A directory holds no problem file.

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp()
    >>> for name in ("b.json", "a.json", "a.cert.json", "notes.txt"):
    ...     open(os.path.join(d, name), "w").close()
    >>> [os.path.basename(p) for p in problem_files([d, "x.json"])]
    ['a.json', 'b.json', 'x.json']
    """
    files: list[str] = []
    for path in inputs:
        if not os.path.isdir(path):
            files.append(path)
            continue
        found = sorted(name for name in os.listdir(path)
                       if name.endswith(".json") and not name.endswith(".cert.json")
                       and os.path.isfile(os.path.join(path, name)))
        if not found:
            raise ProblemError("", "must contain *.json problem files (got none)", path)
        files += [os.path.join(path, name) for name in found]
    return files


def certificate_paths(files: Sequence[str], out_dir: str | None, beside: bool = False) -> list[str | None]:
    """``<out_dir>/<stem>.cert.json`` per file; without ``out_dir``, ``<dir>/<stem>.cert.json`` beside each
    file when ``beside``, else ``None`` (no certificate written).

    Raises
    ------
    ProblemError
        ``out_dir`` exists and is not a directory, two files share a stem (the same file, beside), or one
        file's certificate would be another's global certificate (``a.json`` and ``a.global.json``).

    Examples
    --------
    >>> certificate_paths(["p/a.json", "q/b.json"], "certs")
    ['certs/a.cert.json', 'certs/b.cert.json']
    >>> certificate_paths(["p/a.json", "q/a.json"], None, beside=True)
    ['p/a.cert.json', 'q/a.cert.json']
    """
    if out_dir is None and not beside:
        return [None] * len(files)
    if out_dir is None:
        named = [os.path.join(os.path.dirname(f), _stem(f) + ".cert.json") for f in files]
        twice = [f for f, c in zip(files, named) if named.count(c) > 1]
        if twice:
            raise ProblemError("PROBLEM", f"must be distinct files (got {twice[0]} twice)")
        return _no_global_clash(files, list(named), "PROBLEM")
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ProblemError("--output", f"must be a directory when certifying several problems (got the file {out_dir})")
    seen: dict[str, str] = {}
    paths: list[str | None] = []
    for f in files:
        stem = _stem(f)
        if stem in seen:
            raise ProblemError("--output", f"certificate names must be distinct (got {seen[stem]} and {f}, "
                               f"both {stem}.cert.json)")
        seen[stem] = f
        paths.append(os.path.join(out_dir, stem + ".cert.json"))
    return _no_global_clash(files, paths, "--output")


def _no_global_clash(files: Sequence[str], paths: list[str | None], where: str) -> list[str | None]:
    """``paths``, unless one of them is where another file's global certificate goes."""
    global_of = {global_certificate_path(c): f for f, c in zip(files, paths) if c is not None}
    for f, c in zip(files, paths):
        if c in global_of:
            raise ProblemError(where, f"certificate names must be distinct (got {global_of[c]} and {f}: {c} would "
                               f"be the global certificate of the first)")
    return paths


def summary_kind(path: str) -> str:
    """``"csv"``, ``"jsonl"`` or ``"json"`` from the summary file's extension.

    Raises
    ------
    ProblemError
        Any other extension.

    Examples
    --------
    >>> summary_kind("out/Summary.CSV"), summary_kind("rows.jsonl")
    ('csv', 'jsonl')
    """
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".csv", ".jsonl", ".json"):
        raise ProblemError("--summary", f"must end in .csv, .jsonl or .json (got {path!r})")
    return ext[1:]


def certify_batch(inputs: Sequence[str], refine: bool = True, out_dir: str | None = None, jobs: int = 1,
                  progress: Progress | None = None, beside: bool = False, global_check: bool = True) -> list[Row]:
    """Certify every problem of ``inputs`` (files and directories); one row per problem, in input order.

    The library form of ``pscert certify DIR --jobs N``: :func:`proofs.cluster.certify_batch`, the one
    engine of every batch (a ``LocalCluster`` of ``jobs`` workers when dask is installed, else a process
    pool; this process when ``jobs`` is 1), with ``progress`` called as ``progress(done, total, row)``.

    Parameters
    ----------
    inputs
        Problem files and directories (see :func:`problem_files`).
    refine
        As ``pscert certify --no-refine`` when false.
    out_dir
        Where to write the certificates (created if missing); ``None`` writes none unless ``beside``.
    jobs
        Worker processes (``1``: everything in this process).
    progress
        See :data:`Progress`.
    beside
        Without ``out_dir``: write each certificate beside its problem (``<dir>/<stem>.cert.json``).
    global_check
        As ``certify --no-global`` when false.

    Returns
    -------
    list of Row
        Never raises for a bad problem file: that is an ``ERROR`` row.

    Raises
    ------
    ProblemError
        Bad batch inputs (an empty directory, ``out_dir`` a file, clashing certificate names).
    Interrupted
        ``SIGINT`` arrived: the workers were stopped, and the exception holds the finished rows.
    """
    from .cluster import certify_batch as on_engine  # the engine builds on this module: imported on use

    report = None if progress is None else (lambda p: progress(p.done, p.total, p.result))
    return on_engine(inputs, refine, out_dir, jobs=jobs, progress=report, beside=beside, global_check=global_check)


def certify_file(path: str, refine: bool = True, cert_path: str | None = None, global_check: bool = True,
                 reused: Verdict | None = None) -> Row:
    """Certify one problem file into a row: what ``pscert certify FILE`` answers (:func:`proofs.question.ask`:
    the local verdict about the point snapped to the structure it approximates and, where it applies,
    the global verdict). Every failure becomes an ``ERROR`` row, never an exception.

    Parameters
    ----------
    cert_path
        Where the local certificate goes; the global one goes to :func:`global_certificate_path` of it.
        ``None``: nothing is written.
    global_check
        As ``certify --no-global`` when false.
    reused
        A local verdict already found and checked (a resumed batch): its certificate is not written
        again, and only the global question is asked.
    """
    from proofs.question import ask

    from symbolic.problem import load_problem

    start = time.perf_counter()
    try:
        problem = load_problem(path)
        if problem.point is None:
            raise ProblemError("point", "missing: this command needs a point", path)
        answer = ask(problem, refine=refine, global_check=global_check, local=reused)
        written = None
        if cert_path is not None:
            written = _write_certificates(answer.local, answer.globally, cert_path, write_local=reused is None)
    except Exception as err:  # the batch goes on: the row names what went wrong
        kind = "" if isinstance(err, (ProblemError, OSError)) else f"internal error ({type(err).__name__}): "
        return Row(path, "ERROR", None, None, None, time.perf_counter() - start, _one_line(kind + str(err)))
    return row_for(path, answer.local, time.perf_counter() - start, written, answer.answers)


def global_certificate_path(cert_path: str) -> str:
    """Where a batch puts the global certificate beside the local one: ``<stem>.global.cert.json`` (a
    ``*.cert.json`` name, so a directory batch skips it as a problem and ``pscert check DIR`` checks it).

    Examples
    --------
    >>> global_certificate_path("certs/a.cert.json")
    'certs/a.global.cert.json'
    """
    stem = cert_path[:-len(".cert.json")] if cert_path.endswith(".cert.json") else _stem(cert_path)
    return stem + ".global.cert.json"


def _write_certificates(local: Verdict, globally: Verdict | None, cert_path: str, write_local: bool) -> str | None:
    """Write the local and the global certificate (atomically) and remove a global certificate of an earlier
    run that this one did not renew, so that every certificate beside the problem is about this run's
    answers; the local certificate's path, or ``None`` if there is none."""
    if write_local and local.certificate is not None:
        write_atomic(cert_path, dumps_certificate(local.certificate))
    global_path = global_certificate_path(cert_path)
    if globally is not None and globally.certificate is not None:
        write_atomic(global_path, dumps_certificate(globally.certificate))
    elif os.path.isfile(global_path):
        os.remove(global_path)
    return cert_path if local.certificate is not None else None


def row_for(path: str, verdict: Verdict, seconds: float, certificate: str | None = None,
            found: Answers | None = None) -> Row:
    """The row of a verdict: radius and ``μ`` as the checked certificate states them; ``found`` the answers
    of the local and global verdicts together (default: the local verdict's alone)."""
    cert = verdict.certificate or {}
    return Row(path, verdict.status, verdict.claim, cert.get("radius"), cert.get("mu"), seconds, verdict.reason,
               certificate, answers(verdict.status, verdict.claim) if found is None else found)


def counts(rows: Sequence[Row]) -> dict[str, int]:
    """Rows per status, every status present (in the order of :data:`STATUSES`)."""
    return {s: sum(r.status == s for r in rows) for s in STATUSES}


def summary_line(rows: Sequence[Row]) -> str:
    """``SUMMARY: 2 CERTIFIED, 1 REFUTED, 0 UNKNOWN, 1 ERROR``, the last line of a batch.

    Examples
    --------
    >>> summary_line([Row("a.json", "UNKNOWN", None, None, None, 0.5, "why")])
    'SUMMARY: 0 CERTIFIED, 0 REFUTED, 1 UNKNOWN, 0 ERROR'
    """
    return "SUMMARY: " + ", ".join(f"{n} {s}" for s, n in counts(rows).items())


def exit_code(rows: Sequence[Row]) -> int:
    """2 if any problem is ``ERROR``, else 3 if any is ``UNKNOWN``, else 0 (all decided).

    Examples
    --------
    >>> exit_code([Row("a", "REFUTED", "not_a_local_minimum", "0", None, 0.1, "saddle")])
    0
    """
    c = counts(rows)
    return 2 if c["ERROR"] else 3 if c["UNKNOWN"] else 0


def summary_json(rows: Sequence[Row]) -> dict[str, Any]:
    """The JSON summary: format, counts and one object per problem (keys :data:`COLUMNS`)."""
    return {"format": SUMMARY_FORMAT, "counts": counts(rows), "problems": [r.to_json() for r in rows]}


def summary_csv(rows: Sequence[Row]) -> str:
    """The CSV summary: a header of :data:`COLUMNS`, one line per problem (:meth:`Row.cells`)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(r.cells())
    return buf.getvalue()


def summary_jsonl(rows: Sequence[Row]) -> str:
    """The JSON lines summary: one object per problem (keys :data:`COLUMNS`), one per line."""
    return "".join(json.dumps(r.to_json()) + "\n" for r in rows)


def write_summary(rows: Sequence[Row], path: str) -> None:
    """Write the summary atomically, as CSV, JSON lines or JSON by the file's extension (:func:`summary_kind`)."""
    kind = summary_kind(path)
    text = (summary_csv(rows) if kind == "csv" else summary_jsonl(rows) if kind == "jsonl"
            else json.dumps(summary_json(rows), indent=1) + "\n")
    write_atomic(path, text)


def _answer_cell(answer: bool | None) -> str:
    return "" if answer is None else "true" if answer else "false"


def _stem(path: str) -> str:
    name = os.path.basename(path)
    return name[:-5] if name.lower().endswith(".json") else name


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "(no message)"
