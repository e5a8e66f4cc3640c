"""cr.compile (cr.jit): a function traced once per argument signature and replayed as
straight-line numpy code. Its values and gradients must be eager mode's, bit for bit (the
same numpy calls on the same arrays, in the same order), for every op of the op matrix;
what cannot be replayed must be refused by name."""

from __future__ import annotations

import re
import threading
import warnings

import numpy as np
import pytest
from test_complex import CASES as COMPLEX_CASES
from test_complex import Z
from test_ops_matrix import CASES

import chainrule as cr
from chainrule import nn
from chainrule.compiled.program import Program
from chainrule.core import on_create


def _same(got, expected):
    """Bit-for-bit equality of two results (floats, arrays, tuples, dicts, Tensors)."""
    if isinstance(expected, dict):
        assert isinstance(got, dict) and sorted(got) == sorted(expected)
        for k in expected:
            _same(got[k], expected[k])
        return
    if isinstance(expected, (tuple, list)):
        assert type(got) is type(expected) and len(got) == len(expected)
        for g, e in zip(got, expected):
            _same(g, e)
        return
    assert type(got) is type(expected), (type(got), type(expected))
    if isinstance(expected, cr.Tensor):
        got, expected = got.data, expected.data
    assert np.shape(got) == np.shape(expected)
    assert np.asarray(got).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got, expected)


