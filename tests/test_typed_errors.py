"""Wrong arguments at the API boundary: a TypeError or ValueError naming the function, the
argument and what was expected, never a raw error from inside numpy or Python, and no
silent acceptance."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn, optim
from chainrule.validation import argnums, describe, distinct, operand, positive, whole_number


def _t():
    return cr.Tensor([1.0, 2.0], requires_grad=True)


@pytest.mark.parametrize("call, error, message", [
    (lambda: _t() + "a", TypeError, "add: expected a number, an array of numbers or a "
                                    "Tensor, got str 'a'"),
    (lambda: "a" * _t(), TypeError, "mul: expected a number"),
    (lambda: _t() + None, TypeError, "add: expected .* got NoneType None"),
    (lambda: cr.sin("a"), TypeError, "sin: expected a number"),
    (lambda: cr.sin(["a"]), TypeError, "sin: expected a number"),
    (lambda: cr.where([True, False], _t(), "b"), TypeError, "where: expected a number"),
    (lambda: cr.max(cr.Tensor(np.zeros(0))), ValueError, r"max: the array is empty \(shape "
                                                          r"\(0,\)\)"),
    (lambda: cr.logsumexp(cr.Tensor(np.zeros((2, 0))), axis=1), ValueError,
     "logsumexp: the array is empty"),
    (lambda: cr.reshape(_t(), "a"), TypeError, "reshape: shape must be a whole number, got "
                                               "str 'a'"),
    (lambda: cr.reshape(_t(), 2.0), TypeError, "reshape: shape must be a whole number"),
    (lambda: cr.zero_grad(None), TypeError, "zero_grad: expected a Scalar or Tensor, got "
                                            "NoneType"),
    (lambda: cr.find_nonfinite(None), TypeError, "find_nonfinite: expected a Scalar or "
                                                 "Tensor"),
    (lambda: cr.gradcheck(lambda x: x * x, np.ones(2), eps=0), ValueError,
     "gradcheck: eps must be positive, got 0"),
    (lambda: cr.gradcheck(lambda x: x * x, np.ones(2), rtol=float("nan")), ValueError,
     "gradcheck: rtol must be a finite number"),
    (lambda: nn.Linear(2.5, 2), TypeError, "Linear: in_features must be a whole number, got "
                                           "float 2.5"),
    (lambda: nn.Linear(2, True), TypeError, "Linear: out_features must be a whole number"),
    (lambda: optim.SGD([_t()], lr=float("inf")), ValueError, "SGD: lr must be a finite "
                                                             "number, got inf"),
    (lambda: optim.SGD([_t()], lr="0.1"), TypeError, "SGD: lr must be a number, got str"),
    (lambda: optim.Adam([_t()], eps=float("nan")), ValueError, "Adam: eps must be a finite "
                                                               "number, got nan"),
    (lambda: optim.SGD([_t()], lr=0.1, momentum=float("nan")), ValueError,
     "SGD: momentum must be"),
])
def test_a_wrong_argument_is_a_typed_error_naming_it(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("bad", ["a", 1.0, True, np.float64(1.0), [0, "x"]])
def test_argnums_must_be_whole_numbers(bad):
    with pytest.raises(TypeError, match="argnums must be a whole number"):
        cr.grad(lambda x, y: x * y, argnums=bad)(1.0, 2.0)


def test_argnums_accepts_numpy_integers():
    assert cr.grad(lambda x, y: x * y, argnums=np.int64(1))(3.0, 2.0) == 3.0
    assert cr.grad(lambda x, y: x * y, argnums=[np.int32(0), 1])(3.0, 2.0) == (2.0, 3.0)
    with pytest.raises(TypeError, match="hessian: argnums must be a whole number"):
        cr.hessian(lambda x: x, argnums=True)


def test_numpy_concatenate_with_axis_none_flattens_like_numpy():
    a = cr.Tensor(np.arange(4.0).reshape(2, 2), requires_grad=True)
    b = cr.Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    out = np.concatenate([a, b], axis=None)
    np.testing.assert_array_equal(out.data, np.concatenate([a.data, b.data], axis=None))
    (out * np.arange(10.0)).sum().backward()
    np.testing.assert_array_equal(a.grad, np.arange(4.0).reshape(2, 2))
    np.testing.assert_array_equal(b.grad, np.arange(4.0, 10.0).reshape(3, 2))


def test_the_data_setter_takes_numbers_of_the_same_shape_only():
    t = cr.Tensor([1.0, 2.0], dtype=np.float32)
    with pytest.raises(TypeError, match="Tensor.data: expected a number"):
        t.data = "ab"
    with pytest.raises(cr.ShapeError, match=r"new value has shape \(3,\) but the Tensor has "
                                            r"shape \(2,\)"):
        t.data = np.ones(3)
    with pytest.raises(cr.ShapeError):
        t.data = 3
    t.data = np.array([3, 4])
    assert t.dtype == np.float32 and list(t.data) == [3.0, 4.0]


def test_sgd_on_read_only_data_is_refused_when_built():
    p = cr.Tensor(np.ones(2), requires_grad=True)
    p.value.setflags(write=False)
    with pytest.raises(ValueError, match="parameter 0's data is read-only"):
        optim.SGD([p], lr=0.1)


def test_a_parameter_listed_twice_is_refused():
    p = _t()
    with pytest.raises(ValueError, match="parameter 2 is the same Tensor as parameter 0"):
        optim.SGD([p, _t(), p], lr=0.1)


def test_a_string_never_gets_into_a_graph():
    t = _t()
    with pytest.raises(TypeError):
        cr.where([True, False], t, np.array(["a", "b"]))
    with pytest.raises(TypeError):
        cr.stack([t, np.array(["a", "b"])])


def test_the_helpers():
    assert describe("x" * 100).endswith("...") and describe(None) == "NoneType None"
    assert operand("f", np.int8(3)) == 3 and operand("f", 2.5) == 2.5
    assert operand("f", range(3)) == range(3)
    with pytest.raises(TypeError, match="got dict"):
        operand("f", {})
    with pytest.raises(TypeError, match="got object"):
        operand("f", object())
    assert whole_number("f", "n", np.int64(4), low=1) == 4
    with pytest.raises(ValueError, match="n must be at least 1, got 0"):
        whole_number("f", "n", 0, low=1)
    assert argnums("f", 2) == ((2,), True) and argnums("f", (0, 1)) == ((0, 1), False)
    assert positive("f", "x", 0, zero=True) == 0.0
    with pytest.raises(ValueError, match="x must be 0 or more, got -1"):
        positive("f", "x", -1, zero=True)
    assert distinct("f", iter([1, 2])) == [1, 2]


def test_a_vjp_returning_none_is_an_error_naming_the_primitive():
    bad = cr.primitive("forgot", lambda x: x * 2, [lambda M, g, ans, x: None])
    with pytest.raises(TypeError, match=r"primitive 'forgot': the VJP of input 0 returned "
                                        r"None"):
        cr.grad(lambda x: bad(x).sum())(np.ones(2))
    x = cr.Scalar(1.0)
    with pytest.raises(TypeError, match="returned None"):
        (bad(x) * 3).backward()
    fine = cr.primitive("double", lambda x: x * 2, [lambda M, g, ans, x: 2 * g])
    assert cr.grad(lambda x: fine(x))(1.0) == 2.0


def test_a_reduction_error_on_a_non_empty_array_stays_numpy_s():
    from chainrule.ops.functions import reduction_error

    exc = ValueError("numpy's own")
    assert reduction_error("max", (2,), exc) is exc
    assert "the array is empty" in str(reduction_error("max", (2, 0), exc))


def test_a_ragged_operand_is_refused():
    with pytest.raises(TypeError, match="expected a number"):
        operand("f", [[1.0], [1.0, 2.0]])


def test_an_absent_input_is_not_an_operand_error():
    np.testing.assert_array_equal(cr.clip(np.array([0.0, 2.0]), None, 1.0), [0.0, 1.0])
    t = cr.Tensor([0.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(cr.clip(t, None, 1.0).data, [0.0, 1.0])
