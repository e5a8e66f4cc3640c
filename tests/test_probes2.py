"""Second round of adversarial probes against PyTorch, numpy, JAX and HIPS autograd: each
test is a case that once gave a wrong answer (silently), a NaN where the reference gives a
number, or a bare crash instead of an error naming the op."""

from __future__ import annotations

import collections

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


# -- the functional API against JAX ----------------------------------------------------------
def test_grad_value_and_grad_jacobian_take_has_aux_as_jax():
    f = lambda x: (np.sum(x ** 2), {"mean": np.mean(x)})   # noqa: E731
    x = np.array([1.0, 2.0, 4.0])
    g, aux = cr.grad(f, has_aux=True)(x)
    np.testing.assert_array_equal(g, [2.0, 4.0, 8.0])
    assert float(aux["mean"]) == pytest.approx(7 / 3) and not isinstance(aux["mean"], cr.Tensor)
    (value, aux2), g2 = cr.value_and_grad(f, has_aux=True)(x)
    assert value == 21.0 and float(aux2["mean"]) == pytest.approx(7 / 3)
    np.testing.assert_array_equal(g2, g)
    jac, aux3 = cr.jacobian(lambda x: (x ** 2, "label"), has_aux=True)(x)
    np.testing.assert_array_equal(jac, np.diag([2.0, 4.0, 8.0]))
    assert aux3 == "label"


def test_has_aux_inside_an_outer_grad():
    # d/dy of d/dx (x*y*x) at x=1.5 is 2x = 3
    outer = cr.grad(lambda y: cr.grad(lambda x: (x * y * x, y), has_aux=True)(1.5)[0])
    assert outer(2.0) == pytest.approx(3.0)


def test_has_aux_refuses_an_f_that_returns_no_pair():
    with pytest.raises(TypeError, match=r"grad\(has_aux=True\): f must return a pair"):
        cr.grad(lambda x: x ** 2, has_aux=True)(3.0)


def test_hessian_argnums_tuple_nests_as_jax_in_both_modes():
    f = lambda x, y: np.sum(x ** 2 * y[0]) + y[1] ** 3 * np.sum(x)   # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 0.5])
    # closed forms: H_xx = 2 y0 I; H_xy[:, 0] = 2x, H_xy[:, 1] = 3 y1^2; H_yy = diag(0, 6 y1 sum x)
    hxx = 6.0 * np.eye(2)
    hxy = np.array([[2.0, 0.75], [4.0, 0.75]])
    hyy = np.array([[0.0, 0.0], [0.0, 9.0]])
    for mode in ("rev-over-rev", "fwd-over-rev"):
        (a, b), (c, d) = cr.hessian(f, (0, 1), mode=mode)(x, y)
        for got, want in ((a, hxx), (b, hxy), (c, hxy.T), (d, hyy)):
            np.testing.assert_allclose(got, want, rtol=1e-12)


@pytest.mark.parametrize("argnums", [-1, (-1, 0)])
def test_jacfwd_takes_negative_argnums(argnums):
    # jacfwd built f(*args[:-1], z, *args[0:]) for argnums=-1: six arguments
    f = lambda x, y, z: x * y + z ** 2   # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    got = cr.jacfwd(f, argnums=argnums)(x, y, 1.5)
    want = cr.jacobian(f, argnums=argnums)(x, y, 1.5)
    for g, w in zip((got,) if argnums == -1 else got, (want,) if argnums == -1 else want):
        np.testing.assert_allclose(g, w)
    np.testing.assert_allclose(got if argnums == -1 else got[0], [3.0, 3.0])


def test_jacfwd_of_a_container_output():
    out = cr.jacfwd(lambda x: {"a": np.sin(x), "b": (x[0] * x[1], np.sum(x))})(
        np.array([0.0, 2.0]))
    np.testing.assert_allclose(out["a"], np.diag(np.cos([0.0, 2.0])))
    np.testing.assert_allclose(out["b"][0], [2.0, 0.0])
    np.testing.assert_allclose(out["b"][1], [1.0, 1.0])


