"""The interactive page as made in Python (no browser): its data, its file, its notebook
form. The browser tests are in test_page.py."""

from __future__ import annotations

import json
import math
import re
import shutil

import pytest
from homework_graphs import problem1

import chainrule as cr
from chainrule.explanation.page import Page, page_data
from chainrule.explanation.render import Explanation
from chainrule.explanation.trace import Trace

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")


def test_steps_in_the_learners_notation():
    data = page_data(Trace(problem1()))
    kinds = [s["kind"] for s in data["steps"]]
    assert kinds == ["forward"] * 12 + ["seed"] + ["edge"] * 11
    edge = next(s for s in data["steps"] if s["kind"] == "edge" and s["input"] == "v5")
    assert edge["text"] == ("upstream -0.111111 x local -sin(v5) = -1.0 -> contribution "
                            "0.111111, added into v5.grad: 0.111111")
    assert edge["variables"] == {"v5": pytest.approx(math.pi / 2),
                                 "x": pytest.approx(math.pi / 2)}
    assert data["steps"][8]["text"] == "v5 = x2 * w2 = 1.5708 * 1.0 = 1.5708"


def test_long_fan_out_sums_are_shortened():
    x = cr.Scalar(2.0, "x")
    f = x * 1.0
    for _ in range(6):
        f = f + x
    last = [s for s in page_data(Trace(f))["steps"] if s["kind"] == "edge"][-1]
    assert last["accumulated"] == "1.0 + 1.0 + ... + 1.0 = 7.0 (7 contributions)"


@needs_dot
def test_page_file_and_notebook_form(tmp_path):
    e = cr.explain(problem1())
    path = e.page(tmp_path / "steps.html")
    text = path.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<svg" in text
    assert not re.search(r"(src|href)=\"https?:", text)          # nothing from the network
    payload = re.search(r'id="chainrule-data">(.*?)</script>', text, re.S).group(1)
    assert len(json.loads(payload)["steps"]) == 24
    page = e.page()
    assert isinstance(page, Page) and page.html == text
    assert repr(page) == f"<Page: 24 steps, {len(text):,} characters of HTML>"
    frame = page._repr_html_()
    assert frame.startswith("<iframe srcdoc=\"&lt;!DOCTYPE html&gt;") and "width:100%" in frame


def test_page_needs_the_trace():
    e = Explanation(title="t", scalar=True, gates=[], forward=[], backward=[], gradients=[],
                    notes=[], elided={})
    with pytest.raises(ValueError, match="not made by cr.explain"):
        e.page()


@pytest.mark.parametrize("make, want", [
    # the learner's own names win over the rule table's x, y: d(y*x)/dx is shown as "y"
    (lambda y, x: y * x, [("y", "x", {"y": 2.0, "x": 5.0}), ("x", "y", {"y": 2.0, "x": 5.0})]),
    (lambda y, x: y / x, [("y", "1/x", {"y": 2.0, "x": 5.0}),
                          ("x", "-y/x**2", {"y": 2.0, "x": 5.0})]),
    # one input: the rule's x is an alias only when no node is called x
    (lambda y, x: cr.sin(y) + x, [("v1", "1", {"v1": math.sin(2.0), "x": 5.0}),
                                  ("x", "1", {"v1": math.sin(2.0), "x": 5.0}),
                                  ("y", "cos(y)", {"y": 2.0})]),
])
def test_a_gate_s_names_mean_the_learner_s_variables(make, want):
    # y*x gave {"y": 5, "x": 5}: typing the page's own formula "y" was called wrong
    f = make(cr.Scalar(2.0, "y"), cr.Scalar(5.0, "x"))
    edges = [s for s in page_data(Trace(f), exercise=True)["steps"] if s["kind"] == "edge"]
    got = [(s["input"], s["local_formula"], s["variables"]) for s in edges]
    assert got == [(i, formula, pytest.approx(v)) for i, formula, v in want]
