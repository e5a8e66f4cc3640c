"""The homework's two graphs, built as a learner writes them; shared by the tests of the
page, the LaTeX and the notebook reprs (test_page*.py, test_latex.py,
test_notebook_reprs.py)."""

import math

import numpy as np

import chainrule as cr


def problem1():
    """f = 1 / (2 + sin(x1 w1)^2 + cos(x2 w2)) at x1 = x2 = pi/2, w1 = w2 = 1."""
    x1, w1 = cr.Scalar(math.pi / 2, "x1"), cr.Scalar(1.0, "w1")
    x2, w2 = cr.Scalar(math.pi / 2, "x2"), cr.Scalar(1.0, "w2")
    return 1 / (2 + cr.sin(x1 * w1) ** 2 + cr.cos(x2 * w2))


def problem2():
    """f = ||sigmoid(W x)||^2 with W = I (3 x 3), x = (1, 2, 3) (numpy's functions)."""
    W = cr.tensor(np.eye(3), requires_grad=True)
    x = cr.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    return np.linalg.norm(1 / (np.exp(-np.dot(W, x)) + 1), ord=2) ** 2
