"""Which code a benchmark measured: shared by the scripts under ``bench/``."""

from __future__ import annotations

import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def commit() -> str:
    """The short hash of HEAD, flagged when ``symbolic/`` or ``proofs/`` differ from it."""
    if os.environ.get("PSCERT_COMMIT"):  # e.g. when run from a `git archive` export, which has no .git
        return os.environ["PSCERT_COMMIT"]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "symbolic", "proofs"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" + uncommitted changes in symbolic/ or proofs/" if dirty else "")
