"""``cr.autograd.grad``: PyTorch's way of asking for gradients without touching ``.grad``.

    (dw,) = cr.autograd.grad(loss, [w])                # w.grad is left as it was
    (dw,) = cr.autograd.grad(loss, [w], create_graph=True)   # dw can be differentiated

The functional transforms (``cr.grad``, ``cr.jacobian``) take a function instead; this
takes outputs already computed, as ``torch.autograd.grad`` does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .core import backprop
from .tensor import ARRAY_MODE, Tensor, graph_mode


def _seq(x: Any) -> list[Any]:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, retain_graph: bool | None = None,
         create_graph: bool = False, allow_unused: bool = False) -> tuple[Any, ...]:
    """The gradients of ``outputs`` (a Tensor or a sequence of them, summed) with respect
    to ``inputs`` (a Tensor or a sequence), one Tensor per input, each of that input's shape.

    ``grad_outputs`` gives the cotangent of each output (needed for an output of more than
    one element). ``retain_graph`` is accepted and has no effect (a chainrule graph can
    always be walked again). With ``create_graph`` the gradients are recorded and can be
    differentiated again. An input the outputs do not depend on raises RuntimeError, or
    gives None with ``allow_unused=True``. ``.grad`` of every node is left untouched.
    """
    outs, ins = _seq(outputs), _seq(inputs)
    seeds = _seq(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(seeds) != len(outs):
        raise ValueError(f"autograd.grad: {len(seeds)} grad_outputs for {len(outs)} outputs")
    for i, t in enumerate(ins):
        if not (isinstance(t, Tensor) and t.needs):
            raise RuntimeError(f"autograd.grad: input {i} does not require grad")
    mode = graph_mode() if create_graph else ARRAY_MODE
    total: dict[int, Any] = {}
    for out, seed in zip(outs, seeds):
        if not (isinstance(out, Tensor) and out.needs):
            raise RuntimeError("autograd.grad: an output does not require grad (no input "
                               "was created with requires_grad=True)")
        if seed is None and out.value.size != 1:
            raise RuntimeError(f"autograd.grad: the output has shape {out.shape}; give "
                               "grad_outputs= for an output of more than one element")
        s: Any = out.backward_seed(seed)
        if create_graph:
            s = Tensor._node(s, (), None, False)
        found = backprop(out, s, mode, accumulate=False, wanted=tuple(ins))
        for key, g in found.items():
            total[key] = g if key not in total else total[key] + g
    result = []
    for i, t in enumerate(ins):
        g = total.get(id(t))
        if g is None and not allow_unused:
            raise RuntimeError(f"autograd.grad: input {i} was not used to compute the "
                               "outputs; pass allow_unused=True to get None for it")
        if g is not None and not isinstance(g, Tensor):
            g = Tensor._node(np.asarray(g, dtype=t.dtype), (), None, False)
        result.append(g)
    return tuple(result)


__all__ = ["grad"]
