"""The checker's coverage lemma (proofs.checker.lemmas.regions_covered), on its own.

Sign strings and empty entries are pure combinatorics here (the Gordan vectors are checked by
``gordan_empty``); the cases: entries fixed only in a prefix, entries with ``*`` before their fixed
characters (one unit's block among several), a missing region, a listed region under an entry, and the
work charged on a case split of 40 signs with tens of thousands of entries.
"""

from __future__ import annotations

from fractions import Fraction
from itertools import product

import pytest

from proofs.checker.arith import Budget
from proofs.checker.exceptions import CertificateInvalid
from proofs.checker.lemmas import regions_covered
from proofs.checker.reading import MAX_WORK
from symbolic.arrangement import prefix_split


def strings(n: int) -> list[str]:
    return ["".join(bits) for bits in product("01", repeat=n)]


def test_entries_with_stars_before_their_fixed_signs():
    """'*1*1' removes the four strings with s_1 = s_3 = 1 wherever the search reaches them."""
    listed = {s for s in strings(4) if not (s[1] == "1" and s[3] == "1")}
    regions_covered(listed, ["*1*1"], 4, Budget(MAX_WORK))
    with pytest.raises(CertificateInvalid, match="the region with kink signs 1000 is neither listed"):
        regions_covered(listed - {"1000"}, ["*1*1"], 4, Budget(MAX_WORK))
    with pytest.raises(CertificateInvalid, match="piece with signs 0101 is excluded by an empty entry; remove it"):
        regions_covered(listed | {"0101"}, ["*1*1"], 4, Budget(MAX_WORK))


def test_prefix_entries_and_overlaps():
    """'1***' and '11**' overlap (both fine); every string under neither must be listed."""
    listed = {s for s in strings(3) if s[0] == "0"}
    regions_covered(listed, ["1**", "11*"], 3, Budget(MAX_WORK))
    regions_covered({"000", "001"}, ["1**", "01*"], 3, Budget(MAX_WORK))
    with pytest.raises(CertificateInvalid, match="kink signs 011 is neither"):
        regions_covered({"000", "001"}, ["1**", "010"], 3, Budget(MAX_WORK))


def test_no_entries_and_a_single_sign():
    regions_covered({"0", "1"}, [], 1, Budget(MAX_WORK))
    with pytest.raises(CertificateInvalid, match="kink signs 0 is neither"):
        regions_covered({"1"}, [], 1, Budget(MAX_WORK))


def test_work_is_charged_per_node_of_the_search():
    """40 samples (x_j, 1) of 1-D data: 80 cells, about 40²/2 empty prefixes. The search visits each tree
    node once and is charged n + 1 plus the fixed positions it compares, about n per node: far below
    the quadratic count of entries times nodes, and well inside the work limit."""
    rows = [[Fraction((7 * j) % 41 - 20, 4), Fraction(1)] for j in range(40)]
    split = prefix_split(rows)
    listed, empty, n = set(split.cells), [s for s, _ in split.empty], len(rows)
    assert len(listed) == 80 and len(empty) > 700
    budget = Budget(MAX_WORK)
    regions_covered(listed, empty, n, budget)
    nodes = 2 * (len(listed) + len(empty)) - 1  # every inner node of the search has two children
    assert budget.used <= 17 * ((len(empty) + 1) * (n + 1) + nodes * 2 * (n + 1))
