"""The interactive page in a real browser: headless Chromium driven by Playwright, loaded
from a file URL with every request outside the file blocked. The numbers it shows are
checked against the engine's own pass (the explanation's trace)."""

from __future__ import annotations

import io
import math
import os
import shutil

import numpy as np
import pytest
from homework_graphs import problem1, problem2

import chainrule as cr
from chainrule.explanation.trace import Trace
from chainrule.formatting import fmt

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed "
                               "(pip install playwright; the page tests need it)")
CHROMIUM = os.environ.get("CHAINRULE_CHROMIUM") or shutil.which("chromium") or shutil.which(
    "chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian: apt-get "
                       "install chromium; make test's set-up does this where it may)"),
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed "
                       "(the page's graph is laid out by it)"),
]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser, tmp_path):
    """Write a page and open it offline; yields a function (output, exercise) -> page."""
    opened = []

    def opener(output, exercise=False, name="steps.html"):
        path = cr.explain(output).page(tmp_path / name, exercise=exercise)
        context = browser.new_context(viewport={"width": 1400, "height": 800})
        blocked, errors = [], []

        def route(r):
            if r.request.url.startswith("file:"):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()
        context.route("**/*", route)
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri())
        opened.append((context, blocked, errors))
        return page

    yield opener
    for context, blocked, errors in opened:
        context.close()
        assert not blocked, f"the page tried the network: {blocked}"
        assert not errors, f"JavaScript errors: {errors}"


def texts(page, node_id):
    return page.locator(f"#{node_id} text").all_text_contents()


def walk(page, f):
    """Step through every node, then every edge, checking what the page shows."""
    t = Trace(f)
    index = {id(n): k for k, n in enumerate(t.order)}
    panel = page.locator("#panel")
    assert "Press Next" in panel.inner_text()            # opens before the first step
    assert "value = ?" in texts(page, "n0")
    assert "upstream" not in page.locator("#steps").inner_text()     # nothing computed yet
    for k, node in enumerate(t.order):
        page.keyboard.press("ArrowRight")
        shown = panel.inner_text()
        assert f"{t.name(node)} = " in shown and shown.rstrip().endswith(fmt(node.value) + (
            f" ({t.kind(node)})" if node.prim is None else "")), shown
        assert f"value = {fmt(node.value)}" in texts(page, f"n{k}")
        assert page.locator(f"#n{k}").get_attribute("class") == "node cur"
    page.keyboard.press("ArrowRight")                    # the seed
    assert f"{t.name(f)}.grad = 1.0" in panel.inner_text()
    so_far = {}
    t.panels = []
    for node, i, parent, c in t.edges:
        page.keyboard.press("ArrowRight")
        shown = " ".join(panel.inner_text().split())
        t.panels.append(shown)
        so_far[id(parent)] = so_far.get(id(parent), 0) + c
        total = fmt(so_far[id(parent)])
        assert f"edge {t.name(node)} → {t.name(parent)}" in shown
        up = "upstream " + ("" if t.scalar else "g = ") + fmt(t.grads[id(node)])
        assert up in shown, shown
        assert f"contribution {fmt(c)}" in shown
        assert f"added into {t.name(parent)}.grad:" in shown and shown.endswith(total) or \
            f"= {total}" in shown, shown
        if t.scalar:
            assert f"local {fmt(t.local(node, i))}" in shown or \
                f"= {fmt(t.local(node, i))} ->" in shown, shown
        k = index[id(node)]
        assert "cur" in page.locator(f"#e{k}_{i}").get_attribute("class")
        grad = [s for s in texts(page, f"n{index[id(parent)]}") if s.startswith("grad = ")]
        assert grad and grad[0].endswith(total), grad
    return t


