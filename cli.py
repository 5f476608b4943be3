"""The ``pscert`` command line: parse, call, print. No mathematics lives here."""

from __future__ import annotations

import decimal
import json
import os
import sys
import tempfile
import traceback
from fractions import Fraction
from typing import Any

import click

from symbolic.exceptions import PscertError

EXIT_USAGE = 2


class _Group(click.Group):
    """Turns pscert's errors into one ``Error: …`` line on stderr with exit code 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (PscertError, OSError) as err:
            if ctx.params.get("debug"):
                traceback.print_exc()
            message = str(err) if isinstance(err, PscertError) else f"{getattr(err, 'filename', '') or ''}: {err.strerror or err}"
            click.echo(f"Error: {message}", err=True)
            ctx.exit(EXIT_USAGE)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="pscert")
def main(debug: bool) -> None:
    """pscert: exact proofs about the loss surface of small ReLU networks."""


# ---------------------------------------------------------------------------------------------------
# output helpers


def emit_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2))


def approx(q: Fraction | None) -> str:
    """Exact value with a short decimal beside it, for reading only."""
    from symbolic.rationals import canonical

    if q is None:
        return "-"
    text = canonical(q)
    if q.denominator == 1 and len(text) < 16:
        return text
    short = text if len(text) <= 40 else f"{text[:18]}…{text[-18:]}"
    try:
        near = float(q)
    except OverflowError:
        near = 0.0
    if near == 0 and q:  # beyond the float range (past 1e308, or a tiny nonzero value): Decimal
        with decimal.localcontext() as ctx:
            ctx.prec, ctx.Emax, ctx.Emin = 6, decimal.MAX_EMAX, decimal.MIN_EMIN
            return f"{short} (≈ {(decimal.Decimal(q.numerator) / q.denominator).normalize():.6g})"
    return f"{short} (≈ {near:.6g})"


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename: never a half-written file."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pscert-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _load(path: str):
    from symbolic.problem import load_problem

    return load_problem(path)


def _need_point(problem, path: str):
    from symbolic.exceptions import ProblemError

    if problem.point is None:
        raise ProblemError("point", "missing: this command needs a point", path)


# ---------------------------------------------------------------------------------------------------
# inspect


@main.command()
@click.argument("problem_file", metavar="PROBLEM")  # load_problem reports a directory in one line
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def inspect(problem_file: str, as_json: bool) -> None:
    """Architecture, loss at the point, activation pattern, boundary points, margins."""
    from symbolic.inspect import summary

    problem = _load(problem_file)
    _need_point(problem, problem_file)
    info = summary(problem)
    if as_json:
        emit_json(info.to_json())
        return
    for line in info.lines(approx):
        click.echo(line)
