"""Layers: ``Linear``, the activations, ``Dropout``, ``Sequential`` and ``MLP``.

Every layer computes with chainrule's differentiable ops, so the graph a learner draws
shows ``linear``, ``relu``, ``cross_entropy``... and gradients need no extra code here.
Shapes: a batch of ``N`` examples is an ``(N, features)`` Tensor.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from ..errors import ShapeError
from ..ops import functions as F
from ..tensor import Tensor
from ..validation import whole_number
from . import init as initializers
from .functional import dropout, linear
from .module import Module


class Linear(Module):
    """``y = x @ weight.T + bias``: (N, in_features) -> (N, out_features), one ``linear``
    gate in the graph.

    ``weight`` has PyTorch's shape (out_features, in_features), so a PyTorch state_dict
    loads name for name; ``bias`` (out_features,), zeros at start. ``init`` is
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
        shape = (int(out_features), int(in_features))
        if init == "kaiming":
            w = initializers.kaiming(shape, nonlinearity=nonlinearity or "relu", rng=rng,
                                     dtype=dtype)
        elif init == "xavier":
            w = initializers.xavier(shape, nonlinearity=nonlinearity or "linear", rng=rng,
                                    dtype=dtype)
        else:
            raise ValueError(f"Linear: unknown init {init!r}; use 'kaiming' or 'xavier'")
        self.out_features, self.in_features = shape
        # (out, in) as PyTorch's, stored as the transpose of an (in, out) array: x @ W.T
        # then reads both operands in order (numpy's fast matmul path, as x @ W would)
        self.weight = Tensor(np.asfortranarray(w), requires_grad=True, name="weight")
        self.bias = (Tensor(np.zeros(shape[0], dtype=dtype), requires_grad=True, name="bias")
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

    def __init__(self, p: float = 0.5, inplace: bool = False, *,
                 rng: initializers.Rng = None) -> None:
        if not 0.0 <= p < 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = float(p)
        self.rng = None if rng is None else initializers.generator(rng)

    def _mask_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        return shape

    def forward(self, x: Any) -> Any:
        shape = np.shape(x.value if isinstance(x, Tensor) else x)
        return dropout(x, self.p, self.training, rng=self.rng,
                       mask_shape=self._mask_shape(shape))

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout2d(Dropout):
    """Dropout of whole channels: in training, each (example, channel) plane of an
    (N, C, H, W) input is zeroed with probability ``p``, the rest scaled by 1/(1-p)."""

    def _mask_shape(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if len(shape) not in (3, 4):
            raise ValueError(f"Dropout2d: expects (N, C, H, W) or (C, H, W), got {shape}")
        return shape[:-2] + (1, 1)


class ModuleList(Module):
    """A list of modules whose parameters are named ``<index>.<name>``; supports
    ``append``, ``extend``, indexing, ``len`` and iteration."""

    def __init__(self, modules: Any = ()) -> None:
        self.layers: list[Module] = []
        self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: item {len(self.layers)} is a "
                            f"{type(module).__name__}, not a Module")
        self.layers.append(module)
        return self

    def extend(self, modules: Any) -> ModuleList:
        for m in modules:
            self.append(m)
        return self

    def named_children(self) -> Iterator[tuple[str, Module]]:
        return ((str(i), m) for i, m in enumerate(self.layers))

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return type(self)(self.layers[i])
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)


class Sequential(ModuleList):
    """Apply ``modules`` one after the other; their parameters are named
    ``<index>.<name>`` (``0.weight``), as in PyTorch."""

    def __init__(self, *modules: Module) -> None:
        super().__init__(modules)

    def forward(self, x: Any) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x


class ModuleDict(Module):
    """A dict of modules whose parameters are named ``<key>.<name>``."""

    def __init__(self, modules: Mapping[str, Module] | None = None) -> None:
        self.items_: dict[str, Module] = {}
        for k, m in (modules or {}).items():
            self[k] = m

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(module, Module):
            raise TypeError(f"ModuleDict: {key!r} is a {type(module).__name__}, not a Module")
        self.items_[str(key)] = module

    def __getitem__(self, key: str) -> Module:
        return self.items_[key]

    def named_children(self) -> Iterator[tuple[str, Module]]:
        return iter(list(self.items_.items()))

    def keys(self) -> Any:
        return self.items_.keys()

    def values(self) -> Any:
        return self.items_.values()

    def items(self) -> Any:
        return self.items_.items()

    def __len__(self) -> int:
        return len(self.items_)

    def __iter__(self) -> Iterator[str]:
        return iter(self.items_)

    def __contains__(self, key: str) -> bool:
        return key in self.items_


class Embedding(Module):
    """A lookup table: integer indices of any shape -> their rows of ``weight``
    (num_embeddings, embedding_dim), drawn N(0, 1) as in PyTorch; the result has shape
    index.shape + (embedding_dim,). Repeated indices add their gradients."""

    def __init__(self, num_embeddings: int, embedding_dim: int, *, dtype: Any = np.float64,
                 rng: initializers.Rng = None) -> None:
        gen = initializers.generator(rng)
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        self.weight = Tensor(gen.standard_normal((self.num_embeddings, self.embedding_dim))
                             .astype(dtype), requires_grad=True, name="weight")

    def forward(self, index: Any) -> Tensor:
        idx = np.asarray(index.value if isinstance(index, Tensor) else index)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be integers, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            raise IndexError(f"Embedding: indices must lie in [0, {self.num_embeddings}), "
                             f"got values from {idx.min()} to {idx.max()}")
        return self.weight[idx]

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class LayerNorm(Module):
    """Normalise over the last dims ``normalized_shape``: (x - mean) / sqrt(var + eps)
    (biased variance), then ``* weight + bias`` (ones and zeros at start) when
    ``elementwise_affine``. Any leading shape."""

    def __init__(self, normalized_shape: Any, eps: float = 1e-5,
                 elementwise_affine: bool = True, *, dtype: Any = np.float64) -> None:
        shape = (normalized_shape,) if isinstance(normalized_shape, int) \
            else tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, float(eps)
        self.weight = Tensor(np.ones(shape, dtype), requires_grad=True) \
            if elementwise_affine else None
        self.bias = Tensor(np.zeros(shape, dtype), requires_grad=True) \
            if elementwise_affine else None

    def forward(self, x: Any) -> Any:
        axes = tuple(range(-len(self.normalized_shape), 0))
        shape = np.shape(x.value if isinstance(x, Tensor) else x)
        if shape[len(shape) - len(axes):] != self.normalized_shape:
            raise ShapeError(f"LayerNorm: input shape {shape} does not end with "
                             f"normalized_shape {self.normalized_shape}")
        centred = x - F.mean(x, axes, True)
        y = centred / F.sqrt(F.mean(centred * centred, axes, True) + self.eps)
        if self.weight is not None:
            y = y * self.weight + self.bias
        return y

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}"


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
