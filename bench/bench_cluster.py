"""Throughput of batches on the engine (``proofs.cluster.gather``): 1 and 2 workers, Dask and a process pool.

Two batches, each run by every engine:

- **certify**: 40 problems, four copies of ten (the five of ``examples/``, ``chain_target_2`` and four
  kink and dead-layer problems of ``tests/data``), each copy's point moved by ``k·10⁻⁹`` in every
  weight so that all 40 are distinct problems (distinct hashes) that refinement must work on;
- **train**: ``pscert train --restarts 40`` on a 2-3-1 network with biases and 12 samples, one task
  per restart (``numeric.training_batch``); every engine must give the minima of the plain loop
  ``numeric.training.train`` (checked).

Engines: ``sequential`` (this process, no engine: a plain loop), ``here`` (the engine with one job:
tasks in this process), ``pool`` (a process pool of 1 and 2 workers), ``dask`` (a ``LocalCluster`` of
1 and 2 single-threaded workers, started and warmed up beforehand: start-up is reported on its own).

The machine is shared, so one number per engine would say more about the other jobs than about the
engine. Every repeat runs every engine once, one after the other, and the tables give the median
and the range over the repeats; the speed-up of 2 workers over 1 is taken *within* each repeat (the
two runs a few seconds apart see about the same load) and given as median [min–max]. The per-task
overhead is ``(workers · wall − Σ task seconds) / tasks``: the time a worker is not inside a task
(scheduling, shipping arguments and results, the idle tail), beside the median task time. A third
table does the same for an empty task, which isolates the engine's own cost.

    python bench/bench_cluster.py [--copies 4] [--restarts 40] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from typing import Any, Callable

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

from numeric.training import start_points, train  # noqa: E402
from numeric.training_batch import merge, restart_task  # noqa: E402
from proofs import cluster  # noqa: E402
from proofs.batch import Row  # noqa: E402
from symbolic.problem import parse_problem  # noqa: E402
from symbolic.rationals import canonical  # noqa: E402

SOURCES = sorted(os.path.join(ROOT, "examples", n) for n in os.listdir(os.path.join(ROOT, "examples"))) + [
    os.path.join(ROOT, "tests", "certs", "problems", "chain_target_2.json")] + [
    os.path.join(ROOT, "tests", "data", n) for n in ("kink_one_unit.json", "kink_repeated_sample.json",
                                                     "xor_kinks.json", "dead_layer_vector.json")]
TRAIN_PROBLEM = {"format": "pscert.problem/1", "name": "bench", "network": {"widths": [2, 3, 1], "biases": True},
                 "loss": {"weight_decay": "1/100"},
                 "data": {"inputs": [[str(round(np.cos(k), 3)), str(round(np.sin(2 * k), 3))] for k in range(12)],
                          "targets": [[str(round(np.sin(3 * k), 3))] for k in range(12)]}}


def make_batch(directory: str, copies: int) -> list[str]:
    """``copies`` of every source problem, copy ``k`` with ``k/10⁹`` added to every weight of its point."""
    paths = []
    for src in SOURCES:
        with open(src) as fh:
            obj = json.load(fh)
        for k in range(copies):
            moved = json.loads(json.dumps(obj))
            shift = Fraction(k, 10 ** 9)
            moved["point"]["weights"] = [[[canonical(Fraction(str(w)) + shift) for w in row] for row in layer]
                                         for layer in obj["point"]["weights"]]
            path = os.path.join(directory, f"{os.path.basename(src)[:-5]}-{k}.json")
            with open(path, "w") as fh:
                json.dump(moved, fh)
            paths.append(path)
    return paths


def noop(path: str) -> Row:
    return Row(path, "UNKNOWN", None, None, None, 0.0, "")


def seconds_of(result: Any) -> float:
    return float(result.seconds)


def cpu_seconds(client: Any) -> float:
    """CPU time of this process (with the LocalCluster's scheduler, a thread here) and of every worker."""
    return time.process_time() + (sum(client.run(time.process_time).values()) if client is not None else 0.0)


class Engine:
    """One way to run a batch: ``run(fn, args)`` gives the results in input order."""

    def __init__(self, name: str, workers: int, client: Any = None):
        self.name, self.workers, self.client = name, workers, client

    def run(self, fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[Any]:
        if self.name == "sequential":
            return [fn(*a) for a in args]
        if self.name == "here":
            return cluster.gather(fn, args, jobs=1)
        if self.name == "pool":
            results: list[Any] = [None] * len(args)
            cluster._on_process_pool(fn, args, self.workers, results.__setitem__)
            return results
        return cluster.gather(fn, args, scheduler=self.client.scheduler.address)


def once(engine: Engine, fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> dict[str, Any]:
    """One run: wall time, Σ and median task seconds, CPU per task (engines with a client), the results."""
    cpu = cpu_seconds(engine.client) if engine.name in ("dask", "sequential", "here") else None
    start = time.perf_counter()
    results = engine.run(fn, args)
    wall = time.perf_counter() - start
    if cpu is not None:
        cpu = (cpu_seconds(engine.client) - cpu) / len(args)
    inside = sum(seconds_of(r) for r in results)
    return {"wall": wall, "inside": inside, "median": statistics.median(seconds_of(r) for r in results),
            "overhead": (engine.workers * wall - inside) / len(args), "cpu": cpu, "results": results}


def table(title: str, runs: dict[tuple[str, int], list[dict[str, Any]]], tasks: int, reference_median: float,
          median_name: str) -> list[str]:
    """The table of one batch: median and range over the repeats; speed-up per repeat."""
    lines = [title, "", f"| engine | workers | wall s, median [min–max] | tasks/s | speed-up vs 1 worker, median "
             f"[min–max] | overhead ms/task | overhead / {median_name} | CPU ms/task |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for (name, n), rs in runs.items():
        walls = [r["wall"] for r in rs]
        wall = statistics.median(walls)
        one = runs.get((name, 1))
        if one is not None and n > 1:
            ratios = [a["wall"] / b["wall"] for a, b in zip(one, rs)]
            speed = f"{statistics.median(ratios):.2f}× [{min(ratios):.2f}–{max(ratios):.2f}]"
        else:
            speed = "-"
        overhead = statistics.median(r["overhead"] for r in rs)
        cpus = [r["cpu"] for r in rs if r["cpu"] is not None]
        cpu = f"{1000 * statistics.median(cpus):.1f}" if cpus else "-"
        lines.append(f"| {name} | {n} | {wall:.2f} [{min(walls):.2f}–{max(walls):.2f}] | {tasks / wall:.1f} | {speed} "
                     f"| {1000 * overhead:.1f} | {100 * overhead / reference_median:.0f} % | {cpu} |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="copies of each of the 10 problems (default 4: 40)")
    parser.add_argument("--restarts", type=int, default=40, help="restarts of the training batch (default 40)")
    parser.add_argument("--repeat", type=int, default=5, help="repeats of every engine (default 5)")
    opts = parser.parse_args()
    import distributed

    work = tempfile.mkdtemp(prefix="pscert-bench-cluster-")
    files = make_batch(work, opts.copies)
    out = os.path.join(work, "certs")
    os.makedirs(out)
    certify = [(f, True, os.path.join(out, os.path.basename(f)[:-5] + ".cert.json"), False) for f in files]
    problem = parse_problem(TRAIN_PROBLEM)
    restarts = [(problem, r, s) for r, s in zip(range(opts.restarts), start_points(problem, 0))]
    empty = [(f,) for f in files] * 5
    reference = train(problem, opts.restarts, seed=0)

    load = os.getloadavg()
    startup = {}
    clusters = {}
    for n in (1, 2):
        t = time.perf_counter()
        lc = distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=logging.CRITICAL)
        client = distributed.Client(lc, set_as_default=False)
        client.run(__import__, "proofs.generator")  # warm: imports happen once per worker
        client.run(__import__, "numeric.training_batch")
        startup[n] = time.perf_counter() - t
        clusters[n] = (lc, client)
    engines = [Engine("sequential", 1), Engine("here", 1), Engine("pool", 1), Engine("pool", 2),
               Engine("dask", 1, clusters[1][1]), Engine("dask", 2, clusters[2][1])]
    batches = {"certify": (cluster.certify_task, certify), "train": (restart_task, restarts),
               "empty": (noop, empty)}
    runs: dict[str, dict[tuple[str, int], list[dict[str, Any]]]] = {b: {} for b in batches}
    try:
        for _ in range(opts.repeat):
            for batch, (fn, args) in batches.items():
                for e in engines:
                    if batch == "empty" and e.name == "sequential":
                        continue
                    runs[batch].setdefault((e.name, e.workers), []).append(once(e, fn, args))
    finally:
        for lc, client in clusters.values():
            client.close()
            lc.close()

    statuses = sorted(r.status for r in runs["certify"]["sequential", 1][0]["results"])
    for rs in runs["certify"].values():
        assert all(sorted(r.status for r in run["results"]) == statuses for run in rs), "engines disagree"
    for rs in runs["train"].values():
        for run in rs:
            got = merge(problem, run["results"], 0)
            assert [m.starts for m in got.minima] == [m.starts for m in reference.minima], "minima differ"
            assert all(np.array_equal(a.theta, b.theta) for a, b in zip(got.minima, reference.minima))

    certify_median = statistics.median(r["median"] for r in runs["certify"]["sequential", 1])
    restart_median = statistics.median(r["median"] for r in runs["train"]["sequential", 1])
    print(f"load average before/after: {load[0]:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(other jobs take cores from the workers: speed-ups need an idle machine)")
    print(f"{opts.repeat} repeats; LocalCluster start-up, warm-up included: 1 worker {startup[1]:.2f} s, "
          f"2 workers {startup[2]:.2f} s")
    print()
    for line in table(f"certify: {len(files)} problems "
                      f"({', '.join(f'{s} {statuses.count(s)}' for s in sorted(set(statuses)))}); "
                      f"median certify time {1000 * certify_median:.1f} ms", runs["certify"], len(files),
                      certify_median, "median certify"):
        print(line)
    print()
    for line in table(f"train: {opts.restarts} restarts of a 2-3-1 net, {len(reference.minima)} distinct minima "
                      f"(the same for every engine and repeat); median restart time {1000 * restart_median:.1f} ms",
                      runs["train"], opts.restarts, restart_median, "median restart"):
        print(line)
    print()
    for line in table(f"empty tasks ({len(empty)}): the engine's own cost", runs["empty"], len(empty),
                      certify_median, "median certify"):
        print(line)


if __name__ == "__main__":
    main()
