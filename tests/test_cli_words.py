"""The command line's words: plurals, signs, help, suggestions, --jacobian, tolerances and
the shape/transpose messages of check."""

import json

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli.main import main

P1 = "1/(2 + sin(x1*w1)**2 + cos(x2*w2))"
P1_AT = ["x1=pi/2", "w1=1", "x2=pi/2", "w2=1"]


def run(capsys, *argv):
    status = main(list(argv))
    cap = capsys.readouterr()
    return status, cap.out, cap.err


def test_explanation_title_counts_in_the_singular_and_plural():
    assert "(Scalar; 1 node: 1 leaf, 0 gates)" in cr.explain(cr.Scalar(2.0, "x")).title
    x = cr.Scalar(2.0, "x")
    assert "3 nodes: 2 leaves, 1 gate)" in cr.explain(x * cr.Scalar(3.0, "y")).title


def test_a_negative_contribution_is_subtracted_not_added():
    x = cr.Scalar(2.0, "x")
    how = cr.explain(cr.sin(x) * x + x).gradients[0]["how"]
    assert how == "receives 3 contributions: 1.0 + 0.909297 - 0.832294 = 1.077"


def test_the_help_example_is_one_unbroken_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert '  chainrule grad "1/(2 + sin(x1*w1)**2 + cos(x2*w2))" \\\n' in out
    assert "      --at x1=pi/2 w1=1 x2=pi/2 w2=1\n" in out
    assert "chainrule grade" in out


def test_x_dot_T_suggests_transpose(capsys):
    status, _, err = run(capsys, "grad", "sum(x.T @ x)", "--at", "x=[[1],[2]]")
    assert status == 2 and "x.T is not supported in a formula; write transpose(x)" in err


def test_a_vector_formula_offers_the_jacobian(capsys):
    status, _, err = run(capsys, "grad", "sigmoid(W @ x)", "--at", "W=eye(3)",
                         "x=[[1],[2],[3]]")
    assert status == 1 and "--jacobian" in err


def test_jacobian_of_sigmoid_of_W_x_against_the_closed_form(capsys):
    W = np.array([[0.5, -1.0, 0.2], [1.5, 0.3, -0.7], [0.0, 0.4, 1.1]])
    x = np.array([[1.0], [-2.0], [0.5]])
    status, out, _ = run(capsys, "grad", "sigmoid(W @ x)", "--at",
                         f"W={W.tolist()}", f"x={x.tolist()}", "--jacobian", "--json")
    data = json.loads(out)
    s = 1 / (1 + np.exp(-(W @ x)))
    ds = (s * (1 - s)).ravel()
    # d s_i / d x_j = ds_i W_ij; d s_i / d W_jk = ds_i [i == j] x_k
    assert status == 0
    np.testing.assert_allclose(np.array(data["jacobian"]["x"]).reshape(3, 3),
                               ds[:, None] * W, rtol=1e-12)
    expected_W = np.zeros((3, 3, 3))
    for i in range(3):
        expected_W[i, i, :] = ds[i] * x.ravel()
    np.testing.assert_allclose(np.array(data["jacobian"]["W"]).reshape(3, 3, 3), expected_W,
                               rtol=1e-12)
    np.testing.assert_allclose(np.array(data["value"]).ravel(), s.ravel(), rtol=1e-12)


def test_jacobian_text_names_the_layout(capsys):
    status, out, _ = run(capsys, "grad", "x*x", "--at", "x=[1, 2]", "--jacobian")
    assert status == 0
    assert "df/dx: 2 x 2 (row: an element of f, column: an element of x" in out
    assert "[[2  0]\n [0  4]]" in out


def test_jacobian_refuses_explain(capsys):
    status, _, err = run(capsys, "grad", "x*x", "--at", "x=[1, 2]", "--jacobian", "--explain")
    assert status == 2 and "--jacobian does not combine with --explain" in err


def test_check_tolerances(capsys):
    status, out, _ = run(capsys, "check", P1, "--at", *P1_AT, "--hand", "x2=0.1111",
                         "--random", "0")
    assert status == 1 and "off by" not in out.split("df/dx2:")[0]
    status, out, _ = run(capsys, "check", P1, "--at", *P1_AT, "--hand", "x2=0.1111",
                         "--random", "0", "--rtol", "1e-3")
    assert status == 0 and "df/dx2: right at the given point" in out
    status, out, _ = run(capsys, "check", "sin(x)", "--at", "x=pi/2", "--hand", "x=0",
                         "--random", "0")
    assert status == 0  # cos(pi/2) is 6e-17 in floats: the default atol calls 0 right


def test_check_names_a_wrong_shape_and_a_transpose(capsys):
    status, out, _ = run(capsys, "check", "sum(x**2)", "--at", "x=[[1],[2],[3]]", "--hand",
                         "x=2*transpose(x)")
    words = " ".join(out.split())
    assert status == 1 and "TRANSPOSED: this is the transpose of the right answer" in words
    assert "your df/dx has shape (1, 3), x has shape (3, 1)" in words and "inf" not in out
    status, out, _ = run(capsys, "check", "sum(x**2)", "--at", "x=[[1],[2],[3]]", "--hand",
                         "x=2*reshape(x, 3)")
    words = " ".join(out.split())
    assert "SHAPE: your df/dx has shape (3,), x has shape (3, 1); the numbers are right" \
        in words


def test_check_json_carries_the_verdicts(capsys):
    status, out, _ = run(capsys, "check", "x**2*y", "--at", "x=3", "y=2", "--hand",
                         "x=-2*x*y", "y=x**2", "--json")
    data = json.loads(out)
    assert status == 1 and data["verdicts"]["x"]["verdict"] == "sign"
    assert data["verdicts"]["y"] == {"verdict": "right", "detail": "right at all 21 points"}


def test_a_usage_error_from_the_parser_reads_like_the_commands_own(capsys):
    with pytest.raises(SystemExit) as info:
        main(["grad", "--at", "x=1"])
    err = capsys.readouterr().err
    assert info.value.code == 2 and err.startswith("chainrule: error: ")
    assert "goes after --" in err
    # a formula starting with '-' is read as the formula, with or without --
    assert main(["grad", "--json", "-x**2", "--at", "x=1"]) == 0
    assert json.loads(capsys.readouterr().out)["gradient"] == {"x": -2.0}
    assert main(["grad", "--json", "--at", "x=1", "--", "-x**2"]) == 0
    assert json.loads(capsys.readouterr().out)["gradient"] == {"x": -2.0}
