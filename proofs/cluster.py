"""Running a batch's independent tasks: on a Dask cluster, in local worker processes, or here.

A batch is a list of independent tasks ``fn(*args)`` (one problem, certificate or training restart
each). :func:`gather` is the engine every batch runs on: it executes the tasks and returns their
results in input order, whatever the engine:

- ``scheduler="tcp://host:8786"``: an existing ``dask.distributed`` scheduler (its workers may be on
  many machines: they need pscert installed, and for certify and check the files at the same paths);
- otherwise ``jobs > 1``: a ``LocalCluster`` of ``jobs`` single-threaded worker processes, or, when
  the optional ``dask`` extra is not installed, a ``concurrent.futures`` process pool;
- ``jobs == 1``: every task in this process, in order.

Faults. A task that raises comes back as a :class:`Failure` with a one-line reason, and the batch
decides: :func:`run` (certify, check) turns it into an ``ERROR`` row and goes on; a batch without
that tolerance (training restarts, :mod:`numeric.training_batch`) stops with :class:`TaskFailed`.
A Dask worker that dies mid-task (killed, out of memory) has its task re-run on another worker by
the scheduler, up to ``distributed.scheduler.allowed-failures`` times, after which it is a failure.
Re-running is safe because a task's only side effects are whole-file writes
(:func:`symbolic.files.write_atomic`) of a result that depends on its inputs alone: a second run
writes the same certificate, and no reader ever sees half of one. Ctrl-C cancels what has not
finished, closes the cluster (a ``LocalCluster`` only; a shared scheduler is left running) and raises
:class:`proofs.batch.Interrupted` carrying the results that did finish. Running tasks are not waited
for: the worker processes of a ``LocalCluster`` or process pool are killed at once (on a shared
scheduler, running tasks end on their own). Their certificates, if any, are whole.

:func:`certify_batch` and :func:`check_batch` are ``pscert certify`` and ``pscert check`` on many
files with these engines, ``--resume`` (:mod:`proofs.resume`) and an incremental summary
(:mod:`proofs.summary_log`).
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import gc
import importlib.util
import json
import logging
import os
import signal
import threading
import time
import warnings
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator, NoReturn, Sequence

from symbolic.exceptions import ProblemError, PscertError

from . import batch
from .batch import Interrupted, Row, certificate_paths, problem_files
from .summary_log import SummaryLog

CHECK_STATUSES = ("VALID", "INVALID", "ERROR")
CONNECT_TIMEOUT = 20.0
"""Seconds to wait for a scheduler before giving up with one line."""

Task = Callable[..., Row]
"""A task of a batch of rows (certify, check): see :func:`run`."""


@dataclass(frozen=True)
class Progress:
    """Where a batch stands after a task finished: ``done`` of ``total`` tasks, ``elapsed`` seconds;
    ``result`` is the finished task's result (a :class:`Row` for certify and check) and ``what``
    describes it in a few words."""

    done: int
    total: int
    elapsed: float
    result: Any
    what: str

    @property
    def rate(self) -> float:
        """Finished tasks per second since the batch started (start-up of the workers included)."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def eta(self) -> float | None:
        """Seconds left at the current rate (``None`` before any rate is known)."""
        return (self.total - self.done) / self.rate if self.rate > 0 else None

    def line(self) -> str:
        """``12/40 (30%), 1.8/s, ETA 16 s: a.json CERTIFIED``, for a progress display.

        Examples
        --------
        >>> Progress(12, 40, 6.0, None, "a.json CERTIFIED").line()
        '12/40 (30%), 2.00/s, ETA 14 s: a.json CERTIFIED'
        """
        eta = "?" if self.eta is None else f"{self.eta:.0f} s"
        return (f"{self.done}/{self.total} ({100 * self.done // max(self.total, 1)}%), {self.rate:.2f}/s, "
                f"ETA {eta}: {self.what}")


@dataclass(frozen=True)
class Failure:
    """What a task that raised (or whose every worker died) brings back instead of its result: a
    one-line reason. Plain data, so it crosses process boundaries where a traceback may not."""

    reason: str
    seconds: float = 0.0


class TaskFailed(PscertError):
    """Raised when a task of a batch that does not tolerate failures raised, or every worker that ran it
    died (:func:`gather` without ``failed``); the message is one line naming the task."""


def dask_available() -> bool:
    """Whether the optional ``dask`` extra (``dask.distributed``) is installed."""
    return importlib.util.find_spec("distributed") is not None