@pytest.mark.parametrize("f", [np.prod, np.max, np.cumsum, lambda x: np.outer(x, x),
                               np.cumprod])
def test_forward_mode_keeps_float32(f):
    x = np.array([1.0, 3.0, 2.0], dtype=np.float32)
    _, t = cr.jvp(f, (x,), (np.ones(3, np.float32),))
    assert np.asarray(t).dtype == np.float32


def test_none_in_a_tree_is_an_empty_subtree_as_jax():
    x = np.array([1.0, 2.0])
    assert cr.grad(lambda t: np.sum(t[0]) * 2)((x, None))[1] is None
    g = cr.grad(lambda d: np.sum(d["a"] ** 2))({"a": x, "b": None})
    assert g["b"] is None
    np.testing.assert_array_equal(g["a"], [2.0, 4.0])
    jac = cr.jacobian(lambda x: {"a": 2 * x, "n": None})(x)
    assert jac["n"] is None
    vec, unflatten = cr.flatten({"a": 1.5, "b": None})
    np.testing.assert_array_equal(vec, [1.5])
    assert unflatten(vec) == {"a": 1.5, "b": None}


# -- cr.* functions called with PyTorch's spellings --------------------------------------------
def test_transpose_function_with_two_dims_swaps_them_as_torch():
    # cr.transpose(x, 0, 1) was read as the permutation (0, 1): a matrix came back unchanged
    x = cr.tensor([[1.0, 5.0], [7.0, 2.0]], requires_grad=True)
    y = cr.transpose(x, 0, 1)
    np.testing.assert_array_equal(y.data, [[1.0, 7.0], [5.0, 2.0]])
    (y * cr.tensor([[1.0, 2.0], [3.0, 4.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 3.0], [2.0, 4.0]])
    z = cr.tensor(np.arange(24.0).reshape(2, 3, 4))
    assert cr.transpose(z, 0, 2).shape == (4, 3, 2)
    assert cr.transpose(z, -1, 1).shape == (2, 4, 3)
    assert cr.transpose(z, (2, 0, 1)).shape == cr.transpose(z, 2, 0, 1).shape == (4, 2, 3)
    assert z.permute((1, 0, 2)).shape == (3, 2, 4)
    m = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(cr.tensor(m).permute(0, 1).data, m)   # identity, as torch


def test_int_and_format_of_a_scalar():
    # the conventions table promised int(x) with a warning: it was a TypeError
    x = cr.Scalar(2.7)
    with pytest.warns(cr.GradientDroppedWarning, match=r"int\(\)"):
        assert int(x) == 2
    assert f"{x:.2f}" == "2.70" and f"{x}" == str(x)
    with pytest.raises(cr.GradientDroppedError):
        cr.grad(lambda v: int(v) * v)(2.5)


# -- aliasing: results a caller may change in place --------------------------------------------
def test_gradients_of_several_arguments_do_not_share_memory():
    # x + y hands both the same array: `gx *= lr` also scaled gy
    gx, gy = cr.grad(lambda a, b: cr.sum(a + b), argnums=(0, 1))(np.zeros(2), np.zeros(2))
    gx *= 10.0
    np.testing.assert_array_equal(gy, [1.0, 1.0])
    g = cr.grad(lambda d: cr.sum(d["a"] + d["b"]))({"a": np.zeros(2), "b": np.zeros(2)})
    g["a"][0] = 5.0
    np.testing.assert_array_equal(g["b"], [1.0, 1.0])
    ja, jb = cr.jacobian(lambda a, b: a + b, argnums=(0, 1))(np.zeros(2), np.zeros(2))
    ja[0, 0] = 7.0
    np.testing.assert_array_equal(jb, np.eye(2))
    ra, rb = cr.vjp(lambda a, b: a + b, np.zeros(2), np.zeros(2))[1](np.ones(2))
    ra[0] = 3.0
    np.testing.assert_array_equal(rb, [1.0, 1.0])


def test_jvp_results_do_not_share_memory_with_the_tangent_given():
    x, t = np.zeros(2), np.ones(2)
    (p0, p1), (t0, t1) = cr.jvp(lambda a: (a, a), (x,), (t,))
    t0[0] = 9.0
    p0[0] = 9.0
    np.testing.assert_array_equal(t, [1.0, 1.0])
    np.testing.assert_array_equal(t1, [1.0, 1.0])
    np.testing.assert_array_equal(x, [0.0, 0.0])
    np.testing.assert_array_equal(p1, [0.0, 0.0])


def test_tolist_inside_a_transform_is_refused_as_item():
    # sum(x.tolist()) * x[0] gave [3, 0]: the list's numbers were silent constants
    with pytest.raises(cr.GradientDroppedError, match=r"\.tolist\(\)"):
        cr.grad(lambda x: sum(x.tolist()) * x[0])(np.array([2.0, 1.0]))
    assert cr.tensor([1.0, 2.0], requires_grad=True).tolist() == [1.0, 2.0]


def test_format_spec_of_a_one_element_tensor_as_torch():
    assert f"{cr.tensor(2.0):.3f}" == "2.000"
    assert f"{cr.tensor([[2.5]], requires_grad=True):>6.2f}" == "  2.50"
    assert f"{cr.tensor([1.0, 2.0])}" == str(cr.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match=r"needs a one-element Tensor.*shape \(2,\)"):
        f"{cr.tensor([1.0, 2.0]):.3f}"   # noqa: B018


# -- Scalars ---------------------------------------------------------------------------------
def test_scalar_equality_and_truth_read_the_value():
    # x == 0 was an identity test (False at 0): `1.0 if x == 0 else sin(x)/x` gave NaN
    x = cr.Scalar(0.0)
    assert x == 0 and x == 0.0 and not (x != 0) and not bool(x)
    assert cr.Scalar(2.0) == cr.Scalar(2.0) and cr.Scalar(2.0) != 3
    assert bool(cr.Scalar(-1.5))
    sinc = lambda v: 1.0 if v == 0 else cr.sin(v) / v   # noqa: E731
    assert sinc(x) == 1.0
    assert len({cr.Scalar(1.0), cr.Scalar(1.0)}) == 2      # still hashed as nodes
    assert (cr.Scalar(1.0) == "1.0") is False


# -- gradcheck on hostile inputs -----------------------------------------------------------------
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_gradcheck_names_a_non_finite_input_instead_of_calling_the_gradient_wrong(bad):
    # it said "gradient of argument 0 at element (0,) is wrong: analytic 2, numeric nan"
    with pytest.raises(ValueError, match=r"argument 1 has a non-finite value .* element \(1,\)"):
        cr.gradcheck(lambda x, y: cr.sum(x * y * 2), np.ones(2), np.array([1.0, bad]))


def test_gradcheck_refuses_a_container_argument_by_name():
    # it said "tensor: data of dtype object cannot be differentiated"
    with pytest.raises(TypeError, match="gradcheck: argument 0 is a dict that is not one"):
        cr.gradcheck(lambda d: cr.sum(d["a"] ** 2), {"a": np.array([1.0, 2.0])})
    with pytest.raises(TypeError, match="gradcheck: argument 1 is a list that is not one"):
        cr.gradcheck(lambda x, t: x * t[0], 1.0, [np.ones(2), np.ones(3)])


# -- in-place methods: PyTorch's casting rule ---------------------------------------
@pytest.mark.parametrize(("op", "arg"), [("add_", 1.5), ("sub_", 0.5), ("mul_", 1.5)])
def test_in_place_arithmetic_refuses_to_truncate_a_float_into_an_int_tensor(op, arg):
    # add_(1.5) on [1, 2] gave [2, 3] silently (torch: "result type Float can't be cast")
    x = cr.tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match=f"{op}: the result has dtype float64.*int64"):
        getattr(x, op)(arg)
    np.testing.assert_array_equal(x.data, [1, 2])