def _compiled_and_eager(case):
    arrays = case.inputs()
    u = case.upstream(np.shape(case.ref(*arrays)))

    def h(*xs):
        return cr.sum(case.fn(*xs) * u)

    nums = tuple(range(len(arrays)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eager = cr.value_and_grad(h, argnums=nums)(*arrays)
        compiled = cr.compile(cr.value_and_grad(h, argnums=nums))(*arrays)
    return compiled, eager


# -- the op matrix: every op, values and gradients identical to eager mode -------------

@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_compiled_gradient_equals_eager_bit_for_bit(case):
    compiled, eager = _compiled_and_eager(case)
    _same(compiled, eager)


@pytest.mark.parametrize("case", CASES[::7], ids=lambda c: c.id)
def test_compiled_forward_equals_eager_bit_for_bit(case):
    arrays = case.inputs()
    expected = case.fn(*[cr.tensor(a) for a in arrays])
    _same(cr.compile(case.fn)(*arrays), expected)


def test_a_wrong_schedule_is_caught_by_the_comparison(monkeypatch):
    # plant a bug: the last contribution into an input that gets several overwrites
    # instead of adding; the bit-for-bit comparison against eager mode must fail
    build = Program._backward_edges

    def overwrite(self, root, wanted):
        edges = build(self, root, wanted)
        [e for e in edges if not e.first][-1].first = True
        return edges

    def f(x):
        return cr.sum(cr.sin(x) * x)

    x = np.array([0.5, 2.0])
    _same(cr.compile(cr.value_and_grad(f))(x), cr.value_and_grad(f)(x))
    monkeypatch.setattr(Program, "_backward_edges", overwrite)
    with pytest.raises(AssertionError):
        _same(cr.compile(cr.value_and_grad(f), check=False)(x), cr.value_and_grad(f)(x))
    with pytest.raises(cr.TraceError):      # and the check run on the first call sees it
        cr.compile(cr.value_and_grad(f))(x)


def test_contributions_are_added_in_eager_order():
    # x feeds four consumers: the sum of four contributions depends on the order of the
    # additions in floating point; eager's order is kept
    def f(x):
        return cr.sum(cr.sin(x) * x + cr.exp(x) / x + x ** 3 - cr.tanh(x))

    x = np.linspace(0.1, 3.0, 50)
    _same(cr.compile(cr.value_and_grad(f))(x), cr.value_and_grad(f)(x))


# -- composition with the transforms --------------------------------------------------

def _p2(W, x):
    return cr.sum(cr.sigmoid(W @ x) ** 2)


def test_problem_2_through_compile_matches_the_homework():
    W, x = np.eye(3), np.array([1.0, 2.0, 3.0])
    value, (gW, gx) = cr.compile(cr.value_and_grad(_p2, argnums=(0, 1)))(W, x)
    assert value == pytest.approx(2.2176476050544203, rel=1e-15)
    s = 1 / (1 + np.exp(-x))
    gz = 2 * s * s * (1 - s)
    np.testing.assert_allclose(gx, W.T @ gz, rtol=1e-14)
    np.testing.assert_allclose(gW, np.outer(gz, x), rtol=1e-14)


def test_grad_of_a_float_returns_a_float():
    g = cr.compile(cr.grad(lambda x: x ** 3))
    assert g(2.0) == 12.0 and type(g(2.0)) is float
    assert cr.jit is cr.compile


def test_grad_of_grad_compiles():
    def f(x):
        return cr.sin(x) * x ** 3

    g2 = cr.compile(cr.grad(cr.grad(f)))
    assert g2(0.3) == cr.grad(cr.grad(f))(0.3)
    assert g2(0.3) == pytest.approx(-0.3 ** 3 * np.sin(0.3) + 6 * 0.3 ** 2 * np.cos(0.3)
                                    + 6 * 0.3 * np.sin(0.3), rel=1e-12)


def test_dict_parameters_and_int_labels_train_step():
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((4, 3)), "b": np.zeros(3)}

    def loss(p, x, y):
        logp = cr.log_softmax(x @ p["W"] + p["b"], axis=1)
        return -cr.mean(logp[np.arange(len(y)), y])

    step = cr.compile(cr.value_and_grad(loss))
    for _ in range(3):                    # new data each call, one trace
        x = rng.standard_normal((5, 4))
        y = rng.integers(0, 3, 5)
        _same(step(params, x, y), cr.value_and_grad(loss)(params, x, y))
    assert step.traces == 1


def test_argnums_twice_and_nondifferentiated_arrays():
    f = lambda x, y: cr.sum(x * y * x)   # noqa: E731
    x, y = np.array([1.0, 2.0]), np.array([3.0, -1.0])
    vg = cr.value_and_grad(f, argnums=(0, 0, 1))
    _same(cr.compile(vg)(x, y), vg(x, y))


def test_a_training_step_calling_value_and_grad_inside_compiles():
    rng = np.random.default_rng(1)
    W = rng.standard_normal((3, 2))

    def step(W, x):
        value, g = cr.value_and_grad(lambda W: cr.sum(cr.tanh(x @ W) ** 2))(W)
        return value, W - 0.1 * g

    x = rng.standard_normal((4, 3))
    value, new = cr.compile(step)(W, x)
    ev, enew = step(W, x)
    np.testing.assert_allclose(value.data, ev, rtol=1e-14)
    np.testing.assert_allclose(new.data, enew, rtol=1e-14)


def test_inside_grad_the_compiled_function_runs_eagerly():
    f = cr.compile(lambda x: cr.sin(x) * x)
    assert cr.grad(lambda x: cr.sum(f(x)))(1.0) == pytest.approx(np.cos(1.0) + np.sin(1.0))


def test_replay_records_no_graph():
    step = cr.compile(cr.value_and_grad(_p2, argnums=(0, 1)))
    W, x = np.eye(3), np.array([1.0, 2.0, 3.0])
    step(W, x)
    made = []
    with on_create(made.append):
        step(W, x)
    assert made == []


# -- signatures and re-tracing ---------------------------------------------------------

def test_a_new_shape_or_dtype_traces_again_and_a_known_one_does_not():
    g = cr.compile(cr.grad(lambda x: cr.sum(x ** 2)))
    _same(g(np.ones(3)), 2 * np.ones(3))
    _same(g(np.full(3, 2.0)), 4 * np.ones(3))
    assert g.traces == 1
    _same(g(np.ones(4)), 2 * np.ones(4))
    out = g(np.ones(4, dtype=np.float32))
    assert out.dtype == np.float32 and g.traces == 3


def test_the_check_of_the_last_signature_lets_no_other_argument_through():
    f = cr.value_and_grad(lambda x, y: cr.sum(cr.sigmoid(x) * y), argnums=(0, 1))
    vg = cr.compile(f)
    a, b = np.linspace(-1, 1, 6), np.linspace(0, 2, 6)
    c, d = a.reshape(2, 3), b.reshape(2, 3)
    for args in [(a, b), (c, d), (a, b), (a, b.astype(np.float32)), (c, d)]:
        _same(vg(*args), f(*args))
    assert vg.traces == 3
    e = a.copy()
    e.shape = (3, 2)                        # the same array object, another shape
    _same(vg(e, b.reshape(3, 2)), f(e, b.reshape(3, 2)))
    assert vg.traces == 4
    _same(vg(a, b), f(a, b))
    _same(vg(a.view(np.dtype(np.float64, metadata={"k": 1})), b), f(a, b))   # equal dtype
    with pytest.raises(ValueError, match="out of range"):
        vg(a)                               # one argument missing: as eager mode says
    t = cr.tensor(a, requires_grad=True)    # the Tensor of a known shape runs eagerly
    value = vg(t, b)[0]
    assert isinstance(value, cr.Tensor) and value.requires_grad


def test_the_check_of_the_last_signature_reads_dicts_key_by_key():
    f = cr.value_and_grad(lambda p, x: cr.sum(p["w"] * x + p["b"]))
    vg = cr.compile(f)
    w, b, x = np.array([1.0, -2.0]), np.array([0.5, 0.25]), np.array([3.0, 4.0])
    calls = [({"w": w, "b": b}, x), ({"b": b, "w": w}, x), ({"w": w, "b": b, "c": b}, x),
             ({"w": w, "b": b}, x), ({"w": w[:1], "b": b}, x), ({"w": w, "b": b}, x),
             ({"w": w.astype(np.float32), "b": b}, x), ({"w": w, "b": b}, x[:1]),
             ({"w": w, "b": b}, x), ({"w": cr.tensor(w), "b": b}, x)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for args in calls:
            _same(vg(*args), f(*args))
    assert vg.traces == 5                   # a Tensor that needs no gradient is its array
    with pytest.raises(KeyError):
        vg({"w": w, "a": b}, x)            # "b" missing, as running f says
    with pytest.raises(TypeError, match="list indices"):
        vg([w, b], x)                       # not a dict: as running f says


def test_a_function_of_no_arguments_is_found_again():
    f = cr.compile(lambda: cr.sum(cr.tensor([1.0, 2.0]) ** 2))
    assert f().item() == 5.0 and f().item() == 5.0 and f.traces == 1


class _Sub(np.ndarray):
    pass


def test_an_ndarray_subclass_is_not_taken_for_a_plain_array():
    vg = cr.compile(cr.value_and_grad(lambda x: cr.sum(x * x)))
    x = np.array([1.0, 2.0])
    _same(vg(x), (5.0, np.array([2.0, 4.0])))
    with pytest.raises(TypeError, match="_Sub"):
        vg(x.view(_Sub))


def test_python_numbers_are_constants_of_the_trace():
    f = cr.compile(lambda x, k: cr.sum(x ** k))
    x = np.array([1.0, 2.0])
    assert f(x, 2).item() == 5.0 and f(x, 3).item() == 9.0 and f.traces == 2


def test_static_argnums_and_unhashable_constants():
    f = cr.compile(lambda x, scale: cr.sum(x * scale), static_argnums=1)
    assert f(np.ones(2), 2.5).item() == 5.0 and f(np.ones(2), 2.5).item() == 5.0
    assert f.traces == 1
    with pytest.raises(TypeError, match="hashable"):
        f(np.ones(2), [1.0, np.ones(2)])


def test_program_shows_the_schedule():
    prog = cr.compile(cr.value_and_grad(_p2, argnums=(0, 1))).program(
        np.eye(3), np.array([1.0, 2.0, 3.0]))
    assert prog.source.startswith("def program(a0, a1):")
    forward = [line for line in prog.source.splitlines() if line.startswith("    v")]
    rules = [line for line in prog.source.splitlines() if "(M, g_" in line]
    assert len(forward) == 4                            # matmul, sigmoid, square, sum
    assert len(rules) == 4                              # square, sigmoid, matmul x2
    # sum's VJP reads only shapes: with the seed it is a constant, copied at each call
    assert re.search(r"^    g_v2 = K\d+\.copy\(\)$", prog.source, re.M)


def test_constant_contributions_are_computed_once_and_handed_out_fresh():
    vg = cr.compile(cr.value_and_grad(lambda x: cr.sum(cr.mean(x, axis=0))))
    x = np.arange(6.0).reshape(2, 3)
    value, grad = vg(x)
    assert "(M, g_" not in vg.program(x).source         # both VJPs folded
    _, eager = cr.value_and_grad(lambda x: cr.sum(cr.mean(x, axis=0)))(x)
    _same(grad, eager)
    assert grad.flags.writeable
    grad[...] = 7.0
    _, again = vg(x)
    assert again is not grad
    _same(again, eager)


def test_a_loss_read_only_as_a_float_is_left_a_numpy_scalar():
    x = np.array([1.0, -2.0, 0.5])
    for f, wrapped in [(lambda x: cr.sum(x ** 2), False), (lambda x: cr.sum(x) ** 2, True)]:
        vg = cr.compile(cr.value_and_grad(f))
        assert ("= asarray(" in vg.program(x).source) is wrapped
        _same(vg(x), cr.value_and_grad(f)(x))
    forward = cr.compile(lambda x: cr.sum(x))           # a Tensor: its value an array
    assert "= asarray(" in forward.program(x).source
    _same(forward(x), cr.sum(cr.tensor(x)))


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.longdouble,
                                   np.complex128])
