"""detect_anomaly and find_nonfinite name the node that made a NaN or an infinity, not the
nodes that passed it on, and say why."""

import numpy as np
import pytest

import chainrule as cr
from chainrule.core.recording import observer_factory


def test_sqrt_at_zero_under_where_is_named_with_its_reason():
    x = cr.tensor([0.0, 1.0, 4.0], requires_grad=True)
    with cr.detect_anomaly():
        y = cr.where(x.data > 0, cr.sqrt(x), 0.0)
        with pytest.raises(cr.AnomalyError) as info:
            cr.sum(y).backward()
    err = info.value
    assert isinstance(err, FloatingPointError)
    assert err.op == "sqrt" and err.phase == "backward" and err.input_index == 0
    assert ("sqrt'(x) at x = 0 (element (0,)) is inf (d/dx sqrt(x) = 1/(2*sqrt(x))), "
            "multiplied by upstream gradient 0 from where node -> nan") in str(err)
    assert "y = cr.where(x.data > 0, cr.sqrt(x), 0.0)" in err.source


def test_the_culprit_is_named_not_the_nodes_that_pass_the_nan_on():
    s = cr.Scalar(0.0, "s")
    with cr.detect_anomaly():
        r = cr.sqrt(s)
        r.name = "r"
        y = cr.exp(r * 0.0) * 3.0  # mul, exp and mul after it only carry the nan
        with pytest.raises(cr.AnomalyError) as info:
            y.backward()
    assert info.value.node is r
    assert "at 'r' (sqrt), input x" in str(info.value)
    assert "upstream gradient 0 from mul node -> nan" in str(info.value)


def test_without_the_mode_the_nan_arrives_silently():
    x = cr.tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(all="ignore"):
        cr.sum(cr.where(x.data > 0, cr.sqrt(x), 0.0)).backward()
    assert np.isnan(x.grad[0]) and x.grad[1] == pytest.approx(0.5)
    assert observer_factory() is None


def test_finite_passes_are_unchanged_by_the_mode():
    x0 = np.array([0.3, -1.2, 2.0])
    x = cr.tensor(x0, requires_grad=True)
    with cr.detect_anomaly():
        cr.sum(cr.tanh(x) * cr.exp(x)).backward()
    expected = (1 - np.tanh(x0) ** 2) * np.exp(x0) + np.tanh(x0) * np.exp(x0)
    np.testing.assert_allclose(x.grad, expected, rtol=1e-13)


def test_the_mode_is_switched_off_after_an_error():
    with pytest.raises(cr.AnomalyError), cr.detect_anomaly():
        (cr.sqrt(cr.Scalar(0.0)) * 0.0).backward()
    assert observer_factory() is None


def test_backward_from_a_non_finite_output_names_the_forward_culprit():
    x = cr.tensor([0.0, 2.0], requires_grad=True)
    with cr.detect_anomaly(), np.errstate(all="ignore"):
        z = cr.sum(cr.log(x) * 2.0)
        with pytest.raises(cr.AnomalyError) as info:
            z.backward()
    assert info.value.phase == "forward" and info.value.op == "log"
    assert "log(x) = -inf at element (0,) with x = 0" in str(info.value)


def test_gradients_that_overflow_when_added_are_named_at_the_receiving_node():
    x = cr.Scalar(1e-300, "x")
    with cr.detect_anomaly():
        y = x * 1e308 + x * 1e308  # each contribution is 1e308; together inf
        with pytest.raises(cr.AnomalyError) as info:
            y.backward()
    assert info.value.node is x
    assert "1e+308 + 1e+308" in str(info.value)


def test_find_nonfinite_names_the_first_bad_value_and_the_domain():
    x = cr.tensor([1.0, 0.0, -1.0], requires_grad=True)
    with np.errstate(all="ignore"):
        y = cr.sum(cr.exp(cr.log(x)) * 2)
    report = cr.find_nonfinite(y)
    assert report.op == "log" and report.index == (1,)
    assert report.inputs == {"x": 0.0} and report.value == -np.inf
    assert "domain of log: x > 0" in report.text()


def test_find_nonfinite_reports_an_input_that_already_holds_nan():
    x = cr.tensor([1.0, np.nan], requires_grad=True, name="x")
    report = cr.find_nonfinite(cr.sum(x * 2))
    assert report.node is x and "already holds nan" in report.text()


def test_find_nonfinite_is_none_for_a_finite_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    assert cr.find_nonfinite(cr.sum(cr.log(x))) is None
