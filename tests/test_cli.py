"""The chainrule command: in-process through ``main`` and end to end through the installed
console script."""

import ast
import contextlib
import io
import json
import math
import os
import pathlib
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from formula_reference import FORMULAS, VALUES, Unknown, reference_value
from hypothesis import event, given, settings
from hypothesis import strategies as st

from chainrule.cli.main import main
from chainrule.cli.terminal import Style, fmt_array, table

SCRIPT = pathlib.Path(sys.executable).with_name("chainrule")
HAS_DOT = shutil.which("dot") is not None
P1 = "1/(2 + sin(x1*w1)**2 + cos(x2*w2))"
P1_AT = ["x1=pi/2", "w1=1", "x2=pi/2", "w2=1"]
P1_HAND = [
    "x1=-2*sin(x1*w1)*cos(x1*w1)*w1/(2+sin(x1*w1)**2+cos(x2*w2))**2",
    "w1=-2*sin(x1*w1)*cos(x1*w1)*x1/(2+sin(x1*w1)**2+cos(x2*w2))**2",
    "x2=sin(x2*w2)*w2/(2+sin(x1*w1)**2+cos(x2*w2))**2",
    "w2=sin(x2*w2)*x2/(2+sin(x1*w1)**2+cos(x2*w2))**2",
]


def run_main(capsys, *argv):
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_json(capsys, *argv):
    status, out, err = run_main(capsys, *argv, "--json")
    return status, json.loads(out)


def script(*argv, env=None, timeout=60):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([str(SCRIPT), *argv], capture_output=True, text=True,
                          timeout=timeout, env=full_env)


# -- grad -------------------------------------------------------------------------------------

def test_grad_problem1_at_half_pi_gives_the_published_values(capsys):
    status, data = run_json(capsys, "grad", P1, "--at", *P1_AT)
    assert status == 0
    assert data["engine"] == "scalar"
    assert data["value"] == pytest.approx(1 / 3, abs=1e-15)
    g = data["gradient"]
    assert list(g) == ["x1", "w1", "x2", "w2"]
    assert g["x2"] == pytest.approx(1 / 9, abs=1e-15)
    assert g["w2"] == pytest.approx(math.pi / 18, abs=1e-15)
    assert abs(g["x1"]) < 1e-15 and abs(g["w1"]) < 1e-15


def test_grad_problem2_matches_the_closed_form(capsys):
    status, data = run_json(capsys, "grad", "norm(sigmoid(W @ x))**2",
                            "--at", "W=eye(3)", "x=[[1],[2],[3]]")
    assert status == 0 and data["engine"] == "tensor"
    x = np.array([[1.0], [2.0], [3.0]])
    s = 1 / (1 + np.exp(-x))
    g = 2 * s * s * (1 - s)
    np.testing.assert_allclose(data["gradient"]["W"], g @ x.T, rtol=1e-12)
    np.testing.assert_allclose(data["gradient"]["x"], g, rtol=1e-12)
    assert data["at"]["W"] == np.eye(3).tolist()


def test_grad_text_output_is_an_aligned_table(capsys):
    status, out, err = run_main(capsys, "grad", P1, "--at", *P1_AT)
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == f"f(x1, w1, x2, w2) = {P1}"
    results = [line for line in lines if line.startswith(("f ", "df/d"))]
    assert [r.split()[0] for r in results] == ["f", "df/dx1", "df/dw1", "df/dx2", "df/dw2"]
    assert len({r.index("=") for r in results}) == 1
    assert "df/dx2  =   0.111111" in out and "df/dw2  =   0.174533" in out
    assert "\x1b[" not in out


def test_precision_sets_significant_digits(capsys):
    _, out, _ = run_main(capsys, "grad", "x/3", "--at", "x=1", "--precision", "3")
    assert "f      =   0.333" in out and "0.3333" not in out
    _, out, _ = run_main(capsys, "grad", "x/3", "--at", "x=1", "--precision", "12")
    assert "0.333333333333" in out


