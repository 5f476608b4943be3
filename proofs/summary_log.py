"""A batch summary that grows row by row, so an interrupted batch keeps every row it finished.

Three kinds, by the file's extension:

- ``.csv``: a header of :data:`proofs.batch.COLUMNS`, then one line per finished problem (the answers
  ``true``, ``false`` or empty);
- ``.jsonl``: one JSON object per finished problem (:meth:`proofs.batch.Row.to_json`: the keys of
  :data:`proofs.batch.COLUMNS`, the answers as one ``answers`` object as in ``certify --json``);
- ``.json``: the ``pscert.batch/1`` object (format, counts, problems) of the rows so far.

Summaries written before rows had answers (eight CSV columns, no ``answers`` key) are still read; their
rows answer nothing.

How each write stays whole. CSV and JSON lines are *appended*: each row is one complete line
written with a single ``write`` on a file opened for appending, then flushed and ``fsync``-ed, so a
killed process leaves every finished line and no half line (a line is the unit a reader needs,
and appending costs O(1) per row where rewriting costs O(rows)). A ``.json`` file is one
document and cannot grow by appending, so it is written anew after each row with
:func:`symbolic.files.write_atomic` (temporary file and rename): O(rows) per row, which for 10⁴ rows
of ~200 bytes is a few milliseconds per row, small beside a certify call.

While the batch runs, rows are in completion order. :meth:`SummaryLog.finish` (normal end or
Ctrl-C) writes the file once more, atomically, in input order, so a finished batch's summary does
not depend on the number of workers except for the times.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
from typing import Any, Sequence

from symbolic.exceptions import ProblemError
from symbolic.files import write_atomic

from .answers import Answers
from .batch import ANSWER_COLUMNS, COLUMNS, STATUSES, SUMMARY_FORMAT, Row, summary_jsonl, summary_kind

def counts(rows: Sequence[Row], statuses: Sequence[str] = STATUSES) -> dict[str, int]:
    """Rows per status: every status of ``statuses`` (in that order), then any other status seen.

    Examples
    --------
    >>> counts([Row("a", "VALID", None, None, None, 0.1, "")], ("VALID", "INVALID"))
    {'VALID': 1, 'INVALID': 0}
    """
    out = {s: 0 for s in statuses}
    for r in rows:
        out[r.status] = out.get(r.status, 0) + 1
    return out


def csv_line(row: Row) -> str:
    """One CSV line (with its newline): :meth:`proofs.batch.Row.cells`.

    Examples
    --------
    >>> csv_line(Row("a, b.json", "UNKNOWN", None, None, None, 0.25, "why"))
    '"a, b.json",UNKNOWN,,,,0.250,why,,,,\\n'
    """
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(row.cells())
    return buf.getvalue()


def document(rows: Sequence[Row], statuses: Sequence[str] = STATUSES) -> dict[str, Any]:
    """The ``pscert.batch/1`` summary object of ``rows``."""
    return {"format": SUMMARY_FORMAT, "counts": counts(rows, statuses), "problems": [r.to_json() for r in rows]}


class SummaryLog:
    """The summary file of one batch run, started anew (empty) when the run starts.

    Parameters
    ----------
    path
        ``.csv``, ``.jsonl`` or ``.json`` (:func:`proofs.batch.summary_kind`); its directory must exist.
    statuses
        The statuses counted in a ``.json`` summary, in order (certify: :data:`proofs.batch.STATUSES`).
    """

    def __init__(self, path: str, statuses: Sequence[str] = STATUSES):
        self.path = path
        self.kind = summary_kind(path)
        self.statuses = tuple(statuses)
        self.rows: list[Row] = []
        write_atomic(path, self._text([]))

    def add(self, row: Row) -> None:
        """Record one finished row (completion order); on return it is on disk."""
        self.rows.append(row)
        if self.kind == "json":
            write_atomic(self.path, self._text(self.rows))
            return
        line = csv_line(row) if self.kind == "csv" else json.dumps(row.to_json()) + "\n"
        with open(self.path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def finish(self, rows: Sequence[Row]) -> None:
        """Write the whole summary of ``rows`` (input order) atomically."""
        self.rows = list(rows)
        write_atomic(self.path, self._text(self.rows))

    def _text(self, rows: Sequence[Row]) -> str:
        if self.kind == "json":
            return json.dumps(document(rows, self.statuses), indent=1) + "\n"
        if self.kind == "jsonl":
            return summary_jsonl(rows)
        return ",".join(COLUMNS) + "\n" + "".join(csv_line(r) for r in rows)


def read_rows(path: str) -> list[Row]:
    """The rows of a summary file of any kind (a ``.csv`` file's cells as text; empty cells ``None``;
    answers ``true`` and ``false`` as booleans). A summary written before rows had answers gives rows that
    answer nothing.

    A last line without its newline (a write cut by a crash of the machine) is not a row.
    """
    kind = summary_kind(path)
    with open(path, encoding="utf-8", newline="") as fh:
        text = fh.read()
    if kind == "json":
        return [Row.from_json(obj) for obj in json.loads(text)["problems"]]
    lines = text.splitlines(keepends=True)
    complete = "".join(line for line in lines if line.endswith("\n"))
    if kind == "jsonl":
        return [Row.from_json(json.loads(line)) for line in complete.splitlines()]
    rows = []
    for cells in list(csv.DictReader(io.StringIO(complete))):
        values: dict[str, Any] = {k: (v if v != "" else None) for k, v in cells.items() if k not in ANSWER_COLUMNS}
        values["seconds"] = float(values["seconds"])
        found = Answers(*(_answer(cells.get(k), k, path) for k in ANSWER_COLUMNS))
        rows.append(Row(**values, answers=found))
    return rows


def _answer(cell: str | None, column: str, path: str) -> bool | None:
    """An answer cell of a CSV summary: ``true``, ``false``, or empty (or absent: an older summary)."""
    if cell in (None, ""):
        return None
    if cell in ("true", "false"):
        return cell == "true"
    raise ProblemError(column, f"must be true, false or empty (got {cell!r})", path)


def verdict_table(rows: Sequence[Row], statuses: Sequence[str] = STATUSES) -> list[str]:
    """The final table of a batch: per status, the count, its share and the median time.

    Examples
    --------
    >>> rows = [Row("a", "CERTIFIED", None, None, None, 1.0, ""), Row("b", "CERTIFIED", None, None, None, 3.0, ""),
    ...         Row("c", "ERROR", None, None, None, 0.5, "x")]
    >>> print("\\n".join(verdict_table(rows, ("CERTIFIED", "ERROR"))))
    status        count  share  median s
    CERTIFIED         2    67%     2.000
    ERROR             1    33%     0.500
    total             3   100%     1.000
    """
    lines = [f"{'status':<12}{'count':>7}{'share':>7}{'median s':>10}"]
    total = len(rows)
    for status, n in counts(rows, statuses).items():
        times = [r.seconds for r in rows if r.status == status]
        median = f"{statistics.median(times):10.3f}" if times else f"{'-':>10}"
        lines.append(f"{status:<12}{n:>7}{(100 * n / total if total else 0):>6.0f}%{median}")
    median_all = f"{statistics.median([r.seconds for r in rows]):10.3f}" if rows else f"{'-':>10}"
    lines.append(f"{'total':<12}{total:>7}{(100 if total else 0):>6.0f}%{median_all}")
    return lines
