"""The ``pscert`` command line: parse, call, print. No mathematics lives here."""

from __future__ import annotations

import contextlib
import decimal
import json
import os
import sys
import time
import traceback
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Iterator, NoReturn, Sequence

import click

from symbolic.exceptions import PscertError
from symbolic.files import dumps_certificate, write_atomic

if TYPE_CHECKING:
    from symbolic.problem import Problem

EXIT_USAGE = 2


class _Group(click.Group):
    """Turns pscert's errors, and click's usage errors, into one ``Error: …`` line on stderr, exit code 2."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as err:
            where = f"{err.ctx.command_path}: " if err.ctx is not None else ""
            click.echo(f"Error: {where}{' '.join(err.format_message().split())}", err=True)
            sys.exit(EXIT_USAGE)
        except click.ClickException as err:
            err.show()
            sys.exit(err.exit_code)
        except click.Abort:  # Ctrl-C (click turns KeyboardInterrupt into Abort): never a verdict's exit code
            click.echo("Aborted!", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)

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
# output helpers and parameter types


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


def load(path: str, needs_point: bool = False) -> Problem:
    """The problem in ``path``; with ``needs_point``, one that has a point (else a one-line ProblemError)."""
    from symbolic.exceptions import ProblemError
    from symbolic.problem import load_problem

    problem = load_problem(path)
    if needs_point and problem.point is None:
        raise ProblemError("point", "missing: this command needs a point", path)
    return problem


class ProblemFile(click.ParamType):  # type: ignore[type-arg,unused-ignore]  # generic from click 8.2 on
    """A problem file's path on the command line, loaded (and checked for a point if required)."""

    name = "problem"

    def __init__(self, needs_point: bool = False):
        self.needs_point = needs_point

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        return value if not isinstance(value, str) else load(value, self.needs_point)


PROBLEM = ProblemFile()
PROBLEM_WITH_POINT = ProblemFile(needs_point=True)


def _rational(where: str) -> Callable[[click.Context, click.Parameter, str | None], Fraction | None]:
    """A click callback that reads an option as an exact rational (errors name ``where``)."""
    def read(_ctx: click.Context, _param: click.Parameter, text: str | None) -> Fraction | None:
        from symbolic.rationals import parse_rational

        return parse_rational(text, where) if text is not None else None
    return read


# ---------------------------------------------------------------------------------------------------
# certify and check

EXIT_STATUS = {"CERTIFIED": 0, "REFUTED": 1, "UNKNOWN": 3}
EXIT_INTERRUPTED = 130
"""128 + SIGINT, the shell's convention; never a verdict's code."""


@main.command()
@click.argument("problem_files", metavar="PROBLEM...", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "out", type=click.Path(),
              help="Write the certificate here (atomically); an UNKNOWN verdict has none, and a note on stderr says "
              "nothing was written. With several problems or a directory: a directory (created if missing) for "
              "<stem>.cert.json [batch default: beside each problem].")
@click.option("--no-refine", is_flag=True, help="Certify the point as given, without Newton refinement.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict (and certificate) as JSON; for a batch, "
              "the summary object.")
@click.option("-q", "--quiet", is_flag=True, help="No progress messages (or progress bar) on stderr.")
@click.option("--summary", type=click.Path(dir_okay=False),
              help="Write a per-problem table (file, status, claim, radius, mu, seconds, reason, certificate, "
              "local_minimum, isolated, global_minimum) to FILE.csv, FILE.jsonl or FILE.json, atomically; a batch "
              "adds each row as it finishes.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Batch: certify this many problems at once, in separate processes (a dask LocalCluster "
              "when dask is installed).")
@click.option("--scheduler", metavar="ADDRESS", help="Batch: run the problems on this dask.distributed scheduler "
              "(tcp://host:8786) instead of local processes; needs the dask extra.")
@click.option("--resume", is_flag=True, help="Batch: skip a problem whose certificate exists, records this "
              "problem's hash and passes the checker.")
@click.option("--exact-point", is_flag=True, help="Certify the exact point as given: do not snap float dust (dead "
              "units, near-kinks, near-proportional units) to the structure it approximates.")
