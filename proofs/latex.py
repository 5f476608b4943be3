"""LaTeX proofs from certificates: ``pscert latex CERT [-o proof.tex] [--pdf]`` (SPEC §5).

A proof is a self-contained ``article`` with ``amsmath``, ``amssymb`` and ``amsthm`` (plus ``geometry``,
``array``, ``booktabs`` and ``longtable``, all in Debian's texlive-latex-base and -recommended): the
setting (network, data table, loss, centre), the determinant form of the relevant region, one lemma per
fact the checker verifies, the theorem with its proof, a "How to verify" box with the exact check
command and the certificate's SHA-256, and an appendix with the long values in full.

Only certificates that the trusted checker accepts are typeset (:func:`verify`); the text of every
lemma states what the checker verifies (``proofs/checker/__init__.py``) and no more, and the renderer
recomputes every inequality it prints (a failure raises :class:`LatexError`, never a false proof).

Public API: :func:`read_certificate`, :func:`verify`, :func:`render`, :func:`proof_from_file`,
:func:`compile_pdf`, :func:`write_proof` (for ``pscert demo``) and :func:`pdf_path_for`.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from typing import Any, Callable, NamedTuple

from . import checker
from .checker.reading import load_json
from .latex_ball import interior, negative_curvature
from .latex_boundary import boundary
from .latex_curve import curve
from .latex_format import LatexError, escape_text
from .latex_psc import psc
from .latex_setting import Doc, Parts, determinant_section, fill, pattern_table, setting, title_name

__all__ = ["LatexError", "Compiled", "read_certificate", "verify", "render", "proof_from_file", "compile_pdf",
           "write_proof", "pdf_path_for", "pdflatex", "pdflatex_available"]

RENDERERS: dict[str, Callable[[Doc], Parts]] = {
    "interior_ball": interior, "negative_curvature": negative_curvature, "curve": curve,
    "boundary_ball": boundary, "lemma_a_norm_box": psc,
}

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[a4paper,margin=2.5cm]{geometry}
\usepackage{amsmath,amssymb,amsthm}
\usepackage{array,booktabs,longtable}
\ifdefined\pdfgentounicode \input{glyphtounicode}\pdfgentounicode=1 \fi
\setcounter{MaxMatrixCols}{40}
\setlength{\emergencystretch}{3em}
\newtheorem{theorem}{Theorem}
\newtheorem{lemma}{Lemma}
\newtheorem{proposition}{Proposition}
\newtheorem{corollary}{Corollary}
\theoremstyle{definition}
\newtheorem{definition}{Definition}
\theoremstyle{remark}
\newtheorem{remark}{Remark}
"""


def read_certificate(path: str) -> tuple[Any, bytes]:
    """The decoded certificate and the file's bytes (for the SHA-256).

    Raises
    ------
    proofs.checker.CertificateUnreadable
        The file cannot be read, is not UTF-8 or not JSON.
    proofs.checker.CertificateInvalid
        A JSON float or a duplicate key (the checker's strict reading).
    """
    try:
        with open(path, "rb") as fh:
            data = fh.read()
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        raise checker.CertificateUnreadable(f"{path}: cannot read the file ({reason})") from None
    try:
        return load_json(text), data
    except checker.CertificateUnreadable as err:
        raise checker.CertificateUnreadable(f"{path}: {err}") from None


def verify(cert: Any) -> str:
    """Run the trusted checker; return its ``VALID: …`` line or raise ``CertificateInvalid``.

    ``piecewise_strong_convexity`` certificates go to :mod:`proofs.psc_check` for as long as the main
    checker lists no evidence method for that claim.
    """
    claim = cert.get("claim") if isinstance(cert, dict) else None
    if claim == "piecewise_strong_convexity" and not checker.CLAIMS[claim].methods:
        from .psc_check import check_piecewise_strong_convexity

        try:
            return "VALID: CERTIFIED piecewise_strong_convexity (" + \
                check_piecewise_strong_convexity(cert.get("problem"), cert) + ")"
        except ValueError as err:
            step, _, message = str(err).partition(": ")
            raise checker.CertificateInvalid(step, message) from None
    return checker.check_certificate(cert)


