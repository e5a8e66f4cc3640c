"""Data loading with PyTorch's names: ``TensorDataset`` and ``DataLoader``.

    loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True)
    for xb, yb in loader:
        ...

Batches are Tensors (integer labels stay integer). Shuffling draws from the
``cr.manual_seed`` stream, or from ``generator`` (a numpy Generator or an int seed).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .seeding import default_generator
from .tensor import Tensor


class Dataset:
    """Base class: a dataset has ``__len__`` and ``__getitem__(i)``."""

    def __len__(self) -> int:
        raise NotImplementedError

    def __getitem__(self, index: Any) -> Any:
        raise NotImplementedError


class TensorDataset(Dataset):
    """Examples along the first axis of each of ``tensors`` (Tensors or arrays of the
    same length): item i is the tuple of their i-th rows. Raises ValueError when the
    lengths differ."""

    def __init__(self, *tensors: Any) -> None:
        if not tensors:
            raise ValueError("TensorDataset: needs at least one tensor")
        self.tensors = [np.asarray(t.value if isinstance(t, Tensor) else t) for t in tensors]
        lengths = {len(t) for t in self.tensors}
        if len(lengths) != 1:
            raise ValueError(f"TensorDataset: the tensors have different lengths "
                             f"{[len(t) for t in self.tensors]}")

    def __len__(self) -> int:
        return len(self.tensors[0])

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        return tuple(Tensor(t[index]) for t in self.tensors)

    def batch(self, indices: np.ndarray) -> tuple[Tensor, ...]:
        """The examples at ``indices``, stacked (one fancy-indexing per tensor)."""
        return tuple(Tensor._node(t[indices], (), None, False) for t in self.tensors)


class DataLoader:
    """Batches of ``batch_size`` examples from ``dataset``, in order or shuffled anew each
    epoch (``shuffle``); ``drop_last`` drops a last smaller batch. ``len(loader)`` is the
    number of batches. A dataset without a ``batch`` method is read item by item and
    stacked."""

    def __init__(self, dataset: Any, batch_size: int = 1, shuffle: bool = False,
                 drop_last: bool = False, generator: np.random.Generator | int | None = None,
                 **unsupported: Any) -> None:
        ignored = {k for k in unsupported if k in ("num_workers", "pin_memory")}
        others = sorted(set(unsupported) - ignored)
        if others:
            raise TypeError(f"DataLoader: unsupported arguments {others}; chainrule's loader "
                            "takes batch_size, shuffle, drop_last and generator")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        self.dataset, self.batch_size = dataset, int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.generator = (np.random.default_rng(generator)
                          if isinstance(generator, (int, np.integer)) else generator)

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        if self.shuffle:
            gen = self.generator if self.generator is not None else default_generator()
            order = gen.permutation(n)
        else:
            order = np.arange(n)
        for start in range(0, len(self) * self.batch_size, self.batch_size):
            idx = order[start:start + self.batch_size]
            yield self._collate(idx)

    def _collate(self, idx: np.ndarray) -> Any:
        batch = getattr(self.dataset, "batch", None)
        if batch is not None:
            return batch(idx)
        items = [self.dataset[int(i)] for i in idx]
        return _stack(items)


def _stack(items: Sequence[Any]) -> Any:
    first = items[0]
    if isinstance(first, (tuple, list)):
        return tuple(_stack([it[k] for it in items]) for k in range(len(first)))
    arrays = [it.value if isinstance(it, Tensor) else np.asarray(it) for it in items]
    return Tensor._node(np.stack(arrays), (), None, False)


__all__ = ["DataLoader", "Dataset", "TensorDataset"]