def test_in_place_arithmetic_keeps_its_results_otherwise():
    x = cr.tensor(np.ones(2))
    x.add_(cr.tensor([1.0, 2.0]), alpha=2)
    x.sub_(1, alpha=0.5)
    x.mul_(2)
    np.testing.assert_array_equal(x.data, [5.0, 9.0])
    n = cr.tensor(np.array([1, 2]))
    n.add_(3, alpha=2)
    np.testing.assert_array_equal(n.data, [7, 8])
    with pytest.raises(cr.ShapeError, match=r"add_: cannot update a Tensor of shape \(2,\)"):
        cr.tensor(np.ones(2)).add_(np.ones((3, 2)))


# -- NaN in extremes: the gradient follows the NaN that made the result -------------------------
def test_max_and_min_with_a_nan_send_the_gradient_to_the_nan_as_torch():
    a = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
    x = cr.tensor(a, requires_grad=True)
    cr.max(x).backward()          # was NaN for all six elements
    np.testing.assert_array_equal(x.grad, [[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    x = cr.tensor(a, requires_grad=True)
    cr.sum(cr.min(x, axis=0)).backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0]])
    x = cr.tensor(np.array([np.nan, 2.0, np.nan]), requires_grad=True)
    cr.max(x).backward()          # two NaNs attain it: split, as ties
    np.testing.assert_array_equal(x.grad, [0.5, 0.0, 0.5])


