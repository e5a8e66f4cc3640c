"""In-place changes: operators update in place under no_grad (a leaf stays a leaf) and are
refused while recording; a backward pass refuses inputs written after recording."""

import numpy as np
import pytest

import chainrule as cr


def test_a_graph_recorded_before_an_optimizer_step_refuses_to_backpropagate():
    W = cr.tensor([1.0, 2.0], requires_grad=True, name="W")
    x = cr.tensor([3.0, 6.0])
    y = (W * W * x).sum()
    opt = cr.optim.SGD([W], lr=0.5)
    (W * x).sum().backward()
    opt.step()
    with pytest.raises(RuntimeError, match="input 'W' of mul was modified in place"):
        y.backward()
    opt.zero_grad()
    (W * W * x).sum().backward()                 # a graph recorded after the step is fine
    np.testing.assert_allclose(W.grad, 2 * np.array([-0.5, -1.0]) * [3.0, 6.0])


@pytest.mark.parametrize("write", [
    lambda t: setattr(t, "data", t.data * 2),
    lambda t: t.__setitem__(0, 5.0),
])
def test_data_assignment_and_item_writes_are_detected(write):
    t = cr.tensor([1.0, 2.0])
    w = cr.tensor([1.0, 1.0], requires_grad=True)
    y = (w * t).sum()
    write(t)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward()
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward(create_graph=True)                      # graph mode checks it too
    y2 = (w * t).sum()
    y2.backward()
    np.testing.assert_allclose(w.grad, t.value)


def test_the_pytorch_update_idiom_updates_in_place_and_keeps_the_leaf():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    data = w.value
    (w * w).sum().backward()
    with cr.no_grad():
        w -= 0.25 * w.grad
        w += np.array([1.0, 1.0])
        w *= 2.0
        w /= cr.tensor(4.0)
    assert w.is_leaf and w.requires_grad and w.value is data
    np.testing.assert_allclose(w.value, ((np.array([1.0, 2.0]) * 0.5) + 1) / 2)
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad, 2 * w.value)


def test_in_place_operators_are_refused_while_recording_on_a_tensor_that_needs_grad():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"\+=: in-place update of a leaf Tensor that "
                                           r"requires grad while recording.*no_grad"):
        w += 1
    h = w * 2
    with pytest.raises(RuntimeError, match="-=: in-place update of a Tensor computed by mul"):
        with cr.no_grad():
            h -= 1
    c = cr.tensor([1.0, 2.0])
    c += 1                                        # no gradient involved: in place
    np.testing.assert_array_equal(c.value, [2.0, 3.0])
    c2 = c
    c2 += w                                       # recorded: a new Tensor (rebinding)
    assert c2 is not c and c2.prim is not None
    with pytest.raises(ValueError, match=r"\+=: cannot update a Tensor of shape \(2,\)"):
        c += np.ones(3)


# -- a computed Tensor changed in place refuses to be differentiated through ------------------

@pytest.mark.parametrize("change", ["data", "zero_", "fill_", "copy_"])
def test_a_computed_tensor_changed_in_place_refuses_backward_through_its_op(change):
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = cr.exp(x)                   # exp's rule reads its result: a changed one is wrong
    with cr.no_grad():
        if change == "data":
            y.data = np.array([5.0, 5.0])
        else:
            getattr(y, change)(*(() if change == "zero_" else (np.array([5.0, 5.0]),)))
    with pytest.raises(RuntimeError, match="result of exp was changed in place"):
        cr.sum(y).backward()
    with pytest.raises(RuntimeError, match="result of exp was changed in place"):
        cr.sum(y * 2).backward(create_graph=True)
    y.data = np.array([6.0, 6.0])          # a second change keeps refusing
    assert y.prim.name == "exp"
    with pytest.raises(RuntimeError, match="result of exp"):
        cr.sum(y).backward()


def test_an_unchanged_computed_tensor_still_differentiates():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    cr.sum(cr.exp(x)).backward()
    np.testing.assert_allclose(x.grad, np.exp([1.0, 2.0]), rtol=1e-15)
