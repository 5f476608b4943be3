"""The sign-prefix split of a central arrangement (symbolic.arrangement.prefix_split).

Checked three ways: a hand-worked example; against the split it replaced (one LP per tree node, kept
here as the reference) on random arrangements with repeated, proportional and zero normals and
degenerate position; and, for few hyperplanes, against every sign string decided exactly by
``symbolic.lp.open_cone``. Every Gordan vector is verified exactly here.
"""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import product

import numpy as np
import pytest
from flint import fmpq_mat
from scipy.optimize import linprog

import symbolic.arrangement as arrangement
from symbolic.arrangement import PrefixSplit, RegionLimit, prefix_split
from symbolic.linalg import nullspace, to_fmpq, to_fraction
from symbolic.lp import open_cone


def reference_split(rows: list[list[Fraction]]) -> tuple[list[str], list[str]]:
    """The split before prefix_split: an LP at every node of the prefix tree, a Gordan LP at every
    prefix the LP screens as empty (returns the cells and the empty prefixes, in depth-first order)."""
    floats = [[float(v) for v in r] for r in rows]
    cells: list[str] = []
    empty: list[str] = []

    def cone_open(prefix: str) -> bool:
        signed = [[(1 if s == "1" else -1) * v for v in floats[m]] for m, s in enumerate(prefix)]
        n = len(signed[0])
        res = linprog(np.r_[np.zeros(n), -1.0], A_ub=np.c_[-np.array(signed), np.ones(len(signed))],
                      b_ub=np.zeros(len(signed)), bounds=[(-1, 1)] * n + [(None, 1)], method="highs")
        return bool(res.status == 0 and -res.fun > 1e-9)

    def gordan(prefix: str) -> bool:
        k = len(prefix)
        M = [[(1 if s == "1" else -1) * v for v in rows[m]] for m, s in enumerate(prefix)]
        Mf = np.array([[float(v) for v in row] for row in M]).T
        res = linprog(np.zeros(k), A_eq=np.r_[Mf, np.ones((1, k))], b_eq=np.r_[np.zeros(Mf.shape[0]), 1.0],
                      bounds=[(0, None)] * k, method="highs")
        if res.status != 0:
            return False
        support = [m for m in range(k) if res.x[m] > 1e-9]
        basis = nullspace(fmpq_mat(len(M[0]), len(support), [to_fmpq(M[m][r]) for r in range(len(M[0]))
                                                             for m in support]))
        if not basis:
            return False
        Bf = np.array([[float(to_fraction(v)) for v in vec] for vec in basis]).T
        coef = np.linalg.lstsq(Bf, res.x[support], rcond=None)[0]
        ys = [sum((Fraction(round(Fraction(float(cf)) * 2 ** 40), 2 ** 40) * to_fraction(vec[r])
                   for cf, vec in zip(coef, basis)), Fraction(0)) for r in range(len(support))]
        return not any(v < 0 for v in ys) and any(ys)

    def visit(prefix: str) -> None:
        if prefix and not cone_open(prefix) and gordan(prefix):
            empty.append(prefix + "*" * (len(rows) - len(prefix)))
            return
        if len(prefix) == len(rows):
            cells.append(prefix)
            return
        visit(prefix + "1")
        visit(prefix + "0")

    visit("")
    return cells, empty


def assert_gordan(rows: list[list[Fraction]], split: PrefixSplit) -> None:
    """Every empty entry: y ≥ 0, y ≠ 0, one entry per decided sign, Σ y_m s_m a_m = 0 exactly."""
    for signs, y in split.empty:
        prefix = signs.rstrip("*")
        assert set(signs[len(prefix):]) <= {"*"} and len(y) == len(prefix)
        assert all(isinstance(v, int) and v >= 0 for v in y) and any(y)
        total = [sum((v * (1 if s == "1" else -1) * Fraction(r[p]) for v, s, r in zip(y, prefix, rows)), Fraction(0))
                 for p in range(len(rows[0]))]
        assert not any(total), (signs, y)


def assert_partition(split: PrefixSplit, m: int) -> None:
    """Every sign string is exactly one listed cell or lies under exactly one empty prefix."""
    for bits in product("10", repeat=m):
        s = "".join(bits)
        under = [e for e, _ in split.empty if all(c in ("*", b) for c, b in zip(e, s))]
        assert (s in split.cells) + len(under) == 1, s


def test_three_lines_by_hand():
    """x, y, x + y in the plane: six regions; after '11' (x, y > 0) x + y < 0 is impossible (1·x + 1·y +
    1·(−(x + y)) = 0), after '00' x + y > 0 is; the quadrants '10' and '01' are cut by x + y."""
    rows = [[1, 0], [0, 1], [1, 1]]
    split = prefix_split(rows)
    assert split.cells == ("111", "101", "100", "011", "010", "000")
    assert split.empty == (("110", (1, 1, 1)), ("001", (1, 1, 1)))


def test_one_line_repeated_zero_and_opposite():
    """a_0 = x, a_1 = 0, a_2 = −2x on the line: a zero normal empties both of its children (y = e_1), and
    the opposite normal leaves only the signs '1*0' and '0*1' (y = (2, 0, 1): 2·x − 2x = 0)."""
    split = prefix_split([[1], [0], [-2]])
    assert split.cells == ()
    assert split.empty == (("11*", (0, 1)), ("10*", (0, 1)), ("01*", (0, 1)), ("00*", (0, 1)))
    split = prefix_split([[Fraction(1, 3)], [-2], [Fraction(5, 7)]])
    assert split.cells == ("101", "010")
    assert split.empty == (("11*", (6, 1)), ("100", (15, 0, 7)), ("011", (15, 0, 7)), ("00*", (6, 1)))


