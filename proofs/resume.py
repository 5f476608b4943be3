"""Resuming a batch: which problems already have a certificate that can be trusted again.

A certificate in the output directory is reused (``--resume``) only when three things hold:

1. it records, in ``producer.problem_sha256``, the hash of *exactly* this problem
   (:func:`problem_sha256`: data, architecture, loss and point in canonical rational form);
2. the trusted checker accepts it (:func:`proofs.checker.check_file`);
3. the checker also finds it to be about the problem file (``--problem``: same data, architecture and
   loss).

The hash is a cache key, not evidence: it only decides whether to skip work. Every reused
certificate is re-checked, so a stale, edited or truncated file is recomputed, never trusted. The
hash binds the point as well, which the checker cannot (a certificate's centre is the refined point,
not the one in the file): a problem whose starting point changed is certified afresh.

Whether the point was refined is not part of the hash: a certificate that passes the checker proves
its claim however it was found.

Only the local certificate is reused. The global question (one hidden layer, one output) is asked again,
as are the answers of the row (:func:`proofs.batch.certify_file`), so that certificates of runs written
before batches asked it still resume, and every answer in a summary rests on a verdict of this run.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from symbolic.files import write_atomic
from symbolic.problem import Problem, load_problem, problem_to_json

from . import checker
from .assemble import Verdict

HASH_KEY = "problem_sha256"


def problem_sha256(problem: Problem) -> str:
    """SHA-256 of the normalised problem: canonical JSON (sorted keys, no spaces) without its name.

    Numbers are canonical rational strings (:func:`symbolic.problem.problem_to_json`), so ``"0.5"``,
    ``"1/2"`` and ``"2/4"`` in a problem file give the same hash; the name is a label, not the problem.

    Examples
    --------
    >>> from symbolic.problem import parse_problem
    >>> obj = {"format": "pscert.problem/1", "network": {"widths": [1, 1, 1], "biases": False},
    ...        "loss": {"weight_decay": "1/4"}, "data": {"inputs": [["1"]], "targets": [["1"]]},
    ...        "point": {"weights": [[["0.5"]], [["1"]]]}}
    >>> a = problem_sha256(parse_problem(obj))
    >>> obj["point"]["weights"][0] = [["2/4"]]; obj["name"] = "renamed"
    >>> a == problem_sha256(parse_problem(obj)), len(a)
    (True, 64)
    """
    normal = problem_to_json(problem, with_point=True)
    normal.pop("name", None)
    text = json.dumps(normal, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def file_sha256(path: str) -> str:
    """:func:`problem_sha256` of a problem file.

    Raises
    ------
    ProblemError
        The file cannot be read or is not a valid problem.
    """
    return problem_sha256(load_problem(path))


def stamp(cert_path: str, digest: str) -> None:
    """Record ``digest`` as ``producer.problem_sha256`` in the certificate file, atomically.

    The checker ignores the ``producer`` block's contents, so the stamp changes no verdict.
    """
    with open(cert_path, encoding="utf-8") as fh:
        cert = json.load(fh)
    producer = cert.get("producer")
    cert["producer"] = {**(producer if isinstance(producer, dict) else {}), HASH_KEY: digest}
    write_atomic(cert_path, json.dumps(cert, indent=1) + "\n")


def recorded_sha256(cert_path: str) -> str | None:
    """The ``producer.problem_sha256`` of a certificate file, or ``None`` (missing, unreadable, not JSON)."""
    try:
        with open(cert_path, encoding="utf-8") as fh:
            cert = json.load(fh)
    except (OSError, ValueError):
        return None
    producer = cert.get("producer") if isinstance(cert, dict) else None
    digest = producer.get(HASH_KEY) if isinstance(producer, dict) else None
    return digest if isinstance(digest, str) else None


def resumed_verdict(problem_path: str, cert_path: str, digest: str) -> Verdict | None:
    """The local verdict of a problem whose certificate can be reused, or ``None`` if it must be certified.

    Reused means: ``cert_path`` exists, records ``digest`` and passes the checker against
    ``problem_path``. The verdict's reason says the certificate was reused; status, claim and
    certificate are the certificate's own.
    """
    if not os.path.isfile(cert_path) or recorded_sha256(cert_path) != digest:
        return None
    try:
        line = checker.check_file(cert_path, problem_path)
    except checker.CheckerError:
        return None
    with open(cert_path, encoding="utf-8") as fh:
        cert: dict[str, Any] = json.load(fh)
    return Verdict(str(cert["status"]), "resumed: the certificate exists and passes the checker "
                   f"({line[len('VALID: '):]})", str(cert["claim"]), cert)
