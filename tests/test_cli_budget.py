"""The command's work budget: formulas estimated from shapes and refused before they run,
the running guard, and --check at a bounded cost."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from chainrule.cli.budget import BudgetError, Limits, estimate
from chainrule.cli.formula import metering, parse
from chainrule.cli.main import main


def run(capsys, *argv):
    status = main([*argv, "--no-color", "--width", "1000"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("formula, at, shape", [
    ("sum(x - transpose(x))", "x=ones(1,14000)", (14000, 14000)),
    ("sum(reshape(x,100,1,10000)*reshape(x,1,100,10000))", "x=ones(1000000)",
     (100, 100, 10000)),
])
def test_a_formula_whose_intermediates_are_too_large_is_refused_before_it_runs(
        capsys, formula, at, shape):
    status, out, err = run(capsys, "grad", formula, "--at", at)
    assert status == 3 and out == ""
    assert f"the largest value has shape {shape}" in err
    assert "the limit is 20,000,000 (raise it with --max-elements N)" in err


def test_a_chain_of_150_large_matmuls_is_refused_by_its_time():
    formula = parse("sum(" + " @ ".join(["A"] * 150) + ")")
    cost = estimate(formula, {"A": np.ones((1000, 1000))})
    assert cost.flops == 149 * 1000 ** 3
    with pytest.raises(BudgetError, match="raise it with --max-seconds S"):
        Limits(max_elements=10 ** 9).admit(formula, cost)


def _balanced(n):
    return "x" if n == 1 else f"({_balanced(n // 2)})*({_balanced(n - n // 2)})"


def test_a_balanced_product_of_300_factors_is_refused():
    text = f"sum({_balanced(300)})"
    with pytest.raises(BudgetError, match="299,000,001 elements"):
        Limits().admit(parse(text), estimate(parse(text), {"x": np.ones(1_000_000)}))


@pytest.mark.parametrize("text, shapes, elements", [
    ("sum(x * y)", {"x": (3, 1), "y": (1, 4)}, 12 + 1),
    ("A @ x", {"A": (2, 3), "x": (3,)}, 2),
    ("sum(A @ B, axis=0)", {"A": (5, 2, 3), "B": (3, 4)}, 40 + 8),
    ("reshape(x, 2, -1)", {"x": (6,)}, 6),
    ("transpose(x, 1, 0, 2) + 1", {"x": (2, 3, 4)}, 48),
    ("mean(ones(4, 5), axis=1, keepdims=True)", {}, 20 + 4),
    ("softmax(x) + eye(3)", {"x": (3,)}, 3 + 9 + 9),
    ("max(x, y)", {"x": (2,), "y": (3, 1)}, 6),
    ("[x, x]", {"x": (4,)}, 8),
])
def test_the_estimate_adds_up_every_intermediate(text, shapes, elements):
    values = {n: np.zeros(s) for n, s in shapes.items()}
    assert estimate(parse(text), values).elements == elements


def test_the_estimate_counts_matmul_work():
    cost = estimate(parse("A @ B"), {"A": np.zeros((7, 2, 3)), "B": np.zeros((3, 4))})
    assert cost.flops == 7 * 2 * 3 * 4


def test_a_raised_limit_admits_the_formula(capsys):
    status, out, _ = run(capsys, "grad", "sum(x - transpose(x))", "--at", "x=ones(1,300)",
                         "--max-elements", "100")
    assert status == 3
    status, out, _ = run(capsys, "grad", "sum(x - transpose(x))", "--at", "x=ones(1,300)",
                         "--max-elements", "200000", "--json")
    assert status == 0 and json.loads(out)["value"] == 0.0


@pytest.mark.parametrize("option", ["--max-elements", "--max-seconds"])
@pytest.mark.parametrize("value", ["0", "-1", "nan", "abc"])
def test_limits_must_be_positive_numbers(capsys, option, value):
    with pytest.raises(SystemExit) as exit_:
        main(["grad", "x", "--at", "x=1", option, value])
    assert exit_.value.code == 2
    assert option in capsys.readouterr().err


def test_the_guard_stops_an_evaluation_that_allocates_past_the_limit():
    limits = Limits(max_elements=10)
    formula = parse("x * x * x * x")
    with limits.guard(), pytest.raises(BudgetError, match="allocated more than 20"):
        formula.evaluate({"x": np.ones(8)})


def test_the_guard_stops_at_the_deadline():
    limits = Limits(max_seconds=1e-9)
    with limits.guard() as guard:
        guard.deadline = 0.0
        with pytest.raises(BudgetError, match="ran for more than"):
            parse("x + 1").evaluate({"x": np.ones(2)})


def test_metering_calls_the_meter_once_per_op():
    sizes = []
    with metering(sizes.append):
        parse("sum(x * 2 + 1)").evaluate({"x": np.ones(3)})
    assert sizes == [3, 3, 1]


def test_check_of_max_at_ties_samples_elements_and_is_quick(capsys):
    status, out, err = run(capsys, "grad", "max(x)", "--at", "x=ones(300,300)", "--check",
                           "--json")
    report = json.loads(out)["check"]
    assert status == 1 and not report["ok"]
    assert "engine 1.111111111e-05, central difference 0.5" in report["failure"]


def test_check_of_a_large_variable_samples_its_elements(capsys):
    status, out, _ = run(capsys, "grad", "sum(x**2)", "--at", "x=ones(3000)", "--check")
    assert status == 0
    assert "at the given point and at 20 random points" in out
    assert re.search(r"element-wise comparisons sampled [\d,]+ of 3,000 elements", out)


def test_too_many_check_points_are_refused_with_the_options_to_change(capsys):
    status, _, err = run(capsys, "grad", "sum(x)", "--at", "x=ones(1000000)", "--check",
                         "--random", "1000")
    assert status == 3
    assert "fewer points with --random N" in err and "--max-seconds S" in err


def test_a_skipped_given_point_is_not_reported_as_passed(capsys):
    status, out, _ = run(capsys, "grad", "log(x)", "--at", "x=0", "--check")
    assert status == 1
    assert "the given point was skipped: the value is not finite there" in out
    assert "at the given point and" not in out
    status, out, _ = run(capsys, "grad", "log(x) - log(x)", "--at", "x=-5", "--check",
                         "--random", "0")
    assert "check not done" in out


def test_check_subcommand_is_budgeted(capsys):
    status, _, err = run(capsys, "check", "sum(x - transpose(x))", "--at", "x=ones(1,14000)",
                         "--hand", "x=0*x")
    assert status == 3 and "--max-elements" in err


def test_the_estimate_of_matmul_and_dot_calls_and_a_reshape_by_list():
    values = {"A": np.zeros((3, 4)), "B": np.zeros((4, 5))}
    assert estimate(parse("matmul(A, B)"), values).flops == 60
    assert estimate(parse("dot(A, B)"), values).elements == 15
    assert estimate(parse("reshape(A, [2, 6])"), values).largest[1] == (2, 6)


def test_a_function_the_estimate_does_not_know_counts_as_elementwise(monkeypatch):
    from chainrule.cli import formula as fm

    monkeypatch.setitem(fm.FUNCTIONS, "twice", fm.Function("twice", lambda x: 2 * x, 1))
    assert estimate(parse("twice(x) + 1"), {"x": np.zeros(7)}).elements == 14
