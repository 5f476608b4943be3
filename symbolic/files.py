"""Writing output files so that nothing is ever half written."""

from __future__ import annotations

import json
import os
import tempfile
from typing import Any


def write_atomic(path: str, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same directory and a rename.

    A reader (or a crash) never sees half a file, and a failed write leaves the old file untouched.

    Raises
    ------
    FileNotFoundError
        If the directory of ``path`` does not exist (naming ``path``, not the temporary file).

    Examples
    --------
    >>> import os, tempfile
    >>> d = tempfile.mkdtemp(); write_atomic(os.path.join(d, "a.txt"), "x"); open(os.path.join(d, "a.txt")).read()
    'x'
    """
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(2, "No such directory", path)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".pscert-", suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; an output file gets the usual permissions
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def dumps_certificate(cert: Any) -> str:
    """A certificate as compact JSON text (no indentation, no spaces), ending in a newline.

    Certificates are read by programs; at P ≈ 1000 the indentation of ``indent=1`` is a large share of
    the file. The content is unchanged: ``json.loads`` gives back the same object.

    Examples
    --------
    >>> dumps_certificate({"format": "pscert.certificate/1", "center": ["1/2", "-3"]})
    '{"format":"pscert.certificate/1","center":["1/2","-3"]}\\n'
    """
    return json.dumps(cert, separators=(",", ":")) + "\n"