def test_problem1_every_node_and_edge(open_page):
    f = problem1()
    page = open_page(f)
    t = walk(page, f)
    page.get_by_role("button", name="Next").click()
    done = page.locator("#panel").inner_text()
    assert "x2.grad = 0.111111" in done and "w2.grad = 0.174533" in done
    # the last step's row stays in view under the (taller) summary
    box = page.locator("#steps-box").bounding_box()
    last = page.locator("#steps tbody tr").last.bounding_box()
    assert box["y"] <= last["y"] and last["y"] + last["height"] <= box["y"] + box["height"] + 1
    # "backward" fits its column on one line
    lines = page.evaluate("(() => { const r = document.createRange(); r.selectNodeContents("
                          "document.querySelector('#steps tbody tr:last-child td:nth-child(2)'"
                          ")); return r.getClientRects().length; })()")
    assert lines == 1
    # Back undoes the steps, down to the page as it opened
    for _ in range(len(t.order) + len(t.edges) + 2):
        page.keyboard.press("ArrowLeft")
    assert "value = ?" in texts(page, "n0")
    assert "Press Next" in page.locator("#panel").inner_text()


def test_problem2_tensors_shapes_and_arrays(open_page):
    f = problem2()
    page = open_page(f)
    walk(page, f)
    body = page.locator("#steps").inner_text()
    assert "[[0.2875], [0.185], [0.08607]]" in body        # x.grad, every element shown
    assert "shape (3, 1)" in " ".join(page.locator("svg text").all_text_contents())


def test_tensor_exercise_asks_for_as_many_numbers_as_the_contribution_has(open_page):
    # a 0-d contribution was asked for as "1 numbers"
    f = problem2()
    page = open_page(f, exercise=True)
    t = Trace(f)
    labels = []
    for _ in range(len(t.order) + 1 + len(t.edges)):
        page.keyboard.press("ArrowRight")
        label = page.locator("label[for=answer-contribution]")
        labels.append(label.inner_text() if label.count() else None)
        if label.count():
            page.get_by_role("button", name="Reveal").click()
    asked = [x for x in labels if x]
    assert asked[0] == "contribution (upstream x local)"                  # v4 -> v3: 0-d
    assert "contribution (upstream x local, 3 numbers)" in asked          # v2 -> v1
    assert "contribution (upstream x local, 9 numbers)" in asked          # v1 -> W
    assert not any("1 numbers" in x for x in asked)


def test_fan_out_sums_are_shown(open_page):
    x = cr.Scalar(0.5, "x")
    a = x * 3.0
    f = a * a + cr.sin(a)                 # a feeds three edges
    page = open_page(f)
    t = walk(page, f)
    got = t.received[id(a)]
    assert len(got) == 3
    name = t.name(a)
    want = " + ".join(fmt(c) for c in got) + f" = {fmt(sum(got))}"
    rows = page.locator("#steps").inner_text()
    assert want in rows
    last = max(k for k, e in enumerate(t.edges) if e[2] is a)
    assert f"{name} is used more than once: its contributions add up: {name}.grad = " \
        f"{want}" in t.panels[last]
    k = t.order.index(a)
    assert f"grad = {want}" in texts(page, f"n{k}")


def test_exercise_wrong_then_right_and_score(open_page):
    f = problem1()
    page = open_page(f, exercise=True)
    t = Trace(f)
    for _ in range(len(t.order) + 2):                  # forward, seed, first edge
        page.keyboard.press("ArrowRight")
    assert "local ?" in page.locator("#panel").inner_text()
    assert page.locator("#e11_1 text").first.is_hidden()  # the local gradient is hidden
    local = page.get_by_label("local gradient dv8/dv7", exact=False)
    local.fill("0.5")
    page.get_by_role("button", name="Check the local").click()
    assert page.locator("#verdict-local").inner_text().startswith("wrong")
    local.fill("-1/x**2")                              # a formula, at the recorded v7 = 3
    local.press("Enter")
    assert page.locator("#verdict-local").inner_text() == "right"
    contribution = page.get_by_label("contribution (upstream x local)")
    contribution.fill("-0.1111")                       # a plain number, 4 digits
    contribution.press("Enter")
    assert page.locator("#panel").inner_text().count("-0.111111") >= 2   # now shown
    # the next edge: a formula in the node's names; then reveal one and skip the rest
    page.get_by_role("button", name="Next").click()
    page.get_by_label("local gradient", exact=False).fill("v4 - v4 + 1")
    page.get_by_label("local gradient", exact=False).press("Enter")
    assert page.locator("#verdict-local").inner_text() == "right"
    page.get_by_label("local gradient", exact=False)  # still there until both are answered
    page.get_by_role("button", name="Reveal").click()
    assert "-0.111111 x local 1.0" in page.locator("#panel").inner_text()
    for _ in range(len(t.edges)):
        page.get_by_role("button", name="Next").click()
    score = page.locator("#score").inner_text()
    questions = 2 * len(t.edges)
    assert score == f"Score: 3 of {questions} right"