def require_engine(scheduler: str | None) -> None:
    """Refuse a ``scheduler`` without dask, in one line, before a batch does any work.

    Raises
    ------
    ProblemError
        ``scheduler`` is given and the optional ``dask`` extra is not installed.
    """
    if scheduler is not None and not dask_available():
        raise ProblemError("--scheduler", "needs the optional dask extra: pip install '.[dask]' in the pscert "
                           "source tree (or leave --scheduler out to use --jobs local processes)")


def gather(fn: Callable[..., Any], args: Sequence[tuple[Any, ...]], *, scheduler: str | None = None, jobs: int = 1,
           failed: Callable[[tuple[Any, ...], Failure], Any] | None = None,
           describe: Callable[[Any], str] = str, progress: Callable[[Progress], None] | None = None,
           on_result: Callable[[Any], None] | None = None, noun: str = "tasks") -> list[Any]:
    """The engine: ``fn(*a)`` for every ``a`` in ``args``, on the engine the options name; the results
    in input order.

    Parameters
    ----------
    fn
        A module-level function (workers import it by name).
    scheduler
        Address of a ``dask.distributed`` scheduler; ``None`` runs locally with ``jobs`` processes.
    jobs
        Local worker processes (ignored with ``scheduler``); ``1`` runs every task here, in order.
    failed
        What a task that raised becomes: ``failed(a, failure)`` returns its result (a batch of
        certify goes on with an ``ERROR`` row) or raises. ``None``: raise :class:`TaskFailed` naming
        the task's first argument; the tasks still queued are cancelled and the workers stopped.
    describe
        A finished result in a few words, for :attr:`Progress.what`.
    progress, on_result
        Called in this process, in completion order, after each task (``on_result`` first: a
        summary writer records the result before it is shown).
    noun
        What the tasks are, for the message of an interrupt (``"problems"``, ``"restarts"``).

    Raises
    ------
    ProblemError
        ``scheduler`` is given but dask is not installed, or the scheduler cannot be reached.
    TaskFailed
        A task raised and ``failed`` is ``None``.
    Interrupted
        Ctrl-C; the finished results are attached, in input order.
    """
    require_engine(scheduler)
    results: list[Any] = [None] * len(args)
    finished = [False] * len(args)
    start = time.perf_counter()
    done = 0

    def emit(i: int, outcome: Any) -> None:
        nonlocal done
        if isinstance(outcome, Failure):
            outcome = _fail(args[i], outcome) if failed is None else failed(args[i], outcome)
        results[i], finished[i] = outcome, True
        done += 1
        if on_result is not None:
            on_result(outcome)
        if progress is not None:
            progress(Progress(done, len(args), time.perf_counter() - start, outcome, describe(outcome)))

    try:
        if scheduler is not None or (jobs > 1 and len(args) > 1 and dask_available()):
            _on_dask(fn, args, scheduler, jobs, emit)
        elif jobs > 1 and len(args) > 1:
            _on_process_pool(fn, args, jobs, emit)
        else:
            for i, a in enumerate(args):
                emit(i, _attempt(fn, a))
    except KeyboardInterrupt:
        raise Interrupted([r for r, f in zip(results, finished) if f], len(args), noun) from None
    return results


def run(fn: Task, args: Sequence[tuple[Any, ...]], *, scheduler: str | None = None, jobs: int = 1,
        progress: Callable[[Progress], None] | None = None,
        on_row: Callable[[Row], None] | None = None) -> list[Row]:
    """A batch of rows (certify, check) on the engine of :func:`gather`: a task that raises becomes an
    ``ERROR`` row with its one-line reason and the batch goes on; ``a[0]`` names the row.

    Raises
    ------
    ProblemError
        As :func:`gather`.
    Interrupted
        Ctrl-C; the finished rows are attached.
    """
    return gather(fn, args, scheduler=scheduler, jobs=jobs, progress=progress, on_result=on_row, noun="problems",
                  failed=lambda a, failure: error_row(a, failure.reason, failure.seconds),
                  describe=lambda row: f"{os.path.basename(row.file)} {row.status}")


def error_row(a: tuple[Any, ...], reason: str, seconds: float = 0.0) -> Row:
    """The ``ERROR`` row of a task that did not return its own row."""
    return Row(str(a[0]), "ERROR", None, None, None, seconds, " ".join(reason.split()) or "(no message)")


def _fail(a: tuple[Any, ...], failure: Failure) -> NoReturn:
    raise TaskFailed(f"{_name(a[0])}: {failure.reason}")


