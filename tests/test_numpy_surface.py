"""numpy's functions beyond the homework, on Tensors: the conventions at their awkward
points and the options of their signatures (each supported or refused by name). Values,
gradients and second derivatives over shapes are in test_ops_matrix.py."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def _grad(f, x):
    t = cr.tensor(x, requires_grad=True)
    f(t).sum().backward()
    return t.grad


# -- elementwise -----------------------------------------------------------------------------

@pytest.mark.parametrize("fn,ref", [(np.fmax, np.fmax), (np.fmin, np.fmin), (cr.fmax, np.fmax)])
def test_fmax_fmin_send_the_gradient_past_a_nan_to_the_number(fn, ref):
    a = np.array([1.0, np.nan, 3.0, np.nan, 2.0])
    b = np.array([2.0, 1.0, np.nan, np.nan, 2.0])
    x, y = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    z = fn(x, y)
    np.testing.assert_array_equal(z.data, ref(a, b))
    z.sum().backward()
    first = [0.0, 0.0, 1.0, 0.5, 0.5] if ref is np.fmax else [1.0, 0.0, 1.0, 0.5, 0.5]
    np.testing.assert_array_equal(x.grad, first)
    np.testing.assert_array_equal(y.grad, 1.0 - np.array(first))


def test_fmax_of_scalars_skips_a_nan_as_numpy():
    assert float(cr.fmax(cr.Scalar(float("nan")), 2.0)) == 2.0
    assert float(cr.fmin(cr.Scalar(1.0), float("nan"))) == 1.0
    assert cr.grad(lambda t: cr.fmin(t, float("nan")))(1.5) == 1.0


def test_clip_at_the_bounds_sends_the_gradient_to_x():
    x = cr.tensor([-1.0, -0.5, 0.0, 0.5, 1.0], requires_grad=True)
    lo = cr.tensor(-0.5, requires_grad=True)
    hi = cr.tensor(0.5, requires_grad=True)
    y = np.clip(x, lo, hi)
    np.testing.assert_array_equal(y.data, [-0.5, -0.5, 0.0, 0.5, 0.5])
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])
    assert (lo.grad, hi.grad) == (1.0, 1.0)


def test_clip_with_crossed_bounds_gives_hi_everywhere_as_numpy():
    x = cr.tensor([-1.0, 0.0, 1.0], requires_grad=True)
    lo = cr.tensor(0.5, requires_grad=True)
    hi = cr.tensor(-0.5, requires_grad=True)
    y = cr.clip(x, lo, hi)
    np.testing.assert_array_equal(y.data, np.clip([-1.0, 0.0, 1.0], 0.5, -0.5))
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0, 0.0])
    assert (lo.grad, hi.grad) == (0.0, 3.0)


def test_clip_takes_numpys_keyword_spellings_and_refuses_no_bounds_and_out():
    x = cr.tensor([-2.0, 0.0, 2.0], requires_grad=True)
    np.testing.assert_array_equal(np.clip(x, min=-1.0).data, [-1.0, 0.0, 2.0])
    np.testing.assert_array_equal(np.clip(x, max=1.0).data, [-2.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="clip: give a_min, a_max or both"):
        cr.clip(x)
    with pytest.raises(TypeError, match="out="):
        np.clip(x, 0, 1, out=np.empty(3))
    with pytest.raises(TypeError, match="dtype="):
        np.clip(x, 0, 1, dtype=np.float32)
    with pytest.raises(TypeError, match="casting"):
        np.clip(x, 0, 1, casting="unsafe")
    with pytest.raises(cr.ShapeError, match="clip"):
        cr.clip(x, np.zeros(2), 1.0)


def test_remainder_at_multiples_takes_the_derivative_from_the_right():
    x = cr.tensor([-2.0, 0.0, 1.0, 3.0], requires_grad=True)
    y = cr.tensor(1.0, requires_grad=True)
    r = x % y
    np.testing.assert_array_equal(r.data, [0.0, 0.0, 0.0, 0.0])
    r.sum().backward()
    np.testing.assert_array_equal(x.grad, [1.0, 1.0, 1.0, 1.0])
    assert y.grad == -(-2.0 + 0.0 + 1.0 + 3.0)  # -floor(x/y) summed


def test_remainder_floor_divide_and_fmod_follow_numpys_signs():
    a = np.array([-3.5, -1.0, 2.5, 7.0])
    b = np.array([2.0, -3.0, -1.5, 2.5])
    ta, tb = cr.tensor(a), cr.tensor(b)
    np.testing.assert_array_equal((ta % tb).data, a % b)
    np.testing.assert_array_equal((ta // tb).data, a // b)
    np.testing.assert_array_equal(np.mod(ta, tb).data, np.mod(a, b))
    np.testing.assert_array_equal(np.fmod(ta, tb).data, np.fmod(a, b))
    np.testing.assert_array_equal((7.0 % tb).data, 7.0 % b)
    np.testing.assert_array_equal((7.0 // tb).data, 7.0 // b)


def test_scalar_remainder_and_floor_divide_operators():
    x = cr.Scalar(2.5)
    y = x % 1.0 + 7.0 % x + x // 0.5 + 7.0 // x
    y.backward()
    assert y.value == pytest.approx(0.5 + 2.0 + 5.0 + 2.0)
    assert x.grad == 1.0 - 2.0  # d(x % 1) + d(7 % x) = 1 - floor(7 / 2.5)
    s, t = cr.Scalar(2.5), cr.Scalar(0.75)
    z = s % t + s // t
    z.backward()
    assert (z.value, s.grad, t.grad) == (0.25 + 3.0, 1.0, -3.0)


def test_rounding_has_zero_gradient_and_np_round_keeps_decimals():
    x = np.array([-1.26, 0.5, 1.5, 2.71])
    for f in (np.floor, np.ceil, np.trunc, np.rint, np.round, np.around):
        np.testing.assert_array_equal(f(cr.tensor(x)).data, f(x))
        np.testing.assert_array_equal(_grad(f, x), np.zeros(4))
    np.testing.assert_array_equal(np.round(cr.tensor(x), 1).data, np.round(x, 1))
    np.testing.assert_array_equal(np.round(cr.tensor(x), decimals=-1).data, np.round(x, -1))
    with pytest.raises(TypeError, match="out="):
        np.round(cr.tensor(x, requires_grad=True), out=np.empty(4))


def test_floor_divide_has_zero_gradient_for_both_inputs():
    x = cr.tensor([2.5, -1.5], requires_grad=True)
    y = cr.tensor([0.7, 0.4], requires_grad=True)
    (x // y).sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])
    np.testing.assert_array_equal(y.grad, [0.0, 0.0])


def test_sinc_at_zero_is_one_with_derivative_zero():
    np.testing.assert_allclose(_grad(np.sinc, [0.0, 0.5]), [0.0, -4 / np.pi], rtol=1e-12)
    x = cr.Scalar(0.0)
    y = cr.sinc(x)
    y.backward()
    assert (y.value, x.grad) == (1.0, 0.0)


def test_angle_units_answer_for_both_numpy_spellings():
    x = np.array([0.0, 90.0, 180.0])
    np.testing.assert_allclose(np.radians(cr.tensor(x)).data, np.radians(x))
    np.testing.assert_allclose(_grad(np.radians, x), np.full(3, np.pi / 180))
    np.testing.assert_allclose(_grad(np.degrees, x), np.full(3, 180 / np.pi))


def test_nan_to_num_replaces_like_numpy_and_gives_no_gradient_there():
    x = np.array([np.nan, np.inf, -np.inf, 1.5])
    got = np.nan_to_num(cr.tensor(x), nan=-1.0, posinf=9.0, neginf=-9.0)
    np.testing.assert_array_equal(got.data, [-1.0, 9.0, -9.0, 1.5])
    np.testing.assert_array_equal(np.nan_to_num(cr.tensor(x)).data, np.nan_to_num(x))
    np.testing.assert_array_equal(_grad(np.nan_to_num, x), [0.0, 0.0, 0.0, 1.0])
    with pytest.raises(TypeError, match="copy=False"):
        cr.nan_to_num(cr.tensor(x), copy=False)


# -- reductions and running totals ----------------------------------------------------------

@pytest.mark.parametrize("x,expected", [
    ([2.0, 3.0, 4.0], [12.0, 8.0, 6.0]),
    ([2.0, 0.0, 4.0], [0.0, 8.0, 0.0]),       # one zero: its gradient is the others' product
    ([0.0, 3.0, 0.0], [0.0, 0.0, 0.0]),       # two zeros: every gradient is 0
])
def test_prod_gradient_is_exact_at_zeros(x, expected):
    np.testing.assert_array_equal(_grad(np.prod, x), expected)


def test_prod_second_order_is_exact_at_a_zero():
    h = cr.hessian(lambda a: np.prod(a))(np.array([2.0, 0.0, 4.0]))
    np.testing.assert_array_equal(h, [[0.0, 4.0, 0.0], [4.0, 0.0, 2.0], [0.0, 2.0, 0.0]])


def test_cumprod_gradient_and_hessian_are_exact_at_zeros():
    x = np.array([[1.0, 0.0, 3.0], [2.0, 0.0, 0.0]])
    np.testing.assert_array_equal(_grad(lambda t: np.cumprod(t, axis=1), x),
                                  [[1.0, 4.0, 0.0], [1.0, 2.0, 0.0]])
    h = cr.hessian(lambda a: np.sum(np.cumprod(a)))(np.array([1.0, 0.0, 3.0]))
    np.testing.assert_array_equal(h, [[0.0, 4.0, 0.0], [4.0, 0.0, 1.0], [0.0, 1.0, 0.0]])


def test_running_totals_flatten_without_axis_and_refuse_out_and_dtype():
    x = np.arange(6.0).reshape(2, 3)
    assert np.cumsum(cr.tensor(x)).shape == (6,)
    np.testing.assert_array_equal(np.cumprod(cr.tensor(x) + 1).data, np.cumprod(x + 1))
    with pytest.raises(TypeError, match="out="):
        np.cumsum(cr.tensor(x, requires_grad=True), out=np.empty(6))
    with pytest.raises(TypeError, match="dtype="):
        np.cumsum(cr.tensor(x), dtype=np.float32)


def test_std_of_equal_values_has_gradient_zero_not_nan():
    np.testing.assert_array_equal(_grad(np.std, [2.0, 2.0, 2.0]), [0.0, 0.0, 0.0])
    g = _grad(lambda t: np.std(t, axis=1), [[1.0, 1.0], [1.0, 3.0]])
    np.testing.assert_allclose(g, [[0.0, 0.0], [-0.5, 0.5]])


def test_var_takes_ddof_or_correction_and_refuses_what_it_cannot_honour():
    x = np.array([1.0, 2.0, 4.0])
    t = cr.tensor(x, requires_grad=True)
    assert np.var(t, correction=1).item() == pytest.approx(np.var(x, ddof=1))
    assert np.std(t, ddof=1).item() == pytest.approx(np.std(x, ddof=1))
    with pytest.raises(TypeError, match=r"np.var: options \['where'\]"):
        np.var(t, where=np.array([True, False, True]))
    with pytest.raises(TypeError, match="out="):
        np.std(t, out=np.empty(()))


def test_average_weights_returned_and_its_errors():
    x = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    t = cr.tensor(x, requires_grad=True)
    avg, total = np.average(t, axis=1, weights=[1.0, 0.0, 1.0], returned=True)
    np.testing.assert_array_equal(avg.data, [2.0, 5.0])
    np.testing.assert_array_equal(total.data, [2.0, 2.0])
    avg, count = np.average(t, axis=0, returned=True)
    np.testing.assert_array_equal(count, [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match="2 weights for axis 1 of length 3"):
        np.average(t, axis=1, weights=[1.0, 2.0])
    with pytest.raises(TypeError, match="give 1-D weights and one int axis"):
        np.average(t, weights=[1.0, 2.0, 3.0])
    with pytest.raises(ZeroDivisionError, match="weights sum to zero"):
        np.average(t, axis=1, weights=[1.0, -1.0, 0.0])


def test_nan_functions_skip_nans_and_send_them_no_gradient():
    x = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]])
    for f in (np.nansum, np.nanmean, np.nanmax, np.nanmin):
        with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning) if f in (
                np.nanmean, np.nanmax, np.nanmin) else _nothing():
            expected = f(x, axis=1)
        with np.errstate(invalid="ignore"):
            got = f(cr.tensor(x), axis=1)
        np.testing.assert_array_equal(got.data, expected)
    np.testing.assert_array_equal(_grad(np.nansum, x), [[1, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(_grad(lambda t: np.nanmax(t, axis=1)[0], x),
                                  [[0, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(np.nanmin(cr.tensor(x[:1])).data, 1.0)
    with pytest.raises(TypeError, match=r"np.nansum: options \['initial'\]"):
        np.nansum(cr.tensor(x), initial=1.0)


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


# -- shape and building ---------------------------------------------------------------------

def test_sort_with_ties_keeps_their_order_so_each_gets_its_positions_gradient():
    x = cr.tensor([2.0, 1.0, 2.0, 1.0], requires_grad=True)
    y = np.sort(x)
    np.testing.assert_array_equal(y.data, [1.0, 1.0, 2.0, 2.0])
    (y * cr.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 1.0, 4.0, 2.0])


def test_cr_array_builds_from_tensors_and_numbers_and_refuses_what_it_cannot():
    a = cr.tensor(2.0, requires_grad=True)
    b = cr.tensor([1.0, 3.0], requires_grad=True)
    m = cr.array([[a, 1.0], b])
    np.testing.assert_array_equal(m.data, [[2.0, 1.0], [1.0, 3.0]])
    (m * m).sum().backward()
    assert a.grad == 4.0
    np.testing.assert_array_equal(b.grad, [2.0, 6.0])
    plain = cr.array([[1, 2], [3, 4]], dtype=np.float32)
    assert isinstance(plain, cr.Tensor) and plain.dtype == np.float32
    assert cr.array([a, 1.0], dtype=np.float64).shape == (2,)
    with pytest.raises(TypeError, match="a Scalar cannot go into a Tensor"):
        cr.array([cr.Scalar(1.0), 2.0])
    with pytest.raises(TypeError, match="dtype int64 cannot be differentiated"):
        cr.array([1, 2], dtype=np.int64)
    with pytest.raises(TypeError, match="the Tensors are float64"):
        cr.array([a, 1.0], dtype=np.float32)


def test_functions_given_plain_arrays_return_numpys_answer():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(cr.roll(x, 1), np.roll(x, 1))
    np.testing.assert_array_equal(cr.flip(x), np.flip(x))


def test_reshape_and_ravel_read_in_the_order_asked():
    x = np.arange(6.0).reshape(2, 3)
    t = cr.tensor(x, requires_grad=True)
    np.testing.assert_array_equal(np.reshape(t, (3, 2), order="F").data,
                                  np.reshape(x, (3, 2), order="F"))
    np.testing.assert_array_equal(np.reshape(t, 6, order="F").data, np.reshape(x, 6, order="F"))
    f = cr.tensor(np.asfortranarray(x))
    np.testing.assert_array_equal(np.ravel(f, order="A").data, np.ravel(np.asfortranarray(x),
                                                                         order="A"))
    np.testing.assert_array_equal(np.ravel(t, order="K").data, np.ravel(x, order="K"))
    with pytest.raises(ValueError, match="order must be"):
        np.reshape(t, 6, order="X")


def test_joins_refuse_dtype_casting_and_out_and_flatten_for_axis_none():
    a = cr.tensor([[1.0, 2.0]], requires_grad=True)
    np.testing.assert_array_equal(np.concatenate([a, np.ones((1, 2))], axis=None).data,
                                  [1.0, 2.0, 1.0, 1.0])
    for call in (lambda: np.concatenate([a, a], dtype=np.float32),
                 lambda: np.stack([a, a], out=np.empty((2, 1, 2))),
                 lambda: np.concatenate([a, a], casting="unsafe"),
                 lambda: np.vstack([a, a], dtype=np.float32),
                 lambda: np.hstack([a, a], casting="no")):
        with pytest.raises(TypeError, match="not supported on Tensors|in place"):
            call()


@pytest.mark.parametrize("call,error,message", [
    (lambda t: np.moveaxis(t, [0, 1], [0]), ValueError, "same number"),
    (lambda t: np.squeeze(t, axis=0), ValueError, "has length 2, not 1"),
    (lambda t: np.rollaxis(t, 0, 5), np.exceptions.AxisError, "start 5 is out of bounds"),
    (lambda t: np.fliplr(t[0]), ValueError, "at least 2 dimensions"),
    (lambda t: np.flipud(t[0, 0]), ValueError, "at least 1 dimension"),
    (lambda t: np.sort(t, order="f"), TypeError, "structured"),
    (lambda t: np.partition(t, 1, order="f"), TypeError, "structured"),
    (lambda t: np.split(t, 0), ValueError, "larger than 0"),
    (lambda t: np.split(t, 4, axis=1), ValueError, "equal division"),
    (lambda t: np.vsplit(t[0], 2), ValueError, "2 or more dimensions"),
    (lambda t: np.dsplit(t, 2), ValueError, "3 or more dimensions"),
    (lambda t: np.pad(t, 1, "empty"), TypeError, "mode='empty'"),
    (lambda t: np.pad(t, 1, "reflect", reflect_type="odd"), TypeError, "reflect_type"),
    (lambda t: np.triu(t[0]), ValueError, "at least 2 dimensions"),
    (lambda t: np.diag(t[None]), ValueError, "1-D or 2-D, got 3-D"),
    (lambda t: np.select([t > 0], [t, t]), ValueError, "same length"),
    (lambda t: np.take(t, [0], out=np.empty(1)), TypeError, "out="),
    (lambda t: np.trace(t, dtype=np.float32), TypeError, "dtype="),
])
def test_shape_functions_name_what_is_wrong(call, error, message):
    t = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(error, match=message):
        call(t)


def test_like_functions_answer_with_plain_arrays():
    t = cr.tensor([[1.0, 2.0]], requires_grad=True)
    for f, expected in [(np.zeros_like, [[0.0, 0.0]]), (np.ones_like, [[1.0, 1.0]]),
                        (lambda a: np.full_like(a, 7.0), [[7.0, 7.0]])]:
        out = f(t)
        assert type(out) is np.ndarray
        np.testing.assert_array_equal(out, expected)
    assert np.empty_like(t).shape == (1, 2)


@pytest.mark.parametrize("call", [
    "copy()", "cumsum()", "cumsum(1)", "cumprod(0)", "swapaxes(0, 1)", "take([0, 4])",
    "take([1], axis=1)", "diagonal()", "diagonal(1)", "trace()", "trace(-1)", "ravel()",
    "ravel('F')"])
def test_numpy_methods_on_tensors_give_numpys_value(call):
    a = np.arange(1.0, 7.0).reshape(2, 3)
    got = eval(f"t.{call}", {"t": cr.tensor(a)})
    want = eval(f"a.{call}", {"a": a})
    assert got.shape == np.shape(want)
    np.testing.assert_array_equal(got.data, want)


@pytest.mark.parametrize("call,grad", [
    ("copy()", np.ones((2, 3))),
    ("cumsum()", np.arange(6.0, 0.0, -1.0).reshape(2, 3)),
    ("trace()", np.eye(2, 3)),
    ("swapaxes(0, 1)", np.ones((2, 3))),
    ("take([0, 0, 5])", np.array([[2.0, 0, 0], [0, 0, 1.0]])),
])
def test_numpy_methods_on_tensors_carry_the_gradient(call, grad):
    np.testing.assert_array_equal(_grad(lambda t: eval(f"t.{call}", {"t": t}),
                                        np.arange(6.0).reshape(2, 3)), grad)


def test_tensor_copy_is_a_new_array_in_the_graph():
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    c = t.copy()
    assert c.data is not t.data and not np.shares_memory(c.data, t.data)


@pytest.mark.parametrize("pad_width", [0, 3, (3,), (3, 2), ((3, 2),), ((1, 2), (3, 4))])
def test_pad_takes_every_form_of_pad_width_numpy_takes(pad_width):
    a = np.arange(1.0, 5.0).reshape(2, 2)
    got = np.pad(cr.tensor(a), pad_width, "constant")
    np.testing.assert_array_equal(got.data, np.pad(a, pad_width, "constant"))
    g = _grad(lambda t: np.pad(t, pad_width, "constant") ** 2, a)
    np.testing.assert_array_equal(g, 2 * a)


def test_transpose_takes_axes_by_keyword():
    a = np.arange(24.0).reshape(2, 3, 4)
    got = np.transpose(cr.tensor(a), axes=[2, 0, 1])
    np.testing.assert_array_equal(got.data, np.transpose(a, axes=[2, 0, 1]))
    np.testing.assert_array_equal(np.transpose(cr.tensor(a), axes=None).data, a.T)


# -- linspace --------------------------------------------------------------------------------

@pytest.mark.parametrize("num", [0, 1, 2, 5])
@pytest.mark.parametrize("endpoint", [True, False])
@pytest.mark.parametrize("ends", [(1.2, 3.4), (1.2, -3.4), (1.2, 1.2)])
def test_linspace_of_tensor_ends_is_numpys_to_the_last_bit(ends, endpoint, num):
    a, b = ends
    got = np.linspace(cr.tensor(a), b, num, endpoint=endpoint)
    want = np.linspace(a, b, num, endpoint=endpoint)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.data, want)


def test_linspace_gradient_in_both_ends_and_its_step():
    # sum_k k * (a + k (b - a) / 4), k = 0..4: d/da = 10 - 30/4, d/db = 30/4
    ga, gb = cr.grad(lambda a, b: np.sum(np.linspace(a, b, 5) * np.arange(5.0)),
                     argnums=(0, 1))(1.0, 3.0)
    assert (ga, gb) == (2.5, 7.5)
    samples, step = np.linspace(cr.tensor(1.0), 2.0, 5, retstep=True)
    assert step.item() == 0.25 and samples.shape == (5,)


@pytest.mark.parametrize("call,error,message", [
    (lambda t: np.linspace(t, 2.0, -1), ValueError, "must be non-negative"),
    (lambda t: np.linspace(t, 2.0, 3, dtype=np.float32), TypeError, "dtype="),
])
def test_linspace_names_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call(cr.tensor(1.0, requires_grad=True))


# -- r_ and c_ --------------------------------------------------------------------------------

@pytest.mark.parametrize("build", [
    lambda m, x, v: m.r_[x, x],
    lambda m, x, v: m.r_[x],
    lambda m, x, v: m.r_[v, 2.0, [1.0, 2.0], 1:4],
    lambda m, x, v: m.r_[0:1:5j, v],
    lambda m, x, v: m.c_[x, v, x],
    lambda m, x, v: m.c_[v, v],
    lambda m, x, v: m.c_[1.0, 2.0],
])
def test_r_and_c_give_numpys_value(build):
    x, v = np.arange(6.0).reshape(3, 2), np.array([7.0, 8.0, 9.0])
    got = build(cr, cr.tensor(x), cr.tensor(v))
    np.testing.assert_array_equal(got.data, build(np, x, v))


def test_r_and_c_carry_the_gradient_to_every_tensor_item():
    # sum(r_[z, 2z, 1]**2) = 5 |z|^2 + 1; sum(c_[z, z] * [1, 3]) = 4 sum(z)
    g = cr.grad(lambda z: np.sum(cr.r_[z, 2 * z, 1.0] ** 2))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [10.0, 20.0])
    g = cr.grad(lambda z: np.sum(cr.c_[z, z] * np.array([1.0, 3.0])))(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(g, [4.0, 4.0])


def test_r_refuses_string_directives_and_nothing_by_name():
    with pytest.raises(TypeError, match=r"cr.r_: string directives \('0,2'\)"):
        cr.r_["0,2", cr.tensor([1.0])]
    with pytest.raises(ValueError, match=r"cr.c_\[\]: give at least one item"):
        cr.c_[()]
    assert repr(cr.r_) == "cr.r_"


# -- differences -----------------------------------------------------------------------------

def test_diff_gradient_of_prepend_and_append_tensors():
    # diff([p, x0, x1, q]) = [x0 - p, x1 - x0, q - x1]: d(sum)/dp = -1, d/dq = 1, d/dx = 0
    x = cr.tensor([1.0, 4.0], requires_grad=True)
    p = cr.tensor(0.5, requires_grad=True)
    q = cr.tensor([9.0], requires_grad=True)
    y = np.diff(x, prepend=p, append=q)
    np.testing.assert_array_equal(y.data, [0.5, 3.0, 5.0])
    y.sum().backward()
    assert p.grad == -1.0
    np.testing.assert_array_equal(q.grad, [1.0])
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_gradient_of_a_quadratic_is_exact_inside_and_with_second_order_edges():
    x = np.arange(5.0) ** 2                       # f = k^2, f' = 2k
    np.testing.assert_array_equal(cr.gradient(cr.tensor(x), edge_order=2).data,
                                  2 * np.arange(5.0))
    np.testing.assert_array_equal(np.gradient(cr.tensor(x)).data, np.gradient(x))


def test_gradient_of_a_zero_dim_input_is_an_empty_tuple_as_numpy():
    assert cr.gradient(cr.tensor(1.0)) == np.gradient(np.array(1.0)) == ()


@pytest.mark.parametrize("call,error,message", [
    (lambda t: np.diff(t, n=-1), ValueError, "order must be non-negative"),
    (lambda t: np.diff(t[0, 0]), ValueError, "at least one dimensional"),
    (lambda t: np.gradient(t, 1.0, 2.0, 3.0), TypeError, "3 spacings for 2 axes"),
    (lambda t: np.gradient(t, np.arange(2.0), axis=0), TypeError, "coordinate arrays"),
    (lambda t: np.gradient(t, edge_order=3), ValueError, "edge_order"),
    (lambda t: np.gradient(t, axis=0, edge_order=2), ValueError, "too small"),
])
def test_differences_name_what_is_wrong(call, error, message):
    t = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(error, match=message):
        call(t)


# -- products -------------------------------------------------------------------------------

@pytest.mark.parametrize("call,error,message", [
    (lambda t: np.einsum(t, [0, 60]), ValueError, "axis label 60 .* int in \\[0, 52\\)"),
    (lambda t: np.einsum(t, "ij"), TypeError, "list of axis labels"),
    (lambda t: np.einsum("ij,jk->ik", t), ValueError, "2 operand subscripts"),
    (lambda t: np.einsum("ijk->i", t), ValueError, "name 3 axes of an operand with 2"),
    (lambda t: np.einsum("ij->i", t, out=np.empty(2)), TypeError, "out="),
    (lambda t: np.einsum("ij->ik", t), ValueError, "not in the inputs or twice"),
    (lambda t: np.einsum("ij->ii", t), ValueError, "not in the inputs or twice"),
    (lambda t: np.einsum("ij->i", t, casting="unsafe"), TypeError, "casting="),
    (lambda t: np.tensordot(t, t, ([0, 1], [1])), ValueError, "different lengths"),
    (lambda t: np.cross(t[:, :2], t), ValueError, "vectors of length 3"),
    (lambda t: np.outer(t, t, out=np.empty((6, 6))), TypeError, "out="),
])
def test_products_name_what_is_wrong(call, error, message):
    t = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(error, match=message):
        call(t)


def test_einsum_with_optimize_and_order_gives_numpys_value():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(12.0).reshape(3, 4)
    got = np.einsum("ij,jk", cr.tensor(a), cr.tensor(b), optimize=True, order="C")
    np.testing.assert_array_equal(got.data, a @ b)


def test_einsum_interleaved_form_gives_numpys_value_and_the_gradient():
    rng = np.random.default_rng(1)
    a, b, w = rng.normal(size=(3, 4)), rng.normal(size=(4, 5)), rng.normal(size=(3, 5))
    ta = cr.tensor(a, requires_grad=True)
    tb = cr.tensor(b, requires_grad=True)
    y = np.einsum(ta, [0, 1], tb, [1, 2], [0, 2])
    np.testing.assert_allclose(y.data, a @ b)
    (y * w).sum().backward()
    np.testing.assert_allclose(ta.grad, w @ b.T)
    np.testing.assert_allclose(tb.grad, a.T @ w)


def test_einsum_without_operands_names_both_forms():
    with pytest.raises(TypeError, match=r"give subscripts .* or operands with axis-label"):
        cr.einsum([0, 1])


@pytest.mark.parametrize("args", [
    lambda a, b: (a, [0, 1], b, [1, 2]),                  # implicit output
    lambda a, b: (a, [Ellipsis, 1], b, [1, 2], [Ellipsis, 2]),
    lambda a, b: (a, [30, 1]),                            # 0-25 sort before 26-51, as numpy
    lambda a, b: (a, (0, 1), [1]),
])
def test_einsum_interleaved_labels_follow_numpy(args):
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 5))
    got = cr.einsum(*args(cr.tensor(a), cr.tensor(b)))
    np.testing.assert_allclose(got.data, np.einsum(*args(a, b)))


# -- linear algebra -------------------------------------------------------------------------

def test_det_of_a_singular_matrix_has_the_cofactor_matrix_as_gradient():
    a = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]])   # rank 2
    t = cr.tensor(a, requires_grad=True)
    d = np.linalg.det(t)
    assert abs(d.item()) < 1e-12
    d.backward()
    cof = np.array([[np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) * (-1) ** (i + j)
                     for j in range(3)] for i in range(3)])
    np.testing.assert_allclose(t.grad, cof, atol=1e-12)
    h = cr.hessian(lambda x: np.linalg.det(x))(a)      # second order through the minors
    assert h.shape == (3, 3, 3, 3) and h[0, 0, 1, 1] == pytest.approx(5.0)


def test_svd_and_eigh_gradients_with_distinct_values_match_closed_forms():
    a = np.diag([3.0, 2.0, 1.0])
    g = _grad(lambda t: np.linalg.svd(t, compute_uv=False) * np.array([1.0, 2.0, 3.0]), a)
    np.testing.assert_allclose(g, np.diag([1.0, 2.0, 3.0]), atol=1e-12)  # d s_i / d A = u_i v_i^T
    g = _grad(lambda t: np.linalg.eigh(t)[0] * np.array([1.0, 2.0, 3.0]), a)
    np.testing.assert_allclose(g, np.diag([3.0, 2.0, 1.0]), atol=1e-12)  # ascending order


def test_svd_full_matrices_of_a_non_square_matrix_refuses_the_extra_vectors_gradient():
    t = cr.tensor(np.arange(6.0).reshape(3, 2) + np.eye(3, 2), requires_grad=True)
    u = np.linalg.svd(t).U
    assert u.shape == (3, 3)
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        u[:, 2].sum().backward()


@pytest.mark.parametrize("call,error,message", [
    (lambda t: np.linalg.inv(t[:2]), np.linalg.LinAlgError, "square matrices"),
    (lambda t: np.linalg.inv(t * 0), np.linalg.LinAlgError, "inv: singular matrix"),
    (lambda t: np.linalg.solve(t, np.ones(2)), ValueError, "does not fit"),
    (lambda t: np.linalg.cholesky(-t), np.linalg.LinAlgError, "cholesky: matrix is not"),
    (lambda t: np.linalg.eigh(t, UPLO="X"), ValueError, "UPLO"),
    (lambda t: np.linalg.svd(t[0]), np.linalg.LinAlgError, "matrices in the last two"),
    (lambda t: np.linalg.matrix_power(t, 1.5), TypeError, "integer"),
    (lambda t: np.linalg.norm(t[0], "fro"), ValueError, "not a norm numpy computes"),
    (lambda t: np.linalg.qr(t, mode="raw"), ValueError, "mode 'raw'"),
    (lambda t: np.linalg.qr(t[0]), np.linalg.LinAlgError, "matrices in the last two"),
    (lambda t: np.linalg.qr(t[:, :2], "complete").Q.sum().backward(), NotImplementedError,
     "mode='complete'.*not unique"),
    (lambda t: np.linalg.norm(t, 3), ValueError, "not a norm numpy computes"),
])
def test_linalg_names_what_is_wrong(call, error, message):
    t = cr.tensor(np.eye(3) + 0.1, requires_grad=True)
    with pytest.raises(error, match=message):
        call(t)


def test_matrix_power_zero_is_the_identity_and_results_are_numpys_types():
    t = cr.tensor(np.eye(2) * 2, requires_grad=True)
    np.testing.assert_array_equal(np.linalg.matrix_power(t, 0), np.eye(2))
    res = np.linalg.svd(t)
    assert type(res).__name__ == "SVDResult" and isinstance(res.S, cr.Tensor)
    assert type(np.linalg.eigh(t)).__name__ == "EighResult"
    sign, logdet = np.linalg.slogdet(-t)
    assert sign == 1.0 and logdet.item() == pytest.approx(np.log(4.0))
    assert np.linalg.pinv(t, rcond=0.1).shape == (2, 2)


# -- complex data and other array types -----------------------------------------------------

def test_complex_data_is_differentiated_or_refused_by_name_never_silently_made_real():
    assert np.linalg.norm(np.array([3 + 4j, 1j])) == pytest.approx(np.sqrt(26))
    assert cr.grad(lambda x: cr.real(x * (1 + 0.2j)))(1.0) == 1.0
    assert cr.grad(lambda x: cr.imag(x * (1 + 0.2j)))(1.0) == pytest.approx(0.2)
    with pytest.raises(TypeError, match="grad: f returned complex values"):
        cr.grad(lambda x: x * (1 + 0.2j))(1.0)
    assert float(np.linalg.norm(cr.tensor([3 + 4j, 1j], requires_grad=True), 1)) == 6.0
    with pytest.raises(TypeError, match="cr.maximum does not support complex input yet"):
        np.maximum(cr.tensor([3 + 4j, 1j], requires_grad=True), 1)


class Labeled:
    """A minimal labelled array in the manner of an xarray DataArray: its own
    ``__array_ufunc__`` runs numpy's function on the data and wraps the result."""

    def __init__(self, data):
        self.data = data

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raw = [x.data if isinstance(x, Labeled) else x for x in inputs]
        return Labeled(getattr(ufunc, method)(*raw, **kwargs))

    def __mul__(self, other):
        return np.multiply(self, other)

    def __rmul__(self, other):
        return np.multiply(other, self)

    def __array_function__(self, func, types, args, kwargs):
        if len(types) > 1:
            return NotImplemented
        return Labeled(func(*(x.data for x in args), **kwargs))


