"""Throughput of batches on a Dask LocalCluster (1 and 2 workers) against the plain process pool.

The batch: 40 problems, four copies of ten (the five of ``examples/``, ``chain_target_2`` and four
kink and dead-layer problems of ``tests/data``), each copy's point moved by ``k·10⁻⁹`` in every
weight so that all 40 are distinct problems (distinct hashes) that refinement must work on.

For each engine the script prints the wall time of the batch (workers started and warmed up
beforehand: start-up is reported on its own line), problems per second, and the *per-task overhead*:
``(workers · wall − Σ task seconds) / tasks``, the time a worker is not inside a task (scheduling,
shipping arguments and rows, idle tail), beside the median certify time. A second table does
the same for an empty task, which isolates the engine's own cost.

    python bench/bench_cluster.py [--copies 4] [--repeat 3]
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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from proofs import cluster  # noqa: E402
from proofs.batch import Row  # noqa: E402
from symbolic.rationals import canonical  # noqa: E402

SOURCES = sorted(os.path.join(ROOT, "examples", n) for n in os.listdir(os.path.join(ROOT, "examples"))) + [
    os.path.join(ROOT, "tests", "certs", "problems", "chain_target_2.json")] + [
    os.path.join(ROOT, "tests", "data", n) for n in ("kink_one_unit.json", "kink_repeated_sample.json",
                                                     "xor_kinks.json", "dead_layer_vector.json")]


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


def cpu_seconds(client) -> float:
    """CPU time of this process (with the LocalCluster's scheduler, a thread here) and of every worker."""
    return time.process_time() + (sum(client.run(time.process_time).values()) if client is not None else 0.0)


def measure(engine: str, fn, args, workers: int, repeat: int, client=None) -> dict:
    """Best of ``repeat`` runs of one engine: wall time, rate, per-task overhead (wall and CPU).

    CPU time does not depend on the load of the machine, wall time does: on a shared machine the CPU
    column is the engine's true cost (the pool's workers are not counted: ``-``).
    """
    best = None
    for _ in range(repeat):
        cpu = cpu_seconds(client)
        start = time.perf_counter()
        if engine == "sequential":
            rows = cluster.run(fn, args, jobs=1)
        elif engine == "pool":
            rows = [None] * len(args)
            cluster._on_process_pool(fn, args, workers, lambda i, r: rows.__setitem__(i, r))
        else:
            rows = cluster.run(fn, args, scheduler=client.scheduler.address)
        wall = time.perf_counter() - start
        cpu = None if engine == "pool" else (cpu_seconds(client) - cpu) / len(args)
        if best is None or wall < best["wall"]:
            inside = sum(r.seconds for r in rows)
            best = {"wall": wall, "rate": len(args) / wall, "inside": inside, "cpu": cpu,
                    "overhead": (workers * wall - inside) / len(args),
                    "median": statistics.median(r.seconds for r in rows),
                    "statuses": sorted(r.status for r in rows)}
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=4, help="copies of each of the 10 problems (default 4: 40)")
    parser.add_argument("--repeat", type=int, default=3, help="best of R runs (default 3)")
    opts = parser.parse_args()
    import distributed

    work = tempfile.mkdtemp(prefix="pscert-bench-cluster-")
    files = make_batch(work, opts.copies)
    out = os.path.join(work, "certs")
    os.makedirs(out)
    certify = [(f, True, os.path.join(out, os.path.basename(f)[:-5] + ".cert.json"), False) for f in files]
    empty = [(f,) for f in files] * 5

    load = os.getloadavg()
    results = {}
    results["sequential", 1] = measure("sequential", cluster.certify_task, certify, 1, opts.repeat)
    results["pool", 2] = measure("pool", cluster.certify_task, certify, 2, opts.repeat)
    results["pool", 1] = measure("pool", cluster.certify_task, certify, 1, opts.repeat)
    empties = {("pool", 1): measure("pool", noop, empty, 1, opts.repeat)}
    startup = {}
    for n in (1, 2):
        t = time.perf_counter()
        with distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                                      silence_logs=logging.CRITICAL) as lc, \
                distributed.Client(lc, set_as_default=False) as client:
            client.run(__import__, "proofs.generator")  # warm: imports happen once per worker
            startup[n] = time.perf_counter() - t
            results["dask", n] = measure("dask", cluster.certify_task, certify, n, opts.repeat, client)
            empties["dask", n] = measure("dask", noop, empty, n, opts.repeat, client)

    reference = results["sequential", 1]["statuses"]
    assert all(r["statuses"] == reference for r in results.values()), "engines disagree on the verdicts"
    print(f"load average before/after: {load[0]:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
          "(other jobs take cores from the workers: speed-ups need an idle machine)")
    print(f"{len(files)} problems ({', '.join(f'{s} {reference.count(s)}' for s in sorted(set(reference)))}); "
          f"median certify time {1000 * results['sequential', 1]['median']:.1f} ms; best of {opts.repeat}")
    print()
    print("| engine | workers | wall s | problems/s | speed-up vs 1 | overhead ms/task | overhead / median "
          "| CPU ms/task |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    median = results["sequential", 1]["median"]
    for (engine, n), r in results.items():
        one = results.get((engine, 1), r)
        print(f"| {engine} | {n} | {r['wall']:.2f} | {r['rate']:.1f} | {one['wall'] / r['wall']:.2f}× | "
              f"{1000 * r['overhead']:.1f} | {100 * r['overhead'] / median:.0f} % | {ms(r['cpu'])} |")
    print()
    print(f"LocalCluster start-up, warm-up included: 1 worker {startup[1]:.2f} s, 2 workers {startup[2]:.2f} s")
    print()
    print(f"Empty tasks ({len(empty)}): the engine's own cost")
    print()
    print("| engine | workers | tasks/s | overhead ms/task (wall) | CPU ms/task (all processes) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for (engine, n), r in empties.items():
        print(f"| {engine} | {n} | {r['rate']:.0f} | {1000 * r['overhead']:.2f} | {ms(r['cpu'])} |")


def ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{1000 * seconds:.2f}"


if __name__ == "__main__":
    main()
