"""The reverse-mode core: graph nodes, recording state and the backward pass. It imports
nothing else from chainrule; everything else builds on it."""

from .backward import (
    Mode,
    Observer,
    backprop,
    has_rule,
    observe_passes,
    vjp,
    walk,
    zero_grad,
)
from .node import ONE_PARENT, Node
from .recording import enable_grad, grad_enabled, no_grad, on_create

__all__ = ["ONE_PARENT", "Mode", "Node", "Observer", "backprop", "enable_grad",
           "grad_enabled", "has_rule", "no_grad", "observe_passes", "on_create", "vjp", "walk",
           "zero_grad"]
