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


def _imports(path: Path, package: str) -> set[str]:
    """Modules of ``package`` that ``path`` imports anywhere (top level or inside functions)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = f"{package}." if node.level == 1 else ("" if node.level == 0 else None)
            if base is not None and node.module:
                found.add((base + node.module).split(".")[1] if (base + node.module).startswith(package + ".") else "")
        elif isinstance(node, ast.Import):
            found |= {a.name.split(".")[1] for a in node.names if a.name.startswith(package + ".")}
    return found - {""}


def test_symbolic_modules_import_each_other_without_cycles():
    """Also through imports inside functions (threshold and threshold_gap used to import each other)."""
    import networkx as nx

    graph = nx.DiGraph()
    for path in sorted((ROOT / "symbolic").glob("*.py")):
        graph.add_node(path.stem)
        graph.add_edges_from((path.stem, target) for target in _imports(path, "symbolic"))
    assert graph.has_edge("threshold", "threshold_gap") and graph.number_of_edges() > 20
    assert nx.is_directed_acyclic_graph(graph), nx.find_cycle(graph)
