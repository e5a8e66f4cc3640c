"""What a notebook shows: pictures scaled to the column, a leaf as itself, a legend of the
kinds used, short reprs and HTML reprs of the checking reports."""

from __future__ import annotations

import math
import re
import shutil

import numpy as np
import pytest

import chainrule as cr
from chainrule.explanation import draw

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")


def problem1():
    x1, w1 = cr.Scalar(math.pi / 2, "x1"), cr.Scalar(1.0, "w1")
    x2, w2 = cr.Scalar(math.pi / 2, "x2"), cr.Scalar(1.0, "w2")
    return (x1, w1, x2, w2), 1 / (2 + cr.sin(x1 * w1) ** 2 + cr.cos(x2 * w2))


def legend_of(dot):
    return re.search(r"legend \[.*\];", dot).group(0)


def test_legend_lists_only_the_kinds_used():
    x, y = cr.Scalar(2.0, "x"), cr.Scalar(3.0, "y")
    legend = legend_of(cr.to_dot(x * y))
    assert "input (requires grad)" in legend and "output" in legend
    assert "constant" not in legend and "parameter" not in legend and "gate (op)" not in legend
    legend = legend_of(cr.to_dot(cr.sin(x * 2.0) + y))
    assert "constant (no gradient)" in legend and "gate (op)" in legend
    assert legend.count("<tr>") == 1                     # one row: not taller than the graph


def test_a_leaf_draws_as_itself():
    (x1, w1, _, _), f = problem1()
    assert x1.grad is None
    dot = cr.to_dot(x1)
    assert "output" not in dot and "grad None" in dot and "input" in dot
    f.backward()
    assert f"grad {draw._short(x1.grad)}" in cr.to_dot(x1)
    W = cr.tensor(np.eye(2), requires_grad=True, name="W")
    cr.sum(W * 3.0).backward()
    dot = cr.to_dot(W)
    assert "grad [[3, 3],<br/>&nbsp;[3, 3]]" in dot and "shape (2, 2)" in dot
    assert "grad None" in cr.to_dot(cr.tensor([1.0], requires_grad=True))
    assert "constant" in cr.to_dot(cr.tensor([1.0]))


def test_fit_width_keeps_the_natural_size_as_a_maximum():
    svg = '<?xml?>\n<svg width="1815pt" height="300pt" viewBox="0 0 1815 300">'
    assert draw.fit_width(svg) == ('<?xml?>\n<svg width="100%" style="max-width:1815pt;'
                                   'height:auto" viewBox="0 0 1815 300">')
    assert draw.fit_width("<svg>") == "<svg>"


@needs_dot
def test_notebook_picture_fits_the_column_full_size_one_click_away():
    _, f = problem1()
    svg = f._repr_svg_()
    assert re.search(r'<svg width="100%" style="max-width:[\d.]+pt;height:auto"', svg)
    page = f._repr_html_()
    assert page.count("<svg") == 2 and "<details><summary>full size</summary>" in page
    assert re.search(r'<details>.*<svg style="width:[\d.]+pt;height:auto"', page, re.S)


def test_hand_check_report_reprs():
    def f(x, w):
        return cr.sin(x * w) ** 2

    right = {"x": lambda x, w: 2 * math.sin(x * w) * math.cos(x * w) * w,
             "w": lambda x, w: 2 * math.sin(x * w) * math.cos(x * w) * x}
    wrong = {"x": lambda x, w: math.cos(x * w) * w, "w": right["w"]}
    ok = cr.check_hand_gradients(f, right, {"x": math.pi / 2, "w": 1.0}, n_random=5)
    assert repr(ok) == "<HandCheckReport: right: 2 partial(s) at 6 point(s)>"
    assert "right: every partial agrees" in ok._repr_html_()
    bad = cr.check_hand_gradients(f, wrong, {"x": math.pi / 2, "w": 1.0}, n_random=5)
    assert repr(bad) == ("<HandCheckReport: WRONG: x (2 partial(s) at 6 point(s)); "
                         "the given point hides x>")
    page = bad._repr_html_()
    assert "wrong: d/dx" in page and "&lt;" not in page.split("<pre")[0]
    assert len(repr(bad)) < 120


def test_local_check_and_blame_reprs():
    bad = cr.check_local_gradient("sigmoid", lambda x: x * (1 - x))
    assert re.fullmatch(r"<LocalCheckReport: sigmoid gate, .+: WRONG at \d+ of \d+ points>",
                        repr(bad)), repr(bad)
    assert "wrong at" in bad._repr_html_() and "<pre" in bad._repr_html_()
    good = cr.check_local_gradient("sigmoid", lambda x: (1 / (1 + math.exp(-x))) * (
        1 - 1 / (1 + math.exp(-x))))
    assert repr(good).endswith(": right>") and "right: " in good._repr_html_()
    my_sigmoid = cr.primitive("my_sigmoid_repr", lambda x: 1 / (1 + np.exp(-x)),
                              [lambda M, g, ans, x: g * x * (1 - x)], derivs=["x*(1-x)"])
    report = cr.blame(lambda x: cr.sum(my_sigmoid(x)), np.array([1.0, 2.0]))
    assert repr(report) == "<BlameReport: first wrong gate my_sigmoid_repr node #1, input x>"
    assert "wrong gate: my_sigmoid_repr node #1" in report._repr_html_()