def test_maximum_with_a_nan_sends_the_gradient_to_the_nan():
    x = cr.tensor(np.array([1.0, np.nan, 3.0]), requires_grad=True)
    cr.sum(cr.maximum(x, 2.0)).backward()     # was [0, 0, 1]: the NaN output had no input
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0])
    s = cr.Scalar(float("nan"))
    cr.minimum(s, 0.0).backward()
    assert s.grad == 1.0


# -- t.norm with PyTorch's meaning; norms of order below 1 at zeros ----------------------------
def test_norm_method_of_a_matrix_is_the_vector_p_norm_as_torch():
    # t.norm(1) of [[1,-2],[3,4]] gave numpy's matrix 1-norm 6 (torch: 10); norm(2) the
    # spectral norm 5.46 (torch: 5.477), norm(inf) 7 (torch: 4)
    A = np.array([[1.0, -2.0], [3.0, 4.0]])
    t = cr.tensor(A, requires_grad=True)
    assert t.norm(1).item() == 10.0
    assert t.norm(2).item() == pytest.approx(np.sqrt(30.0))
    assert t.norm(float("inf")).item() == 4.0
    assert t.norm(p="nuc").item() == pytest.approx(np.linalg.norm(A, "nuc"))
    np.testing.assert_allclose(t.norm(dim=1).data, [np.sqrt(5.0), 5.0])
    np.testing.assert_allclose(t.norm(1, dim=0, keepdim=True).data, [[4.0, 6.0]])
    t.norm(1).backward()
    np.testing.assert_array_equal(t.grad, np.sign(A))
    # numpy's spellings keep numpy's meaning
    assert cr.tensor(A).norm(ord=1).item() == 6.0
    np.testing.assert_allclose(cr.tensor(A).norm(axis=0).data, np.linalg.norm(A, axis=0))


@pytest.mark.parametrize("p", [0.5, -1.0, -2.5])
def test_norms_of_order_below_1_have_gradient_0_at_zero_entries(p):
    # sum(|x|**p)**(1/p): the infinite slope of |x|**p at 0 made every gradient NaN
    X = np.array([[0.0, 1.0], [2.0, 3.0], [0.0, 0.0]])
    x = cr.tensor(X, requires_grad=True)
    y = cr.vector_norm(x, ord=p, axis=-1)
    np.testing.assert_allclose(y.data, np.linalg.norm(X, p, axis=-1))
    y.sum().backward()
    a = X[1]
    want = np.sign(a) * a ** (p - 1) * np.sum(a ** p) ** (1 / p - 1)     # closed form
    np.testing.assert_allclose(x.grad[1], want, rtol=1e-12)
    assert np.all(x.grad[2] == 0) and x.grad[0, 0] == 0
    if p < 0:                       # a slice holding a zero has norm 0, gradient 0
        assert x.grad[0, 1] == 0


