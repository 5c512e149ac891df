"""The number filters the templates use (hw1.rendering.report_macros.FILTERS: pct, num, sig, count, secs),
checked against text written out by hand here, never against another call of the product's formatting.

The cases sit where a filter that rounds the wrong way (truncates, floors, rounds half up, drops a sign,
forgets the carry across a power of ten) prints something else: 0.6666 is not 0.66, -0.6666 is not -0.66,
0.125 is exactly halfway (binary 0.125 is exact) and rounds to even, 9.9996 carries into a new digit."""

import pytest

from hw1.rendering import mathtex
from hw1.rendering.report_macros import FILTERS, count, num, pct, secs, sig


def test_the_filters_tested_here_are_all_the_templates_have():
    """A filter added to FILTERS needs hand-written cases in this file."""
    assert set(FILTERS) == {"pct", "num", "sig", "count", "secs"}


# ----------------------------------------------------------------------------------------------- pct

@pytest.mark.parametrize("value, digits, expected", [
    (0.9931, 1, "99.3%"),
    (0.9931, 2, "99.31%"),
    (0.99, 2, "99.00%"),  # trailing zeros kept: fixed decimals
    (1, 1, "100.0%"),
    (1.0, 0, "100%"),
    (0.0, 1, "0.0%"),
    (0, 2, "0.00%"),
    (0.99349, 1, "99.3%"),  # just under the half: down
    (0.99351, 1, "99.4%"),  # just over the half: up (a truncating filter prints 99.3%)
    (0.6666, 0, "67%"),  # truncation would print 66%
    (0.9996, 1, "100.0%"),  # carries into a new digit
    (0.99996, 2, "100.00%"),
    (0.999949, 2, "99.99%"),
    (0.125, 0, "12%"),  # 12.5 exactly: half to even (binary 0.125 is exact)
    (0.135, 0, "14%"),  # 100 * 0.135 is a hair above 13.5
    (0.0005, 1, "0.1%"),
    (0.00049, 1, "0.0%"),
    (-0.0123, 1, "-1.2%"),  # negative: the sign kept, the magnitude rounded like a positive one
    (-0.0167, 1, "-1.7%"),  # a floor would print -1.7 too; -0.0163 tells them apart
    (-0.0163, 1, "-1.6%"),
    (-0.25, 0, "-25%"),
    (0.5, 1, "50.0%"),
])
def test_pct(value, digits, expected):
    assert pct(value, digits) == expected


def test_pct_defaults_to_one_decimal():
    assert pct(0.98765) == "98.8%"


# ----------------------------------------------------------------------------------------------- num

@pytest.mark.parametrize("value, digits, expected", [
    (0.69314, 3, "0.693"),
    (0.6935, 3, "0.694"),  # binary 0.6935 is a hair above the half
    (0.6666, 2, "0.67"),  # truncation prints 0.66
    (-0.6666, 2, "-0.67"),  # a floor prints -0.67 too, a truncation -0.66
    (-0.6633, 2, "-0.66"),  # a floor prints -0.67
    (0.125, 2, "0.12"),  # exactly halfway: half to even (half up prints 0.13)
    (0.375, 2, "0.38"),  # exactly halfway: half to even, up this time
    (2.675, 2, "2.67"),  # binary 2.675 is below the half
    (0.5, 0, "0"),
    (1.5, 0, "2"),
    (2.5, 0, "2"),
    (-1.5, 0, "-2"),
    (9.9996, 3, "10.000"),  # carries into a new digit, decimals kept
    (-9.9996, 3, "-10.000"),
    (99.96, 1, "100.0"),
    (0, 3, "0.000"),
    (0.0, 0, "0"),
    (1234.5678, 1, "1234.6"),  # no thousands separator (count has them)
    (0.999962, 4, "1.0000"),
    (0.99995, 4, "1.0000"),  # binary 0.99995 is a hair above the half
    (0.99994, 4, "0.9999"),
    (6, 0, "6"),
    (-0.00012, 5, "-0.00012"),
])
def test_num(value, digits, expected):
    assert num(value, digits) == expected


def test_num_defaults_to_three_decimals():
    assert num(3.14159) == "3.142"


# ----------------------------------------------------------------------------------------------- sig

def _readable(text: str) -> str:
    """sig's power-of-ten mark (mathtex's private-use brackets around the exponent) as ^(...)."""
    return text.replace(mathtex.EXPONENT_OPEN, "^(").replace(mathtex.EXPONENT_CLOSE, ")")


@pytest.mark.parametrize("value, digits, expected", [
    # Between 1e-3 and 1e5: plain digits, trailing zeros dropped.
    (0.693147, 3, "0.693"),
    (0.6935, 3, "0.694"),
    (0.6666, 2, "0.67"),  # truncation prints 0.66
    (-0.6666, 2, "-0.67"),
    (-0.6633, 2, "-0.66"),
    (0.0012345, 3, "0.00123"),
    (0.0012355, 3, "0.00124"),
    (0.001, 3, "0.001"),  # the lower edge of plain digits
    (0.5, 3, "0.5"),
    (1.0, 3, "1"),
    (12.3456, 3, "12.3"),
    (99.94, 3, "99.9"),
    (99.96, 3, "100"),  # carries into a new digit
    (0.9996, 3, "1"),
    (0.125, 2, "0.12"),  # exactly halfway: half to even
    (0, 3, "0"),
    (0.0, 2, "0"),
    # Outside: a mantissa with digits - 1 decimals and a power of ten, minus signs as true minus signs.
    (1.2345e-5, 2, "1.2×10^(−5)"),
    (1.2555e-5, 2, "1.3×10^(−5)"),
    (-1.2345e-5, 3, "−1.23×10^(−5)"),
    (-1.2355e-5, 3, "−1.24×10^(−5)"),  # the magnitude rounds up for a negative value too
    (0.00099949, 3, "9.99×10^(−4)"),
    (0.0009, 1, "9×10^(−4)"),
    (123456, 3, "1.23×10^(5)"),
    (1e5, 3, "1.00×10^(5)"),  # the upper edge: a power of ten
    (-654321, 2, "−6.5×10^(5)"),
    (2.0e-12, 2, "2.0×10^(−12)"),
])
def test_sig(value, digits, expected):
    assert _readable(sig(value, digits)) == expected


