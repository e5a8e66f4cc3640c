"""Hostile inputs to the command line found by probing: each is answered right or refused
with a message naming what is wrong, never an internal error."""

import json

import numpy as np
import pytest

from chainrule.cli.main import main


def grade(capsys, tmp_path, content, *extra, name="answers.csv", formula="x**2*y",
          at=("x=3", "y=2")):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    status = main(["grade", formula, str(path), "--at", *at, *extra])
    return status, capsys.readouterr()


# -- grade: the answers file --------------------------------------------------------------

def test_grade_names_a_file_that_is_not_utf8(capsys, tmp_path):
    status, cap = grade(capsys, tmp_path, b"id,x\n\xff\xfe,2\n")
    assert status == 2
    assert "not UTF-8 text (byte 6" in cap.err and "internal error" not in cap.err


def test_grade_refuses_a_column_given_twice(capsys, tmp_path):
    # the second x used to replace the first without a word
    status, cap = grade(capsys, tmp_path, "id,x,x,y\nann,1,2*x*y,x**2\n")
    assert status == 2 and "the column 'x' appears twice in the header" in cap.err


@pytest.mark.parametrize("content, name, where", [
    ("id,x,y\nann,2*x*y,x**2\nann,x*y,x**2\n", "answers.csv", "(line 2 and line 3)"),
    (json.dumps([{"id": "2", "x": "1"}, {"x": "2*x*y"}]), "a.json", "(entry 1 and entry 2)"),
])
def test_grade_refuses_two_learners_with_one_id(capsys, tmp_path, content, name, where):
    # the two used to be counted together: the right learner was counted wrong too
    status, cap = grade(capsys, tmp_path, content, name=name)
    assert status == 2
    assert "two learners have the id '" in cap.err and where in cap.err


def test_grade_a_learner_without_an_answer_is_not_all_right(capsys, tmp_path):
    # a JSON learner who leaves out a partial that the class answers has no answer for it
    # (as an empty CSV cell); one who answered nothing was counted "every partial right"
    answers = [{"id": "ann", "x": "2*x*y", "y": "x**2"}, {"id": "bo", "x": "2*x*y"},
               {"id": "cy"}, {"id": "di", "x": None, "y": True}]
    status, cap = grade(capsys, tmp_path, json.dumps(answers), "--json", name="a.json")
    data = json.loads(cap.out)
    assert status == 1 and data["learners"] == 4 and data["all_right"] == 1
    got = {(r["id"], r["variable"]): (r["verdict"], r["detail"]) for r in data["results"]}
    assert len(got) == 8
    assert got[("bo", "y")] == ("invalid", "no answer")
    assert got[("cy", "x")] == got[("cy", "y")] == ("invalid", "no answer")
    assert got[("di", "x")] == ("invalid", "no answer")
    assert got[("di", "y")][0] == "invalid" and "True is not a number" in got[("di", "y")][1]


def test_grade_only_the_partials_the_file_asks_for(capsys, tmp_path):
    status, cap = grade(capsys, tmp_path, json.dumps([{"id": "a", "x": "2*x*y"}]), "--json",
                        name="a.json")
    data = json.loads(cap.out)
    assert status == 0 and data["all_right"] == 1
    assert [(r["variable"], r["verdict"]) for r in data["results"]] == [("x", "right")]


def test_grade_json_numbers_are_numbers(capsys, tmp_path):
    answers = [{"id": "a", "x": 12, "y": 9.0}, {"id": "b", "x": 1e999, "y": 9}]
    status, cap = grade(capsys, tmp_path, json.dumps(answers), "--json", name="a.json")
    got = {(r["id"], r["variable"]): r for r in json.loads(cap.out)["results"]}
    assert got[("a", "x")]["verdict"] == "hidden" and got[("a", "y")]["verdict"] == "hidden"
    assert got[("b", "x")]["verdict"] == "wrong"
    assert "yours is inf, the right value 12" in got[("b", "x")]["detail"]


# -- check and grade at a point where f or a partial is not finite --------------------------