def render(cert: dict[str, Any], cert_bytes: bytes, cert_path: str) -> str:
    """The LaTeX proof of a certificate that :func:`verify` accepted.

    Parameters
    ----------
    cert
        The decoded certificate.
    cert_bytes
        The certificate file's bytes as given (their SHA-256 goes into the "How to verify" box).
    cert_path
        The certificate's path as the reader should type it in ``pscert check``.

    Raises
    ------
    LatexError
        If a statement the proof would make does not hold (only for certificates that were not checked).
    """
    doc = Doc.read(cert)
    method = doc.evidence["method"]
    if method not in RENDERERS:
        raise LatexError(f"latex: evidence method {method!r} has no LaTeX proof yet")
    first = setting(doc)  # first, so that the appendix labels (E1), (E2), … follow the reading order
    parts = RENDERERS[method](doc)
    name = title_name(doc)
    body = [PREAMBLE, f"\\title{{{parts.headline}\\\\[0.6ex] \\large {name}}}",
            "\\author{A proof generated by \\texttt{pscert} from an exact certificate}", "\\date{}",
            "\\begin{document}", "\\maketitle", _introduction(doc, parts, cert_bytes, cert_path), first]
    if parts.pattern is not None:
        shown = parts.shown_pattern if parts.shown_pattern is not None else parts.pattern
        body.append(pattern_table(doc, shown, f"The activation pattern: {parts.pattern_note}.", "pscert:pattern"))
        body.append(determinant_section(doc, parts.pattern, parts.det_what or parts.pattern_note, parts.det_note))
    body += ["\\section{Lemmas}\\label{pscert:lemmas}", parts.lemmas,
             "\\section{The theorem}\\label{pscert:main}", parts.theorem, _corollary(doc)]
    body.append("\\appendix")
    body.append(parts.appendix)
    exact = doc.numbers.appendix()
    if exact:
        body += ["\\section{Exact values}\\label{pscert:exact}",
                 "The values abbreviated in the text, in full (numerator $/$ denominator).", exact]
    else:
        body.append("\\section{Exact values}\\label{pscert:exact}\nEvery number in the text is written in full.")
    body.append("\\end{document}\n")
    return "\n".join(body)


def _introduction(doc: Doc, parts: Parts, cert_bytes: bytes, cert_path: str) -> str:
    digest = hashlib.sha256(cert_bytes).hexdigest()
    path = shlex.quote(cert_path)
    status, claim = doc.cert["status"], doc.cert["claim"]
    return fill(r"""
This document proves that <<summary>>, for the network, data and loss of Section~\ref{pscert:setting}.
It was generated from a certificate (status \texttt{<<status>>}, claim \texttt{<<claim>>}) that records
every fact the proof needs; an independent checker re-verifies those facts with exact rational
arithmetic, and each lemma below says what it verifies.

\emph{Numbers.} Short rationals are written in full. A long integer is abbreviated to its first and last
digits with its number of digits in angle brackets, for instance $123\,456\ldots789_{\langle 40\rangle}$
has $40$ digits; powers of $2$ and $10$ are written as such. A decimal ending in $\ldots$ is truncated
toward zero, not rounded. Values of the certificate abbreviated in the text are labelled (E1), (E2),
\ldots\ and given in full in Appendix~\ref{pscert:exact}, or the text names the certificate field that
holds them; the other long values are computed from them (the checker recomputes them exactly).

\begin{center}
\fbox{\begin{minipage}{0.92\textwidth}
\textbf{How to verify.} The certificate <<file>> has SHA-256\\
\texttt{<<digest>>}.\\[0.5ex]
Re-check it, with Python's standard library only, by either of
\begin{center}
\texttt{pscert check} <<path>>\\
\texttt{python -m proofs.checker} <<path>>
\end{center}
Either must print a line starting with \texttt{VALID: <<status>>} <<claim>>. What the checker verifies is
stated in the lemmas; what it trusts (Python itself, and the mathematics argued on paper here) is listed
in its documentation.
\end{minipage}}
\end{center}
""", summary=parts.summary, status=status, claim=escape_text(claim), file=escape_text(cert_path),
        digest=digest, path=escape_text(path))


def _corollary(doc: Doc) -> str:
    ev = doc.evidence
    if doc.cert["claim"] != "not_isolated" or ev.get("kind") == "constant":
        return ""
    return (r"\begin{corollary}The centre $c$ is not an isolated local minimum of $L$.\end{corollary}"
            "\n\\begin{proof}By Theorem~\\ref{pscert:theorem} $c$ is not a local minimum at all.\\end{proof}\n")


def proof_from_file(path: str) -> str:
    """Read, check and typeset a certificate file: the whole LaTeX document.

    Raises
    ------
    proofs.checker.CertificateUnreadable
        The file cannot be read or is not JSON (``pscert latex`` exits 2).
    proofs.checker.CertificateInvalid
        The checker rejects the certificate (``pscert latex`` prints ``INVALID: …`` and exits 1).
    """
    cert, data = read_certificate(path)
    verify(cert)
    return render(cert, data, path)


