"""LaTeX of an explanation: the homework's form, compiled by a real TeX engine and looked
at as a picture."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from homework_graphs import problem1, problem2

import chainrule as cr
from chainrule.explanation.latex import formula, name, text, value


def test_formulas_in_the_homeworks_form():
    assert formula("-1/x**2") == r"-\frac{1}{x^{2}}"
    assert formula("1 / x") == r"\frac{1}{x}"
    assert formula("x*(1-x)") == r"x \cdot \left(1 - x\right)"
    assert formula("-(x + y)") == r"-\left(x + y\right)"
    assert formula("a - (b - c)") == r"a - \left(b - c\right)"
    assert formula("(x + 1) ** 2") == r"\left(x + 1\right)^{2}"
    assert formula("W.T @ g") == r"W^{\top} g"
    assert formula("sqrt(x) + abs(y) + sigmoid(z)") == r"\sqrt{x} + \left|y\right| + \sigma(z)"
    assert formula("x / ||x||") == r"\frac{x}{\lVert x \rVert}"
    assert formula("1 at the maximum, 0 elsewhere") == r"\text{1 at the maximum, 0 elsewhere}"
    assert formula("s*(1-s), s = sigmoid(x)") == r"s \cdot \left(1 - s\right),\quad s = \sigma(x)"
    assert formula("logsumexp(x, 1)") == r"\operatorname{logsumexp}(x, 1)"
    assert name("x12") == "x_{12}" and name("pi") == r"\pi" and name("my_w") == r"\mathrm{my\_w}"
    assert text("a_b & 50% {x} <y>") == \
        r"\text{a\_b \& 50\% \{x\} \textless{}y\textgreater{}}"
    assert value(6.123233995736766e-17) == r"6.12323 \times 10^{-17}"
    assert value(np.array([[1.0, 2.0], [3.0, 4.5]])) == \
        r"\begin{bmatrix}1 & 2 \\ 3 & 4.5\end{bmatrix}"
    assert value(np.arange(20.0)).startswith(r"\text{shape (20,): min 0.0")
    assert value(3) == "3" and value(float("inf")) == r"\infty"


def test_problem1_gate_table_steps_and_gradients():
    e = cr.explain(problem1())
    tex = e.latex()
    assert r"f(x) = \frac{1}{x} \quad \frac{df}{dx} = -\frac{1}{x^{2}}" in tex
    assert r"f(x) = \cos(x) \quad \frac{df}{dx} = -\sin(x)" in tex
    assert r"v_{5} &= x_{2} \cdot w_{2} = 1.5708" in tex
    assert (r"\bar{w}_{2} &\mathrel{+}= \underbrace{0.111111}_{\bar{v}_{5}} \cdot "
            r"\underbrace{1.5708}_{x_{2}} = 0.174533 && \bar{w}_{2} = 0.174533") in tex
    assert r"\frac{\partial f}{\partial x_{2}} = 0.111111" in tex
    assert tex.count(r"\begin{align*}") == 2 and e._repr_latex_() == tex


def test_tensor_explanation_uses_vjps_and_matrices():
    tex = cr.explain(problem2()).latex()
    assert r"\begin{bmatrix}0.2875 \\ 0.185 \\ 0.08607\end{bmatrix}" in tex   # x's gradient
    assert r"\lVert v_{7} \rVert" in tex


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="no TeX engine (Debian: apt-get "
                    "install texlive-latex-base texlive-latex-recommended; make test's set-up "
                    "does this where it may)")
@pytest.mark.parametrize("make", [problem1, problem2])
def test_latex_compiles_and_renders(make, tmp_path):
    (tmp_path / "steps.tex").write_text(cr.explain(make()).latex(document=True))
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                           "steps.tex"], cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout.decode(errors="replace")[-2000:]
    log = (tmp_path / "steps.log").read_text(errors="replace")
    assert "Missing character" not in log and "Undefined control sequence" not in log
    assert "Overfull" not in log
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler's pdftoppm is not installed: the PDF was not looked at")
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "steps.pdf", "page"],
                   cwd=tmp_path, check=True, timeout=60)
    Image = pytest.importorskip("PIL.Image", reason="Pillow is needed to read the picture")
    png = next(tmp_path.glob("page*.png"))
    ink = np.asarray(Image.open(png).convert("L")) < 128
    assert 0.002 < ink.mean() < 0.3                 # text on the page, not a blank or a blot
    rows = np.flatnonzero(ink.any(axis=1))
    assert rows[-1] - rows[0] > ink.shape[0] / 3    # gates and steps fill the page