@pytest.mark.parametrize("formula, at, hand, said", [
    ("sqrt(x)", "x=-1", "x=0.5/sqrt(x)", "f is nan, df/dx is nan"),
    ("sqrt(x)", "x=0", "x=0.5/sqrt(x)", "df/dx is inf"),
    ("1/x", "x=0", "x=-1/x**2", "f is inf, df/dx is -inf"),
    ("sum(sqrt(x))", "x=[0, 1]", "x=0.5/sqrt(x)", "df/dx has inf or nan elements"),
])
def test_check_refuses_a_point_where_nothing_can_be_judged(capsys, formula, at, hand, said):
    # the right answer used to be called WRONG there (nan against nan)
    status = main(["check", formula, "--at", at, "--hand", hand])
    err = capsys.readouterr().err
    assert status == 1 and f"check: at the given point {said}, so no answer" in err


def test_check_inside_the_domain_still_skips_random_points_outside_it(capsys):
    status = main(["check", "sqrt(x)", "--at", "x=1", "--hand", "x=0.5/sqrt(x)", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 0 and data["ok"] and data["skipped"] == 8 and data["points"] == 21


def test_grade_refuses_a_point_where_nothing_can_be_judged(capsys, tmp_path):
    status, cap = grade(capsys, tmp_path, "id,x\nann,0.5/sqrt(x)\n", formula="sqrt(x)",
                        at=("x=-1",))
    assert status == 1 and "grade: at the given point f is nan, df/dx is nan" in cap.err


# -- grad: the files it writes ------------------------------------------------------------

@pytest.mark.parametrize("option", ["--graph", "--page", "--latex"])
def test_an_empty_file_name_is_refused(capsys, option):
    # "" used to be read as "not given": the command ran and wrote nothing
    status = main(["grad", "x", "--at", "x=1", option, " "])
    assert status == 2 and f"{option}: the file name is empty" in capsys.readouterr().err


@pytest.mark.parametrize("options, said", [
    (["--page", "{d}/a.html", "--latex", "{d}/a.html"], "--page and --latex"),
    (["--page", "{d}/a.html", "--latex", "{d}/../{n}/a.html"], "--page and --latex"),
    (["--graph", "{d}/g.svg", "--keep-dot", "--latex", "{d}/g.dot"], "--keep-dot and --latex"),
])
def test_two_outputs_in_one_file_are_refused(capsys, tmp_path, options, said):
    # --page a.html --latex a.html wrote the page, then the LaTeX over it
    argv = [o.format(d=tmp_path, n=tmp_path.name) for o in options]
    status = main(["grad", "x*y", "--at", "x=1", "y=2", *argv])
    assert status == 2 and f"{said} name the same file" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []          # refused before anything was written


def test_keep_dot_beside_a_dot_graph_is_one_file(capsys, tmp_path):
    status = main(["grad", "x", "--at", "x=1", "--graph", str(tmp_path / "g.dot"),
                   "--keep-dot"])
    assert status == 0 and [p.name for p in tmp_path.iterdir()] == ["g.dot"]


# -- grade: the work limits -----------------------------------------------------------------

def test_grade_refuses_a_formula_over_the_limits(capsys, tmp_path):
    status, cap = grade(capsys, tmp_path, "id,x\na,1\n", formula="sum(x - transpose(x))",
                        at=("x=ones(1, 14000)",))
    assert status == 3 and "196,014,001 elements" in cap.err


def test_grade_an_answer_over_the_limits_is_invalid_unevaluated(capsys, tmp_path):
    # a learner's answer ran unbounded: 12 products of 1000 x 1000 matrices took 25 s
    # with --max-seconds 2; now it is judged from its shapes in no time
    heavy = "sum(" + " @ ".join(["ones(1000, 1000)"] * 12) + ")*0 + 2*x*y"
    status, cap = grade(capsys, tmp_path, f'id,x\nann,2*x*y\nbo,"{heavy}"\n', "--json",
                        "--max-seconds", "2")
    got = {r["id"]: r for r in json.loads(cap.out)["results"]}
    assert status == 1 and got["ann"]["verdict"] == "right"
    assert got["bo"]["verdict"] == "invalid"
    assert got["bo"]["detail"].startswith("the answer, at 21 points, would ")


def test_grade_time_adds_up_over_the_points_but_one_point_s_graph_is_freed(capsys, tmp_path):
    # 1,000,000 elements a point: 21 points are admitted (the graph is freed between them)
    status, cap = grade(capsys, tmp_path, "id,W\nann,2*W\n", "--json", formula="sum(W*W)",
                        at=("W=ones(1000, 1000)",))
    assert status == 0 and json.loads(cap.out)["all_right"] == 1


def test_grade_never_writes_its_results_over_the_answers(capsys, tmp_path):
    answers = "id,x,y\nann,2*x*y,x**2\n"
    path = tmp_path / "answers.csv"
    path.write_text(answers)
    same = str(tmp_path / ".." / tmp_path.name / "answers.csv")
    status = main(["grade", "x**2*y", str(path), "--at", "x=3", "y=2", "--out", same])
    assert status == 2 and "is the answers file" in capsys.readouterr().err
    assert path.read_text() == answers


def test_grade_refuses_an_empty_out(capsys, tmp_path):
    status, cap = grade(capsys, tmp_path, "id,x\nann,2*x*y\n", "--out", "")
    assert status == 2 and "--out: the file name is empty" in cap.err


# -- grad: the formula's limits -----------------------------------------------------------

@pytest.mark.parametrize("argv, said", [
    (["sum(x)", "--at", "x=" + "[" * 33 + "1" + "]" * 33],
     "--at x: the value has 33 dimensions; at most 32 are supported"),
    (["sum(x)", "--at", "x=zeros(" + ",".join(["1"] * 34) + ")"], "has 34 dimensions"),
    (["sum(reshape(x, " + ",".join(["1"] * 36) + "))", "--at", "x=[1]"],
     "the value has 36 dimensions"),
])
def test_more_than_32_dimensions_is_named(capsys, argv, said):
    # the engine's sum failed with "list index out of range"
    status = main(["grad", *argv])
    err = capsys.readouterr().err
    assert status == 1 and said in err and "index out of range" not in err


def test_32_dimensions_still_work(capsys):
    status = main(["grad", "sum(x*x)", "--at", "x=" + "[" * 32 + "3" + "]" * 32, "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 0 and data["value"] == 9.0
    assert np.asarray(data["gradient"]["x"]).shape == (1,) * 32
    assert np.asarray(data["gradient"]["x"]).item() == 6.0


def test_a_long_sum_says_how_to_stay_under_the_nesting_limit(capsys):
    status = main(["grad", "+".join(["x"] * 300), "--at", "x=1"])
    err = capsys.readouterr().err
    assert status == 2 and "group long sums and products in parentheses" in err
    grouped = "+".join("(" + "+".join(["x"] * 100) + ")" for _ in range(3))
    status = main(["grad", grouped, "--at", "x=1", "--json"])
    assert status == 0 and json.loads(capsys.readouterr().out)["gradient"]["x"] == 300.0


# -- check: array functions of single numbers ---------------------------------------------

def test_check_asks_for_arrays_when_the_formula_uses_array_functions(capsys):
    # it failed inside the engine: "sum is defined for Tensors only; a Scalar is already
    # one number" (the test meant to say this never fired)
    status = main(["check", "sum(x) + y", "--at", "x=1", "y=2", "--hand", "x=1"])
    err = capsys.readouterr().err
    assert status == 2 and "give the values as arrays (e.g. x=[1.5])" in err
    status = main(["check", "sum(x) + y", "--at", "x=[1]", "y=2", "--hand", "x=1", "y=1"])
    assert status == 0 and "all partials are right" in capsys.readouterr().out


# -- output width ----------------------------------------------------------------------------

@pytest.mark.parametrize("at", [["x=1.23456789", "{n}=-2.3456789e-17"],
                                ["x=[[1, 2], [3, 4]]", "{n}=[[1, 2], [3, 4]]"]])
def test_results_of_long_names_fit_the_width(capsys, at):
    # the f / df/dNAME lines were as wide as the longest name (85 columns at --width 40)
    name = "y" * 60
    formula = f"sum(x*{name})/3"
    status = main(["grad", formula, "--at", *(a.format(n=name) for a in at), "--width", "40",
                   "--precision", "12"])
    out = capsys.readouterr().out
    assert status == 0 and max(len(line) for line in out.splitlines()) <= 40
    assert "df/dx\n    =  " in out and "df/dyyyyyyyyyyyyyyyy…yyyyyyyyyyyyyyyyyyy\n    =  " in out


def test_grade_prints_a_learner_s_id_escaped(capsys, tmp_path):
    # an id is the class's text: its terminal codes recoloured the teacher's terminal
    status, cap = grade(capsys, tmp_path, 'id,x\n"evil\x1b[31mRED\x1b[2J",2\n')
    assert status == 1 and "\x1b" not in cap.out
    assert "evil\\x1b[31mRED\\x1b[2J  df/dx: wrong" in cap.out


def test_grade_header_fits_the_width_and_is_escaped(capsys, tmp_path):
    name = "y" * 60
    status, cap = grade(capsys, tmp_path, f"id,{name}\nann,x\n", "--width", "40",
                        formula=f"x*{name}\t", at=("x=1", f"{name}=2"))
    lines = cap.out.splitlines()
    assert status == 0 and max(len(line) for line in lines) <= 40
    assert lines[0].startswith("f(x, yyy") and lines[0].endswith("…")


def test_the_hessian_heading_fits_the_width(capsys):
    status = main(["grad", "x*y", "--at", "x=1", "y=2", "--hessian", "--width", "40"])
    out = capsys.readouterr().out
    assert status == 0 and max(len(line) for line in out.splitlines()) <= 40


def test_a_jacobian_that_is_not_finite_says_so(capsys):
    # exit status 1 came with no word on stderr
    status = main(["grad", "[x, 1/x]", "--at", "x=0", "--jacobian"])
    err = capsys.readouterr().err
    assert status == 1 and "not finite" in err and "0 x inf" in err


def test_an_infinite_hand_answer_is_judged_without_numpy_notes(capsys):
    status = main(["check", "x**2", "--at", "x=1", "--hand", "x=1/(x-x)"])
    cap = capsys.readouterr()
    assert status == 1 and "df/dx: WRONG at 21 of 21 points" in cap.out
    assert "note" not in cap.err


def test_a_hessian_of_zeros_comes_without_a_note_about_float(capsys):
    # d2(x*y)/dy2 = 0: the library's warning about float()/.item() cutting the graph was
    # printed as a note, though a formula cannot do either
    status = main(["grad", "x*y", "--at", "x=1", "y=2", "--wrt", "y", "--hessian", "--json"])
    cap = capsys.readouterr()
    assert status == 0 and json.loads(cap.out)["hessian"]["matrix"] == [[0.0]]
    assert cap.err == ""


def test_check_a_formula_whose_value_is_one_element_of_an_array(capsys):
    # min(x, keepdims=True) has shape (1,): grad takes it as one number, check raised
    # "only 0-dimensional arrays can be converted to Python scalars" (an internal error)
    status = main(["check", "min(x, keepdims=True)", "--at", "x=[1, 2]", "--hand",
                   "x=[1, 0]", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 1 and data["verdicts"]["x"]["verdict"] == "hidden"
    given = data["rows"][0]
    assert given["given_point"] and given["engine"] == [1.0, 0.0] and given["ok"]


# -- options given twice ---------------------------------------------------------------------

def test_a_second_hand_option_adds_to_the_first(capsys):
    # "--hand x=y --hand y=2*x" checked y only and said "all partials are right" about a
    # command line whose x partial was never looked at
    status = main(["check", "x*y", "--at", "x=1", "y=2", "--hand", "x=3*y", "--hand",
                   "y=x", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 1 and data["wrong"] == ["x"]
    assert {n: v["verdict"] for n, v in data["verdicts"].items()} == {"x": "factor",
                                                                      "y": "right"}


def test_at_and_wrt_given_twice_add_up(capsys):
    status = main(["grad", "x*y", "--at", "x=1", "--at", "y=2", "--wrt", "x", "--wrt", "y",
                   "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 0 and data["gradient"] == {"x": 2.0, "y": 1.0}
    status = main(["grad", "x*y", "--at", "x=1", "y=2", "--at", "x=3"])
    assert status == 2 and "--at gives x twice" in capsys.readouterr().err


# -- grad --check at large values ----------------------------------------------------------

@pytest.mark.parametrize("formula, at", [
    ("x", "x=1e8"), ("x", "x=-3e9"), ("x**2", "x=1e10"), ("sin(x)", "x=1e8"),
    ("sin(x)", "x=1e10"), ("x*y", "x=1e10"), ("sum(sin(W))", "W=[1e8, 1, -1e8]"),
])
def test_check_passes_a_right_gradient_at_large_values(capsys, formula, at):
    # x + 1e-6 rounds at such values: "check FAILED ... d/dx: engine 1" for f = x at 1e8
    argv = ["grad", formula, "--at", at] + (["y=2"] if "y" in formula else [])
    status = main([*argv, "--check", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert status == 0 and data["check"]["ok"] and data["check"]["conclusive"]


def test_a_check_that_cannot_judge_large_values_says_inconclusive(capsys):
    # W[1] = 1 beside 1e6: f = 2e12 + 1 does not resolve a step of 1e-6 in W[1]
    status = main(["grad", "sum(W*W)", "--at", "W=[1e6, 1, -1e6]", "--check"])
    out = capsys.readouterr().out
    assert status == 1 and "check INCONCLUSIVE at the given point" in out
    assert "FAILED" not in out and "check at smaller values" in out
    status = main(["grad", "sum(W*W)", "--at", "W=[1e6, 1, -1e6]", "--check", "--json"])
    check = json.loads(capsys.readouterr().out)["check"]
    assert status == 1 and not check["ok"] and not check["conclusive"]


def test_a_wrong_rule_still_fails_the_check_at_ordinary_values(capsys, monkeypatch):
    # planted: sin's rule off by 10%; the check must stay FAILED, not inconclusive
    from chainrule.primitive import REGISTRY
    sin = REGISTRY["sin"]
    right = sin.vjps[0]
    wrong = (lambda *a: 1.1 * right(*a),)
    monkeypatch.setattr(sin, "vjps", wrong)
    status = main(["grad", "sum(sin(W))", "--at", "W=[0.3, 1, 2]", "--check", "--json"])
    check = json.loads(capsys.readouterr().out)["check"]
    assert status == 1 and not check["ok"] and check["conclusive"]


# -- check and grade: values too large to draw random points around --------------------------

@pytest.mark.parametrize("command", ["check", "grade"])
@pytest.mark.parametrize("value, said", [
    ("1e308", "1e+308 is too large to draw random points around it"),
    ("[1, -1e308]", "1e+308 is too large to draw random points around it"),
    ("inf", "the value is not finite"),
])
def test_values_that_random_points_cannot_surround_are_named(capsys, tmp_path, command,
                                                             value, said):
    # rng.uniform(-2e308, 2e308) raised OverflowError: an internal error
    path = tmp_path / "a.csv"
    path.write_text("id,x\nann,1\n")
    extra = ["--hand", "x=1"] if command == "check" else []
    argv = [command, "sum(x)" if "[" in value else "x"]
    argv += [str(path)] if command == "grade" else []
    status = main([*argv, "--at", f"x={value}", *extra])
    err = capsys.readouterr().err
    assert status == 2 and f"{command}: --at x: {said}" in err


def test_an_overflowing_answer_is_wrong_not_an_infinite_factor(capsys, tmp_path):
    # at 4e307, 2*x against df/dx = 1 was "off by a constant factor: inf x the right answer"
    # (an infinite factor made the tolerance infinite)
    status, cap = grade(capsys, tmp_path, "id,x\nann,2*x\n", "--json", formula="x",
                        at=("x=4e307",))
    result = json.loads(cap.out)["results"][0]
    assert status == 1 and result["verdict"] == "wrong"


def test_judge_never_takes_an_infinite_factor_or_term():
    from chainrule.cli.verdicts import judge
    engine = [1.0, 1.0, 1.0]
    assert judge("x", engine, [1.0, float("inf"), 2.0], rtol=1e-6, atol=1e-9).word == "hidden"
    assert judge("x", engine, [float("inf"), 3.0, 2.0], rtol=1e-6, atol=1e-9).word == "wrong"
    assert judge("x", engine, [3.0, 3.0, 3.0], rtol=1e-6, atol=1e-9).word == "factor"