def test_the_value_is_the_number_eager_mode_gives_in_every_dtype(dtype):
    f = cr.value_and_grad(lambda x: cr.sum(x * x), holomorphic=np.dtype(dtype).kind == "c")
    x = (np.array([1.5, -2.25, 1e-3]) * (1 + 1j if np.dtype(dtype).kind == "c" else 1)
         ).astype(dtype)
    _same(cr.compile(f)(x), f(x))


def test_a_folded_contribution_stops_at_a_rule_that_reads_values():
    f = cr.value_and_grad(lambda x: cr.sum(cr.sigmoid(cr.sum(x, axis=1))))
    vg = cr.compile(f)
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    source = vg.program(x).source
    assert source.count(".copy()") == 1 and source.count("(M, g_") == 2
    for scale in (1.0, -3.0):
        _same(vg(x * scale)[1], f(x * scale)[1])


def test_closed_over_tensors_are_read_at_each_call():
    w = cr.tensor([1.0, 2.0])
    f = cr.compile(lambda x: cr.sum(x * w))
    x = np.ones(2)
    assert f(x).item() == 3.0
    w.data = np.array([5.0, 5.0])
    assert f(x).item() == 10.0


def test_an_output_that_does_not_depend_on_an_argument_warns_and_gives_zeros():
    vg = cr.compile(cr.value_and_grad(lambda x, y: cr.sum(x ** 2), argnums=(0, 1)))
    with pytest.warns(cr.IndependentOutputWarning, match="argument 1"):
        _, (gx, gy) = vg(np.ones(2), np.ones(3))
    _same(gy, np.zeros(3))