def _name(first: Any) -> str:
    """The first argument of a task, short enough for one line."""
    text = " ".join(str(first).split())
    return text if len(text) <= 80 else text[:77] + "..."


def _attempt(fn: Callable[..., Any], a: tuple[Any, ...]) -> Any:
    """``fn(*a)``, or the :class:`Failure` it raised (any ``Exception``: Ctrl-C is not a failure)."""
    start = time.perf_counter()
    try:
        return fn(*a)
    except Exception as err:  # the caller decides (gather's ``failed``); the reason is one line
        text = " ".join(str(err).split()) or "(no message)"
        return Failure(f"task failed ({type(err).__name__}): {text}", time.perf_counter() - start)


def _attempt_call(task: tuple[Callable[..., Any], tuple[Any, ...]]) -> Any:
    return _attempt(*task)


def _on_process_pool(fn: Callable[..., Any], args: Sequence[tuple[Any, ...]], jobs: int,
                     emit: Callable[[int, Any], None]) -> None:
    """Without dask: a process pool; a worker that dies turns its unfinished tasks into failures."""
    pool = cf.ProcessPoolExecutor(max_workers=jobs, initializer=_pool_worker)
    try:
        futures = {pool.submit(_attempt, fn, a): i for i, a in enumerate(args)}
        for fut in cf.as_completed(futures):
            i = futures[fut]
            try:
                outcome = fut.result()
            except Exception as err:  # BrokenProcessPool: the pool cannot re-run a task elsewhere
                outcome = Failure(f"worker failed: {err!r}")
            emit(i, outcome)
    except BaseException:  # Ctrl-C, or a failure that stops the batch: stop the running tasks now; their
        # certificates, if any, are whole
        _terminate(pool)
        raise
    pool.shutdown()


def _terminate(pool: cf.ProcessPoolExecutor) -> None:
    """Cancel what has not started and kill the workers now (``shutdown`` alone waits for running tasks,
    and so would the interpreter's exit)."""
    terminate = getattr(pool, "terminate_workers", None)  # Python 3.14+: cancels, shuts down, terminates
    if terminate is not None:
        terminate()
        return
    # Before 3.14 there is no public handle; take the workers before shutdown() forgets them.
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for w in workers:
        w.terminate()
    for w in workers:
        w.join()