@click.option("--snap-tol", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Snapping tolerance relative to max(1, |θ|∞) [default: from the point's dtype, size and gradient].")
@click.option("--no-global", is_flag=True, help="Do not ask whether a wider one-hidden-layer network does better.")
@click.option("--no-check", is_flag=True, help="Do not run the checker on the certificates (about a third of the "
              "time): the verdict is the generator's alone until `pscert check` accepts the file. One file only.")
def certify(problem_files: tuple[str, ...], out: str | None, no_refine: bool, as_json: bool, quiet: bool,
            summary: str | None, jobs: int, scheduler: str | None, resume: bool, exact_point: bool,
            snap_tol: float | None, no_global: bool, no_check: bool) -> None:
    """Did training reach a local minimum? Is it isolated? Is it global? Prove or refute it.

    The point is snapped to the structure it approximates (dead units, kinks, split units), refined, and
    certified; the certificate records your point and the proved distance from it. For one hidden layer
    and one output, global optimality over every width is asked too (certificate: -o's stem + .global.json).

    \b
    Exit code (the answer to "is it a local minimum?"): 0 yes, 1 no, 3 not decided
    (e.g. not isolated, minimality open), 2 bad input, 130 interrupted. --json carries
    answers {local_minimum, isolated, global_minimum}, each true, false or null.
    The last line starts with the status of the local verdict.

    \b
    Batch: several PROBLEM files, or a directory (its *.json files sorted by name,
    *.cert.json skipped). A file that cannot be read or certified is an ERROR row and
    the batch goes on. Certificates go to -o DIR, else beside each problem
    (<stem>.cert.json, the global one <stem>.global.cert.json). Rows are printed in
    input order (whatever --jobs); the last line is
    `SUMMARY: n CERTIFIED, n REFUTED, n UNKNOWN, n ERROR`. Exit code 0 if every
    problem was decided (CERTIFIED or REFUTED), 3 if any is UNKNOWN, 2 if any is ERROR.
    --summary and --json rows carry each problem's answers as certify FILE --json does.
    Progress (done/total, rate, ETA) and a table by verdict go to stderr. --resume
    reuses the local certificates of an earlier run of the same batch (the global
    question is asked again). Ctrl-C stops the workers, reports the problems that
    finished (the summary keeps them), exits 130.
    """
    from proofs import batch

    if summary:
        batch.summary_kind(summary)  # a bad extension fails before any work
    if len(problem_files) > 1 or os.path.isdir(problem_files[0]):
        if no_check:
            raise click.UsageError("--no-check: applies to one file only; a batch always runs the checker on each "
                                   "certificate (its summary and --resume rely on that)")
        _certify_batch(problem_files, out, not no_refine, as_json, quiet, summary, jobs, scheduler, resume,
                       not no_global)
    _batch_only(scheduler=scheduler, resume=resume)
    if out and os.path.isdir(out):  # as click.Path(dir_okay=False) reported it before batches existed
        raise click.BadParameter(f"File {out!r} is a directory.", param_hint="'-o' / '--output'")
    _certify_one(problem_files[0], out, not no_refine, as_json, quiet, summary, not exact_point, snap_tol,
                 not no_global, not no_check)


def _certify_one(path: str, out: str | None, refine: bool, as_json: bool, quiet: bool, summary: str | None,
                 snap: bool, snap_tol: float | None, global_check: bool, recheck: bool = True) -> NoReturn:
    """``certify`` on one problem: the answers, the certificates (local, and global beside it), the exit code."""
    from proofs import batch
    from proofs.answers import exit_code
    from proofs.assemble import without_recheck
    from proofs.question import ask

    start = time.perf_counter()
    problem = load(path, needs_point=True)
    progress = None if quiet or as_json else (lambda msg: click.echo(f"  … {msg}", err=True))
    with contextlib.nullcontext() if recheck else without_recheck():
        answer = ask(problem, snap=snap, tol=snap_tol, refine=refine, global_check=global_check, progress=progress)
    verdict = answer.local
    if not recheck and verdict.certificate is not None and not quiet:
        click.echo("note: --no-check: the checker has not run on this certificate; run `pscert check` on it before "
                   "relying on the verdict", err=True)
    saved = out if out and verdict.certificate is not None else None
    if saved:
        write_atomic(saved, dumps_certificate(verdict.certificate))
    elif out:
        click.echo(f"note: nothing written to {out}: an {verdict.status} verdict has no certificate", err=True)
    saved_global = _global_path(out) if out and answer.globally and answer.globally.certificate else None
    if saved_global and answer.globally is not None:
        write_atomic(saved_global, dumps_certificate(answer.globally.certificate))
    if summary:
        batch.write_summary([batch.row_for(path, verdict, time.perf_counter() - start, saved, answer.answers)], summary)
    if as_json:
        emit_json(answer.to_json())
    else:
        _print_answer(answer, out, saved_global)
    sys.exit(exit_code(answer.answers))


def _global_path(out: str) -> str:
    """Where the global certificate goes beside ``-o FILE``: ``stem.global.json``."""
    stem = out[:-5] if out.endswith(".json") else out
    return stem + ".global.json"


def _print_answer(answer: Any, out: str | None, saved_global: str | None) -> None:
    g = answer.globally
    if g is not None:
        where = f" [{saved_global}]" if saved_global else ""
        click.echo(f"{'global:':<22}{g.status}" + (f" {g.claim}" if g.claim else "") + f": {g.reason}{where}")
    a = answer.answers
    click.echo(f"{'answers:':<22}" + ", ".join(f"{k.replace('_', ' ')} {_yes_no(v)}" for k, v in a._asdict().items()))
    _print_verdict(answer.local, out)


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def _print_verdict(verdict: Any, out: str | None) -> None:
    for key, value in verdict.facts.items():
        if key not in ("checker", "attempts") and value not in ("", None, [], ()):
            click.echo(f"{key.replace('_', ' ') + ':':<22}{_readable(value)}")
    if verdict.certificate is not None:
        click.echo(f"{'certificate:':<22}{out if out else '(not saved; use -o FILE)'}")
    click.echo(f"{verdict.status}: " + (f"{verdict.claim}: " if verdict.claim else "") + verdict.reason)


def _batch_only(**given: Any) -> None:
    """Refuse, in one line, options that only a batch understands when the input is one file."""
    for name, value in given.items():
        if value:
            raise click.UsageError(f"--{name}: applies to batches only (several files or a directory)")


def _certify_batch(inputs: tuple[str, ...], out: str | None, refine: bool, as_json: bool, quiet: bool,
                   summary: str | None, jobs: int, scheduler: str | None, resume: bool,
                   global_check: bool = True) -> NoReturn:
    """``certify`` on several problems (:func:`proofs.cluster.certify_batch`): progress on stderr, one line
    per problem, SUMMARY last."""
    from proofs import batch, cluster

    rows, interrupted = _run_batch(lambda progress: cluster.certify_batch(
        inputs, refine, out, jobs=jobs, scheduler=scheduler, resume=resume, summary=summary, progress=progress,
        beside=out is None, global_check=global_check), quiet or as_json, "certify", batch.STATUSES)
    if as_json:
        emit_json(batch.summary_json(rows))
    else:
        for r in rows:
            head = f"{r.status}: " + (f"{r.claim}: " if r.claim else "")
            click.echo(f"{r.file} ({r.seconds:.2f} s): {head}{r.reason}")
        if out is None and any(r.certificate for r in rows):
            click.echo("certificates: beside each problem, as <stem>.cert.json (-o DIR puts them elsewhere)", err=True)
        click.echo(batch.summary_line(rows))
    if interrupted is not None:
        click.echo(str(interrupted), err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(batch.exit_code(rows))


def _run_batch(start: Callable[[Any], list[Any]], quiet: bool, label: str,
               statuses: Sequence[str]) -> tuple[list[Any], BaseException | None]:
    """Run a batch with progress on stderr, then its table by verdict; the rows, and the interrupt if Ctrl-C
    stopped it (the rows are then those that finished)."""
    from proofs.batch import Interrupted
    from proofs.summary_log import verdict_table

    shown = None if quiet else _BatchProgress(label)
    begun = time.perf_counter()
    interrupted = None
    try:
        rows = start(shown)
    except Interrupted as stop:
        rows, interrupted = stop.rows, stop
    finally:
        if shown is not None:
            shown.close()
    if not quiet and rows:
        wall = time.perf_counter() - begun
        click.echo(f"{label}: {len(rows)} in {wall:.1f} s ({len(rows) / wall:.2f}/s)", err=True)
        for line in verdict_table(rows, statuses):
            click.echo(line, err=True)
    return rows, interrupted


class _BatchProgress:
    """A batch's progress on stderr (done/total, rate, ETA, the last row): one line rewritten in place at
    a terminal, a line per finished row otherwise (a log keeps them all)."""

    def __init__(self, label: str):
        self.label, self.width = label, 0
        self.terminal = sys.stderr.isatty()

    def __call__(self, progress: Any) -> None:
        text = f"{self.label}: {progress.line()}"
        if self.terminal:
            click.echo("\r" + text.ljust(self.width), err=True, nl=False)
            self.width = len(text)
        else:
            click.echo(text, err=True)

    def close(self) -> None:
        if self.terminal and self.width:
            click.echo(err=True)


@contextlib.contextmanager
def _progress(quiet: bool, total: int, label: str) -> Iterator[Any]:
    """A click progress bar on stderr, or ``None`` when quiet. Callers pass ``"done/total what"`` as the item,
    so that it reads as progress: ``regions: 3/12 units  [####----]``."""
    if quiet:
        yield None
        return
    with click.progressbar(length=total, label=f"{label}:", file=sys.stderr, show_percent=False, show_eta=False,
                           item_show_func=lambda item: item, bar_template="%(label)s %(info)s  [%(bar)s]") as bar:
        yield bar


def _readable(value: Any) -> str:
    """Canonical rationals with a decimal beside them; anything else as it is."""
    if isinstance(value, str):
        try:
            return approx(Fraction(value))
        except (ValueError, ZeroDivisionError):
            return value
    if isinstance(value, list):
        return "(" + ", ".join(_readable(v) for v in value) + ")"
    return str(value)


@main.command()
@click.argument("cert_files", metavar="CERT...", nargs=-1, required=True, type=click.Path())
@click.option("--problem", "problem_file", type=click.Path(),
              help="Also require the certificate(s) to be about this problem.")
@click.option("--json", "as_json", is_flag=True, help='Print {"valid": …, "step": …, "message": …} as JSON; for a '
              "batch, the summary object.")
@click.option("-q", "--quiet", is_flag=True, help="Batch: no progress on stderr.")
@click.option("--summary", type=click.Path(dir_okay=False),
              help="Batch: a per-certificate table to FILE.csv, FILE.jsonl or FILE.json, row by row.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Batch: check this many certificates at once, in separate processes.")
@click.option("--scheduler", metavar="ADDRESS", help="Batch: check on this dask.distributed scheduler "
              "(tcp://host:8786); needs the dask extra.")
def check(cert_files: tuple[str, ...], problem_file: str | None, as_json: bool, quiet: bool, summary: str | None,
          jobs: int, scheduler: str | None) -> None:
    """Re-check a certificate independently (exit 0 valid, 1 invalid, 2 unreadable).

    \b
    Batch: several CERT files, or a directory (its *.cert.json files sorted by name).
    One line per certificate, in input order, then `SUMMARY: n VALID, n INVALID, n ERROR`.
    Exit code 0 if all are valid, 1 if any is INVALID, 2 if any is unreadable (ERROR).
    """
    from proofs import checker

    if len(cert_files) > 1 or os.path.isdir(cert_files[0]):
        _check_batch(cert_files, problem_file, as_json, quiet, summary, jobs, scheduler)
    _batch_only(summary=summary, scheduler=scheduler)
    cert_file = cert_files[0]
    try:
        line = checker.check_file(cert_file, problem_file)
    except checker.CertificateUnreadable as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    except checker.CertificateInvalid as err:
        if as_json:
            emit_json({"valid": False, "step": err.step, "message": str(err), "line": f"INVALID: {err}"})
        else:
            click.echo(f"INVALID: {err}")
        sys.exit(1)
    if as_json:
        emit_json({"valid": True, "step": None, "message": line[len("VALID: "):], "line": line})
    else:
        click.echo(line)


def _check_batch(inputs: tuple[str, ...], problem: str | None, as_json: bool, quiet: bool, summary: str | None,
                 jobs: int, scheduler: str | None) -> NoReturn:
    """``check`` on several certificates (:func:`proofs.cluster.check_batch`): a line each, SUMMARY last."""
    from proofs import batch, cluster, summary_log

    if summary:
        batch.summary_kind(summary)  # a bad extension fails before any work
    rows, interrupted = _run_batch(lambda progress: cluster.check_batch(
        inputs, problem, jobs=jobs, scheduler=scheduler, summary=summary, progress=progress),
        quiet or as_json, "check", cluster.CHECK_STATUSES)
    tally = summary_log.counts(rows, cluster.CHECK_STATUSES)
    if as_json:
        emit_json(summary_log.document(rows, cluster.CHECK_STATUSES))
    else:
        for r in rows:
            click.echo(f"{r.file}: {r.status}: {r.reason}")
        click.echo("SUMMARY: " + ", ".join(f"{n} {s}" for s, n in tally.items()))
    if interrupted is not None:
        click.echo(str(interrupted), err=True)
        sys.exit(EXIT_INTERRUPTED)
    sys.exit(EXIT_USAGE if tally["ERROR"] else 1 if tally["INVALID"] else 0)


# ---------------------------------------------------------------------------------------------------
# inspect


@main.command()
@click.argument("problem", metavar="PROBLEM", type=PROBLEM_WITH_POINT)  # load_problem reports a directory
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def inspect(problem: Problem, as_json: bool) -> None:
    """Architecture, loss at the point, activation pattern, boundary points, margins."""
    from symbolic.inspect import summary

    info = summary(problem)
    if as_json:
        emit_json(info.to_json())
        return
    for line in info.lines(approx):
        click.echo(line)


# ---------------------------------------------------------------------------------------------------
# demo


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="pscert-demo", show_default=True,
              help="Directory for the demo's certificate (and proof).")
def demo(out_dir: str) -> None:
    """Run the main job on a built-in example and show what was proved."""
    from importlib.resources import files

    from proofs import checker
    from proofs.generator import certify as run
    from proofs.latex import pdflatex_available, write_proof
    from symbolic.inspect import summary
    from symbolic.problem import parse_problem
    from symbolic.rationals import loads

    text = files("symbolic").joinpath("examples/chain.json").read_text(encoding="utf-8")
    problem = parse_problem(loads(text))
    click.echo("pscert demo: the scalar chain f(x) = b·relu(a·x), one sample x = y = 1, weight decay λ = 1/4.")
    click.echo("L(a, b) = (b·relu(a) − 1)² + (a² + b²)/4 has its minimum at a = b = √3/2 (irrational).\n")
    for line in summary(problem).lines(approx):
        click.echo("  " + line)
    click.echo("\nCertifying (refine to a critical point, exact Hessian, ball certificate, independent check):")
    verdict = run(problem, progress=lambda msg: click.echo(f"  … {msg}", err=True))
    os.makedirs(out_dir, exist_ok=True)
    cert_path = os.path.join(out_dir, "chain.cert.json")
    if verdict.certificate is not None:
        write_atomic(cert_path, dumps_certificate(verdict.certificate))
        click.echo(f"  certificate written to {cert_path}")
        click.echo(f"  independent check: {checker.check_file(cert_path)}")
        click.echo(f"  re-check it yourself: pscert check {cert_path}")
        with open(cert_path, "rb") as fh:
            written = write_proof(verdict.certificate, fh.read(), os.path.join(out_dir, "chain.proof.tex"), cert_path,
                                  pdf=pdflatex_available())
        click.echo("  LaTeX proof written to " + " and ".join(written)
                   + ("" if pdflatex_available() else " (install pdflatex for a PDF: pscert latex --pdf)"))
    click.echo(f"{verdict.status}: " + (f"{verdict.claim}: " if verdict.claim else "") + verdict.reason)


# ---------------------------------------------------------------------------------------------------
# train and import: floats search for candidate minima here; nothing is claimed


@main.command(name="train")
@click.argument("problem_file", metavar="PROBLEM", type=click.Path(dir_okay=False))
@click.option("--restarts", "-k", type=click.IntRange(min=1), default=10, show_default=True, help="Random starts.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Seed of the random starts.")
@click.option("-o", "--out", "out_dir", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Directory for the files <name>-min<k>.json.")
@click.option("--denominator", metavar="Q", help="Round weights to multiples of 1/Q (e.g. 2^40); default: exact floats.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("-q", "--quiet", is_flag=True, help="No progress on stderr.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Run this many restarts at once, in separate processes (a dask LocalCluster when dask is "
              "installed).")
@click.option("--scheduler", metavar="ADDRESS", help="Run the restarts on this dask.distributed scheduler "
              "(tcp://host:8786) instead of local processes; needs the dask extra.")
def train_command(problem_file: str, restarts: int, seed: int, out_dir: str, denominator: str | None,
                  as_json: bool, quiet: bool, jobs: int, scheduler: str | None) -> None:
    """Search for minima from random starts (float L-BFGS, then exact-kink settling); one file per minimum.

    Minima equal up to a permutation of hidden units count once; files are ranked by loss. Floats
    only search: run `pscert certify` on the files to prove anything.

    \b
    Each restart is one task: --jobs runs them in local processes, --scheduler on a
    dask cluster; the minima do not depend on either. Progress (done/total, rate,
    ETA) goes to stderr. Exit code 0; 2 for bad input or a restart that failed
    (one line names it); Ctrl-C writes the minima of the restarts that finished,
    says how many, and exits 130.
    """
    from numeric.importer import parse_denominator
    from numeric.training import minima_rows, write_minima
    from numeric.training_batch import TrainingInterrupted, train_batch
    from proofs.cluster import require_engine
    from symbolic.problem import load_problem

    q = parse_denominator(denominator) if denominator is not None else None
    require_engine(scheduler)
    problem = load_problem(problem_file)
    shown = None if quiet or as_json else _BatchProgress("train")
    interrupted = None
    try:
        result = train_batch(problem, restarts, seed, jobs=jobs, scheduler=scheduler, progress=shown)
    except TrainingInterrupted as stop:
        result, interrupted = stop.result, stop
    finally:
        if shown is not None:
            shown.close()
    stem = os.path.splitext(os.path.basename(problem_file))[0]
    paths = write_minima(problem, result, out_dir, stem, q)
    rows = minima_rows(result, paths)
    if as_json:
        emit_json({"problem": problem_file, "restarts": result.restarts, "seed": seed, "failed_starts": result.failed,
                   "minima": rows})
    else:
        click.echo(f"{problem_file}: {result.restarts} restarts, seed {seed}: {len(rows)} distinct candidate minima "
                   "(float search; nothing is certified)")
        click.echo(f"{'rank':>4}  {'loss ≈':<14}  {'‖∇L‖ ≈':<9}  {'near z=0':>8}  {'dead':>4}  {'starts':>6}  file")
        for row in rows:
            click.echo(f"{row['rank']:>4}  {row['loss_approx']:<14.10g}  {row['gradient_norm_approx']:<9.2e}  "
                       f"{row['boundary_near_units']:>8}  {row['dead_units']:>4}  {len(row['starts']):>6}  {row['file']}")
        if result.failed:
            click.echo(f"{result.failed} start(s) diverged and were dropped")
        click.echo("units: near z=0 if |z| < 1e-8 at some sample, dead if z < 1e-8 at every sample")
    if interrupted is not None:
        click.echo(str(interrupted), err=True)
        sys.exit(EXIT_INTERRUPTED)


@main.command(name="import")
@click.argument("model", type=click.Path(dir_okay=False))
@click.option("--data", type=click.Path(dir_okay=False),
              help="Training data: CSV, .npy, .npz or a torch.save file (formats above). Default: arrays in MODEL.")
@click.option("--torch-weight-decay", metavar="WD",
              help="For a model trained in PyTorch (use this, not --weight-decay): the weight_decay of SGD or Adam "
                   "(not AdamW), exact as written (1e-3 is 1/1000). λ and the reduction follow from --torch-loss.")
@click.option("--torch-loss", type=click.Choice(["mse-mean", "mse-sum"]),
              help="The nn.MSELoss reduction trained with [default: mse-mean, i.e. nn.MSELoss()]. mse-mean with k "
                   "outputs: λ = k·WD/2, reduction mean (pscert's loss is k × torch's); mse-sum: λ = WD/2, reduction sum.")
@click.option("--weight-decay", metavar="L",
              help="pscert's λ in L = α·Σ‖f − y‖² + λ‖θ‖² directly, exact (0.01 is 1/100) [default: 0].")
@click.option("--reduction", type=click.Choice(["mean", "sum"]), help="pscert's α = 1/N or 1 [default: mean].")
@click.option("--decay-biases/--no-decay-biases", default=True, show_default=True,
              help="Whether λ‖θ‖² includes the biases (torch's weight_decay does, unless parameter groups exclude them).")
@click.option("--exact", is_flag=True, help="Weights become their exact binary values (the default).")
@click.option("--denominator", metavar="Q", help="Round weights to multiples of 1/Q instead (e.g. 2^40).")
@click.option("--targets", type=click.IntRange(min=1), metavar="K", help="Target columns (default: output width).")
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write the problem here (default: stdout).")
def import_command(model: str, data: str | None, torch_weight_decay: str | None, torch_loss: str | None,
                   weight_decay: str | None, reduction: str | None, decay_biases: bool, exact: bool,
                   denominator: str | None, targets: int | None, out: str | None) -> None:
    """A problem file from a trained network: a NumPy .npz or a PyTorch state_dict (needs torch).

    Arrays are named W1, b1, W2, … or <module>.weight, <module>.bias (layers.0, fc1, …). Data: CSV rows
    (inputs, then targets); a .npy array of the same columns; a .npz with inputs/X/x and targets/y/Y
    arrays; or torch.save((X, Y), path) or a dict of those tensors.

    For a model trained in PyTorch, give --torch-weight-decay (and --torch-loss if not nn.MSELoss()):
    the problem is then the objective torch minimised, exactly, for any number of outputs.
    --weight-decay and --reduction set pscert's λ and α directly and exclude the --torch options.
    """
    from numeric.importer import import_model, parse_denominator
    from symbolic.problem import problem_to_json

    if exact and denominator is not None:
        raise click.UsageError("--denominator: cannot be combined with --exact")
    q = parse_denominator(denominator) if denominator is not None else None
    problem = import_model(model, data, weight_decay=weight_decay, reduction=reduction, denominator=q, targets=targets,
                           decay_biases=decay_biases, torch_loss=torch_loss, torch_weight_decay=torch_weight_decay)
    text = json.dumps(problem_to_json(problem), indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    write_atomic(out, text)
    click.echo(f"wrote {out}: {'-'.join(map(str, problem.widths))} network, {problem.samples} samples; {problem.name}")


# ---------------------------------------------------------------------------------------------------
# threshold: the paper's set U(λ, θ), its error threshold, depth and dropout variants


@main.command(name="threshold")
@click.argument("problem", metavar="PROBLEM", type=PROBLEM_WITH_POINT)
@click.option("--theta", metavar="T", callback=_rational("--theta"), help="Norm bound θ (exact). Default: the "
              "smallest 6-decimal rational ≥ the point's largest layer norm bound.")
@click.option("--spectral", is_flag=True, help="Bound ‖W̃_k‖₂ by exact root isolation instead of ‖W̃_k‖_F.")
@click.option("--epsilon", metavar="E", callback=_rational("--epsilon"),
              help="Sublevel bound ε < ε* of the certified set (default: E(point)).")
@click.option("-o", "--out", type=click.Path(dir_okay=False), help="Write a piecewise_strong_convexity certificate.")
@click.option("--no-gap", is_flag=True, help="Skip the exact λ_min of the piece Hessians.")
@click.option("--depth-sweep", "depths", metavar="A..B", help="Threshold of the depth family for H = A..B (e.g. 1..8).")
@click.option("--dropout", "keep", metavar="P", callback=_rational("--dropout"),
              help="Expected loss under dropout with keep probability P.")
@click.option("--inverted", is_flag=True, help="With --dropout: inverted dropout (kept units scaled by 1/P).")
@click.option("--dropout-sweep", "keep_sweep", is_flag=True, help="Plain and inverted dropout for P = 1/10, 2/10, …, 1.")
@click.option("--plot", type=click.Path(dir_okay=False), help="With a sweep: write a PNG/PDF plot (needs matplotlib).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def threshold_command(problem: Problem, no_gap: bool, as_json: bool, **options: Any) -> None:
    """The paper's error threshold ε* and strong-convexity set U(λ, θ), exactly, at the point.

    Lemma (A) (Milne 2019, as reconstructed in symbolic/threshold.py): on every piece, λ_min(∇²L_P) ≥ 2λ − 2α·H·θ^(H−1)·Σ‖x̃_j‖‖r_j‖ when
    every ‖W̃_k‖₂ ≤ θ. Also prints the per-region thresholds and, beside the bound, the exact smallest
    Hessian eigenvalue of the point's piece (the gap).
    """
    from numeric.threshold_job import ThresholdJob

    job = ThresholdJob(gap=not no_gap, **options)
    clash = job.conflict()
    if clash:
        raise click.UsageError(clash)
    obj, lines = job.run(problem, approx)
    if as_json:
        emit_json(obj)
        return
    for line in lines:
        click.echo(line)


# ---------------------------------------------------------------------------------------------------
# trajectory: the paper's experiment (float SGD; every reported number exact at rounded checkpoints)


@main.command(name="trajectory")
@click.argument("problem", metavar="PROBLEM", type=PROBLEM)
@click.option("--steps", type=click.IntRange(min=1), default=200, show_default=True, help="SGD steps.")
@click.option("--lr", type=float, default=0.05, show_default=True, help="Learning rate (float: it only trains).")
@click.option("--batch", type=click.IntRange(min=1), help="Mini-batch size (default: all samples).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--checkpoints", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False), help="Write a PNG/PDF plot (needs matplotlib).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def trajectory_command(problem: Problem, steps: int, lr: float, batch: int | None, seed: int, checkpoints: int,
                       plot: str | None, as_json: bool) -> None:
    """Train with SGD and report, at each checkpoint, E, ε*, the paper's condition and the exact λ_min.

    Starts from the problem's point (or a seeded random start). Checkpoints are rounded to multiples of
    2^-24; the numbers printed are exact for those rational points.
    """
    from numeric.trajectory import plot as draw
    from numeric.trajectory import summary, table, train

    rows = train(problem, steps, lr, batch, seed, checkpoints)
    if plot:
        draw(rows, plot)
    if as_json:
        emit_json({"steps": steps, "lr": lr, "batch": batch, "seed": seed, "checkpoints": [r.to_json() for r in rows],
                   "summary": summary(rows), "plot": plot})
        return
    for line in table(rows, approx):
        click.echo(line)
    if plot:
        click.echo(f"wrote {plot}")


# ---------------------------------------------------------------------------------------------------
# regions: the activation-region graph


class _Bars:
    """One click progress bar on stderr per stage of a long enumeration (``regions: 3/12 units``)."""

    def __init__(self, quiet: bool):
        self.quiet, self.stage, self.done = quiet, "", 0
        self.bar: Any = None
        self.bars: contextlib.ExitStack = contextlib.ExitStack()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.quiet:
            return
        if stage != self.stage or self.bar is None:
            self.close()
            self.stage, self.done = stage, 0
            self.bar = self.bars.enter_context(_progress(False, total, "regions"))
        self.bar.update(done - self.done, f"{done}/{total} {stage}")
        self.done = done

    def close(self) -> None:
        self.bars.close()
        self.bar = None


@main.command(name="regions")
@click.argument("problem", metavar="PROBLEM", type=PROBLEM)
@click.option("--radius", callback=_rational("--radius"),
              help="Local mode: the regions meeting the closed ball of this radius about the point [default: 1/100].")
@click.option("--global", "whole", is_flag=True, help="Every region of weight space (at most one hidden layer).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--graphml", type=click.Path(dir_okay=False), help="Write the graph as GraphML (atomically).")
@click.option("--max-regions", type=int, default=1000, show_default=True,
              help="List at most this many regions (the count stays exact where it is proved).")
@click.option("--no-hessian", is_flag=True, help="Skip the Hessian bound of each region's piece.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar on stderr.")
def regions_command(problem: Problem, radius: Fraction | None, whole: bool, as_json: bool, graphml: str | None,
                    max_regions: int, no_hessian: bool, quiet: bool) -> None:
    """The activation-region graph: near the point (a ball), or all of it (--global).

    Each region comes with an exact witness point and a proved lower bound on the smallest eigenvalue
    of its piece's Hessian at the point; each edge (a shared facet) with a witness on the facet.
    """
    from symbolic.region_graph import graph_lines, graph_to_json, graphml_text
    from symbolic.regions import regions_of

    if whole and radius is not None:
        raise click.UsageError("--radius and --global must not be combined (got both)")
    bars = _Bars(quiet)
    try:
        graph = regions_of(problem, None if whole else Fraction(1, 100) if radius is None else radius, max_regions, not no_hessian, bars)
    finally:
        bars.close()
    if graphml:
        write_atomic(graphml, graphml_text(problem, graph))
    if as_json:
        emit_json(graph_to_json(problem, graph))
        return
    for line in graph_lines(graph, approx):
        click.echo(line)
    if graphml:
        click.echo(f"wrote {graphml}")


# ---------------------------------------------------------------------------------------------------
# det


@main.command(name="det")
@click.argument("problem", metavar="PROBLEM", type=PROBLEM_WITH_POINT)
@click.option("--sample", "sample", type=int, default=0, show_default=True, help="Sample index j (0-based).")
@click.option("--output", "output", type=int, default=0, show_default=True, help="Output index o (0-based).")
@click.option("--latex", "latex", is_flag=True, help="Show B as LaTeX (pmatrix) instead of plain text.")
@click.option("--numeric", is_flag=True, help="Fill B with the point's values instead of symbols.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def det_command(problem: Problem, sample: int, output: int, latex: bool, numeric: bool, as_json: bool) -> None:
    """The determinant form f_o(x_j) = −det B of one sample in the point's region.

    Symbols are named W{k}_{row}_{col} and b{k}_{row}, layers k from 1, rows and columns from 0.
    """
    from symbolic.determinant import determinant_report, to_latex

    report = determinant_report(problem, sample, output, numeric)
    if as_json:
        emit_json({**report.to_json(), **({"latex": to_latex(report.form)} if latex else {})})
    else:
        for line in report.lines(approx, latex):
            click.echo(line)
    if not report.agrees:
        sys.exit(1)


# ---------------------------------------------------------------------------------------------------
# latex (issue 5): a LaTeX proof from a checked certificate


@main.command(name="latex")
@click.argument("cert_file", metavar="CERT", type=click.Path())
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False),
              help="Write the LaTeX here (atomically) instead of printing it.")
@click.option("--pdf", is_flag=True, help="Also run pdflatex: FILE.pdf beside -o FILE, else <CERT name>.pdf here.")
def latex_command(cert_file: str, out: str | None, pdf: bool) -> None:
    """Write a self-contained LaTeX proof of a certificate (amsthm article).

    The certificate is re-checked first: exit 1 with INVALID: … if the checker rejects it (nothing is
    written), 2 if it cannot be read or pdflatex is missing or fails.
    """
    from proofs import checker
    from proofs.latex import compile_pdf, pdf_path_for, pdflatex, proof_from_file

    if pdf:
        pdflatex()  # fail before writing anything when it is missing
    try:
        tex = proof_from_file(cert_file)
    except checker.CertificateUnreadable as err:
        click.echo(f"Error: {err}", err=True)
        sys.exit(EXIT_USAGE)
    except checker.CertificateInvalid as err:
        click.echo(f"INVALID: {err} (a rejected certificate is not typeset)")
        sys.exit(1)
    if out:
        write_atomic(out, tex)
        click.echo(f"wrote {out}")
    elif not pdf:
        click.echo(tex, nl=False)
    if pdf:
        done = compile_pdf(tex, pdf_path_for(cert_file, out))
        click.echo(f"wrote {done.path} ({done.pages} pages)")


if __name__ == "__main__":  # python cli.py …; dask workers re-import the main module, and must not run it
    main()