def test_f_returning_an_input_gives_ones():
    _same(cr.compile(cr.grad(lambda x: x))(np.array(2.0)), np.array(1.0))


# -- what a replay recomputes -----------------------------------------------------------

def test_where_on_a_traced_comparison_is_recomputed_on_each_call():
    f = cr.compile(cr.grad(lambda x: cr.sum(cr.where(x > 0, x ** 2, -x))))
    _same(f(np.array([1.0, -2.0])), np.array([2.0, -1.0]))
    _same(f(np.array([-1.0, 3.0])), np.array([-1.0, 6.0]))
    assert f.traces == 1


def test_masks_from_comparisons_and_detach_are_recomputed():
    def f(x):
        m = (x > 0) & ~(x > 2)
        return cr.sum(x * m + x.detach() * x)
    g = cr.compile(cr.value_and_grad(f))
    for x in (np.array([1.0, 3.0, -1.0]), np.array([-1.0, 1.5, 2.5])):
        _same(g(x), cr.value_and_grad(f)(x))


# -- what cannot be traced is refused by name ----------------------------------------------

@pytest.mark.parametrize("body,what", [
    (lambda x: x if cr.sum(x) > 0 else -x, "bool"),
    (lambda x: x * float(cr.sum(x)), "float"),
    (lambda x: x * cr.sum(x).item(), r"\.item\(\)"),
    (lambda x: x * int(cr.sum(x)), "int"),
    (lambda x: x * [1.0, 2.0, 3.0][cr.sum(x)], "integer"),
    (lambda x: x * np.asarray(x).sum(), "ndarray"),
])
def test_python_values_of_traced_tensors_are_refused(body, what):
    f = cr.compile(body)
    with pytest.raises(cr.ConcretizationError, match=what) as info:
        f(np.array([0.5, 1.0]))
    assert "cr.where" in str(info.value) and "static" in str(info.value)


