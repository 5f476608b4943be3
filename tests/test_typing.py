"""Types and layering: mypy is clean on the library, the checker strictly; the exact side never imports floats' package."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _mypy(*targets: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mypy", *targets], cwd=ROOT, capture_output=True, text=True)


def test_library_and_cli_are_type_clean():
    """mypy (setup.cfg's settings) over the exact side, the float side and the command line."""
    proc = _mypy("symbolic", "proofs", "numeric", "cli.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success: no issues found" in proc.stdout


def test_checker_is_strictly_typed():
    proc = _mypy("proofs/checker")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_exact_side_never_imports_numeric():
    """Importing every module of symbolic/ and proofs/ (and the checker) loads nothing from numeric/."""
    code = (
        "import importlib, pkgutil, sys\n"
        "import symbolic, proofs\n"
        "for pkg in (symbolic, proofs):\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'numeric' or m.startswith('numeric.'))\n"
        "print(len([m for m in sys.modules if m.startswith(('symbolic.', 'proofs.'))]), loaded)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    count, loaded = proc.stdout.split(" ", 1)
    assert int(count) > 20  # the walk really imported the packages
    assert loaded.strip() == "[]"
