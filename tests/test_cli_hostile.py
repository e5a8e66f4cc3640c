"""The command line and the picture writer facing hostile input: exactly the files named,
clean text out (no control characters, no comments, no raw library errors), a formula
that starts with a minus sign."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli.formula import FormulaUsageError, escape, parse
from chainrule.cli.main import main
from chainrule.cli.parser import protect_formula
from chainrule.errors import ShapeError

HAS_DOT = shutil.which("dot") is not None


def run(capsys, *argv):
    status = main([*argv, "--no-color", "--width", "1000"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# -- files --------------------------------------------------------------------------------

def _y():
    x = cr.Scalar(2.0, "x")
    return x * x


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_render_writes_exactly_the_file_named(tmp_path):
    (tmp_path / "g.dot").write_text("mine")
    out = cr.render(_y(), tmp_path / "g.dot.svg")
    assert out == tmp_path / "g.dot.svg" and "<svg" in out.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.dot.svg"]
    assert (tmp_path / "g.dot").read_text() == "mine"


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_render_keeps_the_dot_text_only_when_asked(tmp_path):
    cr.render(_y(), tmp_path / "g.svg", keep_dot=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.svg"]
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_render_refuses_a_folder_and_a_missing_folder(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a folder"):
        cr.render(_y(), str(tmp_path) + "/")
    with pytest.raises(IsADirectoryError):
        cr.render(_y(), tmp_path)
    (tmp_path / "d.svg").mkdir()
    with pytest.raises(IsADirectoryError):
        cr.render(_y(), tmp_path / "d.svg")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        cr.render(_y(), tmp_path / "missing" / "g.dot")
    with pytest.raises(ValueError, match="suffix-less"):
        cr.render(_y(), tmp_path / "g")
    assert [p.name for p in tmp_path.iterdir()] == ["d.svg"]


def test_render_overwrites_unless_told_not_to(tmp_path):
    target = tmp_path / "g.dot"
    target.write_text("old")
    with pytest.raises(FileExistsError, match="not replaced"):
        cr.render(_y(), target, overwrite=False)
    assert target.read_text() == "old"
    cr.render(_y(), target)
    assert target.read_text().startswith("digraph")


def test_graph_option_refuses_an_existing_file_without_force(capsys, tmp_path):
    target = tmp_path / "g.dot"
    target.write_text("old")
    status, _, err = run(capsys, "grad", "x*x", "--at", "x=1", "--graph", str(target))
    assert status == 2 and "the file exists; add --force" in err
    assert target.read_text() == "old"
    status, out, _ = run(capsys, "grad", "x*x", "--at", "x=1", "--graph", str(target),
                         "--force")
    assert status == 0 and target.read_text().startswith("digraph")


def test_graph_option_refuses_a_folder(capsys, tmp_path):
    status, _, err = run(capsys, "grad", "x*x", "--at", "x=1", "--graph",
                         str(tmp_path) + "/")
    assert status == 2 and "must end in .dot" in err
    (tmp_path / "d.dot").mkdir()
    status, _, err = run(capsys, "grad", "x*x", "--at", "x=1", "--graph",
                         str(tmp_path / "d.dot"))
    assert status == 2 and "cannot write the file" in err and "is a folder" in err
    (tmp_path / "d.dot").rmdir()
    status, _, err = run(capsys, "grad", "x*x", "--at", "x=1", "--graph",
                         str(tmp_path / "no" / "g.dot"))
    assert status == 2 and "does not exist" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_graph_option_with_keep_dot(capsys, tmp_path):
    status, _, _ = run(capsys, "grad", "x*x", "--at", "x=1", "--graph",
                       str(tmp_path / "g.svg"), "--keep-dot")
    assert status == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["g.dot", "g.svg"]


# -- clean text ---------------------------------------------------------------------------

def test_escape_writes_control_characters_as_escapes():
    assert escape("a\x1b[31mb\tc\r\n\u202e\x9b") == "a\\x1b[31mb\\tc\\r\\n\\u202e\\x9b"
    assert escape("a\nb", keep_newlines=True) == "a\nb"
    assert escape("plain (x) + 1") == "plain (x) + 1"


def test_comments_are_refused_with_a_caret():
    with pytest.raises(FormulaUsageError, match=r"comments \(#\)") as info:
        parse("x # f = 3")
    assert info.value.show().splitlines()[-1] == "      ^^^^^^^"


def test_a_comment_cannot_forge_a_result_line(capsys):
    status, out, err = run(capsys, "grad", "x  # df/dx = 42", "--at", "x=1")
    assert status == 2 and out == "" and "comments (#)" in err


def test_ansi_escapes_never_reach_the_terminal(capsys):
    status, out, err = run(capsys, "grad", "x\x1b[31m + 1", "--at", "x=1")
    assert status == 2 and "\x1b" not in err and "\\x1b[31m" in err
    lines = err.splitlines()
    # the caret sits under the escaped character
    assert lines[-1].index("^") == lines[-2].index("\\x1b")
    status, out, err = run(capsys, "grad", "x", "--at", "x=1", "--wrt", "y\x1b[2J")
    assert status == 2 and "\x1b" not in err and "y\\x1b[2J" in err


def test_a_tab_in_a_formula_is_echoed_escaped(capsys):
    status, out, _ = run(capsys, "grad", "x\t+ 1", "--at", "x=1")
    assert status == 0 and "\t" not in out and "f(x) = x\\t+ 1" in out


@pytest.mark.parametrize("formula, value, grad", [
    ("-x**2", 1.0, -2.0), ("-sin(x)", 0.0, -1.0), ("-x", 1.0, -1.0)])
def test_a_formula_starting_with_minus_is_not_an_option(capsys, formula, value, grad):
    status, out, _ = run(capsys, "grad", formula, "--at", f"x={value}", "--json")
    assert status == 0 and f'"x": {grad}' in out


def test_protect_formula_leaves_options_and_negative_numbers():
    assert protect_formula(["grad", "-x", "--at", "x=-1", "-h", "-2.5", "-1e3"]) == [
        "grad", " -x", "--at", "x=-1", "-h", "-2.5", "-1e3"]


@pytest.mark.parametrize("value, message", [
    ("0x" + "f" * 4990, "larger than the largest float"),
    ("1" * 5000, "too many digits"),
])
def test_huge_numbers_are_usage_errors(capsys, value, message):
    status, _, err = run(capsys, "grad", "x", "--at", f"x={value}")
    assert status == 2 and message in err and "internal error" not in err


def test_a_negative_seed_is_refused_by_the_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["grad", "x", "--at", "x=1", "--check", "--seed", "-1"])
    assert exit_.value.code == 2 and "--seed" in capsys.readouterr().err


def test_numpy_warnings_become_notes_without_file_paths(capsys, tmp_path):
    status, out, err = run(capsys, "grad", "log(x)", "--at", "x=0", "--explain", "--graph",
                           str(tmp_path / "g.dot"))
    assert status == 1
    assert "RuntimeWarning" not in err and ".py:" not in err
    assert all(line.startswith("chainrule: ") for line in err.splitlines())


def test_out_of_memory_is_its_own_message(capsys, monkeypatch):
    import chainrule.cli.commands_grad as cli

    def boom(*args):
        raise MemoryError
    monkeypatch.setattr(cli, "gradients", boom)
    status, _, err = run(capsys, "grad", "x", "--at", "x=1")
    assert status == 3 and "out of memory" in err and "internal error" not in err


def test_a_batched_matmul_shape_error_names_both_full_shapes():
    a, b = cr.Tensor(np.ones((2, 3, 4))), cr.Tensor(np.ones((3, 4, 5)))
    with pytest.raises(ShapeError, match=r"\(2, 3, 4\) @ \(3, 4, 5\): batch dimensions"):
        a @ b


def test_a_fractional_power_of_a_negative_scalar_is_nan_not_an_internal_error(capsys):
    status, out, err = run(capsys, "grad", "x ** 0.5", "--at", "x=-1", "--json")
    assert status == 1 and "internal error" not in err
    assert '"value": null' in out or "NaN" in out or "nan" in out
    assert np.isnan(cr.grad(lambda x: x ** 0.5)(-1.0))
    assert cr.grad(lambda x: x ** 1.5)(4.0) == pytest.approx(3.0)


def test_a_bool_size_is_refused(capsys):
    status, _, err = run(capsys, "grad", "sum(ones(True))*x", "--at", "x=1")
    assert status == 1 and "sizes must be non-negative integers, got True" in err