def test_boolean_mask_indexing_is_refused():
    with pytest.raises(cr.ConcretizationError, match="cr.where"):
        cr.compile(lambda x: cr.sum(x[x > 0]))(np.array([1.0, -1.0]))


def test_a_write_into_a_global_tensor_is_refused():
    state = cr.tensor(np.zeros(2))

    def f(x):
        state[0] = 1.0
        return x * 2

    with pytest.raises(cr.TraceError, match="in-place write"):
        cr.compile(f)(np.ones(2))
    assert isinstance(cr.TraceError("x"), TypeError)


def test_data_of_a_traced_tensor_is_refused():
    with pytest.raises(cr.TraceError, match=r"\.data"):
        cr.compile(lambda x: x * x.data)(np.ones(2))


def test_copying_a_traced_tensor_into_a_new_one_is_refused():
    with pytest.raises(cr.TraceError, match=r"cr.tensor"):
        cr.compile(lambda x: x + cr.tensor(x))(np.ones(2))


def test_backward_inside_a_compiled_function_is_refused():
    w = cr.tensor(np.ones(2), requires_grad=True)

    def f(x):
        loss = cr.sum(w * x)
        loss.backward()
        return loss

    with pytest.raises(cr.TraceError, match=r"cr.compile\(cr.value_and_grad"):
        cr.compile(f)(np.ones(2))
    assert w.grad is None


def test_dropout_is_refused_by_name():
    with pytest.raises(cr.TraceError, match="random draw"):
        cr.compile(lambda x: nn.functional.dropout(x, 0.5))(np.ones(4))


def test_a_private_random_generator_is_caught_by_the_check_run():
    rng = np.random.default_rng(0)
    with pytest.raises(cr.TraceError, match="differs"):
        cr.compile(lambda x: x * rng.random(2))(np.ones(2))


def test_numpy_arithmetic_on_integer_labels_is_caught_by_the_check_run():
    logits = np.random.default_rng(0).standard_normal((4, 3))
    labels = np.array([0, 2, 1, 1])

    def loss(z, y):
        return -cr.sum(z[np.arange(4), y * 1])   # y * 1 is numpy's, outside the trace

    with pytest.raises(cr.TraceError, match="differs"):
        cr.compile(cr.grad(loss))(logits, labels)


def test_cross_entropy_replays_new_labels_exactly():
    logits = np.random.default_rng(0).standard_normal((4, 3))

    def loss(z, y):
        return nn.cross_entropy(z, y)

    step = cr.compile(cr.value_and_grad(loss))
    for labels in ([0, 2, 1, 1], [1, 1, 0, 2], [2, 0, 0, 0]):
        y = np.array(labels)
        value, grad = step(logits, y)
        want_value, want_grad = cr.value_and_grad(loss)(logits, y)
        assert value == want_value
        np.testing.assert_array_equal(grad, want_grad)


def test_tensor_methods_are_back_after_a_failed_trace():
    with pytest.raises(cr.ConcretizationError):
        cr.compile(lambda x: x if cr.sum(x) > 0 else x)(np.ones(1))
    t = cr.tensor([1.0, 2.0], requires_grad=True)
    assert bool(cr.tensor(1.0) > 0) and float(cr.tensor(2.0)) == 2.0
    assert t.detach().requires_grad is False
    assert "__index__" not in vars(cr.Tensor)
    t.backward(np.ones(2))
    assert cr.tensor(t).requires_grad is False


def test_other_threads_are_not_traced():
    seen = []
    started, release = threading.Event(), threading.Event()

    def other():
        started.wait()
        t = cr.tensor([1.0, -1.0], requires_grad=True)
        seen.append(bool((t > 0).data[0]) and float(t.detach()[0]) == 1.0)
        release.set()

    thread = threading.Thread(target=other)
    thread.start()

    def f(x):
        started.set()
        release.wait(10)
        return x * 2

    cr.compile(f)(np.ones(2))
    thread.join()
    assert seen == [True]


def test_arguments_that_cannot_be_traced():
    f = cr.compile(lambda x: x)
    with pytest.raises(TypeError, match="dtype <U1 cannot be traced"):
        f(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="differentiate"):
        cr.compile(cr.grad(lambda s: 1.0))("text")
    with pytest.raises(TypeError, match="single number"):
        cr.compile(cr.grad(lambda x: x))(np.ones(2))
    with pytest.raises(TypeError, match="function"):
        cr.compile(3)


