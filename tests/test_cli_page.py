"""``chainrule grad --page/--exercise/--latex`` and the demo's pages."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from chainrule.cli.main import main

P1 = "1/(2 + sin(x1*w1)**2 + cos(x2*w2))"
P1_AT = ["x1=pi/2", "w1=1", "x2=pi/2", "w2=1"]
needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed")


def run(capsys, *argv):
    status = main(list(argv))
    got = capsys.readouterr()
    return status, got.out, got.err


def data_of(path):
    text = path.read_text()
    return json.loads(re.search(r'id="chainrule-data">(.*?)</script>', text, re.S).group(1))


@needs_dot
def test_grad_page_and_exercise_page(capsys, tmp_path):
    status, out, _ = run(capsys, "grad", P1, "--at", *P1_AT, "--page",
                         str(tmp_path / "steps.html"), "--no-color")
    assert status == 0 and f"page written to {tmp_path / 'steps.html'}" in out
    data = data_of(tmp_path / "steps.html")
    assert not data["exercise"] and len(data["steps"]) == 24
    assert any(s.get("text", "").startswith("upstream -0.111111 x local -sin(v5) = -1.0")
               for s in data["steps"])
    status, out, _ = run(capsys, "grad", P1, "--at", *P1_AT, "--page",
                         str(tmp_path / "ex.html"), "--exercise", "--json")
    assert status == 0 and json.loads(out)["page"] == str(tmp_path / "ex.html")
    assert data_of(tmp_path / "ex.html")["exercise"] is True


def test_grad_latex_printed_and_written(capsys, tmp_path):
    status, out, _ = run(capsys, "grad", "1/x", "--at", "x=2", "--latex", "--no-color")
    assert status == 0
    assert r"f(x) = \frac{1}{x} \quad \frac{df}{dx} = -\frac{1}{x^{2}}" in out
    status, out, _ = run(capsys, "grad", "1/x", "--at", "x=2", "--latex",
                         str(tmp_path / "s.tex"))
    assert status == 0 and "LaTeX written to" in out
    assert (tmp_path / "s.tex").read_text().startswith("\\documentclass{article}")
    status, out, _ = run(capsys, "grad", "1/x", "--at", "x=2", "--latex", "--json")
    assert r"\frac{df}{dx}" in json.loads(out)["latex"]


def test_page_option_mistakes_are_named(capsys, tmp_path, monkeypatch):
    status, _, err = run(capsys, "grad", "sin(x)", "--at", "x=1", "--exercise")
    assert status == 2 and "--exercise needs --page FILE" in err
    status, _, err = run(capsys, "grad", "sin(x)", "--at", "x=1", "--page",
                         str(tmp_path / "p.svg"))
    assert status == 2 and "must end in .html" in err
    status, _, err = run(capsys, "grad", "sin(x)", "--at", "x=1", "--latex",
                         str(tmp_path / "no" / "such" / "dir.tex"))
    assert status == 2 and "does not exist" in err
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    status, _, err = run(capsys, "grad", "sin(x)", "--at", "x=1", "--page",
                         str(tmp_path / "p.html"))
    assert status == 1 and "--page needs Graphviz" in err


@needs_dot
def test_page_that_cannot_be_written(capsys, tmp_path):
    status, _, err = run(capsys, "grad", "sin(x)", "--at", "x=1", "--page",
                         str(tmp_path / "no" / "p.html"))
    assert status == 2 and "does not exist" in err


def test_page_and_latex_replace_an_existing_file_only_with_force(capsys, tmp_path):
    for option, name in (("--latex", "s.tex"), ("--page", "p.html")):
        target = tmp_path / name
        target.write_text("mine")
        status, _, err = run(capsys, "grad", "1/x", "--at", "x=2", option, str(target))
        assert status == 2 and "the file exists; add --force" in err
        assert target.read_text() == "mine"
        folder = tmp_path / f"folder{target.suffix}"
        folder.mkdir()
        status, _, err = run(capsys, "grad", "1/x", "--at", "x=2", option, str(folder))
        assert status == 2 and "that is a folder" in err
    status, _, _ = run(capsys, "grad", "1/x", "--at", "x=2", "--latex",
                       str(tmp_path / "s.tex"), "--force")
    assert status == 0 and (tmp_path / "s.tex").read_text().startswith("\\documentclass")


@needs_dot
def test_demo_writes_a_page_per_problem(capsys, tmp_path):
    status, out, _ = run(capsys, "demo", "--full", "--out", str(tmp_path / "d"),
                         "--no-color")
    assert status == 0
    for stem, n_steps in (("problem1", 24), ("problem2", 12)):
        assert f"{stem}.html" in out
        assert len(data_of(tmp_path / "d" / f"{stem}.html")["steps"]) == n_steps