def test_an_operand_with_its_own_array_ufunc_gets_the_operation_in_either_order():
    b = np.array([3.0])
    assert cr.grad(lambda x: np.sum((x * Labeled(b)).data))(2.0) == 3.0
    assert cr.grad(lambda x: np.sum((Labeled(b) * x).data))(2.0) == 3.0
    assert cr.grad(lambda x: np.sum(np.multiply(x, Labeled(b)).data))(2.0) == 3.0
    assert isinstance(np.mean(Labeled(b)), Labeled)
    with pytest.raises(TypeError, match="no implementation found"):   # neither takes it
        np.dot(cr.tensor([1.0]), Labeled(b))


def test_an_operand_that_opts_out_of_numpy_gets_its_reflected_operator():
    class OptOut:
        __array_ufunc__ = None

        def __radd__(self, other):
            return "OptOut.__radd__"

    assert cr.tensor([1.0], requires_grad=True) + OptOut() == "OptOut.__radd__"
    with pytest.raises(TypeError, match="unsupported operand"):
        OptOut() * cr.tensor([1.0], requires_grad=True)


def test_reductions_of_tensors_with_more_than_32_dims():
    # numpy allows 64 dims; the axis table stopped at 32 (IndexError)
    t = cr.tensor(np.full((1,) * 40, 2.0), requires_grad=True)
    s = t.sum()
    s.backward()
    assert s.item() == 2.0 and t.grad.shape == (1,) * 40 and t.grad.item() == 1.0
