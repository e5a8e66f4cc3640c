"""The formula language: what it accepts, what it computes, and how it refuses."""

import math

import numpy as np
import pytest
from formula_reference import FORMULAS, VALUES, Unknown, reference_value
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.cli.formula import (
    FUNCTIONS,
    MAX_CHARS,
    MAX_DEPTH,
    FormulaError,
    FormulaMathError,
    FormulaUsageError,
    constant,
    parse,
    split_assignment,
)


def numeric_grad(fn, x, eps=1e-6):
    """Central differences of a float function of a float64 array, element by element."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[idx] += eps
        xm[idx] -= eps
        g[idx] = (fn(xp) - fn(xm)) / (2 * eps)
    return g


# -- reading ----------------------------------------------------------------------------------

def test_variables_are_listed_in_order_of_first_use_without_constants():
    f = parse("1/(2 + sin(x1*w1)**2 + cos(x2*w2)) + pi*e*x1")
    assert f.variables == ("x1", "w1", "x2", "w2")


def test_scalar_formula_needs_no_tensors_and_array_syntax_does():
    assert not parse("sin(x)*maximum(x, y) + max(x, y)").needs_tensors
    for text in ("W @ x", "sum(x)", "[x, y]", "eye(3)", "norm(x)", "softmax(x)"):
        assert parse(text).needs_tensors, text


def test_surrounding_whitespace_is_ignored():
    assert parse("   x + 1  ").text == "x + 1"


# -- values -----------------------------------------------------------------------------------

def test_problem1_value_and_gradients_match_closed_form_on_scalars():
    point = dict(x1=0.3, w1=1.7, x2=-0.4, w2=2.2)
    leaves = {k: cr.Scalar(v, k) for k, v in point.items()}
    y = parse("1/(2 + sin(x1*w1)**2 + cos(x2*w2))").evaluate(leaves)
    assert isinstance(y, cr.Scalar)
    y.backward()
    x1, w1, x2, w2 = point.values()
    D = 2 + math.sin(x1 * w1) ** 2 + math.cos(x2 * w2)
    assert y.value == pytest.approx(1 / D, rel=1e-15)
    s2 = 2 * math.sin(x1 * w1) * math.cos(x1 * w1)
    assert leaves["x1"].grad == pytest.approx(-s2 * w1 / D**2, rel=1e-12)
    assert leaves["w1"].grad == pytest.approx(-s2 * x1 / D**2, rel=1e-12)
    assert leaves["x2"].grad == pytest.approx(math.sin(x2 * w2) * w2 / D**2, rel=1e-12)
    assert leaves["w2"].grad == pytest.approx(math.sin(x2 * w2) * x2 / D**2, rel=1e-12)


def test_problem2_gradients_match_closed_form_on_tensors():
    rng = np.random.default_rng(1)
    W0, x0 = rng.standard_normal((3, 3)), rng.standard_normal((3, 1))
    W = cr.tensor(W0, requires_grad=True)
    x = cr.tensor(x0, requires_grad=True)
    y = parse("norm(sigmoid(W @ x))**2").evaluate({"W": W, "x": x})
    y.backward()
    s = 1 / (1 + np.exp(-(W0 @ x0)))
    g = 2 * s * s * (1 - s)
    assert y.item() == pytest.approx(float(np.sum(s**2)), rel=1e-14)
    np.testing.assert_allclose(W.grad, g @ x0.T, rtol=1e-12)
    np.testing.assert_allclose(x.grad, W0.T @ g, rtol=1e-12)


NUMPY_REFERENCE = {
    "sin": ("sin(x)", lambda x, y: np.sin(x)),
    "cos": ("cos(x)", lambda x, y: np.cos(x)),
    "tan": ("tan(x)", lambda x, y: np.tan(x)),
    "exp": ("exp(x)", lambda x, y: np.exp(x)),
    "log": ("log(abs(x) + 1)", lambda x, y: np.log(np.abs(x) + 1)),
    "sqrt": ("sqrt(abs(x) + 1)", lambda x, y: np.sqrt(np.abs(x) + 1)),
    "tanh": ("tanh(x)", lambda x, y: np.tanh(x)),
    "sigmoid": ("sigmoid(x)", lambda x, y: 1 / (1 + np.exp(-x))),
    "relu": ("relu(x)", lambda x, y: np.maximum(x, 0)),
    "abs": ("abs(x)", lambda x, y: np.abs(x)),
    "maximum": ("maximum(x, y)", lambda x, y: np.maximum(x, y)),
    "minimum": ("minimum(x, y)", lambda x, y: np.minimum(x, y)),
    "sum": ("sum(x, axis=0)", lambda x, y: x.sum(axis=0)),
    "mean": ("mean(x, 1, True)", lambda x, y: x.mean(axis=1, keepdims=True)),
    "max": ("max(x, axis=-1)", lambda x, y: x.max(axis=-1)),
    "min": ("min(x)", lambda x, y: x.min()),
    "logsumexp": ("logsumexp(x)", lambda x, y: np.log(np.exp(x).sum())),
    "norm": ("norm(x, ord=1, axis=0)", lambda x, y: np.linalg.norm(x, ord=1, axis=0)),
    "softmax": ("softmax(x)", lambda x, y: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    "log_softmax": ("log_softmax(x, axis=0)",
                    lambda x, y: x - np.log(np.exp(x).sum(0, keepdims=True))),
    "matmul": ("matmul(x, transpose(y))", lambda x, y: x @ y.T),
    "dot": ("dot(x, transpose(y))", lambda x, y: x @ y.T),
    "transpose": ("transpose(x, 1, 0)", lambda x, y: x.T),
    "reshape": ("reshape(x, 3, 2)", lambda x, y: x.reshape(3, 2)),
    "eye": ("eye(2) @ x", lambda x, y: x),
    "zeros": ("x + zeros(2, 3)", lambda x, y: x),
    "ones": ("x * ones(3)", lambda x, y: x),
}


def test_every_function_has_a_reference_case():
    assert set(NUMPY_REFERENCE) == set(FUNCTIONS)


@pytest.mark.parametrize("name", sorted(NUMPY_REFERENCE))
def test_each_function_computes_what_numpy_computes(name):
    text, reference = NUMPY_REFERENCE[name]
    rng = np.random.default_rng(7)
    x0, y0 = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    out = parse(text).evaluate({"x": cr.tensor(x0), "y": cr.tensor(y0)})
    np.testing.assert_allclose(out.data, reference(x0, y0), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("text", [
    "sum(softmax(x) * y)", "logsumexp(x * y)", "norm(x @ transpose(y))",
    "mean(tanh(x) ** 2 / (1 + exp(-y)))", "sum(log_softmax(x, axis=0) * y)",
    "sum(reshape(x, 6) * reshape(y, 6))", "sum([x, y] * [y, x])",
])
def test_gradients_of_formulas_agree_with_central_differences(text):
    formula = parse(text)
    rng = np.random.default_rng(3)
    x0, y0 = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    x = cr.tensor(x0, requires_grad=True)
    y = cr.tensor(y0, requires_grad=True)
    formula.evaluate({"x": x, "y": y}).backward()
    fx = lambda a: formula.evaluate({"x": a, "y": y0}).item()
    fy = lambda b: formula.evaluate({"x": x0, "y": b}).item()
    np.testing.assert_allclose(x.grad, numeric_grad(fx, x0), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(y.grad, numeric_grad(fy, y0), rtol=1e-6, atol=1e-8)


def test_two_argument_max_is_the_elementwise_maximum():
    out = parse("max(x, y) + min(x, y)").evaluate({"x": 2.0, "y": -1.0})
    assert out == 1.0


def test_list_of_variables_stacks_them_and_keeps_the_gradient():
    a, b = cr.tensor(2.0, requires_grad=True), cr.tensor(3.0, requires_grad=True)
    out = parse("sum([a, b] * [b, a])").evaluate({"a": a, "b": b})   # 2ab
    out.backward()
    assert out.item() == 12.0
    assert a.grad == pytest.approx(6.0) and b.grad == pytest.approx(4.0)


def test_unary_plus_and_minus():
    assert parse("-x + +x - -x").evaluate({"x": 2.5}) == 2.5


def test_power_of_a_negative_base_gives_nan_not_a_complex_number():
    with np.errstate(all="ignore"):
        assert math.isnan(parse("x ** (1/3)").evaluate({"x": -8.0}))


# -- constants ----------------------------------------------------------------------------

def test_constant_values():
    assert constant("pi/2") == math.pi / 2
    assert constant("-e**2") == -math.e**2
    np.testing.assert_array_equal(constant("eye(3)"), np.eye(3))
    np.testing.assert_array_equal(constant("[[1], [2], [3]]"), [[1.0], [2.0], [3.0]])
    np.testing.assert_array_equal(constant("2*ones(2, 2) - zeros(2)"), np.full((2, 2), 2.0))
    assert isinstance(constant("[1, 2]"), np.ndarray) and isinstance(constant("3"), float)


def test_constant_refuses_a_variable_and_names_it():
    with pytest.raises(FormulaUsageError, match="cannot use the variable y"):
        constant("2*y")


def test_ragged_list_is_a_math_error_naming_the_shapes():
    with pytest.raises(FormulaMathError, match=r"\(2,\), \(1,\)"):
        constant("[[1, 2], [3]]")


def test_array_constructors_refuse_huge_sizes():
    with pytest.raises(FormulaMathError, match="1,000,000"):
        constant("eye(100000)")
    with pytest.raises(FormulaMathError, match="1,000,000"):
        constant("zeros(1000, 1001)")


def test_split_assignment():
    assert split_assignment("x1 = pi/2") == ("x1", "pi/2")
    assert split_assignment("W=[[1, 2]]") == ("W", "[[1, 2]]")
    for bad, message in [("x", "NAME=VALUE"), ("x=", "NAME=VALUE"), ("1x=2", "not a variable"),
                         ("sin=2", "is a function"), ("pi=3", "is a constant"),
                         ("__x=1", "not a variable")]:
        with pytest.raises(FormulaUsageError, match=message):
            split_assignment(bad)


# -- refusals ---------------------------------------------------------------------------------

def caret_column(error: FormulaError) -> int:
    last = error.show().splitlines()[-1]
    return last.index("^") - 4


def test_syntax_error_puts_the_caret_under_the_problem():
    with pytest.raises(FormulaUsageError) as info:
        parse("1 +* 2")
    assert "syntax error" in info.value.message
    assert caret_column(info.value) == 3
    assert info.value.show().splitlines()[1] == "    1 +* 2"


def test_unclosed_parenthesis_is_named():
    with pytest.raises(FormulaUsageError, match="never closed") as info:
        parse("sin(x")
    assert caret_column(info.value) == 3


def test_unknown_function_suggests_close_matches():
    with pytest.raises(FormulaUsageError, match=r"unknown function sine \(did you mean sin"):
        parse("2 * sine(x)")


def test_unknown_function_without_close_match_lists_the_functions():
    with pytest.raises(FormulaUsageError, match="the functions are: abs, cos"):
        parse("qqqqq(x)")


@pytest.mark.parametrize("text, message", [
    ("x.real", "attribute access"),
    ("x.__class__", "attribute access"),
    ("x[0]", "indexing"),
    ("__import__('os')", "not allowed"),
    ("__builtins__", "not allowed"),
    ("x if y else z", "if ... else"),
    ("x < y", "comparisons"),
    ("x // 2", "//"),
    ("x % 2", "%"),
    ("'a'", "not a number"),
    ("True + x", "not a number"),
    ("1j * x", "not a number"),
    ("lambda: 1", "lambda"),
    ("[i for i in x]", "comprehensions"),
    ("(x, y)", "tuples"),
    ("sin * 2", "sin is a function"),
    ("sin(*x)", "unpacking"),
    ("sum(**x)", "unpacking"),
    ("sum(x, foo=1)", "no keyword foo"),
    ("sin(x, axis=0)", "takes no keywords"),
    ("sum(x, axis=y)", "must be a constant"),
    ("sin(x, y)", "at most 1 argument"),
    ("maximum(x)", "needs 2 argument"),
    ("(sin)(x)(y)", "call a function by its name"),
    ("[]", "empty list"),
    ("x := 1", "syntax error"),
    ("é + 1", "not allowed"),
])
def test_outside_the_whitelist_is_refused_with_the_reason(text, message):
    with pytest.raises(FormulaUsageError, match=message):
        parse(text)


def test_size_and_depth_limits():
    with pytest.raises(FormulaUsageError, match="characters"):
        parse("x" + "+x" * MAX_CHARS)
    with pytest.raises(FormulaUsageError, match="nested"):
        parse("+".join(["x"] * (MAX_DEPTH + 5)))
    with pytest.raises(FormulaUsageError, match="nested"):
        parse("-" * 4000 + "x")
    with pytest.raises(FormulaUsageError):
        parse("(" * 300 + "x" + ")" * 300)
    assert parse("+".join(["x"] * (MAX_DEPTH - 5))).variables == ("x",)


def test_empty_and_nul_are_refused():
    with pytest.raises(FormulaUsageError, match="empty"):
        parse("   ")
    with pytest.raises(FormulaUsageError, match="NUL"):
        parse("x\x00")


def test_missing_value_is_named_with_a_suggestion_and_caret():
    with pytest.raises(FormulaUsageError, match=r"x2 has no value.*did you mean x3 or x1") as info:
        parse("sin(x1) + cos(x2)").evaluate({"x1": 1.0, "x3": 2.0})
    assert caret_column(info.value) == len("sin(x1) + cos(")


def test_shape_error_names_the_op_and_shapes_and_points_at_it():
    with pytest.raises(FormulaMathError, match=r"matmul: \(3, 3\) @ \(2,\)") as info:
        parse("sum(W @ x) + 1").evaluate({"W": cr.tensor(np.eye(3)), "x": cr.tensor([1., 2.])})
    assert caret_column(info.value) == len("sum(")
    with pytest.raises(FormulaMathError, match=r"add.*\(2,\) and \(3,\)"):
        parse("x + y").evaluate({"x": cr.tensor([1., 2.]), "y": cr.tensor([1., 2., 3.])})


def test_axis_out_of_range_is_a_math_error():
    with pytest.raises(FormulaMathError, match="axis 3"):
        parse("sum(x, axis=3)").evaluate({"x": cr.tensor([1.0, 2.0])})


def test_long_formula_is_shown_as_a_window_around_the_problem():
    text = "x + " * 60 + "sine(x)" + " + x" * 60
    with pytest.raises(FormulaUsageError) as info:
        parse(text)
    shown = info.value.show().splitlines()
    assert len(shown[1]) < 90 and "sine(x)" in shown[1]
    assert shown[1][caret_column(info.value) + 4:].startswith("sine")


# -- never anything but a FormulaError -------------------------------------------------------

TOKENS = ["x", "y", "W", "1", "2.5", "pi", "e", "+", "-", "*", "/", "**", "@", "(", ")",
          "[", "]", ",", "sin(", "sum(", "norm(", "max(", "eye(", "reshape(", "axis=",
          "keepdims=", "True", "0", "-1", " ", "softmax(", "log(", "__", ".", "'", "=", ":"]


def _assert_refusal_is_clean(exc: FormulaError) -> None:
    shown = exc.show()
    assert shown.strip(), "a FormulaError with nothing to show"
    assert "Traceback" not in shown and "internal error" not in shown.lower(), shown


def _evaluate_everything(text: str) -> str:
    """Parse and evaluate ``text``; a value must equal the numpy reference's, and a refusal
    must be a FormulaError that says something. Returns what happened, for the counts."""
    try:
        formula = parse(text)
    except FormulaError as exc:
        _assert_refusal_is_clean(exc)
        return "refused"
    tensors = {"x": cr.tensor(VALUES["x"], requires_grad=True), "W": cr.tensor(VALUES["W"]),
               "y": cr.tensor(VALUES["y"], requires_grad=True)}
    with np.errstate(all="ignore"):
        try:
            got = formula.evaluate(tensors)
        except FormulaError as exc:
            _assert_refusal_is_clean(exc)
            try:
                expected = reference_value(formula.tree.body, VALUES)
            except (Unknown, KeyError, ValueError, TypeError, IndexError, ZeroDivisionError):
                return "refused"
            raise AssertionError(f"{text!r} was refused ({exc}), "
                                 f"numpy gives {expected!r}") from None
        try:
            expected = reference_value(formula.tree.body, VALUES)
        except Unknown:
            return "unchecked"
        except (ValueError, TypeError, IndexError, ZeroDivisionError) as exc:
            raise AssertionError(f"{text!r} evaluated to {got!r}, numpy refuses: {exc}") from None
    got = np.asarray(getattr(got, "data", got), dtype=float)
    assert got.shape == np.shape(expected), f"{text!r}: shape {got.shape}"
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300, equal_nan=True,
                               err_msg=text)
    return "checked"


def test_the_reference_evaluator_agrees_with_hand_computed_values():
    for text, value in [("sin(x) @ x", np.sin(1) - 2 * np.sin(-2)), ("max(x, y) ** 2", [1, .25]),
                        ("norm([3, 4]) / 5", 1.0), ("sum(reshape(x, 2, 1) * W, axis=0)", [1, -2]),
                        ("-log(e) + pi", np.pi - 1)]:
        np.testing.assert_allclose(reference_value(parse(text).tree.body, VALUES), value,
                                   rtol=1e-15)
    assert _evaluate_everything("sin(x) @ x") == "checked"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_arbitrary_text_gives_a_formula_or_a_formula_error(text):
    _evaluate_everything(text)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join))
def test_token_soup_gives_the_numpy_value_or_a_formula_error(text):
    outcome = _evaluate_everything(text)
    event(outcome)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FORMULAS)
def test_well_formed_formulas_give_the_numpy_value_or_a_formula_error(text):
    event(_evaluate_everything(text))


def test_a_formula_that_stops_mid_expression_points_at_its_end():
    with pytest.raises(FormulaUsageError) as info:
        parse("x ** 2 + 3 *")
    assert "ends too early" in str(info.value)
    formula_line, caret_line = info.value.show().splitlines()[-2:]
    assert caret_line.index("^") == formula_line.index("x ** 2 + 3 *") + len("x ** 2 + 3 *")
