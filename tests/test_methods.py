"""Every evidence method the checker knows has one home: a generator module that builds its evidence,
a registered LaTeX renderer in that module, and a section of ``proofs/FORMAT.md``.

The checker's table (``proofs.checker.METHODS``) is the only list of methods; these tests read it and
the repository, so a method added to the checker without the rest fails here, by name.
"""

import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import proofs.methods
from proofs import checker
from proofs.methods import renderer, renderers, renders

ROOT = Path(__file__).parent.parent
PROOFS = ROOT / "proofs"
METHODS = sorted(checker.METHODS)


def builds(method: str, text: str) -> bool:
    """Whether the source ``text`` writes an evidence object of ``method``."""
    return re.search(r'"method":\s*"' + re.escape(method) + '"', text) is not None


def generator_sources() -> dict[Path, str]:
    """Every generator-side module (the trusted checker excluded)."""
    return {path: path.read_text(encoding="utf-8") for path in PROOFS.rglob("*.py")
            if "checker" not in path.relative_to(PROOFS).parts}


@pytest.mark.parametrize("method", METHODS)
def test_method_has_a_generator_module_that_builds_its_evidence(method):
    module = importlib.import_module(f"proofs.methods.{method}")
    assert builds(method, Path(module.__file__).read_text(encoding="utf-8"))


def test_evidence_of_a_method_is_built_in_its_own_module_only():
    for path, text in generator_sources().items():
        for method in METHODS:
            if builds(method, text):
                assert path == PROOFS / "methods" / f"{method}.py", f"{path} builds {method} evidence"


@pytest.mark.parametrize("method", METHODS)
def test_method_has_its_registered_renderer(method):
    fn = renderer(method)
    assert fn is not None and fn.__module__ == f"proofs.methods.{method}"


@pytest.mark.parametrize("method", METHODS)
def test_method_has_a_format_section(method):
    headings = [line for line in (PROOFS / "FORMAT.md").read_text(encoding="utf-8").splitlines()
                if line.startswith("## ")]
    assert any(f'evidence.method = "{method}"' in line for line in headings)


def test_method_modules_and_renderers_are_exactly_the_checkers_methods():
    modules = {info.name for info in pkgutil.iter_modules(proofs.methods.__path__)}
    assert modules == set(METHODS)
    assert set(renderers()) == set(METHODS)


def test_document_assembly_names_no_method():
    """Adding a method must not require editing the generic LaTeX modules: none names a method in code."""
    for name in ("latex.py", "latex_setting.py", "latex_format.py", "latex_lemmas.py"):
        text = (PROOFS / name).read_text(encoding="utf-8")
        named = [m for m in METHODS if f'"{m}"' in text or f"'{m}'" in text or f"methods.{m}" in text
                 or re.search(rf"import .*\b{m}\b", text)]
        assert named == [], name


def test_unknown_method_has_no_renderer():
    assert renderer("no_such_method") is None


def test_a_second_renderer_for_a_method_is_refused():
    with pytest.raises(ValueError, match="two LaTeX renderers"):
        renders("curve")(lambda doc: doc)
    assert renderer("curve").__module__ == "proofs.methods.curve"
