"""Calling a module with parameters (and buffers) given as a dict: ``functional_call``.

Transforms differentiate functions of their arguments; a network's parameters live in its
attributes. ``functional_call(model, params, x)`` runs ``model(x)`` with each parameter
and buffer replaced, for that call only, by ``params[name]`` (names as in
``state_dict``), so a loss can be written as a function of a dict of parameters and
differentiated by ``cr.grad`` leaf by leaf::

    def loss(params, x, y):
        return nn.mse_loss(nn.functional_call(model, params, x), y)

    grads = cr.grad(loss)(model.state_dict(), x, y)   # a dict, like state_dict()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..tensor import Tensor
from .module import Module, _is_parameter


def functional_call(module: Module, params: Mapping[str, Any], *args: Any) -> Any:
    """``module(*args)`` with its parameters and buffers taken from ``params`` (name ->
    Tensor or array, names as in ``state_dict``) for this call; the module is left as it
    was, also when the call raises. As in ``torch.func.functional_call``, buffers may be
    given or left out (a buffer left out is the module's own); a buffer given is used (and,
    in training mode, updated: BatchNorm's running statistics) in place of the module's,
    and a gradient flows to it where the forward reads it (BatchNorm in eval mode).

    Raises KeyError naming the parameters ``params`` lacks and the names it has that the
    module has not."""
    named = dict(module.named_parameters())
    buffer_names = {name for name, _ in module.named_buffers()}
    missing = [n for n in named if n not in params]
    unexpected = [n for n in params if n not in named and n not in buffer_names]
    if missing or unexpected:
        raise KeyError(f"functional_call on {type(module).__name__}: missing "
                       f"{missing or 'none'}, unexpected {unexpected or 'none'}")
    by_id = {id(p): params[name] for name, p in named.items()}
    swapped: list[tuple[Module, str, Any]] = []
    swapped_buffers: list[tuple[dict, str, Any]] = []
    try:
        for m in module.modules():
            for attr, value in list(vars(m).items()):
                if _is_parameter(value) and id(value) in by_id:
                    swapped.append((m, attr, value))
                    setattr(m, attr, by_id[id(value)])
        for prefix, m in module.named_modules():
            buffers = m.__dict__.get("_buffers", {})
            for attr, value in list(buffers.items()):
                name = f"{prefix}.{attr}" if prefix else attr
                if value is not None and name in params:
                    given = params[name]
                    swapped_buffers.append((buffers, attr, value))
                    buffers[attr] = given if isinstance(given, Tensor) else Tensor(given)
        return module(*args)
    finally:
        for m, attr, value in reversed(swapped):
            setattr(m, attr, value)
        for buffers, attr, value in reversed(swapped_buffers):
            buffers[attr] = value