def test_page_evaluator_is_the_formula_grammar(open_page):
    page = open_page(problem1())
    ev = "(a) => { try { return window.chainrulePage.evaluate(a[0], a[1]); } " \
         "catch (e) { return 'error: ' + e.message; } }"
    assert page.evaluate(ev, ["-x**2", {"x": 3}]) == -9              # Python's precedence
    assert page.evaluate(ev, ["2**-1", {}]) == 0.5
    assert page.evaluate(ev, ["2*sigmoid(0)*(1-sigmoid(0)) + cos(pi)", {}]) == -0.5
    assert page.evaluate(ev, ["x^2", {"x": 3}]).startswith("error: write powers as **")
    assert page.evaluate(ev, ["alert(1)", {}]) == "error: unknown function alert"
    assert page.evaluate(ev, ["y", {"x": 1}]).startswith("error: unknown name y")
    assert page.evaluate(ev, ["1 +", {}]) == "error: the answer ends too early"
    assert page.evaluate(ev, ["log(x, 10)", {"x": 100}]) == "error: log takes 1 argument, got 2"
    assert page.evaluate(ev, ["maximum(x)", {"x": 1}]) == ("error: maximum takes 2 arguments, "
                                                          "got 1")
    assert page.evaluate(ev, ["max(x) + min(x, 2) + sign(-x)", {"x": 3}]) == 4


def test_the_page_s_own_local_formulas_are_judged_right(open_page):
    # y*x, y/x, y**x with the learner's y and x: the page evaluated "y" as x's value
    y, x = cr.Scalar(2.0, "y"), cr.Scalar(1.5, "x")
    f = y * x + y / x + y ** x + cr.abs(cr.sin(y) * x)
    page = open_page(f, exercise=True)
    steps = page.evaluate("JSON.parse(document.getElementById('chainrule-data')"
                          ".textContent).steps")
    checked = 0
    for s in steps:
        if s["kind"] == "edge" and s["local_value"] is not None:
            got = page.evaluate("(a) => window.chainrulePage.check(a[0], a[1], a[2])",
                                [s["local_formula"], s["local_value"], s["variables"]])
            assert got == {"ok": True, "msg": "right"}, (s["local_formula"], s["variables"])
            checked += 1
    assert checked == 16


def test_keyboard_only_and_accessible_names(open_page):
    page = open_page(problem1(), exercise=True)
    for name in ("Back", "Next", "Zoom in", "Zoom out", "Fit the whole graph"):
        assert page.get_by_role("button", name=name).count() == 1
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")                                      # Back, then Next
    assert page.evaluate("document.activeElement.getAttribute('aria-label')") == "Next"
    page.keyboard.press("Enter")
    assert page.evaluate("window.chainrulePage.state()") == 0
    for _ in range(13):
        page.keyboard.press("ArrowRight")
    # Tab reaches the answer box; Enter checks it; the arrows type there, not step
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "answer-local":
            break
    assert page.evaluate("document.activeElement.id") == "answer-local"
    page.keyboard.type("-1/v7**2")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("window.chainrulePage.state()") == 13
    page.keyboard.press("Enter")
    assert page.locator("#verdict-local").inner_text() == "right"


def test_screenshot_is_a_graph(open_page):
    PIL = pytest.importorskip("PIL.Image", reason="Pillow is needed to read the screenshot")
    f = problem1()
    page = open_page(f)
    for _ in range(16):
        page.keyboard.press("ArrowRight")
    shot = PIL.open(io.BytesIO(page.locator("#graph").screenshot())).convert("RGB")
    pixels = np.asarray(shot)
    assert pixels.shape[0] > 300 and pixels.shape[1] > 500
    colours = {tuple(c) for c in pixels.reshape(-1, 3)[::7]}
    assert len(colours) > 50                                     # not blank
    assert (pixels.reshape(-1, 3) != 255).any(axis=1).mean() > 0.02
    red = (pixels[..., 0] > 180) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)
    assert red.sum() > 100                                       # the highlighted edge
    assert page.locator("svg g.node").count() == len(Trace(f).order) + 3   # + 3 constants