def test_the_guide_example_computes_what_it_shows():
    from pathlib import Path

    from test_readme import _blocks, run_block_checking_shown_values

    guide = Path(__file__).resolve().parents[1] / "docs" / "compile.md"
    first = _blocks(guide.read_text(), "python")[0]
    assert run_block_checking_shown_values(first, {}) == 2


# -- the less common paths -----------------------------------------------------------------

def test_keyword_arguments_are_constants_of_the_trace():
    f = cr.compile(lambda x, power=2: cr.sum(x ** power))
    x = np.array([1.0, 2.0])
    assert f(x, power=3).item() == 9.0 and f(x, power=2).item() == 5.0 and f.traces == 2
    with pytest.raises(TypeError, match="keyword argument 'power'.*hashable"):
        f(x, power=np.ones(2))


def test_integer_arrays_being_differentiated_become_float64_as_in_eager_mode():
    g = cr.compile(cr.grad(lambda x: cr.sum(x ** 2)))
    _same(g(np.array([1, 2])), cr.grad(lambda x: cr.sum(x ** 2))(np.array([1, 2])))
    _same(g(np.array([3, 4])), np.array([6.0, 8.0]))


def test_tensors_that_need_no_grad_are_traced_like_arrays():
    f = cr.compile(lambda x: cr.exp(x))
    out = f(cr.tensor([0.0, 1.0]))
    assert isinstance(out, cr.Tensor) and out.requires_grad is False
    _same(out.data, np.exp([0.0, 1.0]))


def test_lists_tuples_and_numbers_in_differentiated_arguments():
    def loss(p):
        (a, b), c = p["pair"], p["c"]
        return cr.sum(a * b) * c

    p = {"pair": [np.array([1.0, 2.0]), np.array([3.0, 4.0])], "c": 0.5}
    g = cr.compile(cr.grad(loss))
    _same(g(p), cr.grad(loss)(p))
    _same(g(p), cr.grad(loss)(p))       # the second call: a dict holding a list
    t = cr.compile(cr.grad(lambda p: cr.sum(p[0] * p[1])))
    pair = (np.array([1.0, 2.0]), np.array([5.0, 6.0]))
    _same(t(pair), cr.grad(lambda p: cr.sum(p[0] * p[1]))(pair))


def test_a_constant_output_and_a_comparison_output():
    with pytest.warns(cr.IndependentOutputWarning):
        assert cr.compile(cr.grad(lambda x: 3.0))(2.0) == 0.0
    with pytest.warns(cr.IndependentOutputWarning):
        _same(cr.compile(cr.grad(lambda x: cr.sum(x > 0)))(np.ones(2)), np.zeros(2))
    w = cr.tensor([1.0])
    out = cr.compile(lambda x: (x * 2, w, 7, "label"))(np.ones(1))
    assert out[1] is w and out[2:] == (7, "label")


def test_a_program_is_kept_per_signature():
    f = cr.compile(lambda x: x * 2)
    p = f.program(np.ones(2))
    assert f.program(np.ones(2)) is p and f.traces == 1
    assert p(np.full(2, 3.0)).data.tolist() == [6.0, 6.0]


def test_called_inside_a_transform_or_on_a_graph_it_runs_eagerly():
    f = cr.compile(lambda p: cr.sum(p["w"] * 2.0))
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    out = f({"w": w})
    out.backward()
    _same(np.asarray(w.grad), np.array([2.0, 2.0]))
    assert f.traces == 0
    g = cr.compile(lambda x: cr.sum(x ** 2))
    g(np.ones(2))                            # known signature, then inside a transform:
    assert cr.grad(lambda x: g(x))(np.array([1.0, 2.0])).tolist() == [2.0, 4.0]


def test_the_check_run_failing_is_reported():
    def f(x, y):
        if y[0] != 0:
            raise ValueError("labels must start at 0")
        return cr.sum(x)

    with pytest.raises(cr.TraceError, match="check=False"):
        cr.compile(f)(np.ones(2), np.array([0, 1]))
    assert cr.compile(f, check=False)(np.ones(2), np.array([0, 1])).item() == 2.0