def test_norm_method_refuses_conflicting_or_unknown_arguments():
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    with pytest.raises(TypeError, match="give dim= or axis=, not both"):
        t.norm(dim=0, axis=1)
    with pytest.raises(ValueError, match="p must be a number, 'fro' or 'nuc'"):
        t.norm("max")


def test_expand_refuses_fewer_sizes_than_dims():
    with pytest.raises(ValueError, match=r"expand\(3,\): fewer sizes than the Tensor's 2 dims"):
        cr.zeros((2, 3)).expand(3)


# -- containers: namedtuples, and jacfwd of container arguments --------------------------------
def test_a_namedtuple_argument_comes_back_as_itself():
    # it was rebuilt as a plain tuple: f's p.w raised AttributeError ('tuple' object)
    P = collections.namedtuple("P", "w b")
    p = P(np.array([1.0, 2.0]), 0.5)
    g = cr.grad(lambda p: cr.sum(p.w ** 2) * p.b)(p)
    assert isinstance(g, P)
    np.testing.assert_array_equal(g.w, [1.0, 2.0])      # 2 w b
    assert g.b == 5.0                                   # sum(w**2)
    out, tangent = cr.jvp(lambda p: cr.sum(p.w) * p.b, (p,), (P(np.ones(2), 1.0),))
    assert (out, tangent) == (1.5, 4.0)


def test_jacfwd_of_container_arguments_as_jax_and_jacobian():
    d = {"a": np.array([1.0, 2.0]), "b": 3.0}

    def f(d, x):
        return {"o": d["a"] * d["b"] * x, "s": cr.sum(d["a"]) * x}

    fwd = cr.jacfwd(f, (0, 1))(d, 2.0)
    rev = cr.jacobian(f, (0, 1))(d, 2.0)
    np.testing.assert_array_equal(fwd["o"][0]["a"], 6.0 * np.eye(2))
    np.testing.assert_array_equal(fwd["o"][0]["b"], [2.0, 4.0])
    np.testing.assert_array_equal(fwd["o"][1], [3.0, 6.0])
    for key in ("o", "s"):
        np.testing.assert_allclose(fwd[key][0]["a"], rev[key][0]["a"])
        np.testing.assert_allclose(fwd[key][0]["b"], rev[key][0]["b"])
        np.testing.assert_allclose(fwd[key][1], rev[key][1])
    h = cr.hessian(lambda d: cr.sum(d["a"] ** 2) * d["b"], mode="fwd-over-rev")(d)
    np.testing.assert_allclose(h["a"]["a"], 6.0 * np.eye(2))
    np.testing.assert_allclose(h["a"]["b"], [2.0, 4.0])


# -- numpy functions on label and mask Tensors (no derivative to drop) --------------------------
def test_numpy_logical_functions_and_label_counting_work_on_tensors():
    # np.logical_and(x > 0, x < 3) and np.unique(labels) were refused ("no derivative rule")
    x = cr.tensor([[1.0, -2.0], [3.0, 4.0]], requires_grad=True)
    np.testing.assert_array_equal(np.logical_and(x > 0, x < 3), [[True, False], [False, False]])
    np.testing.assert_array_equal(np.logical_not(x > 0), [[False, True], [False, False]])
    y = cr.tensor(np.array([0, 2, 2, 1]))
    np.testing.assert_array_equal(np.unique(y), [0, 1, 2])
    np.testing.assert_array_equal(np.bincount(y, minlength=4), [1, 1, 2, 0])
    g = cr.grad(lambda v: cr.sum(cr.where(np.logical_and(v > 0, v < 3), v, 0.0) ** 2))(
        np.array([1.0, 5.0, -1.0]))
    np.testing.assert_array_equal(g, [2.0, 0.0, 0.0])
    with pytest.raises(TypeError, match="np.median has no chainrule derivative rule"):
        np.median(x)              # a float Tensor: still refused by name
    with pytest.raises(TypeError, match="np.heaviside has no chainrule derivative rule"):
        np.heaviside(x, 0.5)


