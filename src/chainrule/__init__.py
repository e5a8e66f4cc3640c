"""chainrule: backpropagation made exact, visible and fast.

A Scalar engine and a numpy Tensor engine sharing one reverse-mode core, a functional API
(``grad``, ``value_and_grad``, ``jacobian``, ``hessian``) and gradient checking.
"""

from importlib import import_module
from typing import Any

from .core import Node, enable_grad, no_grad, zero_grad
from .errors import (
    GradcheckError,
    GradientDroppedError,
    GradientDroppedWarning,
    IndependentOutputWarning,
    InPlaceError,
    ShapeError,
)
from .extend import defjvp, defvjp, primitive
from .forward import hessian, hvp, jacfwd, jvp, make_jvp
from .ops import fft
from .ops.functions import FUNCTIONS as _FUNCTIONS
from .primitive import REGISTRY, Primitive
from .pytree import flatten
from .reverse import (
    deriv,
    elementwise_grad,
    grad_and_aux,
    grad_named,
    hessian_tensor_product,
    hessian_vector_product,
    holomorphic_grad,
    make_ggnvp,
    make_hvp,
    make_vjp,
    multigrad_dict,
    tensor_jacobian_product,
    vector_jacobian_product,
    vjp,
)
from .scalar import Scalar
from .tensor import Tensor, tensor
from .transforms import grad, jacobian, value_and_grad

# cr.sin, cr.sum, cr.matmul...: generated from the rule table (chainrule.primitive.REGISTRY).
# An op registered later is found by __getattr__ below.
globals().update(_FUNCTIONS)

# The tools above the engines load on first use, so ``import chainrule`` stays quick.
_LAZY = {
    "AnomalyError": "checking.anomaly", "detect_anomaly": "checking.anomaly",
    "find_nonfinite": "checking.anomaly",
    "BlameReport": "checking.blame", "blame": "checking.blame", "source_of": "checking.blame",
    "trace_sources": "checking.blame",
    "HandCheckReport": "checking.hand", "LocalCheckReport": "checking.hand",
    "check_hand_gradients": "checking.hand", "check_local_gradient": "checking.hand",
    "gradcheck": "checking.gradcheck",
    "Explanation": "explanation.steps", "explain": "explanation.steps",
    "GraphvizNotFound": "explanation.draw", "render": "explanation.draw",
    "to_dot": "explanation.draw",
    "nn": None, "optim": None, "autograd": None, "data": None,
    "manual_seed": "seeding",
    "compile": "compiled", "jit": "compiled", "ConcretizationError": "compiled",
    "TraceError": "compiled",
    "r_": "ops.index_tricks", "c_": "ops.index_tricks",
    **{name: "factories" for name in (
        "arange", "bool_", "cat", "double", "empty", "eye", "float16", "float32", "float64",
        "full", "full_like", "int32", "int64", "linspace", "long", "ones", "ones_like",
        "rand", "randint", "randn", "randperm", "zeros", "zeros_like")},
}


def __getattr__(name: str) -> Any:
    if name in _FUNCTIONS:
        return _FUNCTIONS[name]
    if name not in _LAZY:
        raise AttributeError(f"module 'chainrule' has no attribute {name!r}")
    where = _LAZY[name]
    module = import_module(f".{where or name}", __name__)
    value = module if where is None else getattr(module, name)
    globals()[name] = value
    return value


def _repr_svg_(node: Node) -> str | None:
    """Jupyter shows a node as the picture of its graph (None without Graphviz)."""
    from .explanation.draw import svg_or_none
    return svg_or_none(node)


def _repr_html_(node: Node) -> str | None:
    """The picture scaled to the notebook's column, full size one click away."""
    from .explanation.draw import html_or_none
    return html_or_none(node)


Node._repr_svg_ = _repr_svg_  # type: ignore[attr-defined]
Node._repr_html_ = _repr_html_  # type: ignore[attr-defined]

__version__ = "0.1.0"

__all__ = [
    "Explanation", "GraphvizNotFound", "explain", "render", "to_dot",
    "AnomalyError", "BlameReport", "blame", "detect_anomaly", "find_nonfinite", "source_of",
    "trace_sources", "HandCheckReport", "LocalCheckReport", "check_hand_gradients",
    "check_local_gradient",
    "GradcheckError", "GradientDroppedError", "GradientDroppedWarning", "InPlaceError",
    "IndependentOutputWarning", "Primitive", "REGISTRY", "Scalar", "ShapeError", "Tensor",
    "elementwise_grad", "enable_grad", "fft", "flatten", "grad", "grad_and_aux", "gradcheck",
    "hessian", "hvp", "jacfwd", "jacobian", "jvp", "make_ggnvp", "make_hvp", "make_jvp",
    "make_vjp", "deriv", "holomorphic_grad", "grad_named", "multigrad_dict",
    "hessian_tensor_product", "hessian_vector_product", "vector_jacobian_product", "no_grad",
    "primitive", "defvjp", "defjvp", "tensor", "tensor_jacobian_product",
    "value_and_grad", "vjp", "zero_grad", "nn", "optim", "autograd", "data",
    "manual_seed", "compile", "jit", "ConcretizationError", "TraceError", "r_", "c_",
    *sorted(k for k, v in _LAZY.items() if v == "factories"),
    *sorted(_FUNCTIONS),
]