def test_during_a_trace_other_threads_and_untraced_tensors_behave_as_always():
    results = {}
    inside, done = threading.Event(), threading.Event()

    def other_thread():
        inside.wait(10)
        t = cr.tensor([1.0, 2.0])
        t += 1.0                                            # an in-place write
        results["invert"] = (~(t > 2)).data.tolist()
        results["random"] = cr.rand(2).shape
        u = cr.tensor([1.0], requires_grad=True)
        cr.sum(u * 2).backward()
        results["backward"] = u.grad.tolist()
        results["traced too"] = cr.compile(lambda x: x * 3)(np.ones(1)).data.tolist()
        done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()

    def f(x):
        inside.set()
        done.wait(10)
        c = cr.tensor([True, False])
        with pytest.raises(TypeError, match="cannot be interpreted as an integer"):
            [1, 2][cr.tensor(1.0)]
        with pytest.raises(cr.TraceError, match="backward"):
            cr.sum(cr.tensor([1.0], requires_grad=True)).backward()
        return x * ~c

    out = cr.compile(f, check=False)(np.array([1.0, 2.0]))
    thread.join()
    assert out.data.tolist() == [0.0, 2.0]
    assert results == {"invert": [True, False], "random": (2,), "traced too": [3.0],
                       "backward": [2.0]}


def test_an_edge_without_a_rule_and_a_contribution_of_another_dtype():
    second = cr.primitive("second", lambda a, b: b * 1.0, [None, lambda M, g, ans, a, b: g])

    def f(x):       # sin(x) is reached only through an edge with no gradient
        return cr.sum(second(cr.sin(x), x) * np.ones(2))   # float64 * the float32 x

    x = np.array([0.5, 1.5], dtype=np.float32)
    _same(cr.compile(cr.value_and_grad(f))(x), cr.value_and_grad(f)(x))
    assert cr.compile(cr.grad(f))(x).dtype == np.float32


def test_a_tensor_that_requires_grad_runs_eagerly():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    out = cr.compile(lambda x: x * 2)(w)
    assert out.requires_grad


def test_a_seed_set_inside_a_trace_stays():
    def f(x):
        cr.manual_seed(3)
        return x

    cr.compile(f)(np.ones(1))
    assert cr.rand(1).item() == cr.manual_seed(3).random()


# -- complex numbers ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(COMPLEX_CASES))
def test_complex_gradients_equal_eager_bit_for_bit(name):
    f = COMPLEX_CASES[name]
    _same(cr.compile(cr.value_and_grad(f))(Z), cr.value_and_grad(f)(Z))


def test_holomorphic_and_complex_numbers_as_eager_mode():
    g = cr.compile(cr.grad(lambda z: z ** 3, holomorphic=True))
    assert g(1 + 2j) == cr.grad(lambda z: z ** 3, holomorphic=True)(1 + 2j)
    assert type(g(1 + 2j)) is complex
    with pytest.raises(TypeError, match="holomorphic=True"):
        cr.compile(cr.grad(lambda z: cr.sum(z * 1j)))(np.ones(2))
    with pytest.raises(TypeError, match="complex inputs"):
        cr.compile(cr.grad(lambda z: z * 1j, holomorphic=True))(1.0)


def test_a_compiled_function_keeps_no_array_of_its_trace():
    import gc
    import weakref

    made = []
    step = cr.compile(cr.value_and_grad(_p2, argnums=(0, 1)))
    with on_create(lambda node: made.append(weakref.ref(node))):
        step(np.eye(3), np.array([1.0, 2.0, 3.0]))
    gc.collect()
    assert len(made) >= 4 and all(ref() is None for ref in made)
    assert step.program(np.eye(3), np.ones(3)).steps == ["matmul", "sigmoid", "pow", "sum"]


def test_dicts_whose_keys_come_in_another_order_are_the_same_signature():
    f = cr.compile(cr.grad(lambda p: cr.sum(p["a"] * 2 + p["b"])))
    one = f({"a": np.ones(2), "b": np.ones(3)[:2]})
    other = f({"b": np.zeros(2), "a": np.ones(2)})
    _same(one, {"a": np.full(2, 2.0), "b": np.ones(2)})
    _same(other, one)
    assert f.traces == 1
    from chainrule.compiled import api
    api._SORTED.update({(k,): (k,) for k in range(300)})     # a full memory is cleared
    g = cr.compile(cr.grad(lambda p: cr.sum(p["new key"])))
    _same(g({"new key": np.ones(2)}), {"new key": np.ones(2)})
    assert len(api._SORTED) <= 1
