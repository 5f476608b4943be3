"""The trusted checker stays strictly typed (setup.cfg: ``[mypy-proofs.*] strict = True``)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_checker_is_strictly_typed():
    proc = subprocess.run([sys.executable, "-m", "mypy", "proofs/checker"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
