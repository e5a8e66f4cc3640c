"""The homework this project was born from (docs/homework.md): its own code, transcribed
line for line so that its numbers can be reproduced, and the correct functions with their
closed-form gradients."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..ops import functions as F

HALF_PI = 0.5 * math.pi
P1_POINT = {"x1": HALF_PI, "w1": 1.0, "x2": HALF_PI, "w2": 1.0}
P1_ELSEWHERE = {"x1": 0.3, "w1": 1.7, "x2": -0.4, "w2": 2.2}
P2_W, P2_X = np.eye(3), np.array([[1.0], [2.0], [3.0]])


# -- the homework's own code, transcribed from the homework ---------------------------------------

def homework_f1(x1: float, w1: float, x2: float, w2: float) -> float:
    """Problem 1's ``originalFunction``: note sin(x1*w1), not sin(x1*w1)**2."""
    return 1 / (2 + math.sin(x1 * w1) + math.cos(x2 * w2))


def homework_hand1(x1: float, w1: float, x2: float, w2: float) -> dict[str, float]:
    """Problem 1's hand formulas ``dfdx1 ... dfdw2`` (they differentiate sin**2)."""
    d = (2 + math.sin(x1 * w1) ** 2 + math.cos(x2 * w2)) ** 2
    return {"x1": -2 * math.sin(x1 * w1) * math.cos(x1 * w1) * w1 / d,
            "w1": -2 * math.sin(x1 * w1) * math.cos(x1 * w1) * x1 / d,
            "x2": math.sin(x2 * w2) * w2 / d,
            "w2": math.sin(x2 * w2) * x2 / d}


def homework_comp_graph1(x1: float, w1: float, x2: float, w2: float, key: str) -> float:
    """Problem 1's ``compGraph``: local gradients hard-coded at x1 = x2 = pi/2."""
    upstream_grad: float = 1
    f_xw = homework_f1(x1, w1, x2, w2)
    local_grad = upstream_grad * (f_xw**2) * (-1)
    upstream_grad = local_grad
    local_grad = upstream_grad * 1
    upstream_grad = local_grad
    if key in ("x1", "w1"):
        local_grad = upstream_grad * 2 * 0
        upstream_grad = local_grad
        local_grad = upstream_grad * math.cos(0.5 * math.pi)
        upstream_grad = local_grad
        local_grad = upstream_grad * (w1 if key == "x1" else x1)
    else:
        local_grad = upstream_grad * (-math.sin(0.5 * math.pi))
        upstream_grad = local_grad
        local_grad = upstream_grad * (w2 if key == "x2" else x2)
    return local_grad


def homework_comp_graph2(x: np.ndarray, W: np.ndarray, key: str,
                         sigmoid_fixed: bool = False) -> np.ndarray:
    """Problem 2's ``compGraph``; ``sigmoid_fixed`` replaces x*(1-x) by s*(1-s) to show
    the second mistake on its own."""
    f = 1 / (np.exp(-np.dot(W, x)) + 1)
    local_grad = 2 * f
    upstream_grad = local_grad
    dsigdx = f * (1 - f) if sigmoid_fixed else x * (1 - x)
    local_grad = upstream_grad * dsigdx
    upstream_grad = local_grad
    if key == "W":
        return upstream_grad * np.vstack((x.T, x.T, x.T))
    return upstream_grad * np.array([1, 1, 1]).reshape((3, 1))


# -- the correct computation ---------------------------------------------------------------

def problem1(x1: Any, w1: Any, x2: Any, w2: Any) -> Any:
    """Problem 1's function, as the homework's figure and hand formulas define it."""
    return 1 / (2 + F.sin(x1 * w1) ** 2 + F.cos(x2 * w2))


def problem1_code(x1: Any, w1: Any, x2: Any, w2: Any) -> Any:
    """Problem 1's function as the homework's code computes it (no square)."""
    return 1 / (2 + F.sin(x1 * w1) + F.cos(x2 * w2))


def problem1_closed_form(x1: float, w1: float, x2: float, w2: float) -> dict[str, float]:
    """d(1/D)/dv = -dD/dv / D**2 with D = 2 + sin(x1 w1)**2 + cos(x2 w2)."""
    d = 2 + math.sin(x1 * w1) ** 2 + math.cos(x2 * w2)
    s2 = 2 * math.sin(x1 * w1) * math.cos(x1 * w1)
    return {"x1": -s2 * w1 / d**2, "w1": -s2 * x1 / d**2,
            "x2": math.sin(x2 * w2) * w2 / d**2, "w2": math.sin(x2 * w2) * x2 / d**2}


def problem2(W: Any, x: Any) -> Any:
    """Problem 2's function: ||sigmoid(W x)||**2."""
    return F.norm(F.sigmoid(W @ x)) ** 2


def problem2_closed_form(W: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """With s = sigmoid(W x) and g = 2 s * s (1 - s): df/dW = g x^T, df/dx = W^T g."""
    s = 1 / (1 + np.exp(-(W @ x)))
    g = 2 * s * s * (1 - s)
    return g @ x.T, W.T @ g


def hand_partial(name: str) -> Any:
    """Problem 1's hand formula for df/d(name), called with the point's values."""
    return lambda **point: homework_hand1(**point)[name]
