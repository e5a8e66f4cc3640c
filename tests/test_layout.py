"""Text laid out to a width (chainrule.layout) and cr.explain's text at every width."""

import io
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.layout import MARK, clip, fit_table, output_width, shorten, table_width, wrap

WIDTHS = (60, 80, 100, 160)


def widest(text):
    return max(len(line) for line in text.splitlines())


def test_a_table_that_fits_is_aligned_unchanged():
    lines = fit_table(["a", "bb"], [["1", "2"], ["333", "4"]], 40, indent=2, rule=True)
    assert lines == ["  a    bb", "  ---  --", "  1    2", "  333  4"]
    assert table_width(["a", "bb"], [["1", "2"], ["333", "4"]], 2) == 9


def test_a_slightly_wide_table_abbreviates_its_widest_cell_in_the_middle():
    rows = [["x", "0.111111 x 1.5708 = 0.174533 and more words here"]]
    lines = fit_table(["name", "formula"], rows, 44)
    assert all(len(line) <= 44 for line in lines)
    assert MARK in lines[1] and lines[1].rstrip().endswith("more words here")


def test_a_much_too_wide_table_is_stacked_one_block_per_row():
    rows = [["1", "v3", "[[0.2875, 0.5749, 0.8624], [0.185, 0.3699, 0.5549]]", "2.97"],
            ["2", "v2", "[[1.462], [1.762], [1.905]]", "[[1.462], [1.762], [1.905]]"]]
    lines = fit_table(["step", "node", "upstream g", "grad"], rows, 50, indent=2)
    assert lines[:5] == ["  step 1", "    node        v3",
                         "    upstream g  [[0.2875, 0.5749,…0.3699, 0.5549]]",
                         "    grad        2.97", "  step 2"]
    assert all(len(line) <= 50 for line in lines)


def test_shorten_keeps_both_ends_and_clip_keeps_the_start():
    assert shorten("abcdefghijkl", 9) == "abcd…ijkl"
    assert shorten("abc", 9) == "abc"
    assert clip("abcdefghijkl", 6) == "abcde…"
    assert shorten("abcdefghijkl", 5) == "abcd…"


def test_wrap_breaks_prose_between_words_and_keeps_the_indent():
    text = "   " + " ".join(["word"] * 30)
    lines = wrap(text, 40, "  ").splitlines()
    assert all(len(line) <= 40 for line in lines)
    assert lines[0].startswith("   word") and lines[1].startswith("     word")


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="ab [],.-0123456789\n", max_size=90),
                         min_size=1, max_size=7), min_size=1, max_size=6),
       st.integers(20, 200), st.integers(0, 4))
def test_no_line_is_ever_wider_than_the_width(rows, width, indent):
    header = [f"h{k}" for k in range(max(len(r) for r in rows))]
    for lines in (fit_table(header, rows, width, indent=indent, rule=True),
                  fit_table([], rows, width, indent=indent)):
        assert all(len(line) <= width for line in lines)


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_output_width_rules(monkeypatch):
    monkeypatch.setenv("COLUMNS", "72")
    assert output_width(io.StringIO()) == 72
    assert output_width(io.StringIO(), requested=130) == 130
    monkeypatch.delenv("COLUMNS")
    assert output_width(io.StringIO()) == 100
    monkeypatch.setenv("COLUMNS", "wide")
    assert output_width(io.StringIO()) == 100
    monkeypatch.setenv("COLUMNS", "91")  # shutil reads COLUMNS first for a terminal too
    assert output_width(FakeTTY()) == 91


def _problem2():
    W = cr.Tensor(np.eye(3), requires_grad=True, name="W")
    x = cr.Tensor(np.array([[1.0], [2.0], [3.0]]), requires_grad=True, name="x")
    return cr.norm(cr.sigmoid(W @ x)) ** 2


def _problem1():
    v = [cr.Scalar(np.pi / 2, "x1"), cr.Scalar(1.0, "w1"), cr.Scalar(np.pi / 2, "x2"),
         cr.Scalar(1.0, "w2")]
    return 1 / (2 + cr.sin(v[0] * v[1]) ** 2 + cr.cos(v[2] * v[3]))


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("make", [_problem1, _problem2])
def test_explain_text_fits_every_width(make, width):
    text = cr.explain(make()).text(width=width)
    assert widest(text) <= width
    assert "Gradients" in text and ("0.174533" in text or "0.2875" in text)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_forward_mode_tangent_table_fits_every_width(width):
    W = cr.tensor([[1.0, 2.0], [0.5, -1.0]], requires_grad=True, name="W")
    x = cr.tensor([1.0, 2.0], requires_grad=True, name="x")
    y = cr.sum(cr.tanh(W @ x))
    text = cr.explain(y, mode="forward", wrt="x", seed=np.array([1.0, 0.0])).text(width=width)
    assert widest(text) <= width and "Forward mode" in text
    text = cr.explain(_problem1(), mode="forward", wrt="x2").text(width=width)
    assert widest(text) <= width


def test_explain_text_uses_columns_in_a_pipe(monkeypatch):
    monkeypatch.setenv("COLUMNS", "70")
    assert widest(str(cr.explain(_problem2()))) <= 70


def test_problem1_backward_table_keeps_the_contribution_at_100_columns():
    lines = cr.explain(_problem1()).text(width=100).splitlines()
    row = next(line for line in lines if line.split()[:2] == ["4", "v5"] and "x2" in line)
    assert row.split()[-2:] == ["0.111111", "0.111111"] and MARK not in row


# -- every command's output at every width ------------------------------------------------

ANSWERS = Path(__file__).resolve().parents[1] / "examples" / "answers.csv"
P1 = "1/(2 + sin(x1*w1)**2 + cos(x2*w2))"
P1_AT = ["x1=pi/2", "w1=1", "x2=pi/2", "w2=1"]
P2 = ["norm(sigmoid(W @ x))**2", "--at", "W=eye(3)", "x=[[1],[2],[3]]"]
COMMANDS = {
    "grad p1 explain check": ["grad", P1, "--at", *P1_AT, "--explain", "--check"],
    "grad p2 explain hessian": ["grad", *P2, "--explain", "--hessian", "--check"],
    "grad wide matrix": ["grad", "sum(A*A) + " + " + ".join(["sum(sin(A))"] * 12),
                         "--at", "A=ones(12, 12)*1.234567"],
    "grad jacobian": ["grad", "sigmoid(W @ x)", "--at", "W=eye(3)", "x=[[1],[2],[3]]",
                      "--jacobian"],
    "check": ["check", P1, "--at", *P1_AT, "--hand",
              "x2=sin(x2*w2)*w2/(2+sin(x1*w1)**2+cos(x2*w2))**2", "x1=0"],
    "check shape": ["check", "sum(x**2)", "--at", "x=[[1],[2],[3]]", "--hand",
                    "x=2*transpose(x)"],
    "grade": ["grade", P1, str(ANSWERS), "--at", *P1_AT],
    "functions": ["functions"],
    "demo": ["demo"],
    "demo full": ["demo", "--full"],
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_fits_the_width(name, width, capsys, tmp_path, monkeypatch):
    from chainrule.cli.main import main

    monkeypatch.chdir(tmp_path)
    status = main([*COMMANDS[name], "--width", str(width)])
    out = capsys.readouterr().out
    assert status in (0, 1)
    assert out.strip() and widest(out) <= width
