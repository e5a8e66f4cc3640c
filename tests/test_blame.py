"""cr.blame and gradcheck's failure message: the first gate whose rule disagrees with its
own forward is named, with its source line and expected vs got."""

import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.checking.blame import trace_sources


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


# a learner's sigmoid gate with the homework's local gradient x*(1-x) instead of s*(1-s)
bad_sigmoid = cr.primitive("bad_sigmoid", _sigmoid, [lambda M, g, ans, x: g * x * (1 - x)],
                           derivs=["x*(1-x)"])
# a cube whose rule is 0.05% too large
almost_cube = cr.primitive("almost_cube", lambda x: x**3,
                           [lambda M, g, ans, x: g * 3 * x**2 * 1.0005], derivs=["3*x**2"])
# a matrix product whose rule for A is g @ ones instead of g @ B.T
bad_matmul = cr.primitive("bad_matmul", np.matmul,
                          [lambda M, g, ans, a, b: M.matmul(g, np.ones(b.shape).T),
                           lambda M, g, ans, a, b: M.matmul(M.swapaxes(a), g)],
                          inputs=("A", "B"))


def network(W, x):
    z = W @ x
    s = bad_sigmoid(z)  # the line blame must point at
    return cr.sum(s * s)


def test_gradcheck_failure_names_the_custom_gate_and_its_source_line():
    rng = np.random.default_rng(1)
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(network, rng.standard_normal((3, 3)), rng.standard_normal((3, 1)))
    message = str(info.value)
    assert "first wrong gate is bad_sigmoid node #2, input x" in message
    assert "test_blame.py" in message and "s = bad_sigmoid(z)  # the line blame" in message
    assert "d/dx bad_sigmoid(x) = x*(1-x)" in message
    report = info.value.blame
    assert report.op == "bad_sigmoid" and report.input_name == "x"
    assert report.checked == 2  # W @ x's two edges agree with matmul's forward


def test_blame_expected_is_the_true_local_derivative_and_got_is_the_wrong_rule():
    x = np.array([[0.3], [-1.2], [2.0]])
    report = cr.blame(lambda x: cr.sum(bad_sigmoid(x)), x)
    s = _sigmoid(x)
    np.testing.assert_allclose(report.expected, s * (1 - s), rtol=1e-8)
    np.testing.assert_allclose(report.got, x * (1 - x), rtol=1e-12)
    assert "upstream 1 per element" in report.text()


def test_blame_of_a_scalar_graph_shows_the_local_derivative():
    with trace_sources():
        x = cr.Scalar(0.6, "x")
        y = bad_sigmoid(x * 2)
    report = cr.blame(y)
    s = 1 / (1 + math.exp(-1.2))
    assert report.expected.item() == pytest.approx(s * (1 - s), rel=1e-8)
    assert report.got.item() == pytest.approx(1.2 * (1 - 1.2))
    assert "local derivative: expected" in report.text()
    assert "y = bad_sigmoid(x * 2)" in report.source


def test_blame_names_the_first_wrong_gate_in_forward_order():
    def f(x):
        a = cr.sin(x)
        b = bad_sigmoid(a)
        return cr.sum(almost_cube(b))
    report = cr.blame(f, np.array([0.4, -0.7]), rtol=1e-5)
    assert report.op == "bad_sigmoid" and report.number == 2


def test_blame_checks_matrix_gates_through_a_random_cotangent():
    rng = np.random.default_rng(2)
    A, B = rng.standard_normal((5, 4)), rng.standard_normal((4, 6))
    report = cr.blame(lambda A, B: cr.sum(bad_matmul(A, B) ** 2), A, B)
    assert report.op == "bad_matmul" and report.input_name == "A"
    assert "J^T u for a random cotangent u" in report.text()
    assert cr.blame(lambda A, B: cr.sum(cr.matmul(A, B) ** 2), A, B) is None


def test_blame_finds_nothing_when_every_rule_is_right():
    x = np.array([0.5, 1.5, -0.3])
    f = lambda x: cr.sum(cr.tanh(x) * cr.exp(x) / (1 + x * x)) + cr.norm(x)
    assert cr.blame(f, x) is None


def test_blame_does_not_judge_a_gate_at_its_kink():
    # relu'(0) = 0 is a convention; finite differences there give 1/2
    report = cr.blame(lambda x: cr.sum(bad_sigmoid(cr.relu(x))), np.array([0.0, 1.0]))
    assert report.op == "bad_sigmoid"
    assert report.skipped and "relu" in report.skipped[0]


def test_a_rule_0_05_percent_off_fails_gradcheck_at_rtol_1e5_and_blame_names_it():
    x = np.array([0.7, -1.1, 1.9])
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(lambda x: cr.sum(almost_cube(x)), x, rtol=1e-5)
    assert info.value.blame.op == "almost_cube"
    assert "5e-04 relative" in str(info.value) or "0.0005 relative" in str(info.value)


def test_default_rtol_1e3_is_too_loose_for_a_0_05_percent_error():
    # documents why the test above uses rtol=1e-5: the default tolerance absorbs 0.05%
    assert cr.gradcheck(lambda x: cr.sum(almost_cube(x)), np.array([0.7, -1.1, 1.9]))


def test_gradcheck_says_when_the_error_is_outside_the_recorded_graph():
    def leaky(x):  # x.value leaves the graph: its gradient is lost, no gate is wrong
        return cr.sum(cr.sin(x)) + float(np.sum(x.value ** 2))
    with pytest.raises(cr.GradcheckError) as info:
        cr.gradcheck(leaky, np.array([0.3, 0.8]))
    assert info.value.blame is None
    assert "work the graph did not record" in str(info.value)


def test_trace_sources_records_lines_only_inside_its_block():
    with trace_sources():
        with trace_sources():
            inner = cr.sin(cr.Scalar(1.0)) * 2
        outer = cr.exp(cr.tensor([1.0], requires_grad=True))
    after = cr.cos(cr.Scalar(1.0))
    assert "inner = cr.sin(cr.Scalar(1.0)) * 2" in cr.source_of(inner)
    assert "outer = cr.exp(cr.tensor([1.0], requires_grad=True))" in cr.source_of(outer)
    assert cr.source_of(after) is None


def test_blame_rejects_a_node_with_arguments():
    with pytest.raises(TypeError, match="either a built output node alone"):
        cr.blame(cr.Scalar(1.0) * 2, 1.0)
