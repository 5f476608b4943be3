"""What a verdict answers to the user's three questions, and the exit code of ``pscert certify``.

A user asks of the network they trained: did training reach a local minimum, is it isolated, is it the
best any one-hidden-layer network can do on this data? Each answer is ``True``, ``False`` or ``None``
(not proved either way). Scripts read them from ``certify --json`` (key ``answers``) and never need to
parse claim names; the exit code answers the first question (docs/SPEC.md §5):

======================================  ============  ========  ==============  =====
status and claim                        local_minimum isolated  global_minimum  exit
======================================  ============  ========  ==============  =====
CERTIFIED isolated_local_minimum        true          true      null            0
CERTIFIED nonisolated_local_minimum     true          false     null            0
CERTIFIED global_minimum                true          null      true            0
REFUTED not_a_local_minimum             false         false     false           1
REFUTED not_isolated                    null          false     null            3
REFUTED not_global_minimum              null          null      false           3
UNKNOWN                                 null          null      null            3
======================================  ============  ========  ==============  =====

``not_isolated`` proves a curve of constant loss through the point; whether the point is a local minimum
is then still open, so it does not answer the first question. A global minimum of all one-hidden-layer
networks is a global, hence local, minimum of the user's own network. A point that is no local minimum
is neither an isolated nor a global minimum.
"""

from __future__ import annotations

from typing import NamedTuple


class Answers(NamedTuple):
    """The three answers; ``None`` means not proved either way."""

    local_minimum: bool | None
    isolated: bool | None
    global_minimum: bool | None

    def to_json(self) -> dict[str, bool | None]:
        """The ``answers`` object of ``certify --json``."""
        return self._asdict()


UNANSWERED = Answers(None, None, None)

_BY_CLAIM: dict[tuple[str, str], Answers] = {
    ("CERTIFIED", "isolated_local_minimum"): Answers(True, True, None),
    ("CERTIFIED", "nonisolated_local_minimum"): Answers(True, False, None),
    ("CERTIFIED", "global_minimum"): Answers(True, None, True),
    ("REFUTED", "not_a_local_minimum"): Answers(False, False, False),
    ("REFUTED", "not_isolated"): Answers(None, False, None),
    ("REFUTED", "not_global_minimum"): Answers(None, None, False),
}

EXIT_MINIMUM, EXIT_NOT_MINIMUM, EXIT_UNDECIDED = 0, 1, 3


def answers(status: str, claim: str | None) -> Answers:
    """The answers a verdict gives; anything not in the table above answers nothing.

    >>> answers("CERTIFIED", "isolated_local_minimum")
    Answers(local_minimum=True, isolated=True, global_minimum=None)
    >>> answers("UNKNOWN", None).local_minimum is None
    True
    """
    return _BY_CLAIM.get((status, claim or ""), UNANSWERED)


def exit_code(found: Answers) -> int:
    """``certify``'s exit code from what was proved: 0 a local minimum, 1 not a local minimum, 3 not decided.

    >>> exit_code(answers("REFUTED", "not_a_local_minimum")), exit_code(answers("REFUTED", "not_isolated"))
    (1, 3)
    """
    local = found.local_minimum
    return EXIT_MINIMUM if local else EXIT_NOT_MINIMUM if local is False else EXIT_UNDECIDED


def merge(first: Answers, second: Answers) -> Answers:
    """Answers from two verdicts about the same point (e.g. a local and a global certificate).

    Each answer is the proved one; the two never contradict each other when both are checked, so a
    conflict is an internal error.

    >>> merge(Answers(True, True, None), Answers(True, None, True))
    Answers(local_minimum=True, isolated=True, global_minimum=True)
    """
    out = []
    for a, b in zip(first, second):
        if a is not None and b is not None and a != b:
            raise ValueError(f"contradictory answers {first} and {second}")
        out.append(a if a is not None else b)
    return Answers(*out)
