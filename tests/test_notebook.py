"""examples/homework.ipynb runs from top to bottom (nbclient), and shows what a learner
should see: tables, pictures that fit the column, the pages, LaTeX, short reports."""

from __future__ import annotations

import os
import pathlib
import re
import shutil

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install "
                               "nbformat nbclient ipykernel; the test extra has them)")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed")
pytest.importorskip("ipykernel", reason="ipykernel is not installed")

NOTEBOOK = pathlib.Path(__file__).resolve().parent.parent / "examples" / "homework.ipynb"
pytestmark = [pytest.mark.slow, pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (the notebook "
    "draws the graphs)")]


def outputs(cell):
    data = {}
    for out in cell.get("outputs", []):
        for kind, value in out.get("data", {}).items():
            data[kind] = data.get(kind, "") + value
        if out.get("output_type") == "stream":
            data["stream"] = data.get("stream", "") + out["text"]
    return data


def test_homework_notebook_runs_and_shows_the_right_things(monkeypatch):
    src = str(NOTEBOOK.parent.parent / "src")
    monkeypatch.setenv("PYTHONPATH", src + os.pathsep + os.environ.get("PYTHONPATH", ""))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), \
        "commit the notebook without outputs"
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    cells = {c.source.splitlines()[-1]: outputs(c) for c in nb.cells if c.cell_type == "code"}
    assert "(0.3333333333333333, 0.1111111111111111, 0.17453292519943295)" in \
        cells["f.value, x2.grad, w2.grad"]["text/plain"]
    assert "Backward pass" in cells["e"]["text/html"] and "e.page()" in cells["e"]["text/html"]
    picture = cells["f"]["text/html"]
    assert re.search(r'<svg width="100%" style="max-width:[\d.]+pt', picture)
    assert "<summary>full size</summary>" in picture
    leaf = cells["x1"]["text/html"]
    assert leaf.startswith('<div class="chainrule-graph"><svg')
    assert ">output<" not in leaf and ">input<" in leaf and ">x1<" in leaf
    assert "grad &#45;1.361e&#45;17" in leaf          # x1.grad itself, not a seed of 1
    assert cells["e.page()"]["text/html"].startswith("<iframe srcdoc=")
    assert "&quot;exercise&quot;: true" in cells["e.page(exercise=True)"]["text/html"]
    assert r"\frac{df}{dx} = -\frac{1}{x^{2}}" in cells["Latex(e.latex())"]["text/latex"]
    hand = cells["report"]
    assert hand["text/plain"].startswith("<HandCheckReport: WRONG: x1")
    assert "the given point hides x1" in hand["text/plain"] and len(hand["text/plain"]) < 200
    assert "wrong: d/dx1" in hand["text/html"]
    assert cells["print(repr(report))"]["stream"].startswith("<HandCheckReport: WRONG")
    local = cells['cr.check_local_gradient("sigmoid", lambda x: x * (1 - x))']
    assert local["text/plain"].startswith("<LocalCheckReport: sigmoid gate")
    assert "WRONG at" in local["text/plain"]
    assert "[[0.2875]" in cells["x.grad"]["text/plain"] or \
        "0.28746968" in cells["x.grad"]["text/plain"]
    assert "grad [[" in cells["W"]["text/html"] and ">output<" not in cells["W"]["text/html"]
    blame = [v for k, v in cells.items() if k.startswith("cr.blame(")][0]
    assert blame["text/plain"] == \
        "<BlameReport: first wrong gate my_sigmoid node #2, input x>"