def test_sig_rounds_up_across_a_power_of_ten_without_losing_the_carry():
    """9.996 to 3 significant figures is ten: whether written 10 or 10.0, never 9.99 or 9.10."""
    assert sig(9.996, 3) in ("10", "10.0")
    assert sig(-9.996, 3) in ("-10", "-10.0", "−10", "−10.0")


def test_sig_defaults_to_three_significant_digits():
    assert sig(3.14159) == "3.14"


@pytest.mark.parametrize("value, digits, expected", [
    (1234.5, 3, "1230"),  # more integer digits than significant ones: rounded, never Python's 1.23e+03
    (12345.6, 3, "12300"),
    (-1234.5, 2, "-1200"),
    (1234.5, 4, "1234"),  # exactly halfway (binary 1234.5 is exact): to even
    (99999.4, 3, "1.00×10^(5)"),  # rounds up to 100000: the power of ten takes over
])
def test_sig_never_prints_pythons_e_notation(value, digits, expected):
    assert "e+" not in sig(value, digits) and "e-" not in sig(value, digits)
    assert _readable(sig(value, digits)) == expected


@pytest.mark.parametrize("value, digits, expected", [
    (0.0009996, 3, "0.001"),  # the mantissa rounds up to 10: the exponent moves (not 10.00×10^-4), plain again
    (0.00099949, 3, "9.99×10^(−4)"),
    (9.9996e5, 2, "1.0×10^(6)"),
    (-9.9996e-5, 2, "−1.0×10^(−4)"),
])
def test_sig_mantissa_carry_moves_the_exponent(value, digits, expected):
    assert _readable(sig(value, digits)) == expected


# --------------------------------------------------------------------------------------------- count

@pytest.mark.parametrize("value, expected", [
    (60000, "60,000"),
    (10000, "10,000"),
    (1234567, "1,234,567"),
    (999, "999"),
    (1000, "1,000"),
    (0, "0"),
    (0.0, "0"),
    (1.7, "2"),  # rounded, not truncated
    (999.5, "1,000"),  # halfway: to even (1000), and the separator appears
    (0.5, "0"),
    (1.5, "2"),
    (2.5, "2"),
    (-1234.4, "-1,234"),
    (-1234.6, "-1,235"),  # a truncation prints -1,234
    (4096.0, "4,096"),
])
def test_count(value, expected):
    assert count(value) == expected


def test_count_takes_numpy_and_torch_integers():
    import numpy as np
    import torch

    assert count(np.int64(12345)) == "12,345"
    assert count(torch.tensor(1000)) == "1,000"


# ---------------------------------------------------------------------------------------------- secs

@pytest.mark.parametrize("value, expected", [
    (12.34, "12.3 s"),
    (12.36, "12.4 s"),  # rounded, not truncated
    (0, "0.0 s"),
    (0.04, "0.0 s"),
    (0.06, "0.1 s"),
    (9.96, "10.0 s"),  # carries into a new digit
    (59.94, "59.9 s"),
    (59.96, "1 min 0 s"),  # rounds to 60.0 s: written in minutes, never "60.0 s"
    (60, "1 min 0 s"),
    (61.4, "1 min 1 s"),
    (61.6, "1 min 2 s"),  # whole seconds rounded, not truncated
    (119.4, "1 min 59 s"),
    (119.7, "2 min 0 s"),  # never "1 min 60 s"
    (125.0, "2 min 5 s"),
    (834.0, "13 min 54 s"),
    (3725.2, "62 min 5 s"),
])
def test_secs(value, expected):
    assert secs(value) == expected


# ------------------------------------------------- against an independent implementation, on many values

def _values():
    """Values of every kind the report prints: shares k/n (accuracies of n images), halves, negatives, small
    and large magnitudes, and values a hair either side of a rounding edge."""
    import random

    rng = random.Random(29)
    values = [k / n for n in (64, 100, 1000, 10_000) for k in range(0, n + 1, max(1, n // 97))]
    values += [k / 8 for k in range(-40, 41)] + [k + 0.5 for k in range(-5, 130)]
    values += [rng.uniform(-1, 1) * 10 ** rng.randint(-4, 4) for _ in range(600)]
    values += [v * (1 + s * 1e-12) for v in (0.125, 0.995, 9.995, 59.95, 119.5) for s in (-1, 1)]
    return values


def test_num_pct_count_secs_agree_with_the_tests_own_decimal_formatting():
    """tests/helpers.py formats with exact decimal arithmetic, half to even: the filters must print the same."""
    from helpers import duration, fixed, percent, thousands

    for value in _values():
        for digits in (0, 1, 2, 3, 4):
            assert num(value, digits) == fixed(value, digits), (value, digits)
            assert pct(value, digits) == percent(value, digits), (value, digits)
        assert count(value * 1000) == thousands(value * 1000), value
        if value >= 0:
            assert secs(value * 100) == duration(value * 100), value
