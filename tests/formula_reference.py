"""An oracle for the formula language: a parsed formula's value computed with numpy alone,
and a strategy that writes well-formed formulas. Shared by test_formula.py and test_cli.py."""

import ast

import numpy as np
from hypothesis import strategies as st

VALUES = {"x": np.array([1.0, -2.0]), "W": np.eye(2), "y": np.array(0.5)}


class Unknown(Exception):
    """The reference below does not model this formula; its value is not compared."""


def _softmax(x, axis=-1):
    if np.ndim(x) == 0:
        raise ValueError("softmax needs an axis")   # as torch; numpy has no softmax
    z = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return z / np.sum(z, axis=axis, keepdims=True)


def _norm(x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2) or not (axis is None or isinstance(axis, int)):
        raise Unknown
    return np.sqrt(np.sum(x * x, axis=axis, keepdims=keepdims))


def _reduce(fn):
    def reduce(x, axis=None, keepdims=False):
        if isinstance(axis, list):
            axis = tuple(axis)
        if axis is not None and np.ndim(x) == 0:
            # numpy lets axis=0 through on a 0-d array as a legacy special case; chainrule
            # refuses an axis a value does not have, as numpy does for every other ndim
            raise ValueError("axis out of bounds")
        return fn(x, axis=axis, keepdims=keepdims)
    return reduce


REFERENCE_FUNCTIONS = {
    "sin": np.sin, "log": np.log, "sum": _reduce(np.sum), "max": _reduce(np.max),
    "norm": _norm, "softmax": _softmax, "eye": np.eye,
    "reshape": lambda x, *shape: np.reshape(x, shape[0] if len(shape) == 1 else shape),
}
REFERENCE_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply,
                    ast.Div: np.divide, ast.Pow: np.power, ast.MatMult: np.matmul}


def reference_value(node: ast.AST, values: dict[str, np.ndarray]):
    """The value of a parsed formula computed with numpy alone, in float64: an oracle
    independent of chainrule's evaluator (raises Unknown where it does not apply)."""
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return np.float64(node.value)
    if isinstance(node, ast.Name):
        return {"pi": np.pi, "e": np.e, "inf": np.inf, **values}[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = reference_value(node.operand, values)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        return REFERENCE_BINOPS[type(node.op)](reference_value(node.left, values),
                                               reference_value(node.right, values))
    if isinstance(node, ast.List):
        return np.array([reference_value(e, values) for e in node.elts], dtype=float)
    if isinstance(node, ast.Call) and node.func.id in REFERENCE_FUNCTIONS:
        name = node.func.id
        if name in ("max", "min") and len(node.args) == 2 and not node.keywords:
            return np.maximum(*[reference_value(a, values) for a in node.args])
        n_values = 0 if name == "eye" else 1
        args = [reference_value(a, values) for a in node.args[:n_values]]
        args += [ast.literal_eval(a) for a in node.args[n_values:]]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
        return REFERENCE_FUNCTIONS[name](*args, **kwargs)
    raise Unknown


def _grow(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**", "@"]), children)
        .map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["sin", "log", "sum", "max", "norm", "softmax", "-"]),
                  children).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(children, children).map(lambda t: f"max({t[0]}, {t[1]})"),
        st.tuples(st.sampled_from(["sum", "max"]), children, st.sampled_from(["0", "-1"]))
        .map(lambda t: f"{t[0]}({t[1]}, axis={t[2]})"),
        children.map(lambda c: f"reshape({c}, -1)"),
        st.lists(children, min_size=1, max_size=2).map(lambda c: f"[{', '.join(c)}]"),
    )


FORMULAS = st.recursive(st.sampled_from(["x", "y", "W", "1", "2.5", "pi", "e", "0", "eye(2)"]),
                        _grow, max_leaves=8)
"""Formulas over x (shape (2,)), y (0-d), W (2x2) and constants; many have clashing shapes."""