def _on_dask(fn: Callable[..., Any], args: Sequence[tuple[Any, ...]], scheduler: str | None, jobs: int,
             emit: Callable[[int, Any], None]) -> None:
    """One future per task on a scheduler (given, or a ``LocalCluster`` of ``jobs`` processes)."""
    dd: Any = importlib.import_module("distributed")  # optional and untyped: typed as Any, imported on use
    cluster = None
    if scheduler is None:
        # single-threaded workers: the work is CPU-bound Python and flint, parallel only across processes
        with _sigint_ignored(), warnings.catch_warnings():
            # no dashboard; its HTTP server still takes a port, falling back from 8787 with a warning
            warnings.filterwarnings("ignore", message="Port .* is already in use")
            cluster = dd.LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=logging.CRITICAL)
    try:
        failure = None
        try:
            client = dd.Client(cluster if cluster is not None else scheduler, timeout=CONNECT_TIMEOUT,
                               set_as_default=False)
        except (OSError, ValueError, TimeoutError) as err:
            failure = " ".join(str(err).split())
        if failure is not None:
            # The half-started client is kept in a reference cycle by the error's frames. Collected now,
            # it closes at once; left to the interpreter's exit, its loop is gone by then, and closing
            # waits 2 × CONNECT_TIMEOUT and prints a traceback after the one-line error.
            gc.collect()
            raise ProblemError("--scheduler", f"cannot connect to {scheduler} ({failure})")
        futures: list[Any] = []
        stopped = False
        try:
            # one message for the whole batch; exceptions become Failures on the worker (_attempt),
            # so only a lost task (every worker that ran it died) comes back as an error
            futures = client.map(_attempt_call, [(fn, a) for a in args], pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            # with_results: rows are fetched in the background as tasks finish, not one round trip each
            for fut, result in dd.as_completed(futures, loop=client.loop, with_results=True, raise_errors=False):
                i = index[fut.key]
                emit(i, result if fut.status == "finished" else _lost(dd, fut))
        except BaseException:
            stopped = True
            raise
        finally:  # normal end, Ctrl-C or error: nothing of this batch stays queued on the scheduler
            with _dask_logs_off() if stopped else contextlib.nullcontext():
                if futures:
                    client.cancel([f for f in futures if not f.done()])
                client.close()
    except BaseException:  # Ctrl-C, or a failure that stops the batch: nothing to wait for
        if cluster is not None:
            with _dask_logs_off():
                _kill_workers(cluster)
                cluster.close()
            cluster = None
        raise
    finally:
        if cluster is not None:
            cluster.close()


@contextlib.contextmanager
def _dask_logs_off() -> Iterator[None]:
    """Silence dask's (and its event loop's) logs while a stopped batch tears down. Connections are cut
    mid-message then, as intended, and each cut could be logged with a traceback on stderr after the
    user's Ctrl-C or the one-line error."""
    roots = ("distributed", "asyncio", "tornado")
    # every logger of these trees: a child with a level of its own (dask's config sets some) does not
    # consult its parent's level, so each is switched off by its own ``disabled`` flag
    names = set(roots) | {n for n in logging.root.manager.loggerDict if n.split(".")[0] in roots}
    loggers = [logging.getLogger(n) for n in sorted(names)]
    saved = [logger.disabled for logger in loggers]
    for logger in loggers:
        logger.disabled = True
    try:
        yield
    finally:
        for logger, was in zip(loggers, saved):
            logger.disabled = was


def _kill_workers(cluster: Any) -> None:
    """Ctrl-C (or a failure that stops the batch) on our own ``LocalCluster``: stop its worker processes now. Closing alone asks each worker
    to finish its task and kills it only after dask's nanny timeout (about 4 s); a task cut short
    leaves no half certificate (writes are atomic), so there is nothing to wait for."""
    for nanny in list(cluster.workers.values()):
        with contextlib.suppress(Exception):  # already gone, or the cluster is closing itself: close() finishes
            cluster.sync(nanny.kill, timeout=0.5, reason="pscert-interrupted")


def _lost(dd: Any, fut: Any) -> Failure:
    """The failure of a future that brought back no result."""
    if fut.status != "error":
        return Failure(f"task ended without a result (status {fut.status})")
    if isinstance(fut.exception(), dd.KilledWorker):
        return Failure("every worker that ran this task died (distributed.scheduler.allowed-failures reached)")
    return Failure(f"task failed outside its guard: {fut.exception()!r}")


@contextlib.contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while worker processes are started, so that they inherit "ignore" across ``exec``.

    Ctrl-C in a terminal signals the whole process group. Only this process should act on it
    (cancel, close the cluster, keep the finished rows); workers that caught it too would die
    mid-task with tracebacks. A Ctrl-C during the start-up itself is lost: the next one works.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _pool_worker() -> None:
    """Process-pool initializer: Ctrl-C is the parent's to handle (see :func:`_sigint_ignored`); one
    BLAS thread per process (dask's nanny sets the same variables)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl is a dependency
        return
    threadpool_limits(limits=1, user_api="blas")


# ---------------------------------------------------------------------------------------------------
# the tasks a batch ships: module-level, so that workers import them by name


def certify_task(path: str, refine: bool, cert_path: str | None, resume: bool = False,
                 global_check: bool = True) -> Row:
    """Certify one problem file (:func:`proofs.batch.certify_file`), stamping the certificate with the
    problem's hash; with ``resume``, reuse a local certificate that :func:`proofs.resume.resumed_verdict`
    accepts (the global question is asked again)."""
    from .resume import file_sha256, resumed_verdict, stamp

    start = time.perf_counter()
    if cert_path is None:
        return batch.certify_file(path, refine, None, global_check)
    try:
        digest = file_sha256(path)
    except ProblemError:  # certify_file names the fault in its ERROR row
        return batch.certify_file(path, refine, None, global_check)
    reused = resumed_verdict(path, cert_path, digest) if resume else None
    row = batch.certify_file(path, refine, cert_path, global_check, reused)
    if row.certificate is not None and reused is None:
        stamp(row.certificate, digest)
    return replace(row, seconds=time.perf_counter() - start)  # hashing, re-checking and stamping included


def check_task(cert_path: str, problem_path: str | None = None) -> Row:
    """Check one certificate file (:func:`proofs.checker.check_file`): a ``VALID``, ``INVALID`` or
    ``ERROR`` (unreadable) row, with the claim, radius and ``μ`` the certificate states, and for a
    ``VALID`` one the answers its claim proves about its centre (:func:`proofs.answers.answers`)."""
    from . import checker
    from .answers import UNANSWERED, answers

    start = time.perf_counter()
    try:
        line = checker.check_file(cert_path, problem_path)
        status, reason = "VALID", line[len("VALID: "):]
    except checker.CertificateInvalid as err:
        status, reason = "INVALID", str(err)
    except checker.CertificateUnreadable as err:
        status, reason = "ERROR", str(err)
    stated: dict[str, Any] = {}
    if status != "ERROR":
        with open(cert_path, encoding="utf-8") as fh:
            cert = json.load(fh)
        stated = cert if isinstance(cert, dict) else {}
    claim = _text(stated.get("claim"))
    proved = answers(str(stated.get("status")), claim) if status == "VALID" else UNANSWERED
    return Row(cert_path, status, claim, _text(stated.get("radius")), _text(stated.get("mu")),
               time.perf_counter() - start, " ".join(reason.split()), cert_path, proved)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


# ---------------------------------------------------------------------------------------------------
# batches


def certify_batch(inputs: Sequence[str], refine: bool = True, out_dir: str | None = None, *, jobs: int = 1,
                  scheduler: str | None = None, resume: bool = False, summary: str | None = None,
                  progress: Callable[[Progress], None] | None = None, beside: bool = False,
                  global_check: bool = True) -> list[Row]:
    """``pscert certify`` on many problems: :func:`proofs.batch.certify_batch` on any engine, resumable.

    Parameters
    ----------
    inputs, refine, out_dir, beside
        As :func:`proofs.batch.certify_batch`.
    jobs, scheduler, progress
        As :func:`run`.
    resume
        Skip a problem whose certificate (in ``out_dir``, or beside it) records its hash and passes the checker.
    summary
        A ``.csv``, ``.jsonl`` or ``.json`` summary written row by row (:class:`SummaryLog`).
    global_check
        As ``certify --no-global`` when false.

    Raises
    ------
    ProblemError
        Bad batch inputs, ``resume`` without ``out_dir``, or as :func:`run`.
    Interrupted
        Ctrl-C; the summary already holds the finished rows, in input order.
    """
    require_engine(scheduler)
    if resume and out_dir is None and not beside:
        raise ProblemError("--resume", "needs --output DIR, the directory of the certificates to reuse")
    files = problem_files(inputs)
    certs = certificate_paths(files, out_dir, beside)
    if out_dir is not None:
        os.makedirs(out_dir, exist_ok=True)
    return _logged(certify_task, [(f, refine, c, resume, global_check) for f, c in zip(files, certs)], summary, None,
                   scheduler=scheduler, jobs=jobs, progress=progress)


def certificate_files(inputs: Sequence[str]) -> list[str]:
    """The certificates of a check batch: files as given, directories as their sorted ``*.cert.json``.

    Raises
    ------
    ProblemError
        A directory holds no certificate.
    """
    files: list[str] = []
    for path in inputs:
        if not os.path.isdir(path):
            files.append(path)
            continue
        found = sorted(n for n in os.listdir(path) if n.endswith(".cert.json") and os.path.isfile(os.path.join(path, n)))
        if not found:
            raise ProblemError("", "must contain *.cert.json certificates (got none)", path)
        files += [os.path.join(path, n) for n in found]
    return files


def check_batch(inputs: Sequence[str], problem: str | None = None, *, jobs: int = 1, scheduler: str | None = None,
                summary: str | None = None, progress: Callable[[Progress], None] | None = None) -> list[Row]:
    """``pscert check`` on many certificates (files and directories, :func:`certificate_files`); rows
    ``VALID``, ``INVALID`` or ``ERROR`` in input order. Raises as :func:`certify_batch`."""
    require_engine(scheduler)
    args = [(c, problem) for c in certificate_files(inputs)]
    return _logged(check_task, args, summary, CHECK_STATUSES, scheduler=scheduler, jobs=jobs, progress=progress)


def _logged(fn: Task, args: list[tuple[Any, ...]], summary: str | None, statuses: Sequence[str] | None,
            **engine: Any) -> list[Row]:
    """:func:`run` with the summary written row by row, then once more in input order (also on Ctrl-C)."""
    log = None if summary is None else (SummaryLog(summary) if statuses is None else SummaryLog(summary, statuses))
    try:
        rows = run(fn, args, on_row=None if log is None else log.add, **engine)
    except Interrupted as stop:
        if log is not None:
            log.finish(stop.rows)
        raise
    if log is not None:
        log.finish(rows)
    return rows
