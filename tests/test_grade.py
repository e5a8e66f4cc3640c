"""chainrule grade (many learners' answers) and the verdicts it shares with check."""

import csv
import json

import numpy as np
import pytest

from chainrule.cli.main import main
from chainrule.cli.verdicts import judge

ANSWERS = """id,x,y
ann,2*x*y,x**2
cy,-2*x*y,x**2
dee,4*x*y,x**2 + 1
eve,x*y*2 + (x-3)*y,x**2
fay,2*x*y,x**
gus,12,9
hal,2*x*y*x/3,x**2
"""


def grade(capsys, tmp_path, text, *extra, name="answers.csv", formula="x**2*y",
          at=("x=3", "y=2")):
    path = tmp_path / name
    path.write_text(text)
    status = main(["grade", formula, str(path), "--at", *at, *extra])
    return status, capsys.readouterr()


def test_grade_classifies_each_kind_of_mistake_and_writes_the_csv(capsys, tmp_path):
    out_csv = tmp_path / "results.csv"
    status, cap = grade(capsys, tmp_path, ANSWERS, "--out", str(out_csv))
    assert status == 1  # not every learner is right
    rows = {(r["id"], r["variable"]): r for r in csv.DictReader(out_csv.open())}
    verdicts = {k: r["verdict"] for k, r in rows.items()}
    assert verdicts == {
        ("ann", "x"): "right", ("ann", "y"): "right",
        ("cy", "x"): "sign", ("cy", "y"): "right",
        ("dee", "x"): "factor", ("dee", "y"): "term",
        ("eve", "x"): "term", ("eve", "y"): "right",
        ("hal", "x"): "hidden", ("hal", "y"): "right",
        ("fay", "x"): "right", ("fay", "y"): "invalid",
        ("gus", "x"): "hidden", ("gus", "y"): "hidden",   # numbers: right here only
    }
    assert "yours is 2 x the right answer" in rows[("dee", "x")]["detail"]
    assert "by the constant 1" in rows[("dee", "y")]["detail"]
    assert "character 4" in rows[("fay", "y")]["detail"]
    assert rows[("eve", "x")]["detail"] == ("the term (x-3)*y is extra: without it the answer "
                                            "is right (right at the given point: the point "
                                            "hides it)")
    assert "the given point hides the error" in rows[("hal", "x")]["detail"]
    assert "7 learners, 1 with every partial right" in cap.out
    assert "14 rows written" in cap.out


def test_grade_json_from_a_json_file(capsys, tmp_path):
    answers = [{"id": "a", "x": "2*x*y", "y": "x**2"}, {"id": "b", "x": 12, "y": "x"}]
    status, cap = grade(capsys, tmp_path, json.dumps(answers), "--json", name="a.json")
    data = json.loads(cap.out)
    assert status == 1 and data["learners"] == 2 and data["all_right"] == 1
    assert [r["verdict"] for r in data["results"]] == ["right", "right", "hidden", "wrong"]


def test_grade_everyone_right_exits_0(capsys, tmp_path):
    status, cap = grade(capsys, tmp_path, "id,x\n1,2*x*y\n2,y*x*2\n")
    assert status == 0 and "2 learners, 2 with every partial right" in cap.out


def test_default_atol_makes_a_true_zero_and_rounding_agree(capsys, tmp_path):
    # df/dx of sin(x) at pi/2 is cos(pi/2) = 6.1e-17 in floats; the learner writes 0 there
    status, cap = grade(capsys, tmp_path, "id,x\n1,cos(x)\n", formula="sin(x)",
                        at=("x=pi/2",), )
    assert status == 0
    status, cap = grade(capsys, tmp_path, "id,x\n1,0\n", formula="sin(x)",
                        at=("x=pi/2",), )
    assert "hidden" in cap.out  # right at pi/2 (0 vs 6e-17), wrong elsewhere
    status, cap = grade(capsys, tmp_path, "id,x\n1,0\n", "--atol", "0", "--rtol", "0",
                        formula="sin(x)", at=("x=pi/2",))
    assert "wrong" in cap.out


def test_grade_shape_and_transpose(capsys, tmp_path):
    text = ('id,W\nr,"ones(2, 1) @ transpose(x)"\nt,"x @ ones(1, 2)"\n'
            's,"[1, 2]"\n')
    status, cap = grade(capsys, tmp_path, text, "--json", formula="sum(W @ x)",
                        at=("W=[[1, 2], [3, 4]]", "x=[[1], [2]]"))
    results = {r["id"]: r for r in json.loads(cap.out)["results"]}
    assert results["r"]["verdict"] == "right"
    assert results["t"]["verdict"] == "transposed"
    assert results["s"]["verdict"] == "shape"
    assert "shape (2,), W has shape (2, 2)" in results["s"]["detail"]


