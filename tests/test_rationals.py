"""Exact numbers in problem files (docs/SPEC.md §2): the lenient reader, the canonical writer, the JSON reader."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbolic.exceptions import ProblemError
from symbolic.rationals import MAX_DIGITS, JsonConstant, JsonDecimal, canonical, describe, loads, parse_rational

F = Fraction


# ---------------------------------------------------------------------------------------------------
# accepted forms


@pytest.mark.parametrize(
    "text, value",
    [
        ("7", F(7)),
        ("-7", F(-7)),
        ("+7", F(7)),  # problem files are lenient; only certificates insist on canonical text
        ("007", F(7)),
        ("-0", F(0)),
        (" 3/4\n", F(3, 4)),
        ("-3/4", F(-3, 4)),
        ("+3/4", F(3, 4)),
        ("2/4", F(1, 2)),
        ("0/5", F(0)),
        ("0.25", F(1, 4)),
        ("-0.25", F(-1, 4)),
        (".5", F(1, 2)),
        ("5.", F(5)),
        ("0.1", F(1, 10)),
        ("1e-3", F(1, 1000)),
        ("1E2", F(100)),
        ("2.5e+1", F(25)),
        ("-0.0", F(0)),
        ("0.866", F(433, 500)),
    ],
)
def test_strings_are_read_exactly(text, value):
    assert parse_rational(text, "x") == value


@pytest.mark.parametrize("n", [0, 1, -1, 10**30, -(10**30)])
def test_json_integers_are_exact(n):
    assert parse_rational(n, "x") == n


@pytest.mark.parametrize(
    "json_text, value",
    [
        ("0.1", F(1, 10)),  # the literal written, never the binary float 0.1000000000000000055…
        ("1e-3", F(1, 1000)),
        ("1E2", F(100)),
        ("-0.0", F(0)),
        ("-0", F(0)),
        ("1.0", F(1)),
        ("0.30000000000000004", F(30000000000000004, 10**17)),
        ("123456789012345678901234567890", F(123456789012345678901234567890)),
    ],
)
def test_json_numbers_are_the_decimal_literal_written(json_text, value):
    assert parse_rational(loads(json_text), "x") == value


def test_float_would_differ():
    """Guard for the test above: the binary float 0.1 is not 1/10, so reading it as written matters."""
    assert F(0.1) != F(1, 10)
    assert isinstance(loads("0.1"), JsonDecimal)


# ---------------------------------------------------------------------------------------------------
# rejected forms, each with its JSON path and a "(got …)"


@pytest.mark.parametrize(
    "value, what",
    [
        ("", 'must be an integer, p/q or decimal (got "")'),
        ("   ", 'must be an integer, p/q or decimal (got "   ")'),
        ("abc", 'must be an integer, p/q or decimal (got "abc")'),
        ("NaN", 'must be an integer, p/q or decimal (got "NaN")'),
        ("Infinity", 'must be an integer, p/q or decimal (got "Infinity")'),
        ("inf", 'must be an integer, p/q or decimal (got "inf")'),
        ("1/0", 'denominator must be nonzero (got "1/0")'),
        ("0/0", 'denominator must be nonzero (got "0/0")'),
        ("1/-2", 'must be an integer, p/q or decimal (got "1/-2")'),
        ("1/2/3", 'must be an integer, p/q or decimal (got "1/2/3")'),
        ("1.5/2", 'must be an integer, p/q or decimal (got "1.5/2")'),
        (".", 'must be an integer, p/q or decimal (got ".")'),
        ("e5", 'must be an integer, p/q or decimal (got "e5")'),
        ("1e", 'must be an integer, p/q or decimal (got "1e")'),
        ("0x10", 'must be an integer, p/q or decimal (got "0x10")'),
        ("1_000", 'must be an integer, p/q or decimal (got "1_000")'),
        ("\u0661", 'must be an integer, p/q or decimal (got "\u0661")'),  # ARABIC-INDIC DIGIT ONE
        ("1 / 2", 'must be an integer, p/q or decimal (got "1 / 2")'),
        (True, "must be a number (got true)"),
        (False, "must be a number (got false)"),
        (None, "must be a number (got null)"),
        ([1], "must be a number (got a list of 1)"),
        ({}, "must be a number (got an object)"),
        (1.5, "must be a number (got 1.5)"),  # a Python float is never read: it is already rounded
        (JsonConstant("NaN"), "must be a finite number (got NaN)"),
        (JsonConstant("-Infinity"), "must be a finite number (got -Infinity)"),
    ],
)
def test_bad_values_name_path_and_value(value, what):
    with pytest.raises(ProblemError) as info:
        parse_rational(value, "loss.weight_decay")
    assert str(info.value) == f"loss.weight_decay: {what}"
    assert (info.value.path, info.value.what) == ("loss.weight_decay", what)


@pytest.mark.parametrize("json_text", ["NaN", "Infinity", "-Infinity"])
def test_json_nan_and_infinity_are_rejected_with_their_path(json_text):
    obj = loads('{"w": [%s]}' % json_text)
    with pytest.raises(ProblemError, match=rf"^w\[0\]: must be a finite number \(got {json_text}\)$"):
        parse_rational(obj["w"][0], "w[0]")


# ---------------------------------------------------------------------------------------------------
# size limit


def _digits_form(form: str, n: int):
    big = "1" * n
    return {"int": big, "neg": "-" + big, "json": loads(big), "num": big + "/2", "den": "2/" + big,
            "decimal": big[:-1] + ".1", "pyint": int(big)}[form]


FORMS = ["int", "neg", "json", "num", "den", "decimal", "pyint"]


@pytest.mark.parametrize("form", FORMS)
def test_20000_digits_are_rejected_by_default(form):
    with pytest.raises(ProblemError, match=r"^x: must have at most 10000 digits \(got (about )?\d+ (digits|characters)\)$"):
        parse_rational(_digits_form(form, 20_000), "x")


@pytest.mark.parametrize("form", FORMS)
def test_9000_digits_are_accepted(form):
    q = parse_rational(_digits_form(form, 9_000), "x")
    assert max(len(str(abs(q.numerator))), len(str(q.denominator))) == 9_000


def test_limit_is_exact_and_adjustable():
    assert MAX_DIGITS == 10_000
    assert parse_rational("9" * 10_000, "x") == 10**10_000 - 1
    with pytest.raises(ProblemError, match="got 10001 digits"):
        parse_rational("1" + "0" * 10_000, "x")
    assert parse_rational("00012", "x", max_digits=2) == 12  # leading zeros are not digits of the value
    with pytest.raises(ProblemError, match=r"^x: must have at most 2 digits \(got 3 digits\)$"):
        parse_rational("123", "x", max_digits=2)
    with pytest.raises(ProblemError, match="at most 2 digits"):
        parse_rational("1/123", "x", max_digits=2)
    with pytest.raises(ProblemError, match=r"^x: must have at most 10000 digits \(got 10001 digits\)$"):
        parse_rational(10**10_000, "x")  # a Python int from a library caller
    with pytest.raises(ProblemError, match=r"^x: must have at most 10000 digits \(got 30000 characters\)$"):
        parse_rational("0" * 30_000, "x")  # too long to be worth reading at all


def test_exponents_count_towards_the_limit():
    assert parse_rational("1e9999", "x") == 10**9999  # 10000 digits
    assert parse_rational("1e-9999", "x") == F(1, 10**9999)
    with pytest.raises(ProblemError, match="got 10001 digits"):
        parse_rational("1e10000", "x")
    with pytest.raises(ProblemError, match=r"^x: exponent must be at most 10000 in size \(got 10001\)$"):
        parse_rational("1e10001", "x")
    with pytest.raises(ProblemError, match="exponent must be at most 10000"):
        parse_rational(loads("1e999999999999999999999"), "x")
    assert parse_rational("0.5e1", "x", max_digits=1) == 5


def test_long_json_integers_stay_text_until_checked():
    """A long integer literal is not converted by the JSON reader (str→int is quadratic)."""
    big = loads("[" + "7" * 5000 + ", 12]")
    assert isinstance(big[0], JsonDecimal) and big[1] == 12
    assert parse_rational(big[0], "x") == int("7" * 5000)


# ---------------------------------------------------------------------------------------------------
# canonical writing and round trips


@pytest.mark.parametrize(
    "q, text", [(F(0), "0"), (F(5), "5"), (F(-6, 8), "-3/4"), (F(1, 3), "1/3"), (7, "7"), (F(-10**20), "-" + "1" + "0" * 20)]
)
def test_canonical(q, text):
    assert canonical(q) == text


fractions = st.fractions(max_denominator=10**12).filter(lambda q: abs(q.numerator) < 10**40)


@settings(max_examples=200, deadline=None)
@given(fractions)
def test_canonical_round_trip(q):
    text = canonical(q)
    assert parse_rational(text, "x") == q
    assert canonical(parse_rational(text, "x")) == text
    assert "+" not in text and "." not in text and not text.endswith("/1")


@settings(max_examples=200, deadline=None)
@given(st.integers(-10**15, 10**15), st.integers(0, 12), st.integers(-30, 30))
def test_decimal_literals_read_exactly(mantissa, places, exponent):
    """``m / 10**places`` written as a decimal (JSON number and string), with an exponent."""
    digits = str(abs(mantissa)).rjust(places + 1, "0")
    whole, frac = digits[: len(digits) - places], digits[len(digits) - places:]
    text = ("-" if mantissa < 0 else "") + whole + ("." + frac if places else "")
    value = F(mantissa, 10**places)
    assert parse_rational(text, "x") == value
    assert parse_rational(loads(text), "x") == value
    assert parse_rational(f"{text}e{exponent}", "x") == value * F(10) ** exponent


# ---------------------------------------------------------------------------------------------------
# the JSON reader


def test_loads_rejects_bad_json_with_position():
    with pytest.raises(ProblemError, match=r"^not valid JSON: Expecting value \(line 1, column 1\)$"):
        loads("")
    with pytest.raises(ProblemError, match=r"^not valid JSON: .*\(line 2, column \d+\)$"):
        loads('{"a":\n [1, 2')
    with pytest.raises(ProblemError, match=r"^not valid JSON: Extra data"):
        loads("{} {}")
    with pytest.raises(ProblemError, match="nested too deeply"):
        loads("[" * 100_000 + "]" * 100_000)


def test_loads_remembers_duplicate_keys():
    obj = loads('{"a": 1, "b": {"c": 1, "c": 2}, "a": 3}')
    assert obj == {"a": 3, "b": {"c": 2}}
    assert obj.duplicates == ("a",) and obj["b"].duplicates == ("c",)
    assert loads('{"a": 1}').duplicates == ()


def test_describe_is_one_short_line():
    assert describe("a\nb") == '"a\\nb"'
    assert describe(JsonDecimal("1e-3")) == "1e-3"
    assert describe(JsonConstant("NaN")) == "NaN"
    assert describe(3) == "3"
    assert describe("x" * 100) == '"' + "x" * 36 + "..."
    assert describe(10**1000) == "an integer of about 1000 digits"