class Compiled(NamedTuple):
    """A compiled proof: the PDF's path, its page count and pdflatex's log of the last run."""

    path: str
    pages: int
    log: str


def pdflatex_available() -> bool:
    """Whether ``pdflatex`` is on the PATH (``write_proof(..., pdf=pdflatex_available())``)."""
    return shutil.which("pdflatex") is not None


def pdflatex() -> str:
    """The ``pdflatex`` executable, or :class:`LatexError` saying how to install it."""
    exe = shutil.which("pdflatex")
    if exe is None:
        raise LatexError("pdflatex: not found on PATH; install TeX Live (Debian: apt-get install "
                         "texlive-latex-base texlive-latex-recommended) or omit --pdf")
    return exe


def compile_pdf(tex: str, pdf_path: str, timeout: float = 300) -> Compiled:
    """Compile ``tex`` with pdflatex in a temporary directory and move the PDF to ``pdf_path`` atomically.

    Runs ``pdflatex -interaction=nonstopmode -halt-on-error -no-shell-escape`` up to three times (until
    no cross-reference or table width changes), with kpathsea's paranoid file access.

    Raises
    ------
    LatexError
        pdflatex is missing, fails (the first ``!`` error line of its log is quoted) or times out.
    """
    exe = pdflatex()
    env = dict(os.environ, openin_any="p", openout_any="p")
    with tempfile.TemporaryDirectory(prefix="pscert-latex-") as tmp:
        with open(os.path.join(tmp, "proof.tex"), "w", encoding="utf-8") as fh:
            fh.write(tex)
        log = ""
        for _ in range(3):
            try:
                proc = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", "-no-shell-escape",
                                       "proof.tex"], cwd=tmp, env=env, stdin=subprocess.DEVNULL,
                                      capture_output=True, timeout=timeout)
            except subprocess.TimeoutExpired:
                raise LatexError(f"pdflatex: no result after {timeout:g} s") from None
            log = _read(os.path.join(tmp, "proof.log"))
            if proc.returncode != 0 or not os.path.exists(os.path.join(tmp, "proof.pdf")):
                first = next((line for line in log.splitlines() if line.startswith("!")), "no error line in the log")
                raise LatexError(f"pdflatex: failed with exit code {proc.returncode} ({first})")
            if not re.search(r"Rerun|Label\(s\) may have changed|Table widths have changed", log):
                break
        with open(os.path.join(tmp, "proof.pdf"), "rb") as fh:
            pdf = fh.read()
    _write_bytes(pdf_path, pdf)
    found = re.search(r"Output written on .*?\((\d+) pages?", log, re.S)
    return Compiled(pdf_path, int(found.group(1)) if found else 0, log)


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


def _write_bytes(path: str, data: bytes) -> None:
    """Write through a temporary file and a rename: never a half-written PDF."""
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".pscert-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; a proof is an ordinary file
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def pdf_path_for(cert_path: str, tex_path: str | None) -> str:
    """Where ``--pdf`` writes: beside ``-o FILE.tex`` as ``FILE.pdf``, else ``<certificate name>.pdf`` here.

    >>> pdf_path_for("runs/chain.cert.json", None), pdf_path_for("x.json", "out/proof.tex")
    ('chain.pdf', 'out/proof.pdf')
    """
    if tex_path is not None:
        return os.path.splitext(tex_path)[0] + ".pdf"
    stem = os.path.basename(cert_path)
    for suffix in (".json", ".cert"):
        if stem.endswith(suffix) and len(stem) > len(suffix):
            stem = stem[: -len(suffix)]
    return stem + ".pdf"


def write_proof(cert: dict[str, Any], cert_bytes: bytes, path: str, cert_path: str | None = None,
                pdf: bool = False) -> list[str]:
    """Check a certificate and write its LaTeX proof to ``path`` (and the PDF beside it if ``pdf``).

    For ``pscert demo``: ``write_proof(cert, open(p, "rb").read(), "demo/chain.proof.tex", p,
    pdf=pdflatex_available())``.

    Returns
    -------
    list of str
        The files written (the ``.tex``, then the ``.pdf``).

    Raises
    ------
    proofs.checker.CertificateInvalid
        The checker rejects the certificate; nothing is written.
    LatexError
        ``pdf`` and pdflatex is missing or fails (the ``.tex`` is written first).
    """
    verify(cert)
    tex = render(cert, cert_bytes, cert_path or "CERT.json")
    _write_bytes(path, tex.encode("utf-8"))
    written = [path]
    if pdf:
        written.append(compile_pdf(tex, pdf_path_for(path, path)).path)
    return written
