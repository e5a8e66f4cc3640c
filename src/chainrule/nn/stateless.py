"""Calling a module with parameters given as a dict: ``functional_call``.

Transforms differentiate functions of their arguments; a network's parameters live in its
attributes. ``functional_call(model, params, x)`` runs ``model(x)`` with each parameter
replaced, for that call only, by ``params[name]`` (names as in ``named_parameters``), so a
loss can be written as a function of a dict of parameters and differentiated by
``cr.grad`` leaf by leaf::

    def loss(params, x, y):
        return nn.mse_loss(nn.functional_call(model, params, x), y)

    grads = cr.grad(loss)(model.state_dict(), x, y)   # a dict, like state_dict()
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .module import Module, _is_parameter


def functional_call(module: Module, params: Mapping[str, Any], *args: Any) -> Any:
    """``module(*args)`` with its parameters taken from ``params`` (name -> Tensor or array)
    for this call; the module is left as it was, also when the call raises. Raises KeyError
    naming the parameters ``params`` lacks and the names it has that the module does not."""
    named = dict(module.named_parameters())
    missing = [n for n in named if n not in params]
    unexpected = [n for n in params if n not in named]
    if missing or unexpected:
        raise KeyError(f"functional_call on {type(module).__name__}: missing "
                       f"{missing or 'none'}, unexpected {unexpected or 'none'}")
    by_id = {id(p): params[name] for name, p in named.items()}
    swapped: list[tuple[Module, str, Any]] = []
    try:
        for m in module.modules():
            for attr, value in list(vars(m).items()):
                if _is_parameter(value) and id(value) in by_id:
                    swapped.append((m, attr, value))
                    setattr(m, attr, by_id[id(value)])
        return module(*args)
    finally:
        for m, attr, value in reversed(swapped):
            setattr(m, attr, value)