def chain(n_gates):
    x = cr.Scalar(0.3, "x")
    w = cr.Scalar(0.7, "w")
    h = x
    for _ in range(n_gates // 2):
        h = cr.tanh(h * w)
    return h


def test_500_nodes_usable(open_page):
    f = chain(498)
    t = Trace(f)
    assert len(t.order) == 500
    page = open_page(f, name="big.html")
    page.get_by_role("button", name="Next").click()
    view = page.evaluate("document.querySelector('#graph svg').getAttribute('viewBox')")
    full = page.evaluate("window.chainrulePage.size().w")
    assert float(view.split()[2]) < full / 3                  # starts zoomed in
    page.evaluate(f"window.chainrulePage.go({len(t.order) + 10})")   # deep in backward
    box = page.locator("#graph").bounding_box()
    cur = page.locator("g.node.cur").bounding_box()
    assert box["x"] <= cur["x"] + cur["width"] / 2 <= box["x"] + box["width"]   # followed
    assert box["y"] <= cur["y"] + cur["height"] / 2 <= box["y"] + box["height"]
    page.get_by_role("button", name="Fit the whole graph").click()
    fitted = page.evaluate("document.querySelector('#graph svg').getAttribute('viewBox')")
    assert float(fitted.split()[2]) == pytest.approx(full)
    page.get_by_role("button", name="Zoom in").click()
    zoomed = page.evaluate("document.querySelector('#graph svg').getAttribute('viewBox')")
    assert float(zoomed.split()[2]) < float(fitted.split()[2])
    # four-digit step numbers and long node names each stay on one line
    lines = page.evaluate("[1, 3].map(c => { const r = document.createRange(); "
                          "r.selectNodeContents(document.querySelector("
                          "`#steps tbody tr:nth-child(1200) td:nth-child(${c})`)); "
                          "return r.getClientRects().length; })")
    assert lines == [1, 1]


def test_a_narrow_window_shows_the_graph_and_the_steps(browser, tmp_path):
    # below 800 px the layout is one column: the graph was a 115 px strip and the step
    # table had no height at all
    path = cr.explain(problem1()).page(tmp_path / "steps.html")
    context = browser.new_context(viewport={"width": 700, "height": 900})
    try:
        page = context.new_page()
        page.goto(path.as_uri())
        graph = page.locator("#graph").bounding_box()
        box = page.locator("#steps-box").bounding_box()
        assert graph["height"] > 0.5 * 900 and box["height"] > 0.4 * 900
        assert box["y"] >= graph["y"] + graph["height"]            # one below the other
        assert page.locator("#steps tbody tr").first.is_visible()
    finally:
        context.close()


def odd_graphs():
    x = cr.Scalar(0.0, "x")
    yield "inf local gradient", cr.sqrt(x) + cr.log(x * 0 + math.inf), "inf"
    yield "a leaf", cr.Scalar(2.0, "x"), "x = 2.0 (output)"
    yield "no gradient", cr.sum(cr.tensor([1.0, 2.0]) * 2), "6.0"
    y = cr.Scalar(float("nan"), "y")
    yield "nan", y * y, "nan"


@pytest.mark.parametrize("case", list(odd_graphs()), ids=lambda c: c[0])
def test_odd_graphs_step_to_the_end_without_errors(open_page, case):
    _, f, shown = case
    page = open_page(f, exercise=True)
    n = page.evaluate("JSON.parse(document.getElementById('chainrule-data').textContent)"
                      ".steps.length")
    seen = []
    for _ in range(n + 1):
        page.keyboard.press("ArrowRight")
        seen.append(page.locator("#panel").inner_text())
    assert any(shown in s for s in seen), seen
    assert seen[-1].startswith("Done")