# -- empty inputs and degrees of freedom ---------------------------------------------------------
@pytest.mark.parametrize(("x", "ddof"), [(np.zeros(0), 1), (np.array([2.0]), 2),
                                         (np.array([1.0, 3.0]), 3)])
def test_var_with_no_degrees_of_freedom_is_nan_or_inf_as_numpy(x, ddof):
    # it divided by n - ddof < 0: -0.0 for an empty input, -|var| for n=2, ddof=3
    with np.errstate(all="ignore"):
        want_var, want_std = np.var(x, ddof=ddof), np.std(x, ddof=ddof)
        got_var = cr.var(cr.tensor(x), ddof=ddof).item()
        got_std = cr.tensor(x).std(correction=ddof).item()
    np.testing.assert_array_equal([got_var, got_std], [want_var, want_std])


def test_softmax_and_norm_over_an_empty_axis_as_torch():
    # softmax: "zero-size array to reduction operation maximum"; norm(dim=1): a reshape error
    x = cr.tensor(np.zeros((0, 3)), requires_grad=True)
    assert x.softmax(0).shape == (0, 3) and x.log_softmax(1).shape == (0, 3)
    assert x.norm(dim=1).shape == (0,)
    np.testing.assert_array_equal(cr.vector_norm(cr.tensor(np.zeros((2, 0))), axis=1).data,
                                  [0.0, 0.0])
    (x.softmax(0).sum() + x.norm(dim=1).sum()).backward()
    assert x.grad.shape == (0, 3)


def test_pow_exponent_gradient_at_a_zero_base_is_0_for_negative_exponents_too():
    # documented "d/dy x**y = 0 where x == 0": for y < 0 (x**y = inf) it was inf * 0 = NaN
    y = cr.tensor([-1.0, -2.5, 0.0, 2.0], requires_grad=True)
    (0.0 ** y).sum().backward()
    np.testing.assert_array_equal(y.grad, [0.0, 0.0, 0.0, 0.0])
    s = cr.Scalar(-1.0)
    (0.0 ** s).backward()
    assert s.grad == 0.0
    h = cr.hessian(lambda v: v[0] ** v[1])(np.array([2.0, 3.0]))   # unchanged elsewhere
    np.testing.assert_allclose(h, [[12.0, 4 * (1 + 3 * np.log(2))],
                                   [4 * (1 + 3 * np.log(2)), 8 * np.log(2) ** 2]])


def test_pow_exponent_gradient_at_a_zero_base_keeps_a_nan_exponent_nan():
    y = cr.tensor([-1.0, np.nan, 2.0], requires_grad=True)
    with np.errstate(all="ignore"):
        (0.0 ** y).sum().backward()
    np.testing.assert_array_equal(y.grad, [0.0, np.nan, 0.0])
    s = cr.Scalar(float("nan"))
    (0.0 ** s).backward()
    assert np.isnan(s.grad)


def test_vjp_and_jvp_take_has_aux_as_jax():
    x = np.array([1.0, 2.0])
    out, pullback, aux = cr.vjp(lambda v: (v ** 2, {"s": cr.sum(v)}), x, has_aux=True)
    np.testing.assert_array_equal(out, [1.0, 4.0])
    np.testing.assert_array_equal(pullback(np.ones(2))[0], [2.0, 4.0])
    assert float(aux["s"]) == 3.0 and not isinstance(aux["s"], cr.Tensor)
    out, tangent, aux = cr.jvp(lambda v: (cr.sin(v), cr.sum(v)), (x,), (np.ones(2),),
                               has_aux=True)
    np.testing.assert_allclose(tangent, np.cos(x))
    assert float(aux) == 3.0 and not isinstance(aux, cr.Tensor)
    with pytest.raises(TypeError, match=r"jvp\(has_aux=True\): f must return a pair"):
        cr.jvp(lambda v: v, (x,), (x,), has_aux=True)
