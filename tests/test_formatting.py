"""formatting.py: the one way numbers and arrays are written as text."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule.formatting import fmt, jsonable, number, summary


def test_number_significant_digits_and_zero_without_a_sign():
    assert number(1 / 3) == "0.333333"
    assert number(1 / 3, 10) == "0.3333333333"
    assert number(-0.0) == "0" and number(0.0, point=True) == "0.0"
    assert number(2.0) == "2" and number(2.0, point=True) == "2.0"
    assert number(1234567.0, point=True) == "1234567.0" and number(1234567.0) == "1.23457e+06"
    assert number(float("inf")) == "inf" and number(float("nan"), point=True) == "nan"


def test_fmt_writes_values_of_every_kind_on_one_line():
    assert fmt(cr.Scalar(0.5)) == "0.5"
    assert fmt(3) == "3" and fmt(True) == "True" and fmt(np.float32(2.0)) == "2.0"
    assert fmt(np.array([[1.0, 0.5], [-0.0, 1 / 3]])) == "[[1, 0.5], [0, 0.3333]]"
    assert fmt(np.arange(20.0)) == "shape (20,): min 0.0, mean 9.5, max 19.0"
    assert fmt("axis") == "'axis'"


def test_summary_of_an_empty_array():
    assert summary(np.zeros((0, 3))) == "shape (0, 3): empty"


def test_jsonable_keeps_small_arrays_and_summarises_large_ones():
    assert jsonable(np.array([1.0, 2.0])) == {"shape": [2], "values": [1.0, 2.0]}
    assert jsonable(np.zeros(13))["mean"] == 0.0
    assert jsonable({"a": (np.float64(1.5), None, np.bool_(True))}) == {"a": [1.5, None, True]}