def test_wrt_limits_the_partials(capsys):
    status, data = run_json(capsys, "grad", "x*y*z", "--at", "x=2", "y=3", "z=5",
                            "--wrt", "z", "x")
    assert status == 0
    assert data["gradient"] == {"z": 6.0, "x": 15.0}


def test_hessian_matches_the_closed_form(capsys):
    status, data = run_json(capsys, "grad", "sin(x)*y**2", "--at", "x=0.7", "y=1.3",
                            "--hessian")
    assert status == 0
    x, y = 0.7, 1.3
    expected = [[-math.sin(x) * y**2, 2 * y * math.cos(x)],
                [2 * y * math.cos(x), 2 * math.sin(x)]]
    assert data["hessian"]["variables"] == ["x", "y"]
    np.testing.assert_allclose(data["hessian"]["matrix"], expected, rtol=1e-12)


def test_hessian_over_matrix_elements_is_labelled_by_index(capsys):
    status, data = run_json(capsys, "grad", "sum(A @ v)**2", "--at", "A=[[1, 2]]",
                            "v=[[3], [4]]", "--hessian", "--wrt", "A")
    assert status == 0
    assert data["hessian"]["variables"] == ["A[0,0]", "A[0,1]"]
    v = np.array([3.0, 4.0])
    np.testing.assert_allclose(data["hessian"]["matrix"], 2 * np.outer(v, v), rtol=1e-12)


def test_hessian_text_is_a_labelled_matrix(capsys):
    status, out, _ = run_main(capsys, "grad", "x**2*y", "--at", "x=1", "y=2", "--hessian")
    assert status == 0
    i = out.splitlines().index(next(l for l in out.splitlines() if l.startswith("Hessian")))
    head, row_x, row_y = out.splitlines()[i + 1: i + 4]
    assert head.split() == ["x", "y"]
    assert row_x.split() == ["x", "4", "2"] and row_y.split() == ["y", "2", "0"]


def test_check_passes_for_a_smooth_formula(capsys):
    status, data = run_json(capsys, "grad", "tanh(x) * exp(-y**2)", "--at", "x=0.3", "y=1",
                            "--check", "--random", "5")
    assert status == 0
    assert data["check"] == {"ok": True, "points": 6, "skipped": 0, "failure": None,
                             "notes": [], "conclusive": True}


def test_check_passes_at_a_kink_and_says_how_it_judged(capsys):
    status, out, _ = run_main(capsys, "grad", "relu(x)", "--at", "x=0", "--check")
    assert status == 0
    assert "check passed" in out
    assert ("judged by at the given point: argument 0 at its value: a kink (one-sided "
            "slopes 0 left, 1 right)") in out


def test_check_passes_at_a_domain_edge(capsys):
    status, data = run_json(capsys, "grad", "sqrt(x)", "--at", "x=1e-12", "--check",
                            "--random", "0")
    assert status == 0 and data["check"]["ok"]
    assert "leaves f's domain" in data["check"]["notes"][0]


def test_explain_shows_the_gate_table_and_the_steps(capsys):
    status, out, _ = run_main(capsys, "grad", P1, "--at", *P1_AT, "--explain")
    assert status == 0
    assert "Gates" in out and "Forward pass" in out and "Backward pass" in out
    assert "df/dx = cos(x)" in out and "-1/x**2" in out


def test_explain_json_is_included(capsys):
    status, data = run_json(capsys, "grad", "x*x", "--at", "x=3", "--explain")
    assert status == 0 and data["gradient"]["x"] == 6.0
    assert {"gates", "forward", "backward"} <= set(data["explain"])


