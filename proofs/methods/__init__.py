"""One home per evidence method: each module of this package finds its evidence and typesets its proof.

A method module ``proofs.methods.<name>`` (named after its ``evidence.method``) holds the search that
builds the evidence (called by the decision procedure, :mod:`proofs.generator`) and the LaTeX section
of its proof, registered here with :func:`renders`. The document assembly (:mod:`proofs.latex`) asks
:func:`renderer` for the method of a certificate and knows no method by name, so adding a method means
adding its module (with its checker rule, its ``proofs/FORMAT.md`` section and its tests), nothing else.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from ..latex_setting import Doc, Parts

Renderer = Callable[["Doc"], "Parts"]

_RENDERERS: dict[str, Renderer] = {}


def renders(method: str) -> Callable[[Renderer], Renderer]:
    """Register the decorated function as the LaTeX proof of evidence ``method`` (one per method)."""
    def register(fn: Renderer) -> Renderer:
        if _RENDERERS.get(method, fn) is not fn:
            raise ValueError(f"evidence method {method!r} has two LaTeX renderers")
        _RENDERERS[method] = fn
        return fn
    return register


def renderers() -> dict[str, Renderer]:
    """Every registered renderer by evidence method (importing each method module once)."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return dict(_RENDERERS)


def renderer(method: str) -> Renderer | None:
    """The LaTeX proof of evidence ``method``, or ``None`` if no method module registers one."""
    return renderers().get(method)
