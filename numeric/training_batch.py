"""Training on the batch engine: one task per restart (``pscert train --jobs J --scheduler ADDRESS``).

The restarts of :func:`numeric.training.train` are independent: restart ``r`` descends from start
``r`` (:func:`start_point`, a function of the seed and ``r`` alone) and looks at nothing else. So
they run as the tasks of one batch on :func:`proofs.cluster.gather` (this process, local worker
processes, or a ``dask.distributed`` scheduler), and the end points come back in restart order to
the same grouping as in one process (:func:`numeric.training.distinct_minima`). Hence the result
does not depend on the number of workers, nor on where the tasks ran: it is the result of
:func:`numeric.training.train` with the same seed and number of restarts, bit for bit where the
workers run the same numpy and scipy builds on the same kind of CPU (one BLAS thread each). A
cluster of mixed machines may round differently in the last bits, which moves an end point by far
less than the grouping tolerance but is not excluded from changing a tie.

What travels per task: the problem (its exact data, pickled: about 0.5 KB for the examples), the
restart's index and its start (``P`` floats); back: the end point (``P`` floats), its loss and
time. The client draws the starts, in order, from the seed's one generator: drawing is O(P) per
start there, where a worker re-deriving start ``r`` alone would draw all ``r`` before it.
Nothing is written by the workers, so a cluster needs no shared file system for training.

Faults. A restart that raises is not a search outcome (a start that diverges is one: it is
counted in ``failed``): it stops the batch with :class:`proofs.cluster.TaskFailed`, one line naming
the restart. Ctrl-C raises :class:`TrainingInterrupted` with the minima of the restarts that did
finish.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any, Callable, NoReturn, Sequence

import numpy as np

from proofs.batch import Interrupted
from proofs.cluster import Failure, Progress, TaskFailed, gather
from symbolic.exceptions import ProblemError
from symbolic.problem import Problem

from .descent import FloatObjective
from .training import DEDUPE_TOL, TrainResult, distinct_minima, one_blas_thread, restart, start_points


@dataclass(frozen=True, eq=False)
class Restart:
    """What one restart brings back: its index, the end point (``None`` if descent diverged), the
    float loss there, and the seconds it took (float search: nothing here is claimed)."""

    index: int
    theta: np.ndarray | None
    loss: float | None
    seconds: float

    def describe(self) -> str:
        """``restart 3: loss ≈ 0.4375`` (or ``diverged``), for progress lines."""
        return f"restart {self.index}: " + ("diverged" if self.loss is None else f"loss ≈ {self.loss:.10g}")


class TrainingInterrupted(Interrupted):
    """Ctrl-C during :func:`train_batch`: ``result`` holds the distinct minima of the restarts that
    finished (``result.restarts`` of them), ``total`` how many were asked for."""

    def __init__(self, result: TrainResult, done: list[Restart], total: int):
        super().__init__(done, total, "restarts")
        self.result = result


def start_point(problem: Problem, seed: int, r: int) -> np.ndarray:
    """Start ``r`` (from 0) of ``seed``: the same point whatever the number of restarts or workers.

    It is the ``r``-th draw of the seed's generator (:func:`numeric.training.start_points`), so it
    costs ``O((r + 1) · P)``: for re-running one restart alone. A batch draws all its starts in one
    pass instead.

    Examples
    --------
    >>> from symbolic.problem import parse_problem
    >>> p = parse_problem({"format": "pscert.problem/1", "network": {"widths": [1, 2, 1], "biases": True},
    ...     "loss": {"weight_decay": "1/10"}, "data": {"inputs": [[1]], "targets": [[1]]}})
    >>> starts = start_points(p, 7)
    >>> [bool(np.array_equal(next(starts), start_point(p, 7, r))) for r in range(3)]
    [True, True, True]
    """
    if r < 0:
        raise ProblemError("restart", f"must be a non-negative index (got {r})")
    return next(itertools.islice(start_points(problem, seed), r, None))


def restart_task(problem: Problem, r: int, start: np.ndarray) -> Restart:
    """The task of restart ``r``: descend from ``start`` (:func:`numeric.training.restart`), one BLAS
    thread (the matrices are small; a worker's other threads would only compete for its core)."""
    begun = time.perf_counter()
    objective = FloatObjective(problem)
    with one_blas_thread():
        theta = restart(objective, start)
        loss = None if theta is None else float(objective.evaluate(theta)[0])
    return Restart(r, theta, loss, time.perf_counter() - begun)


def train_batch(problem: Problem, restarts: int = 10, seed: int = 0, *, jobs: int = 1, scheduler: str | None = None,
                progress: Callable[[Progress], None] | None = None, tolerance: float = DEDUPE_TOL) -> TrainResult:
    """:func:`numeric.training.train` with one task per restart on the batch engine; the same result.

    Parameters
    ----------
    problem, restarts, seed, tolerance
        As :func:`numeric.training.train`.
    jobs, scheduler, progress
        As :func:`proofs.cluster.gather`: local worker processes, or a ``dask.distributed``
        scheduler's address; ``progress`` is called after each restart.

    Raises
    ------
    ProblemError
        ``restarts < 1``, or the engine cannot be had (``scheduler`` without dask, or unreachable).
    TaskFailed
        A restart raised; the others are cancelled.
    TrainingInterrupted
        Ctrl-C; the minima of the finished restarts are attached.
    """
    if restarts < 1:
        raise ProblemError("--restarts", f"must be at least 1 (got {restarts})")
    args = [(problem, r, start) for r, start in zip(range(restarts), start_points(problem, seed))]

    def failed(a: tuple[Any, ...], failure: Failure) -> NoReturn:
        raise TaskFailed(f"restart {a[1]} of {restarts} (seed {seed}): {failure.reason}")

    try:
        done = gather(restart_task, args, scheduler=scheduler, jobs=jobs, failed=failed, progress=progress,
                      describe=Restart.describe, noun="restarts")
    except Interrupted as stop:
        finished = list(stop.rows)
        raise TrainingInterrupted(merge(problem, finished, seed, tolerance), finished, restarts) from None
    return merge(problem, done, seed, tolerance)


def merge(problem: Problem, done: Sequence[Restart], seed: int, tolerance: float = DEDUPE_TOL) -> TrainResult:
    """The distinct minima of finished restarts, grouped in restart order as :func:`numeric.training.train`
    groups them (so the grouping does not depend on the order in which the restarts finished)."""
    ordered = sorted(done, key=lambda d: d.index)
    found = [(d.index, d.theta) for d in ordered if d.theta is not None]
    with one_blas_thread():
        minima = distinct_minima(FloatObjective(problem), found, tolerance)
    return TrainResult(minima, len(ordered), seed, sum(d.theta is None for d in ordered))
