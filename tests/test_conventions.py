"""Conventions at awkward points, one test each, and the docs table that states them.

The table in docs/conventions.md is generated from the rule table (REGISTRY): each op's
``cr.`` function, Tensor methods, numpy functions, derivative, domain and kink text;
``test_docs_table_matches_registry`` fails when they drift apart. Regenerate it with
``.venv/bin/python tests/test_conventions.py``.
"""

from __future__ import annotations

import math
import re
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import chainrule as cr
from chainrule.ops.numpy_api import numpy_path
from chainrule.primitive import REGISTRY

DOC = Path(__file__).resolve().parent.parent / "docs" / "conventions.md"
BEGIN = "<!-- table generated from REGISTRY by tests/test_conventions.py -->"
END = "<!-- end of generated table -->"


def conventions_table() -> str:
    """One row per primitive in the rule table: where it shows up, its local derivative,
    domain, convention at kinks and whether it has second-order rules."""
    rows = ["| op | `cr.` | Tensor method | numpy | local derivative | domain "
            "| convention at kinks | 2nd order |",
            "|---|---|---|---|---|---|---|---|"]
    for name in sorted(REGISTRY):
        prim = REGISTRY[name]
        rule = "; ".join(f"`{prim.rule(i)}`" for i in range(len(prim.derivs)))
        numpy = ", ".join(f"`{numpy_path(item[0] if isinstance(item, tuple) else item)}`"
                          for item in prim.numpy)
        cells = [f"`{name}`", f"`cr.{prim.function}`" if prim.function else "—",
                 ", ".join(f"`{m}`" for m in prim.methods) or "—", numpy or "—",
                 rule or "", prim.domain, prim.kink or "—",
                 prim.second_order if isinstance(prim.second_order, str)
                 else "yes" if prim.second_order else "no"]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


SCALAR_BEGIN = "<!-- Scalar methods generated from REGISTRY by tests/test_conventions.py -->"
SCALAR_END = "<!-- end of generated Scalar methods -->"


def scalar_methods() -> str:
    """The methods a Scalar has from the rule table: those of every entry defined on one
    number (a forward on Python floats)."""
    calls = sorted({f"`{m[2:-2]}(x)`" if m.startswith("__")
                    else f"`x.{m}({', '.join(prim.inputs[1:])})`"
                    for prim in REGISTRY.values()
                    if prim.float_fn is not None and prim.function is not None
                    for m in prim.methods})
    return ", ".join(calls)


def _doc_section(begin: str, end: str) -> str:
    text = DOC.read_text()
    m = re.search(re.escape(begin) + r"\n(.*?)\n" + re.escape(end), text, re.S)
    assert m, f"{DOC} lacks the markers {begin}"
    return m.group(1)


def test_docs_scalar_methods_match_registry():
    assert _doc_section(SCALAR_BEGIN, SCALAR_END) == scalar_methods(), (
        "docs/conventions.md is out of date; run .venv/bin/python tests/test_conventions.py")
    x = cr.Scalar(0.5)
    for prim in REGISTRY.values():
        if prim.float_fn is not None and prim.function is not None:
            assert all(callable(getattr(x, m)) for m in prim.methods), prim.name


def _doc_table() -> str:
    text = DOC.read_text()
    m = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert m, f"{DOC} lacks the generated-table markers"
    return m.group(1)


def test_docs_table_matches_registry():
    assert _doc_table() == conventions_table(), (
        "docs/conventions.md is out of date; run .venv/bin/python tests/test_conventions.py")


def test_docs_table_lists_every_kink_convention():
    table = _doc_table()
    for name, prim in REGISTRY.items():
        if prim.kink:
            assert f"`{name}`" in table and prim.kink.replace("|", "\\|") in table


# -- relu, abs ------------------------------------------------------------------------------

def test_relu_derivative_at_zero_is_zero_for_scalar():
    x = cr.Scalar(0.0)
    cr.relu(x).backward()
    assert x.grad == 0.0


def test_relu_derivative_at_zero_is_zero_for_tensor():
    x = cr.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    cr.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 1.0])


def test_abs_derivative_at_zero_is_zero():
    x = cr.Scalar(0.0)
    cr.abs(x).backward()
    assert x.grad == 0.0
    t = cr.tensor([-2.0, 0.0, 3.0], requires_grad=True)
    cr.abs(t).sum().backward()
    np.testing.assert_array_equal(t.grad, [-1.0, 0.0, 1.0])


# -- norm at 0 ------------------------------------------------------------------------------

@pytest.mark.parametrize("ord_", [None, 2, 3])
def test_norm_gradient_at_zero_is_zero_not_nan(ord_):
    x = cr.tensor(np.zeros(3), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cr.norm(x, ord=ord_).backward()
    np.testing.assert_array_equal(x.grad, np.zeros(3))


def test_norm_gradient_is_zero_only_for_the_zero_rows():
    x = cr.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    cr.norm(x, axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.0], [0.6, 0.8]], rtol=1e-15)


# -- ties split equally ---------------------------------------------------------------------

