"""The rule table is the only source: an op added in one entry shows up everywhere, and
each entry's derivative text, where it is a formula, agrees with its VJP."""

from __future__ import annotations

import ast
import json
import math
import operator
import re
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import sample_away
from test_conventions import conventions_table

import chainrule as cr
from chainrule.cli.formula import FUNCTIONS as FORMULA_FUNCTIONS
from chainrule.cli.main import main
from chainrule.math_namespaces import ARRAY
from chainrule.ops import functions as F
from chainrule.primitive import REGISTRY, Primitive, register, unary, unregister

# -- one entry, every list --------------------------------------------------------------------


@pytest.fixture
def toy_op():
    """``sinh_toy``: a real op (numpy's sinh) added by one table entry, removed afterwards
    (the built-in ``sinh`` steps aside meanwhile, so that np.sinh is free)."""
    builtin = unregister("sinh")
    prim = unary("sinh_toy", math.sinh, np.sinh,
                 lambda M, g, ans, x: g * (M.exp(x) + M.exp(-x)) / 2, "cosh(x)",
                 numpy=(np.sinh,))
    try:
        yield prim
    finally:
        unregister("sinh_toy")
        register(builtin)
    assert "sinh_toy" not in REGISTRY


def test_a_toy_op_added_in_one_entry_is_a_cr_function(toy_op):
    x = cr.Scalar(0.5)
    y = cr.sinh_toy(x)
    y.backward()
    assert y.value == pytest.approx(math.sinh(0.5), rel=1e-15)
    assert x.grad == pytest.approx(math.cosh(0.5), rel=1e-15)
    assert cr.sinh_toy is F.FUNCTIONS["sinh_toy"]


def test_a_toy_op_added_in_one_entry_is_a_tensor_method(toy_op):
    t = cr.tensor([0.0, 1.0], requires_grad=True)
    t.sinh_toy().sum().backward()
    np.testing.assert_allclose(t.grad, np.cosh([0.0, 1.0]), rtol=1e-15)


def test_a_toy_op_added_in_one_entry_answers_for_its_numpy_function(toy_op):
    t = cr.tensor([0.0, 1.0], requires_grad=True)
    y = np.sinh(t)
    assert isinstance(y, cr.Tensor) and y.prim is toy_op
    y.sum().backward()
    np.testing.assert_allclose(t.grad, np.cosh([0.0, 1.0]), rtol=1e-15)


