"""chainrule: backpropagation made exact, visible and fast.

A Scalar engine and a numpy Tensor engine sharing one reverse-mode core, a functional API
(``grad``, ``value_and_grad``, ``jacobian``, ``hessian``) and gradient checking.
"""

from . import nn, optim
from .anomaly import AnomalyError, detect_anomaly, find_nonfinite
from .blame import BlameReport, blame, source_of, trace_sources
from .checks import (
    HandCheckReport,
    LocalCheckReport,
    check_hand_gradients,
    check_local_gradient,
)
from .draw import GraphvizNotFound, render, to_dot
from .errors import GradcheckError, ShapeError
from .explain import Explanation, explain
from .functional import grad, hessian, jacobian, value_and_grad
from .functions import (
    abs,
    add,
    broadcast_to,
    concatenate,
    cos,
    divide,
    dot,
    exp,
    log,
    log_softmax,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    multiply,
    negative,
    norm,
    power,
    relu,
    reshape,
    sigmoid,
    sin,
    softmax,
    sqrt,
    stack,
    subtract,
    sum,
    tan,
    tanh,
    transpose,
    where,
)
from .gradcheck import gradcheck
from .graph import enable_grad, no_grad, zero_grad
from .primitive import REGISTRY, Primitive, primitive
from .scalar import Scalar
from .tensor import Tensor, tensor

__version__ = "0.1.0"

__all__ = [
    "Explanation", "GraphvizNotFound", "explain", "render", "to_dot",
    "AnomalyError", "BlameReport", "blame", "detect_anomaly", "find_nonfinite", "source_of",
    "trace_sources", "HandCheckReport", "LocalCheckReport", "check_hand_gradients",
    "check_local_gradient",
    "GradcheckError", "Primitive", "REGISTRY", "Scalar", "ShapeError", "Tensor", "abs",
    "add", "broadcast_to", "concatenate", "cos", "divide", "dot", "enable_grad", "exp",
    "grad", "gradcheck", "hessian", "jacobian", "log", "log_softmax", "logsumexp", "matmul",
    "max", "maximum", "mean", "min", "minimum", "multiply", "negative", "no_grad", "norm",
    "power", "primitive", "relu", "reshape", "sigmoid", "sin", "softmax", "sqrt", "stack",
    "subtract", "sum", "tan", "tanh", "tensor", "transpose", "value_and_grad", "where",
    "zero_grad", "nn", "optim",
]
