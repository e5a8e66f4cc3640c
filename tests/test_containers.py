"""Containers (pytrees): cr.flatten, and grad / value_and_grad / jacobian / hessian / jvp
on nested tuples, lists and dicts of arrays and numbers, results in the same structure."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import numeric_grad

import chainrule as cr
from chainrule import nn
from chainrule.pytree import tree_flatten, tree_map, tree_unflatten

PARAMS = {"w": np.array([[0.5, -1.0], [2.0, 0.25]]), "b": 0.3,
          "extra": [np.array([1.0, -2.0]), (1.5, {"s": 2.0})]}


def _loss(p, x):
    h = cr.tanh(p["w"] @ x + p["b"]) * p["extra"][0]
    return cr.sum(h) * p["extra"][1][0] + p["extra"][1][1]["s"] ** 2


def _np_loss_of_vector(vec, unflatten, x):
    p = unflatten(vec)
    h = np.tanh(p["w"] @ x + p["b"]) * p["extra"][0]
    return float(np.sum(h) * p["extra"][1][0] + p["extra"][1][1]["s"] ** 2)


def test_flatten_round_trip_preserves_structure_and_kinds():
    vec, unflatten = cr.flatten(PARAMS)
    assert vec.shape == (9,) and vec.dtype == np.float64
    back = unflatten(vec)
    assert back.keys() == PARAMS.keys()
    assert isinstance(back["b"], float) and back["b"] == 0.3
    assert isinstance(back["extra"], list) and isinstance(back["extra"][1], tuple)
    np.testing.assert_array_equal(back["w"], PARAMS["w"])
    assert unflatten(vec * 2)["extra"][1][1]["s"] == 4.0
    with pytest.raises(ValueError, match="expected a vector of 9"):
        unflatten(np.ones(3))
    with pytest.raises(TypeError, match="must be a number or an array"):
        cr.flatten({"a": "text"})
    assert cr.flatten([])[0].shape == (0,)


def test_tree_helpers():
    leaves, d = tree_flatten({"b": (1, [2]), "a": 3})
    assert leaves == [3, 1, 2]
    assert repr(d) == "{'a': *, 'b': (*, [*])}" and hash(d) == hash(tree_flatten({"a": 0,
                                                                                "b": (0, [0])})[1])
    assert repr(tree_flatten((1,))[1]) == "(*,)"
    assert tree_unflatten(d, [30, 10, 20]) == {"a": 30, "b": (10, [20])}
    with pytest.raises(ValueError, match="2 leaves for a structure of 3"):
        tree_unflatten(d, [1, 2])
    assert tree_map(lambda a, b: a + b, [1, (2,)], [10, (20,)]) == [11, (22,)]
    with pytest.raises(ValueError, match="structures differ"):
        tree_map(lambda a, b: a, [1], (1,))


def test_grad_of_a_dict_of_parameters_matches_finite_differences():
    x = np.array([0.4, -0.7])
    value, g = cr.value_and_grad(_loss)(PARAMS, x)
    vec, unflatten = cr.flatten(PARAMS)
    assert value == pytest.approx(_np_loss_of_vector(vec, unflatten, x), rel=1e-14)
    expected = unflatten(numeric_grad(lambda v: _np_loss_of_vector(v, unflatten, x), [vec]))
    got_vec, _ = cr.flatten(g)
    np.testing.assert_allclose(got_vec, cr.flatten(expected)[0], rtol=1e-7, atol=1e-9)
    assert tree_flatten(g)[1] == tree_flatten(PARAMS)[1]
    assert isinstance(g["b"], float) and isinstance(g["extra"][1], tuple)


def test_grad_over_several_arguments_mixing_containers_and_arrays():
    x = np.array([0.4, -0.7])
    gp, gx = cr.grad(_loss, argnums=(0, 1))(PARAMS, x)
    assert isinstance(gp, dict) and gx.shape == (2,)
    np.testing.assert_allclose(gx, numeric_grad(lambda z: _np_loss_of_vector(
        cr.flatten(PARAMS)[0], cr.flatten(PARAMS)[1], z), [x]), rtol=1e-7)
    # a list of plain numbers is still one array
    np.testing.assert_array_equal(cr.grad(lambda v: cr.sum(v * v))([1.0, 2.0]), [2.0, 4.0])


def test_jacobian_of_container_in_and_out():
    p = {"a": np.array([1.0, 2.0]), "c": 3.0}
    jac = cr.jacobian(lambda p: {"sq": p["a"] ** 2, "pair": (p["c"] * p["a"], p["c"])})(p)
    np.testing.assert_array_equal(jac["sq"]["a"], np.diag([2.0, 4.0]))
    np.testing.assert_array_equal(jac["sq"]["c"], [0.0, 0.0])
    np.testing.assert_array_equal(jac["pair"][0]["a"], 3.0 * np.eye(2))
    np.testing.assert_array_equal(jac["pair"][0]["c"], [1.0, 2.0])
    assert float(jac["pair"][1]["c"]) == 1.0
    j1, j2 = cr.jacobian(lambda x: (x * 2, cr.sum(x)))(np.array([1.0, 3.0]))
    np.testing.assert_array_equal(j1, 2 * np.eye(2))
    np.testing.assert_array_equal(j2, [1.0, 1.0])
    jx, jy = cr.jacobian(lambda x, y: [x * y], argnums=(0, 1))(2.0, 3.0)[0]
    assert float(jx) == 3.0 and float(jy) == 2.0


def test_hessian_of_a_dict_is_a_dict_of_dicts():
    hess = cr.hessian(lambda p: p["b"] ** 3 * cr.sum(p["w"]))({"b": 2.0, "w": np.ones(2)})
    assert float(hess["b"]["b"]) == 24.0
    np.testing.assert_array_equal(hess["b"]["w"], [12.0, 12.0])
    np.testing.assert_array_equal(hess["w"]["b"], [12.0, 12.0])
    np.testing.assert_array_equal(hess["w"]["w"], np.zeros((2, 2)))


def test_jvp_on_containers():
    p = {"a": np.array([1.0, 2.0]), "c": 3.0}
    t = {"a": np.array([1.0, 0.0]), "c": 1.0}
    out, tan = cr.jvp(lambda p: {"y": p["a"] * p["c"], "z": [p["c"] ** 2]}, (p,), (t,))
    np.testing.assert_array_equal(out["y"], [3.0, 6.0])
    np.testing.assert_array_equal(tan["y"], [3.0 + 1.0, 2.0])
    assert isinstance(tan["z"], list) and float(tan["z"][0]) == 6.0
    out, tan = cr.jvp(lambda v: cr.sum(v * v), ([1.0, 2.0],), ([1.0, 0.0],))
    assert (out, tan) == (5.0, 2.0)


def test_grad_of_an_nn_loss_through_the_state_dict():
    rng = np.random.default_rng(0)
    model = nn.MLP([3, 4, 2], activation="tanh", rng=rng)
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))

    def loss(params, x, y):
        return nn.mse_loss(nn.functional_call(model, params, x), y)

    state = model.state_dict()
    grads = cr.grad(loss)(state, x, y)
    assert grads.keys() == state.keys()
    nn.mse_loss(model(cr.tensor(x)), y).backward()
    for name, p in model.named_parameters():
        np.testing.assert_allclose(grads[name], p.grad, rtol=1e-12, atol=1e-15)
    doubled = {k: v * 2 for k, v in state.items()}
    nn.functional_call(model, doubled, x)
    after = dict(model.named_parameters())     # the module's own parameters are back
    for name, value in state.items():
        assert after[name].prim is None and after[name].requires_grad
        np.testing.assert_array_equal(after[name].value, value)
    with pytest.raises(KeyError, match="missing"):
        nn.functional_call(model, {}, x)


def test_a_tuple_of_numbers_is_a_container_as_in_jax_and_autograd():
    # grad(f)((w, b)) gives a tuple back; a list of numbers stays one array, as numpy reads it
    f = lambda t: cr.sin(t[1]) * t[0] ** 2     # noqa: E731
    g = cr.grad(f)((1.5, 2.0))
    assert type(g) is tuple and len(g) == 2
    np.testing.assert_allclose(g, (2 * 1.5 * np.sin(2.0), 1.5 ** 2 * np.cos(2.0)), rtol=1e-14)
    value, g2 = cr.value_and_grad(f)((1.5, 2.0))
    assert value == pytest.approx(np.sin(2.0) * 2.25) and type(g2) is tuple
    H = cr.hessian(f)((1.5, 2.0))
    np.testing.assert_allclose(np.array(H, dtype=float),
                               [[2 * np.sin(2.0), 3 * np.cos(2.0)],
                                [3 * np.cos(2.0), -2.25 * np.sin(2.0)]], rtol=1e-13)
    as_array = cr.grad(f)([1.5, 2.0])
    assert isinstance(as_array, np.ndarray) and as_array.shape == (2,)
    np.testing.assert_allclose(as_array, g, rtol=1e-14)


def test_a_ragged_list_is_a_container_not_an_array():
    # numpy cannot make [[1.0], 2.0, 1.5] one array: it was an inhomogeneous-shape ValueError
    with pytest.warns(cr.IndependentOutputWarning):
        g = cr.grad(lambda x: x[1] * x[0][0] * 3)([[1.0], 2.0, 1.5])
    assert g == [[6.0], 3.0, 0.0]
    rect = cr.grad(lambda x: cr.sum(x ** 2))([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(rect, np.ndarray)
    np.testing.assert_array_equal(rect, [[2.0, 4.0], [6.0, 8.0]])


def test_flatten_keeps_complex_leaves_and_refuses_to_drop_imaginary_parts():
    vec, unflatten = cr.flatten(1 + 1j)
    assert vec.dtype == np.complex128 and unflatten(vec) == 1 + 1j
    vec, unflatten = cr.flatten((1.5, np.array([1j, 2.0])))
    np.testing.assert_array_equal(vec, [1.5, 1j, 2.0])
    back = unflatten(vec * 2)
    assert back[0] == 3.0 and type(back[0]) is float
    np.testing.assert_array_equal(back[1], [2j, 4.0])
    with pytest.raises(TypeError, match="complex where the tree had real ones"):
        unflatten(np.array([1j, 0, 0]))
    with pytest.raises(TypeError, match="lose its imaginary part"):
        cr.flatten({"a": 1.0})[1](np.array([2j]))