def test_a_toy_op_added_in_one_entry_is_in_the_formula_language(toy_op, capsys):
    assert FORMULA_FUNCTIONS["sinh_toy"].usage == "sinh_toy(x)"
    assert main(["grad", "sinh_toy(x)", "--at", "x=0.5", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["value"] == pytest.approx(math.sinh(0.5), rel=1e-15)
    assert out["gradient"]["x"] == pytest.approx(math.cosh(0.5), rel=1e-15)


def test_a_toy_op_added_in_one_entry_is_listed_by_chainrule_functions(toy_op, capsys):
    assert main(["functions"]) == 0
    out = capsys.readouterr().out
    assert "sinh_toy(x)" in out and "d/dx sinh_toy(x) = cosh(x)" in out


def test_a_toy_op_added_in_one_entry_is_in_the_docs_table(toy_op):
    row = next(r for r in conventions_table().splitlines() if r.startswith("| `sinh_toy`"))
    assert "`cr.sinh_toy`" in row and "`np.sinh`" in row and "`d/dx sinh_toy(x) = cosh(x)`" in row


def test_removing_the_toy_op_removes_it_from_every_list(toy_op):
    unregister("sinh_toy")
    try:
        assert not hasattr(cr, "sinh_toy") and "sinh_toy" not in F.FUNCTIONS
        assert not hasattr(cr.Tensor, "sinh_toy")
        assert "sinh_toy" not in FORMULA_FUNCTIONS
        assert "sinh_toy" not in conventions_table()
        with pytest.raises(TypeError, match="np.sinh has no chainrule derivative rule"):
            np.sinh(cr.tensor([1.0], requires_grad=True))
    finally:
        register(toy_op)  # the fixture removes it again


def test_chainrule_functions_lists_every_formula_function_with_each_inputs_rule(capsys):
    assert main(["functions"]) == 0
    out = capsys.readouterr().out
    for fn in FORMULA_FUNCTIONS.values():
        assert fn.usage in out
    assert ("d/dx maximum(x, y) = 1 if x > y else 0; d/dy maximum(x, y) = 1 if y > x else 0"
            in out)
    assert "d/dx sum(x) = 1 for every element" in out and "np.dot for 0-, 1- and 2-D" in out


def test_a_name_can_be_registered_once():
    with pytest.raises(ValueError, match="'sin' is already registered"):
        register(Primitive("sin", array_fn=np.sin, vjps=[None]))


@pytest.mark.parametrize("spec,message", [
    ({"function": "sin"}, "cr.sin already exists"),
    ({"methods": ("sum",)}, "Tensor already has \\['sum'\\]"),
    ({"numpy": (np.sin,)}, "np.sin already answered by another op"),
    ({"formula": "zeros(x)"}, "the formula language has zeros"),
])
def test_an_entry_that_would_take_another_ops_place_is_refused_and_leaves_no_trace(spec, message):
    before = (dict(REGISTRY), dict(F.FUNCTIONS), dict(FORMULA_FUNCTIONS))
    with pytest.raises(ValueError, match=message):
        unary("clash_toy", math.sin, np.sin, lambda M, g, ans, x: g * M.cos(x), "cos(x)",
              **{"numpy": (), **spec})
    assert (dict(REGISTRY), dict(F.FUNCTIONS), dict(FORMULA_FUNCTIONS)) == before
    assert not hasattr(cr.Tensor, "clash_toy")
    assert np.sin(cr.tensor([0.0], requires_grad=True)).prim.name == "sin"


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind 'ternary'"):
        Primitive("t", array_fn=np.sin, vjps=[None], kind="ternary")


def test_a_custom_kind_entry_needs_a_hand_written_function():
    prim = Primitive("hand_made", array_fn=np.sin, vjps=[None], function="hand_made")
    with pytest.raises(TypeError, match="no cr. function is marked @custom"):
        register(prim)
    assert "hand_made" not in REGISTRY


def test_an_entry_of_a_maker_without_a_float_forward_still_works_on_scalars():
    prim = unary("cube_toy", None, lambda x: x ** 3, lambda M, g, ans, x: g * 3 * x ** 2,
                 "3*x**2", numpy=())
    try:
        x = cr.Scalar(2.0)
        y = cr.cube_toy(x)
        y.backward()
        assert (y.value, x.grad) == (8.0, 12.0)
        assert prim.methods == ("cube_toy",) and prim.formula is True
    finally:
        unregister("cube_toy")


def test_every_public_function_is_generated_from_an_entry():
    for name in F.FUNCTIONS:
        entry = F.function_of(name)
        assert entry.function == name
    with pytest.raises(KeyError):
        F.function_of("no_such_function")
    with pytest.raises(AttributeError, match="no_such_function"):
        F.no_such_function  # noqa: B018


def test_paired_ops_are_written_once_and_mirror_each_other():
    assert REGISTRY["maximum"].derivs == ("1 if x > y else 0", "1 if y > x else 0")
    assert REGISTRY["minimum"].derivs == ("1 if x < y else 0", "1 if y < x else 0")
    assert REGISTRY["max"].numpy == (np.max, np.amax)
    assert REGISTRY["min"].numpy == (np.min, np.amin)


# -- derivative text checked against the VJP -------------------------------------------------

# Entries whose derivative text is prose, not a formula in the inputs: named here one by one
# so that the formula check below cannot silently skip them.
PROSE = {
    ("broadcast_to", 0), ("concatenate", 0), ("getitem", 0), ("index_add", 0), ("index_put", 0),
    ("index_put", 1),
    ("log_softmax", 0), ("matmul", 0), ("matmul", 1), ("max", 0), ("mean", 0), ("min", 0),
    ("norm", 0), ("reshape", 0), ("softmax", 0), ("stack", 0), ("sum", 0), ("sum_to", 0),
    ("transpose", 0), ("where", 0), ("where", 1), ("where", 2),
    ("clip", 0), ("clip", 1), ("clip", 2), ("nan_to_num", 0), ("sinc", 0), ("prod", 0),
    ("cumsum", 0), ("cumprod", 0), ("einsum", 0), ("inv", 0), ("solve", 0), ("solve", 1),
    ("det", 0), ("logabsdet", 0), ("cholesky", 0), ("eigh", 0), ("eig", 0), ("svd", 0),
    ("singular_values", 0), ("qr", 0), ("fftn", 0), ("ifftn", 0), ("rfftn", 0),
    ("irfftn", 0),
}

_FUNCS = {"sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log,
          "sqrt": np.sqrt, "tanh": np.tanh, "sign": np.sign, "sinh": np.sinh,
          "cosh": np.cosh, "floor": np.floor, "trunc": np.trunc,
          "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
          "softmax": lambda x: np.exp(x - np.max(x)) / np.sum(np.exp(x - np.max(x)))}
_BIN = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
        ast.Div: operator.truediv, ast.Pow: operator.pow}
_CMP = {ast.Gt: operator.gt, ast.Lt: operator.lt}


class Prose(Exception):
    """The text is not a formula this evaluator reads."""


def _evaluate(node: ast.AST, env: dict) -> np.ndarray:
    """A tiny evaluator of derivative formulas: numbers, names, + - * / **, unary -, calls of
    _FUNCS and ``a if x > y else b``. Anything else is prose."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
        return _BIN[type(node.op)](_evaluate(node.left, env), _evaluate(node.right, env))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_evaluate(node.operand, env)
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in _FUNCS and len(node.args) == 1 and not node.keywords):
        return _FUNCS[node.func.id](_evaluate(node.args[0], env))
    if (isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare)
            and len(node.test.ops) == 1 and type(node.test.ops[0]) in _CMP):
        test = _CMP[type(node.test.ops[0])](_evaluate(node.test.left, env),
                                            _evaluate(node.test.comparators[0], env))
        return np.where(test, _evaluate(node.body, env), _evaluate(node.orelse, env))
    raise Prose(ast.dump(node))


def derivative_formula(text: str, env: dict) -> np.ndarray:
    """Evaluate ``text`` (``"cos(x)"``, ``"s*(1-s), s = sigmoid(x)"``) at ``env``."""
    expr, *bindings = text.split(", ")
    env = dict(env)
    try:
        for binding in bindings:
            name, _, value = binding.partition(" = ")
            if not name.isidentifier() or not value:
                raise Prose(binding)
            env[name] = _evaluate(ast.parse(value, mode="eval").body, env)
        return _evaluate(ast.parse(expr, mode="eval").body, env)
    except SyntaxError:
        raise Prose(text) from None


_PARAMS = {"logsumexp": ((-1,), False)}
_INPUTS = [(name, i) for name in sorted(REGISTRY) for i in range(len(REGISTRY[name].derivs))]


def _sample(prim: Primitive) -> list[np.ndarray]:
    rng = np.random.default_rng(zlib.crc32(prim.name.encode()))
    return [sample_away(rng, *prim.sample[min(k, len(prim.sample) - 1)], (5,), prim.avoid)
            for k in range(prim.n_inputs)]


def _formula_or_prose(name: str, i: int) -> tuple[bool, np.ndarray | None, np.ndarray | None]:
    prim = REGISTRY[name]
    xs = _sample(prim)
    env = dict(zip(prim.inputs, xs))
    try:
        expected = derivative_formula(prim.derivs[i], env)
    except Prose:
        return False, None, None
    args = (*xs, *_PARAMS.get(name, ()))
    ans = prim.array_fn(*args)
    got = prim.vjps[i](ARRAY, np.ones(np.shape(ans)), ans, *args)
    return True, np.broadcast_to(expected, got.shape), got


@pytest.mark.parametrize("name,i", _INPUTS)
def test_derivative_text_agrees_with_the_vjp_or_is_listed_as_prose(name, i):
    is_formula, expected, got = _formula_or_prose(name, i)
    assert is_formula == ((name, i) not in PROSE), (
        f"{REGISTRY[name].rule(i)!r}: {'a formula' if is_formula else 'prose'}; update PROSE")
    if is_formula:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_most_derivative_texts_are_checked_formulas():
    checked = [key for key in _INPUTS if key not in PROSE]
    assert len(checked) >= 25, checked
    assert PROSE <= set(_INPUTS), "PROSE names an input the table does not have"


def test_a_wrong_derivative_text_is_caught():
    # the check itself can fail: d/dx sin(x) written as -cos(x)
    x = np.linspace(-1.0, 1.0, 5)
    expected = derivative_formula("-cos(x)", {"x": x})
    got = REGISTRY["sin"].vjps[0](ARRAY, np.ones(5), np.sin(x), x)
    assert not np.allclose(got, expected)


@pytest.mark.parametrize("text", ["x[0]", "1 at the maximum", "x, y", "x, 2 = y",
                                  "(none: a condition)", "f(x)"])
def test_prose_is_recognised(text):
    with pytest.raises(Prose):
        derivative_formula(text, {"x": np.ones(2), "y": np.ones(2)})


# -- the docs' one-entry example -------------------------------------------------------------

def test_the_one_entry_example_of_the_extending_doc_runs_as_written(capsys):
    doc = (Path(__file__).resolve().parent.parent / "docs" / "extending.md").read_text()
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", doc, flags=re.S) if "unary(" in b
                and "import" in b]
    lines = block.splitlines()
    namespace: dict = {}
    exec("\n".join(lines[:-1]), namespace)  # noqa: S102 - the doc's own code, but unregister
    try:
        for line in lines[:-1]:
            code, _, shown = line.partition("# ")
            if shown and "(" in code and "unary" not in code:
                assert repr(eval(code, namespace)) == shown.strip()  # noqa: S307 - the doc
        assert "cube" in FORMULA_FUNCTIONS and "cube" in conventions_table()
        assert main(["functions"]) == 0 and "d/dx cube(x) = 3*x**2" in capsys.readouterr().out
    finally:
        exec(lines[-1].partition("#")[0], namespace)  # noqa: S102 - the doc's unregister
    assert "cube" not in REGISTRY and not hasattr(cr.Tensor, "cube")


def test_a_binary_entry_broadcasts_and_sums_gradients_back():
    from chainrule.primitive import binary
    builtin = unregister("hypot")
    binary("hypot_toy", math.hypot, np.hypot,
           [lambda M, g, ans, x, y: g * x / ans, lambda M, g, ans, x, y: g * y / ans],
           ["x/hypot(x, y)", "y/hypot(x, y)"], numpy=(np.hypot,))
    try:
        x = cr.tensor([[3.0], [6.0]], requires_grad=True)
        y = cr.tensor([4.0, 8.0], requires_grad=True)
        np.hypot(x, y).sum().backward()
        h = np.hypot([[3.0], [6.0]], [4.0, 8.0])
        np.testing.assert_allclose(x.grad, (np.array([[3.0], [6.0]]) / h).sum(1, keepdims=True))
        np.testing.assert_allclose(y.grad, (np.array([4.0, 8.0]) / h).sum(0))
        with pytest.raises(cr.ShapeError, match="hypot_toy"):
            cr.hypot_toy(cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.0, 3.0]))
        assert not hasattr(cr.Tensor, "hypot_toy")  # binary ops are no methods by default
    finally:
        unregister("hypot_toy")
        register(builtin)