@pytest.mark.parametrize("text, message", [
    ("name,x\n1,2\n", "no id column"),
    ("id,z\n1,2\n", "no column names a variable"),
    ("", "the file is empty"),
    ("id,x\n1,[1, 2]\n", "line 2: more cells than columns"),
])
def test_grade_refuses_a_bad_file_by_name(capsys, tmp_path, text, message):
    status, cap = grade(capsys, tmp_path, text)
    assert status == 2 and message in cap.err


def test_grade_missing_file_is_a_usage_error(capsys, tmp_path):
    status = main(["grade", "x", str(tmp_path / "none.csv"), "--at", "x=1"])
    assert status == 2 and "cannot read the file" in capsys.readouterr().err


@pytest.mark.parametrize("hand, word", [
    (lambda e: e, "right"), (lambda e: -e, "sign"), (lambda e: 3 * e, "factor"),
    (lambda e: e + 2, "term"), (lambda e: e ** 2 + 7, "wrong"),
])
def test_judge_on_plain_values(hand, word):
    engine = [np.array([1.0, 2.0]), np.array([3.0, -1.0]), np.array([0.5, 4.0])]
    assert judge("x", engine, [hand(e) for e in engine], rtol=1e-6, atol=1e-9).word == word


def test_hidden_says_what_the_error_is_elsewhere():
    engine = [np.array(0.0), np.array(2.0), np.array(-3.0)]
    v = judge("x", engine, [-e for e in engine], rtol=1e-6, atol=1e-9)
    assert v.word == "hidden" and v.detail.endswith("; elsewhere the sign is flipped")


def test_an_extra_term_is_named(capsys, tmp_path):
    status, cap = grade(capsys, tmp_path, 'id,x,y\n1,"2*x*y + cos(y)","x**2 + cos(y) - y"\n',
                        "--json", formula="x**2*y + sin(y)")
    results = {r["variable"]: r for r in json.loads(cap.out)["results"]}
    assert results["x"]["verdict"] == "term"
    assert results["x"]["detail"] == "the term cos(y) is extra: without it the answer is right"
    assert results["y"]["detail"] == "the term - y is extra: without it the answer is right"


def test_check_names_an_extra_term_too(capsys):
    status = main(["check", "x**2*y", "--at", "x=3", "y=2", "--hand", "x=2*x*y + x"])
    out = " ".join(capsys.readouterr().out.split())
    assert status == 1 and "df/dx: TERM: the term x is extra" in out


@pytest.mark.parametrize("text, message", [
    ("{not json", "not valid JSON (line 1"),
    ('{"id": 1}', "must be a list of objects"),
])
def test_grade_refuses_bad_json(capsys, tmp_path, text, message):
    status, cap = grade(capsys, tmp_path, text, name="a.json")
    assert status == 2 and message in cap.err


def test_grade_names_empty_unknown_and_failing_answers(capsys, tmp_path):
    text = 'id,x,y\n1,,x**2\n2,2*x*z,x**2\n3,"[1, 2] @ [1, 2, 3]",x**2\n'
    status, cap = grade(capsys, tmp_path, text, "--json")
    got = {(r["id"], r["variable"]): r for r in json.loads(cap.out)["results"]}
    assert got[("1", "x")]["detail"] == "no answer"
    assert got[("2", "x")]["detail"] == "z is not a variable of the formula"
    assert got[("3", "x")]["verdict"] == "invalid" and "matmul" in got[("3", "x")]["detail"]


def test_grade_out_that_cannot_be_written_is_a_usage_error(capsys, tmp_path):
    status, cap = grade(capsys, tmp_path, ANSWERS, "--out", str(tmp_path / "no" / "r.csv"))
    assert status == 2 and "cannot write the file" in cap.err


def test_a_large_class_gets_the_summary_and_a_pointer_to_out(capsys, tmp_path):
    rows = "".join(f"s{k},2*x*y,x**2\n" for k in range(25))
    status, cap = grade(capsys, tmp_path, "id,x,y\n" + rows)
    assert status == 0 and "25 learners, 25 with every partial right" in cap.out
    assert "every learner's verdicts: --out results.csv or --json" in cap.out
    assert "s3" not in cap.out
