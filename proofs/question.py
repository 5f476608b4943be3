"""The user's question about a trained network, answered: a local verdict, then global optimality.

:func:`ask` is what ``pscert certify FILE`` runs:

1. the local verdict about the point the user trained (:func:`proofs.trained.certify_trained`: float dust
   snapped to the structure it approximates, the distance from the user's point proved), or about the
   exact point as given (``snap=False``, the verdict of :func:`proofs.generator.certify`);
2. for one hidden ReLU layer with a scalar output, unless the point is proved not to be a local minimum,
   the global verdict (:func:`proofs.methods.dual_cones.global_verdict`), with the user's point and its
   proved distance recorded in that certificate too;
3. the answers (:mod:`proofs.answers`) of both, merged.

A global verdict answers for the user's point only when its certificate's centre is within the
snapping reach of that point (the distance is proved; the reach is the one a snapped structure's centre
may have, :data:`proofs.trained.REACH` times the point's tolerance). A global certificate about a point
farther away (units sharing a pattern were merged into one) is reported with its distance, and answers
nothing about the user's point. A global minimum of all one-hidden-layer networks within reach is a
(global, so local) minimum of the user's network, which answers ``local_minimum`` too.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any, Callable, NamedTuple

from symbolic.problem import Params, Problem, parse_params

from .answers import Answers, answers, merge
from .assemble import Verdict
from .generator import certify
from .snap import Structure, tolerance
from .trained import REACH, certify_trained, with_origin

Progress = Callable[[str], None]


class Answer(NamedTuple):
    """The local verdict, the global verdict (``None`` when not asked), and what they answer together."""

    local: Verdict
    globally: Verdict | None
    answers: Answers

    def to_json(self) -> dict[str, Any]:
        """``certify --json``: the local verdict's keys, ``answers``, and ``global`` (a verdict or null)."""
        return {**self.local.to_json(), "answers": self.answers.to_json(),
                "global": None if self.globally is None else self.globally.to_json()}


def ask(problem: Problem, *, snap: bool = True, tol: float | None = None, refine: bool = True,
        global_check: bool = True, progress: Progress | None = None, local: Verdict | None = None) -> Answer:
    """Answer the user's three questions about ``problem.point``.

    Parameters
    ----------
    problem
        A problem with a point.
    snap
        Snap the point to the structure it approximates (default); ``False`` certifies the exact point.
    tol
        The snapping tolerance relative to ``max(1, ‖θ‖∞)`` (default: derived from the point).
    refine
        ``False`` certifies the point as given, without Newton refinement (and without snapping).
    global_check
        Also ask for global optimality where the theory applies (one hidden layer, scalar output).
    progress
        Called with short status messages.
    local
        A local verdict about ``problem.point`` already found and checked (a resumed batch reads it from its
        certificate): only the global question is asked.

    Returns
    -------
    Answer
        Every verdict in it was re-checked by the trusted checker (not inside
        :func:`proofs.assemble.without_recheck`, where the facts say ``not_rechecked``).
    """
    say = progress or (lambda _msg: None)
    if local is None:
        local = certify_trained(problem, tol, refine, say) if snap else certify(problem, refine=refine, progress=say)
    found = answers(local.status, local.claim)
    if not global_check or not _global_applies(problem) or found.local_minimum is False:
        return Answer(local, None, found)
    say("asking whether any one-hidden-layer network of any width does better")
    assert problem.point is not None
    theta = problem.flatten(problem.point)
    reach = Fraction(REACH * tolerance(problem, theta, tol).tol)
    globally = global_verdict_about(problem, tol, say)
    if not _within(globally, reach) and local.certificate is not None and "origin_distance" in local.certificate:
        # The local verdict's centre is the critical point of the structure the point approximates (farther
        # than the snapping tolerance where training stopped far from it), while the global search from the
        # point itself may merge or move units elsewhere: ask there too. Its answer speaks for the user's
        # point as far as the local verdict does, so the reach grows by the local verdict's proved distance.
        centre = parse_params(local.certificate["center"], problem, "center")
        if problem.flatten(centre) != theta:
            say("asking again at the local verdict's centre")
            again = global_verdict_about(problem, tol, say, at=centre)
            if again.certificate is not None and (globally.certificate is None or again.status != "UNKNOWN"):
                globally = again
                reach += Fraction(local.certificate["origin_distance"])
    if globally.certificate is None:
        return Answer(local, globally, found)
    D = Fraction(globally.certificate["origin_distance"])
    if D > reach:
        globally.reason += (" — about a point that is not within reach of yours (units were merged or moved more "
                            "than the snapping tolerance), so it answers nothing about your point")
        return Answer(local, globally, found)
    said = answers(globally.status, globally.claim)
    if said.global_minimum:
        said = said._replace(local_minimum=True)
    try:
        return Answer(local, globally, merge(found, said))
    except ValueError:   # two checked certificates about different nearby points: say nothing rather than guess
        return Answer(local, globally, found)


def global_verdict_about(problem: Problem, tol: float | None, say: Progress, at: Params | None = None) -> Verdict:
    """The global verdict (at the point ``at``, by default the problem's), with the user's point and its
    proved distance in the certificate."""
    from .methods.dual_cones import global_verdict

    v = global_verdict(problem if at is None else problem.with_point(at), say)
    if v.certificate is None:
        return v
    return with_origin(problem, v, Structure(), [])


def _within(v: Verdict, reach: Fraction) -> bool:
    """Whether ``v`` is decided about a point within ``reach`` of the user's."""
    return (v.status != "UNKNOWN" and v.certificate is not None
            and Fraction(v.certificate["origin_distance"]) <= reach)


def _global_applies(problem: Problem) -> bool:
    return (problem.depth == 1 and problem.widths[-1] == 1 and problem.activation == "relu"
            and problem.weight_decay > 0 and (not problem.biases or problem.decay_biases))