def test_no_hyperplanes_and_general_position_count():
    assert prefix_split([]) == PrefixSplit(("",), ())
    rows = [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 1], [1, -2, 3]]
    split = prefix_split(rows)
    assert len(split.cells) == arrangement.general_position_count(5, 3) == 22
    assert_gordan(rows, split)
    assert_partition(split, 5)


def random_rows(rnd: random.Random, case: int) -> list[list[Fraction]]:
    """Arrangements of 3–12 normals in Q^1..Q^4, a third of them degenerate on purpose."""
    d = rnd.randint(1, 4)
    m = rnd.randint(3, 12)
    rows = [[Fraction(rnd.randint(-6, 6), rnd.choice([1, 2, 3, 8])) for _ in range(d)] for _ in range(m)]
    kind = case % 6
    if kind == 1:  # repeated and proportional (positive and negative multiples)
        for i in range(1, m):
            if rnd.random() < 0.4:
                f = Fraction(rnd.choice([-3, -1, 1, 2]), rnd.choice([1, 2, 5]))
                rows[i] = [f * v for v in rows[rnd.randrange(i)]]
    elif kind == 2:  # zero normals
        for i in rnd.sample(range(m), rnd.randint(1, 2)):
            rows[i] = [Fraction(0)] * d
    elif kind == 3 and d >= 2:  # every normal in a proper subspace: a degenerate (non-essential) arrangement
        for r in rows:
            r[-1] = r[0]
    elif kind == 4 and d >= 3:  # many normals in one plane (hyperplanes through a common line)
        for r in rows[: m // 2 + 1]:
            r[2:] = [Fraction(0)] * (d - 2)
    elif kind == 5:  # sample-like rows (x, 1) with repeated x, as with biases and 1-D data
        rows = [[Fraction(rnd.randint(-4, 4), 2), Fraction(1)] for _ in range(m)]
    return rows


@pytest.mark.parametrize("case", range(48))
def test_same_split_as_the_lp_per_node_reference(case):
    rnd = random.Random(1000 + case)
    rows = random_rows(rnd, case)
    split = prefix_split(rows)
    cells, empty = reference_split(rows)
    assert list(split.cells) == cells
    assert [signs for signs, _ in split.empty] == empty
    assert_gordan(rows, split)
    assert_partition(split, len(rows))


@pytest.mark.parametrize("case", range(12))
def test_cells_are_exactly_the_nonempty_sign_strings(case):
    """Independent of any split: a full sign string is a cell iff symbolic.lp decides its open cone nonempty."""
    rnd = random.Random(5000 + case)
    rows = random_rows(rnd, case)[:7]
    split = prefix_split(rows)
    for bits in product("10", repeat=len(rows)):
        signed = [[(1 if b == "1" else -1) * v for v in r] for b, r in zip(bits, rows)]
        status = open_cone(signed, len(rows[0])).status
        assert status != "undecided"
        assert ("".join(bits) in split.cells) == (status == "nonempty")


def test_limit_stops_before_any_gordan_work(monkeypatch):
    """Past the limit RegionLimit is raised while listing; no Gordan vector has been computed yet."""
    def forbidden(*args: object) -> None:
        raise AssertionError("Gordan work before the count")
    monkeypatch.setattr(arrangement, "gordan_vector", forbidden)
    monkeypatch.setattr(arrangement, "_gordan_on", forbidden)
    rows = [[Fraction(k), Fraction(1)] for k in range(10)]  # 10 distinct lines in the plane: 20 regions
    with pytest.raises(RegionLimit):
        prefix_split(rows, limit=19)
    monkeypatch.undo()
    assert len(prefix_split(rows, limit=20).cells) == 20


@pytest.mark.parametrize("case", range(0, 48, 4))
def test_fallbacks_give_the_same_split(monkeypatch, case):
    """With the exact step across a hyperplane disabled (every other child by LP), and with the Gordan
    solve on the NNLS support disabled (every Gordan vector by LP), the split is unchanged."""
    rows = random_rows(random.Random(1000 + case), case)
    plain = prefix_split(rows)
    monkeypatch.setattr(arrangement, "_past", lambda *args: None)
    assert prefix_split(rows).cells == plain.cells
    monkeypatch.setattr(arrangement, "_gordan_on", lambda *args: None)
    by_lp = prefix_split(rows)
    assert by_lp.cells == plain.cells and [s for s, _ in by_lp.empty] == [s for s, _ in plain.empty]
    assert_gordan(rows, by_lp)


def test_a_prefix_not_proved_empty_is_split_further(monkeypatch):
    """When an empty prefix gets no Gordan vector it is split further without a point, as the LP-per-node
    split did: its descendants are proved empty below it, or listed at full length (an empty cell listed
    is harmless: a bound over its closed cone still holds). The split still partitions every sign string."""
    rows = [[1, 0], [-1, 0], [0, 1], [1, 1]]
    plain = prefix_split(rows)
    assert [s for s, _ in plain.empty] == ["11**", "1010", "0101", "00**"]  # x > 0, y > 0 force x + y > 0
    real, first = arrangement.gordan_vector, "00"

    def fails_on_first(rows_: object, prefix: str) -> object:
        return None if prefix == first else real(rows_, prefix)
    monkeypatch.setattr(arrangement, "_gordan_on", lambda *args: None)
    monkeypatch.setattr(arrangement, "gordan_vector", fails_on_first)
    split = prefix_split(rows)
    assert first + "**" not in [s for s, _ in split.empty]
    below = [s for s, _ in split.empty if s.startswith(first)]
    assert below and all(len(s.rstrip("*")) > 2 for s in below)
    assert set(plain.cells) <= set(split.cells) and all(s.startswith(first) for s in set(split.cells) - set(plain.cells))
    assert_gordan(rows, split)
    assert_partition(split, 4)
