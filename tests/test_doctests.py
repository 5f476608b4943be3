"""Run the docstring examples of every library module as tests."""

import doctest
import importlib
import pkgutil

import pytest

import numeric
import proofs
import symbolic

MODULES = sorted(
    f"{pkg.__name__}.{info.name}"
    for pkg in (symbolic, numeric, proofs)
    for info in pkgutil.iter_modules(pkg.__path__)
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
