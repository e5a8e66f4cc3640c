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
from .module import Module, _is_leaf, _is_parameter


def functional_call(module: Module, params: Mapping[str, Any], *args: Any) -> Any:
    """``module(*args)`` with its parameters and buffers taken from ``params`` (name ->
    Tensor or array, names as in ``state_dict``) for this call; the module is left as it
    was, also when the call raises. As in ``torch.func.functional_call``, buffers may be
    given or left out (a buffer left out is the module's own); a buffer given is used (and,
    in training mode, updated: BatchNorm's running statistics) in place of the module's,
    and a gradient flows to it where the forward reads it (BatchNorm in eval mode).

    A parameter frozen with ``requires_grad_(False)`` may be given too (it is in
    ``state_dict``). Raises KeyError naming the trainable parameters ``params`` lacks and
    the names it has that the module has not."""
    named = dict(module.named_parameters())
    frozen = {name for name, t in module._named_state()
              if _is_leaf(t) and not _is_parameter(t)}   # frozen parameters and buffers
    missing = [n for n in named if n not in params]
    unexpected = [n for n in params if n not in named and n not in frozen]
    if missing or unexpected:
        raise KeyError(f"functional_call on {type(module).__name__}: missing "
                       f"{missing or 'none'}, unexpected {unexpected or 'none'}")
    by_id = {id(p): params[name] for name, p in named.items()}
    swapped: list[tuple[Module, str, Any]] = []
    swapped_buffers: list[tuple[dict, str, Any]] = []
    try:
        for prefix, m in module.named_modules():
            for attr, value in list(m._own_parameters(frozen=True)):
                name = f"{prefix}.{attr}" if prefix else attr
                if _is_parameter(value) and id(value) in by_id:
                    new = by_id[id(value)]
                elif not _is_parameter(value) and name in params:
                    new = params[name]          # a frozen parameter, given
                else:
                    continue
                swapped.append((m, attr, value))
                object.__setattr__(m, attr, new)   # not registering the new value
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
            object.__setattr__(m, attr, value)
        for buffers, attr, value in reversed(swapped_buffers):
            buffers[attr] = value