@pytest.mark.parametrize("fn", [cr.max, cr.min])
def test_ties_in_reductions_split_the_gradient_equally(fn):
    x = cr.tensor([2.0, 2.0, 2.0, -1.0] if fn is cr.max else [-1.0, -1.0, -1.0, 2.0],
                  requires_grad=True)
    fn(x).backward()
    np.testing.assert_allclose(x.grad, [1 / 3, 1 / 3, 1 / 3, 0.0], rtol=1e-15)


def test_ties_in_max_along_an_axis_split_per_row():
    x = cr.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 1.0]], requires_grad=True)
    cr.max(x, axis=1).backward(grad=np.array([2.0, 3.0]))
    np.testing.assert_allclose(x.grad, [[0.0, 1.0, 1.0], [3.0, 0.0, 0.0]], rtol=1e-15)


@pytest.mark.parametrize("fn,ga,gb", [(cr.maximum, [0.5, 1.0, 0.0], [0.5, 0.0, 1.0]),
                                       (cr.minimum, [0.5, 0.0, 1.0], [0.5, 1.0, 0.0])])
def test_ties_in_maximum_minimum_split_equally_for_tensors(fn, ga, gb):
    a = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = cr.tensor([1.0, 0.0, 5.0], requires_grad=True)
    fn(a, b).sum().backward()
    np.testing.assert_array_equal(a.grad, ga)
    np.testing.assert_array_equal(b.grad, gb)


@pytest.mark.parametrize("fn", [cr.maximum, cr.minimum])
def test_ties_in_maximum_minimum_split_equally_for_scalars(fn):
    a, b = cr.Scalar(1.5), cr.Scalar(1.5)
    fn(a, b).backward()
    assert (a.grad, b.grad) == (0.5, 0.5)


def test_maximum_of_a_value_with_itself_has_gradient_one():
    x = cr.tensor([0.3, -2.0], requires_grad=True)
    cr.maximum(x, x).sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0])


# -- sqrt at 0 ------------------------------------------------------------------------------

def test_sqrt_derivative_at_zero_is_inf_for_a_scalar_without_raising():
    x = cr.Scalar(0.0)
    y = cr.sqrt(x)
    assert y.value == 0.0
    y.backward()
    assert x.grad == math.inf


def test_sqrt_derivative_at_zero_is_inf_for_a_tensor_without_raising():
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's divide-by-zero warning
        cr.sqrt(x).sum().backward()
    assert x.grad[0] == np.inf and x.grad[1] == 0.25


def test_sqrt_derivative_at_a_python_float_zero_is_inf():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert cr.grad(cr.sqrt)(0.0) == math.inf


# -- log of a negative ----------------------------------------------------------------------

def test_log_of_a_negative_tensor_is_nan_with_numpys_warning():
    x = cr.tensor([-1.0, 1.0], requires_grad=True)
    with pytest.warns(RuntimeWarning, match="invalid value"):
        y = cr.log(x)
    assert np.isnan(y.data[0]) and y.data[1] == 0.0


def test_log_of_a_negative_scalar_is_nan_with_numpys_warning():
    with pytest.warns(RuntimeWarning, match="invalid value"):
        y = cr.log(cr.Scalar(-2.0))
    assert math.isnan(y.value)
    y.backward()  # no exception from the backward pass either


def test_log_of_a_negative_python_float_is_nan_with_numpys_warning():
    with pytest.warns(RuntimeWarning):
        assert math.isnan(cr.log(-1.0))


def test_log_of_zero_is_minus_inf_without_raising():
    with pytest.warns(RuntimeWarning):
        y = cr.log(cr.Scalar(0.0))
    assert y.value == -math.inf


def test_division_by_a_zero_scalar_is_inf_not_an_exception():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        x = cr.Scalar(1.0)
        y = x / 0.0
        y.backward()
    assert y.value == math.inf and x.grad == math.inf


def test_pow_exponent_derivative_at_zero_base_is_zero():
    y = cr.Scalar(2.5)
    (cr.Scalar(0.0) ** y).backward()
    assert y.grad == 0.0
    yt = cr.tensor([2.0, 3.0], requires_grad=True)
    (cr.tensor([0.0, 2.0]) ** yt).sum().backward()
    np.testing.assert_allclose(yt.grad, [0.0, 8 * math.log(2.0)], rtol=1e-15)


def _write_doc() -> None:
    text = DOC.read_text() if DOC.exists() else f"{BEGIN}\n\n{END}\n"
    new = re.sub(re.escape(BEGIN) + r"\n.*?\n" + re.escape(END),
                 lambda _: f"{BEGIN}\n{conventions_table()}\n{END}", text, flags=re.S)
    new = re.sub(re.escape(SCALAR_BEGIN) + r"\n.*?\n" + re.escape(SCALAR_END),
                 lambda _: f"{SCALAR_BEGIN}\n{scalar_methods()}\n{SCALAR_END}", new,
                 flags=re.S)
    DOC.write_text(new)


if __name__ == "__main__":
    _write_doc()
    sys.stdout.write(f"wrote {DOC}\n")
