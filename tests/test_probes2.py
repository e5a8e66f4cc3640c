"""Second round of adversarial probes against PyTorch, numpy, JAX and HIPS autograd: each
test is a case that once gave a wrong answer (silently), a NaN where the reference gives a
number, or a bare crash instead of an error naming the op."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


@pytest.mark.parametrize("call", [lambda t: t.std(), lambda t: t.std(correction=0),
                                  lambda t: t.std(0, keepdim=True),
                                  lambda t: t.std(dim=0, unbiased=False)])
def test_std_method_of_equal_elements_has_gradient_0(call):
    # PyTorch masks the kink at std 0 (grad 0); sqrt(var) gave 0 * inf = NaN
    x = cr.tensor([2.0, 2.0, 2.0], requires_grad=True)
    call(x).sum().backward()
    np.testing.assert_array_equal(x.grad, np.zeros(3))


def test_std_method_keeps_its_value_and_gradient_elsewhere():
    x = cr.tensor([1.0, 2.0, 4.0], requires_grad=True)
    y = x.std()
    y.backward()
    m, s = 7 / 3, np.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2)
    assert y.item() == pytest.approx(s)
    np.testing.assert_allclose(x.grad, (np.array([1.0, 2.0, 4.0]) - m) / (2 * s))


@pytest.mark.parametrize(("shape", "args", "expected"), [
    ((0, 3), (1,), (0, 3)), ((0, 3), (0,), (0,)), ((2, 0, 3), (0, 1), (0, 3)),
    ((2, 0, 3), (2,), (2, 0, 3)), ((2, 0, 3), (1, 2), (2, 0)), ((2, 3, 4), (1,), (2, 12))])
def test_flatten_of_zero_size_tensors(shape, args, expected):
    x = cr.zeros(shape, requires_grad=True)
    y = x.flatten(*args)
    assert y.shape == expected
    y.sum().backward()
    assert x.grad.shape == shape


@pytest.mark.parametrize("args", [(1, 0), (2, -3), (-1, 0)])
def test_flatten_with_start_after_end_is_refused(args):
    with pytest.raises(ValueError, match="start_dim comes after end_dim"):
        cr.zeros((2, 3, 4)).flatten(*args)


def test_flatten_out_of_range_dim_is_refused():
    with pytest.raises(IndexError, match="flatten: dim 3 out of range"):
        cr.zeros((2, 3, 4)).flatten(3)


def test_split_and_chunk_of_an_empty_dim_as_torch():
    x = cr.zeros((0, 3))
    assert [p.shape for p in x.split(2)] == [(0, 3)]
    assert [p.shape for p in x.chunk(3)] == [(0, 3)] * 3
    assert [p.shape for p in x.chunk(2, dim=1)] == [(0, 2), (0, 1)]


def test_expand_refuses_minus_one_for_a_new_leading_dim():
    x = cr.tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="-1 is not allowed for a new leading dim"):
        x.expand(-1, 3)
    assert x.expand(2, -1).shape == (2, 3)


@pytest.mark.parametrize("index", [[[-1], [1]], [[5], [0]]])
def test_gather_refuses_an_index_out_of_range_instead_of_wrapping(index):
    x = cr.tensor(np.arange(10.0).reshape(2, 5))
    with pytest.raises(IndexError, match="gather: index (-1|5) is out of range"):
        x.gather(1, np.array(index))


def test_index_select_refuses_negative_and_2d_indices():
    x = cr.tensor(np.arange(10.0).reshape(2, 5))
    with pytest.raises(IndexError, match="index_select: index -1 is out of range"):
        x.index_select(0, cr.tensor([-1]))
    with pytest.raises(IndexError, match="must be 1-D"):
        x.index_select(1, np.array([[0, 1]]))
    np.testing.assert_array_equal(x.index_select(1, np.array([4, 0])).data,
                                  [[4.0, 0.0], [9.0, 5.0]])