def test_graph_writes_dot_always(capsys, tmp_path):
    target = tmp_path / "g.dot"
    status, out, _ = run_main(capsys, "grad", "sin(x)*x", "--at", "x=1", "--graph",
                              str(target))
    assert status == 0 and f"graph written to {target}" in out
    text = target.read_text()
    assert text.startswith("digraph") and "sin" in text


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
def test_graph_writes_svg_and_png_with_graphviz(capsys, tmp_path):
    assert run_main(capsys, "grad", "sin(x)", "--at", "x=1", "--graph",
                    str(tmp_path / "g.svg"))[0] == 0
    assert "<svg" in (tmp_path / "g.svg").read_text()
    assert run_main(capsys, "grad", "sin(x)", "--at", "x=1", "--graph",
                    str(tmp_path / "g.png"))[0] == 0
    assert (tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_with_an_unknown_suffix_is_a_usage_error(capsys):
    status, _, err = run_main(capsys, "grad", "x", "--at", "x=1", "--graph", "g.jpeg")
    assert status == 2 and ".dot, .svg, .png" in err


# -- errors and exit codes --------------------------------------------------------------------

@pytest.mark.parametrize("argv, status, message", [
    (["grad", "sine(x)", "--at", "x=1"], 2, "did you mean sin?"),
    (["grad", "sin(x", "--at", "x=1"], 2, "never closed"),
    (["grad", "sin(x1)*y", "--at", "x1=1"], 2, "the variable y has no value"),
    (["grad", "sin(x1)", "--at", "x1=1", "x2=3"], 2, "no variable x2 (did you mean x1?)"),
    (["grad", "x", "--at", "x=1", "x=2"], 2, "gives x twice"),
    (["grad", "x", "--at", "x"], 2, "expected NAME=VALUE"),
    (["grad", "x", "--at", "x=[1,"], 2, "--at x: syntax error"),
    (["grad", "x*y", "--at", "x=1", "y=2", "--wrt", "z"], 2, "--wrt z"),
    (["grad", "2*pi"], 2, "nothing to differentiate"),
    (["grad", "x.__class__", "--at", "x=1"], 2, "attribute access"),
    (["grad", "W @ x", "--at", "W=eye(3)", "x=[1,2]"], 1, "matmul: (3, 3) @ (2,)"),
    (["grad", "x * 2", "--at", "x=[1,2]"], 1, "shape (2,); a gradient needs a single"),
    (["grad", "log(x)", "--at", "x=-1"], 1, "not finite"),
    (["grad", "x", "--at", "x=1", "--precision", "40"], 2, "outside 1..17"),
])
def test_errors_have_the_right_status_and_name_the_problem(capsys, argv, status, message):
    got, out, err = run_main(capsys, *argv) if "--precision" not in argv else _argparse(
        capsys, argv)
    assert got == status
    assert message in err
    assert "Traceback" not in err


def _argparse(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


def test_syntax_error_shows_the_formula_and_a_caret(capsys):
    status, _, err = run_main(capsys, "grad", "1 + * x", "--at", "x=1")
    assert status == 2
    lines = err.splitlines()
    assert lines[1] == "    1 + * x" and lines[2] == "        ^"


def test_an_internal_error_is_reported_without_a_traceback(capsys, monkeypatch):
    import chainrule.cli.commands_grad as cli

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "gradients", broken)
    monkeypatch.delenv("CHAINRULE_DEBUG", raising=False)
    status, _, err = run_main(capsys, "grad", "x", "--at", "x=1")
    assert status == 1 and "internal error (RuntimeError: boom)" in err
    assert "Traceback" not in err


def test_no_command_prints_help_and_is_a_usage_error(capsys):
    status, out, _ = run_main(capsys)
    assert status == 2 and "grad" in out and "check" in out and "demo" in out


# -- check ------------------------------------------------------------------------------------

def test_check_catches_the_homework_problem1_hidden_at_half_pi(capsys):
    code = "1/(2 + sin(x1*w1) + cos(x2*w2))"
    status, out, _ = run_main(capsys, "check", code, "--at", *P1_AT, "--hand", *P1_HAND)
    words = " ".join(out.split())
    assert status == 1
    assert words.count("the given point hides the error") == 4
    assert "wrong partials: x1, w1, x2, w2" in out


def test_check_passes_the_same_hand_formulas_on_the_squared_function(capsys):
    status, data = run_json(capsys, "check", P1, "--at", *P1_AT, "--hand", *P1_HAND)
    assert status == 0 and data["ok"] and data["wrong"] == []
    assert data["points"] == 21


def test_check_names_only_the_wrong_partial(capsys):
    status, data = run_json(capsys, "check", "x**2*y", "--at", "x=1.5", "y=-0.5",
                            "--hand", "x=2*x*y", "y=x**3")
    assert status == 1 and data["wrong"] == ["y"]
    wrong = [r for r in data["rows"] if not r["ok"]]
    assert wrong and all(r["partial"] == "y" for r in wrong)
    for r in wrong:
        assert r["engine"] == pytest.approx(r["point"]["x"] ** 2)


def test_check_works_on_arrays(capsys):
    status, data = run_json(capsys, "check", "sum(W @ x)", "--at", "W=eye(2)",
                            "x=[[1],[2]]", "--hand", "x=transpose(W) @ ones(2, 1)",
                            "W=ones(2, 1) @ transpose(x)")
    assert status == 0 and data["ok"]


def test_check_catches_a_hand_gradient_right_only_at_the_identity(capsys):
    status, data = run_json(capsys, "check", "sum(W @ x)", "--at", "W=eye(2)",
                            "x=[[1],[2]]", "--hand", "x=ones(2, 1)")
    assert status == 1 and data["wrong"] == ["x"] and data["hidden_at_given_point"] == ["x"]


def test_check_hand_for_an_unknown_variable_is_a_usage_error(capsys):
    status, _, err = run_main(capsys, "check", "x*y", "--at", "x=1", "y=2", "--hand", "z=1")
    assert status == 2 and "--hand z: the formula has no variable z" in err


# -- output helpers ---------------------------------------------------------------------------

class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_colour_only_in_a_terminal_without_no_color(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert Style.for_stream(FakeTerminal())("hi", "red") == "\x1b[31mhi\x1b[0m"
    assert Style.for_stream(io.StringIO())("hi", "red") == "hi"
    monkeypatch.setenv("NO_COLOR", "1")
    assert Style.for_stream(FakeTerminal())("hi", "red") == "hi"
    monkeypatch.delenv("NO_COLOR")
    assert Style.for_stream(FakeTerminal(), flag=False)("hi", "red") == "hi"


def test_arrays_are_laid_out_in_aligned_columns():
    assert fmt_array(np.array([[1.0, -2.5], [30.0, 4.0]]), 6) == "[[ 1  -2.5]\n [30     4]]"
    assert fmt_array([1.0, 0.5], 6) == "[1  0.5]"
    assert fmt_array(2.0, 6) == "2"


def test_table_aligns_multi_line_cells():
    out = table([["a", "1\n22", "x"], ["bbb", "3", "y"]], Style(False), header=("k", "v", "w"))
    assert out.splitlines() == ["k    v   w", "a    1   x", "     22", "bbb  3   y"]


# -- end to end through the console script -----------------------------------------------------

def test_console_script_runs_the_issue_examples():
    r = script("grad", P1, "--at", *P1_AT)
    assert r.returncode == 0, r.stderr
    assert "df/dx2  =   0.111111" in r.stdout
    r = script("grad", "norm(sigmoid(W @ x))**2", "--at", "W=eye(3)", "x=[[1],[2],[3]]")
    assert r.returncode == 0, r.stderr
    assert "f      =   2.21765" in r.stdout and "df/dW" in r.stdout


def test_console_script_check_example_exits_1_naming_the_wrong_partials():
    r = script("check", "1/(2 + sin(x1*w1) + cos(x2*w2))", "--at", *P1_AT, "--hand", *P1_HAND)
    assert r.returncode == 1
    assert "wrong partials: x1, w1, x2, w2" in r.stdout


def test_console_script_errors_have_status_and_no_traceback():
    r = script("grad", "sin(x", "--at", "x=1")
    assert r.returncode == 2 and "never closed" in r.stderr and "Traceback" not in r.stderr
    r = script("grad", "W @ x", "--at", "W=eye(3)", "x=[1,2]")
    assert r.returncode == 1 and "matmul" in r.stderr and "Traceback" not in r.stderr
    r = script("grad", "--bogus")
    assert r.returncode == 2 and "usage:" in r.stderr


def test_console_script_plain_when_piped_and_coloured_only_when_forced_to_a_tty():
    r = script("grad", "x**2", "--at", "x=3", env={"NO_COLOR": ""})
    assert r.returncode == 0 and "\x1b[" not in r.stdout


def test_python_dash_m_is_the_same_command():
    r = subprocess.run([sys.executable, "-m", "chainrule", "grad", "x*y", "--at", "x=2", "y=5",
                        "--json"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0
    assert json.loads(r.stdout)["gradient"] == {"x": 5.0, "y": 2.0}


def _assert_clean_outcome(status: int, out: str, err: str) -> None:
    """What any command line must give: 0, 1 or 2; no traceback; no internal error; an
    error on stderr exactly when the status says so."""
    assert status in (0, 1, 2), status
    for stream in (out, err):
        assert "Traceback" not in stream and "internal error" not in stream, stream
    if status:
        assert err.startswith("chainrule: "), (out, err)


@settings(max_examples=4, deadline=None)
@given(st.text(alphabet="xy+-*/()[]@.,=_ab1sin'\"\\", min_size=1, max_size=20))
def test_console_script_never_shows_a_traceback_for_garbage(text):
    r = script("grad", text, "--at", "x=1", "y=2")
    _assert_clean_outcome(r.returncode, r.stdout, r.stderr)


def _json_numbers(v) -> np.ndarray:
    """A JSON value or array as floats; non-finite numbers are written as strings."""
    return np.array(v if v is not None else np.nan, dtype=float)


AT = {"x": "[1, -2]", "y": "0.5", "W": "eye(2)"}


def _one_sided_partials(body: ast.AST, name: str, h: float) -> tuple[np.ndarray, np.ndarray]:
    """Forward and backward differences of the numpy reference of ``body`` in ``name``."""
    base = {k: np.array(v, dtype=float) for k, v in VALUES.items()}
    at = reference_value(body, base)
    forward, backward = np.zeros_like(base[name]), np.zeros_like(base[name])
    for idx in np.ndindex(forward.shape):
        moved = dict(base)
        for sign, out in ((1, forward), (-1, backward)):
            moved[name] = base[name].copy()
            moved[name][idx] += sign * h
            out[idx] = sign * (reference_value(body, moved) - at) / h
    return forward, backward


@settings(max_examples=60, deadline=None)
@given(FORMULAS)
def test_grad_command_gives_numpys_value_and_gradient_or_a_clean_error(body):
    text = f"sum({body})"
    names = [n for n in AT if re.search(rf"\b{n}\b", text)]
    argv = ["grad", text, "--json"] + (["--at", *[f"{n}={AT[n]}" for n in names]] if names else [])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            np.errstate(all="ignore"):
        status = main(argv)
    _assert_clean_outcome(status, out.getvalue(), err.getvalue())
    if not out.getvalue():
        assert status and err.getvalue().startswith("chainrule: error: ")
        event("refused")
        return
    data = json.loads(out.getvalue())     # also printed, with status 1, when not finite
    tree = ast.parse(text, mode="eval").body
    with np.errstate(all="ignore"):
        try:
            expected = reference_value(tree, VALUES)
        except Unknown:
            return
        value = _json_numbers(data["value"])
        grads = {n: _json_numbers(g) for n, g in data["gradient"].items()}
        finite = np.all(np.isfinite(value)) and all(np.all(np.isfinite(g)) for g in grads.values())
        assert status == (0 if finite else 1), (status, value, grads)
        np.testing.assert_allclose(value, expected, rtol=1e-12, equal_nan=True, err_msg=text)
        event("value compared")
        for name in names:
            forward, backward = _one_sided_partials(tree, name, 1e-6)
            if not (np.all(np.isfinite(forward + backward))
                    and np.allclose(forward, backward, rtol=1e-3, atol=1e-5)):
                continue        # a kink, a tie, a pole or a NaN here: no derivative to compare
            fine = (forward + backward) / 2
            event("gradient compared")
            got = grads[name]
            if not np.all(np.isfinite(got)):
                continue        # reported with status 1 (checked above), as torch gives NaN
            np.testing.assert_allclose(got, fine, rtol=1e-5, atol=1e-6,
                                       err_msg=f"d/d{name} {text}")


def test_demo_leads_with_the_three_mistakes_and_their_numbers(capsys, tmp_path,
                                                              monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, _ = run_main(capsys, "demo", "--width", "100")
    lines = out.splitlines()
    assert status == 0 and len(lines) <= 60 and max(map(len, lines)) <= 100
    assert "docs/homework.md" in out and "shared" not in out
    heads = [line for line in lines if line[:2] in ("1.", "2.", "3.")]
    assert heads == ["1. Problem 1: the hand formulas differentiate another function",
                     "2. Problem 2: the sigmoid gate's local gradient uses the gate's input",
                     "3. Problem 2: the matmul gate's dx ignores W"]
    assert "hand 0.111111, engine 0.111111" in out          # agree at pi/2 ...
    assert "hand 0.134741, engine 5.33189" in out           # ... not elsewhere
    assert "written 0, -2, -6; right 0.196612, 0.104994, 0.0451767" in out
    assert "df/dx: homework [0  -3.523  -11.43]" in out
    assert "chainrule demo --full" in out
    assert list(tmp_path.iterdir()) == []                    # no pictures without --full


def test_demo_problem_flag_shows_one_problem_in_full(capsys, tmp_path):
    status, out, _ = run_main(capsys, "demo", "--problem", "2", "--out", str(tmp_path))
    assert status == 0 and "Problem 2: vector backpropagation" in out
    assert "Problem 1: scalar backpropagation" not in out
    assert sorted(p.name for p in tmp_path.glob("*.dot")) == ["problem2.dot"]


def test_demo_walks_through_the_homework_and_writes_pictures(tmp_path):
    out = tmp_path / "pictures"
    r = script("demo", "--full", "--out", str(out), "--no-color", env={"COLUMNS": "160"})
    assert r.returncode == 0, r.stderr
    text = r.stdout
    for expected in ["Problem 1: scalar backpropagation", "Problem 2: vector backpropagation",
                     "Gates", "Forward pass", "Backward pass",
                     "the given point hides the error",
                     "sigmoid gate: your local gradient x * (1 - x) is WRONG",
                     "-3.523188", "-11.43089",   # the homework's own (wrong) output
                     "0.1111111111", "0.1745329252",
                     "passed at the given point and at 20 random points"]:
        assert expected in text, expected
    assert (out / "problem1.dot").read_text().startswith("digraph")
    assert (out / "problem2.dot").read_text().startswith("digraph")
    if HAS_DOT:
        assert (out / "problem1.png").read_bytes()[:4] == b"\x89PNG"
        assert "<svg" in (out / "problem2.svg").read_text()


def test_without_graphviz_svg_is_refused_by_name_and_nothing_is_written(
        capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    status, _, err = run_main(capsys, "grad", "sin(x)", "--at", "x=1", "--graph",
                              str(tmp_path / "g.svg"))
    assert status == 1 and "`dot` program was not found" in err
    assert ".dot file needs no Graphviz" in err
    assert list(tmp_path.iterdir()) == []


def test_demo_without_graphviz_writes_dot_and_says_why_no_pictures(capsys, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    status, out, _ = run_main(capsys, "demo", "--full", "--out", str(tmp_path / "d"))
    assert status == 0
    assert "Graphviz's dot program is not installed, so problem1.svg was not drawn" in out
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == ["problem1.dot",
                                                                  "problem2.dot"]
