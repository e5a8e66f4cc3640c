"""Layers: ``Linear``, the activations, ``Dropout``, ``Sequential`` and ``MLP``.

Every layer computes with chainrule's differentiable ops, so the graph a learner draws
shows ``linear``, ``relu``, ``cross_entropy``... and gradients need no extra code here.
Shapes: a batch of ``N`` examples is an ``(N, features)`` Tensor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..ops import functions as F
from ..tensor import Tensor
from ..validation import whole_number
from . import init as initializers
from .functional import linear
from .module import Module


class Linear(Module):
    """``y = x @ weight + bias``: (N, in_features) -> (N, out_features), one ``linear``
    gate in the graph.

    ``weight`` has shape (in_features, out_features) (the layout of the formula, the
    transpose of PyTorch's), ``bias`` (out_features,), zeros at start. ``init`` is
    'kaiming' (for ReLU networks) or 'xavier' (tanh, sigmoid, linear); ``rng`` an int seed
    or a numpy Generator; ``dtype`` float64 by default (give np.float32 for float32
    training: inputs must then be float32 too).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *,
                 init: str = "kaiming", nonlinearity: str | None = None,
                 rng: initializers.Rng = None, dtype: Any = np.float64) -> None:
        in_features = whole_number("Linear", "in_features", in_features)
        out_features = whole_number("Linear", "out_features", out_features)
        if in_features < 1 or out_features < 1:
            raise ValueError(f"Linear: sizes must be positive, got in_features={in_features},"
                             f" out_features={out_features}")
        shape = (int(in_features), int(out_features))
        if init == "kaiming":
            w = initializers.kaiming(shape, nonlinearity=nonlinearity or "relu", rng=rng,
                                     dtype=dtype)
        elif init == "xavier":
            w = initializers.xavier(shape, nonlinearity=nonlinearity or "linear", rng=rng,
                                    dtype=dtype)
        else:
            raise ValueError(f"Linear: unknown init {init!r}; use 'kaiming' or 'xavier'")
        self.in_features, self.out_features = shape
        self.weight = Tensor(w, requires_grad=True, name="weight")
        self.bias = (Tensor(np.zeros(shape[1], dtype=dtype), requires_grad=True, name="bias")
                     if bias else None)

    def forward(self, x: Any) -> Tensor:
        return linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}, dtype={self.weight.dtype}")


class ReLU(Module):
    """max(x, 0) elementwise (relu'(0) = 0); any shape."""

    def forward(self, x: Any) -> Tensor:
        return F.relu(x)


class Tanh(Module):
    """tanh(x) elementwise; any shape."""

    def forward(self, x: Any) -> Tensor:
        return F.tanh(x)


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise; any shape."""

    def forward(self, x: Any) -> Tensor:
        return F.sigmoid(x)


class Dropout(Module):
    """In training, zero each element with probability ``p`` and scale the rest by
    1/(1-p) (inverted dropout, so evaluation needs no rescaling); the identity in
    evaluation mode or when p = 0. Any shape; the mask is drawn from ``rng`` (an int seed
    or a numpy Generator) and is a constant of the graph."""

    def __init__(self, p: float = 0.5, *, rng: initializers.Rng = None) -> None:
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = initializers.generator(rng)

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        value = x.value if isinstance(x, Tensor) else np.asarray(x)
        keep = self.rng.random(value.shape) >= self.p
        mask = keep.astype(value.dtype) * value.dtype.type(1.0 / (1.0 - self.p))
        return x * mask

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Sequential(Module):
    """Apply ``modules`` one after the other; their parameters are named
    ``layers.<index>.<name>``."""

    def __init__(self, *modules: Module) -> None:
        for i, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a Module")
        self.layers = list(modules)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)


ACTIVATIONS: dict[str, type[Module]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class MLP(Sequential):
    """A multilayer perceptron: ``sizes = [in, hidden..., out]`` gives Linear layers
    between consecutive sizes, ``activation`` ('relu', 'tanh' or 'sigmoid') after each
    hidden one, optionally followed by Dropout(``dropout``); the last layer is linear
    (logits). (N, sizes[0]) -> (N, sizes[-1]). Weights use Kaiming init for ReLU and
    Xavier for tanh/sigmoid, all drawn from one generator seeded by ``rng``.
    """

    def __init__(self, sizes: Sequence[int], activation: str = "relu", *,
                 dropout: float = 0.0, rng: initializers.Rng = None,
                 dtype: Any = np.float64) -> None:
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs at least [in, out], got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; use one of "
                             f"{sorted(ACTIVATIONS)}")
        gen = initializers.generator(rng)
        init = "kaiming" if activation == "relu" else "xavier"
        modules: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            last = i == len(sizes) - 2
            modules.append(Linear(n_in, n_out, init=init,
                                  nonlinearity="linear" if last else activation,
                                  rng=gen, dtype=dtype))
            if not last:
                modules.append(ACTIVATIONS[activation]())
                if dropout:
                    modules.append(Dropout(dropout, rng=gen))
        super().__init__(*modules)
        self.sizes = sizes
